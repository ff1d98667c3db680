"""Settings ▸ Data protection: switch between the OS keyring and a passphrase, or change the
passphrase (what it does: desktop/protection.py).

The change derives keys with scrypt (about a second at today's parameters) and writes to the
OS keyring, so it runs off the GUI thread (``tasks.run``: the window's ``StoreTasks``); the
dialog says "Protecting your data…" and takes no second Save, nor a Cancel, until it is done.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
)

from desktop.first_run import FORGOTTEN_WARNING, passphrase_strength
from desktop.protection import change_protection
from desktop.store import StoreError
from desktop.store.keys import KeyManager, keyring_available
from desktop.ui.tasks import Tasks

WORKING = "Protecting your data…"


def describe(keys: KeyManager) -> str:
    return "This computer's keyring" if keys.mode == "keyring" else "A passphrase typed at start"


class ProtectionDialog(QDialog):
    """``tasks``: where the change runs (the window's ``StoreTasks``; by default a ``Tasks``
    on the shared pool)."""

    def __init__(self, keys: KeyManager, parent=None, words: tuple[str, ...] = (), tasks: Tasks | None = None):
        super().__init__(parent)
        self.setWindowTitle("Data protection")
        self.keys, self.words = keys, words
        self.tasks = tasks or Tasks()
        self.busy = False
        current = keys.mode
        layout = QVBoxLayout(self)
        self.keyring = QRadioButton("This computer's &keyring")
        self.keyring.setObjectName("keyring")
        self.keyring_ok = keyring_available()
        self.keyring.setEnabled(self.keyring_ok)
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
        self.understood = QCheckBox("I &understand that a forgotten passphrase cannot be recovered")
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
        self.working = QLabel("")
        self.working.setObjectName("working")
        layout.addWidget(self.working)
        self.buttons = buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.new.textChanged.connect(self._strength)
        self.setMinimumWidth(520)

    def _strength(self) -> None:
        text = self.new.text()
        self.strength.setText(passphrase_strength(text, self.words).message if text else "")

    def save(self) -> None:
        if self.busy:
            return
        mode = "passphrase" if self.passphrase_choice.isChecked() else "keyring"
        if mode == "passphrase":
            if self.new.text() != self.again.text():
                self.problem.setText("The two new passphrases are not the same.")
                return
            if not self.understood.isChecked():
                self.problem.setText(
                    "Tick the box to confirm that you understand a forgotten passphrase cannot be recovered."
                )
                return
        keys, words = self.keys, self.words
        current, new = self.current.text() or None, self.new.text() or None
        self.problem.setText("")
        self._set_busy(True)
        self.tasks.run(
            lambda: change_protection(keys, mode, current_passphrase=current, new_passphrase=new, words=words),
            self._changed,
        )

    def _changed(self, _result, error: BaseException | None) -> None:
        self._set_busy(False)
        if error is None:
            self.accept()
        elif isinstance(error, StoreError):  # a wrong passphrase, no keyring: nothing changed
            self.problem.setText(str(error))
        else:  # e.g. keyinfo.json could not be written (it is replaced whole, or not at all)
            self.problem.setText(f"The protection could not be changed: {error}")

    def _set_busy(self, busy: bool) -> None:
        """While the change runs: say so, and take no second Save and no Cancel."""
        self.busy = busy
        self.working.setText(WORKING if busy else "")
        for widget in (
            self.keyring,
            self.passphrase_choice,
            self.current,
            self.new,
            self.again,
            self.understood,
            self.buttons,
        ):
            widget.setEnabled(not busy and (widget is not self.keyring or self.keyring_ok))
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def reject(self) -> None:
        if not self.busy:  # Esc or the title bar's close: the change cannot be stopped midway
            super().reject()
