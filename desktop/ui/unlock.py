"""The passphrase prompt shown at start when the machine has no OS keyring."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from desktop.store.keys import MIN_PASSPHRASE_LENGTH


class PassphraseDialog(QDialog):
    """``creating``: choose a new passphrase (typed twice); otherwise unlock with it."""

    def __init__(self, creating: bool, message: str = "", parent=None):
        super().__init__(parent)
        self.creating = creating
        self.setWindowTitle("Fieldnote — choose a passphrase" if creating else "Fieldnote — unlock")
        self.setMinimumWidth(440)
        intro = QLabel(
            "This computer has no OS keyring, so Fieldnote protects its data with a passphrase. "
            f"Choose one of at least {MIN_PASSPHRASE_LENGTH} characters. It cannot be recovered: "
            "without it the data cannot be read."
            if creating
            else "Enter the passphrase that protects Fieldnote's data."
        )
        intro.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("confirm")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(message)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        form = QFormLayout()
        form.addRow("Passphrase", self.passphrase)
        if creating:
            form.addRow("Type it again", self.confirm)
        else:
            self.confirm.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _check(self) -> None:
        text = self.passphrase.text()
        if self.creating and len(text) < MIN_PASSPHRASE_LENGTH:
            self.error.setText(f"Use at least {MIN_PASSPHRASE_LENGTH} characters.")
        elif self.creating and text != self.confirm.text():
            self.error.setText("The two passphrases are different.")
        else:
            self.accept()

    def value(self) -> str:
        return self.passphrase.text()
