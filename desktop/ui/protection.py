"""Settings ▸ Data protection: switch between the OS keyring and a passphrase, or change the
passphrase (what it does: desktop/protection.py)."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
    QRadioButton, QVBoxLayout,
)

from desktop.first_run import FORGOTTEN_WARNING, passphrase_strength
from desktop.protection import change_protection
from desktop.store import StoreError
from desktop.store.keys import KeyManager, keyring_available


def describe(keys: KeyManager) -> str:
    return ("This computer's keyring" if keys.mode == "keyring"
            else "A passphrase typed at start")


class ProtectionDialog(QDialog):
    def __init__(self, keys: KeyManager, parent=None, words: tuple[str, ...] = ()):
        super().__init__(parent)
        self.setWindowTitle("Data protection")
        self.keys, self.words = keys, words
        current = keys.mode
        layout = QVBoxLayout(self)
        self.keyring = QRadioButton("This computer's &keyring")
        self.keyring.setObjectName("keyring")
        self.keyring.setEnabled(keyring_available())
        self.passphrase_choice = QRadioButton("A &passphrase typed when Fieldnote starts")
        self.passphrase_choice.setObjectName("passphrase_mode")
        group = QButtonGroup(self)
        group.addButton(self.keyring)
        group.addButton(self.passphrase_choice)
        (self.keyring if current == "keyring" else self.passphrase_choice).setChecked(True)
        layout.addWidget(self.keyring)
        layout.addWidget(self.passphrase_choice)
        form = QFormLayout()
        self.current = QLineEdit()
        self.current.setObjectName("current")
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        if current == "passphrase":
            form.addRow("&Current passphrase", self.current)
        self.new = QLineEdit()
        self.new.setObjectName("new")
        self.new.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setObjectName("again")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = QLabel("")
        self.strength.setWordWrap(True)
        self.understood = QCheckBox("I understand that a forgotten passphrase cannot be recovered")
        self.understood.setObjectName("understood")
        form.addRow("&New passphrase", self.new)
        form.addRow("&Again", self.again)
        form.addRow("", self.strength)
        warning = QLabel(FORGOTTEN_WARNING)
        warning.setWordWrap(True)
        form.addRow(warning)
        form.addRow(self.understood)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.new.textChanged.connect(self._strength)
        self.setMinimumWidth(520)

    def _strength(self) -> None:
        text = self.new.text()
        self.strength.setText(passphrase_strength(text, self.words).message if text else "")

    def save(self) -> None:
        mode = "passphrase" if self.passphrase_choice.isChecked() else "keyring"
        if mode == "passphrase":
            if self.new.text() != self.again.text():
                self.problem.setText("The two new passphrases are not the same.")
                return
            if not self.understood.isChecked():
                self.problem.setText("Tick the box to confirm that you understand a forgotten "
                                     "passphrase cannot be recovered.")
                return
        try:
            change_protection(self.keys, mode, current_passphrase=self.current.text() or None,
                              new_passphrase=self.new.text() or None, words=self.words)
        except StoreError as exc:
            self.problem.setText(str(exc))
            return
        self.accept()
