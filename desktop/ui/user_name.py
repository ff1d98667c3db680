"""Who is making the changes: the name the activity log records.

Until a name is known, the store would record the computer account ("root",
"ST-LAPTOP-07\\user"), which tells a service nothing. So before the first edit the window
takes the name from the signed-in account (``sync.client.auth.account_name``) or asks for it
in a small dialog, keeps it in Settings, and every connection records it from then on.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from desktop.config import Settings


class UserNameDialog(QDialog):
    """Asks for the practitioner's name (required to save)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("userNameDialog")
        self.setWindowTitle("Your name")
        self.setMinimumWidth(420)
        intro = QLabel(
            "Fieldnote records who makes each change in the case's history. "
            "Type your name as colleagues know it; it is kept in Settings."
        )
        intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setObjectName("userName")
        self.name.setAccessibleName(Settings.TITLES["practitioner_name"])
        self.name.setPlaceholderText("e.g. Sam Whitfield")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Save")
        self.ok.setEnabled(False)
        self.name.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel(Settings.TITLES["practitioner_name"]))
        layout.addWidget(self.name)
        layout.addWidget(self.buttons)
        self.name.setFocus()

    def value(self) -> str:
        return " ".join(self.name.text().split())


def ensure_user_name(window) -> bool:
    """Make sure the window's store records a person's name; False if the user declined to
    give one (the edit is then not made). ``window`` is a ``MainWindow``."""
    if window.settings.practitioner_name or window.store.actor_named:
        return True
    from sync.client.auth import account_name

    name = account_name(window.store)
    if not name:
        dialog = UserNameDialog(window)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.value():
            window.statusBar().showMessage(
                "Nothing was changed: Fieldnote needs your name to record who made a change.", 8000
            )
            return False
        name = dialog.value()
    set_user_name(window, name)
    return True


def set_user_name(window, name: str) -> None:
    """Record ``name`` from now on, on the window's connection and its store worker's, and
    keep it in Settings."""
    window.settings.practitioner_name = name
    window.save_config(window.settings)
    window.store.actor, window.store.actor_named = name, True
    worker = window.tasks._store  # the worker's connection, if open: it follows at once
    if worker is not None:
        worker.actor, worker.actor_named = name, True
