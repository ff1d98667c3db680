"""The idle lock: after a set number of idle minutes the window hides its data
and asks again for the passphrase (or, with an OS keyring, for the OS to unlock it)."""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.store.keys import KeyManager

_USER_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                QEvent.Type.Wheel, QEvent.Type.TouchBegin}


class IdleWatcher(QObject):
    """Emits ``idle`` once the user has done nothing for ``minutes``."""

    idle = Signal()

    def __init__(self, minutes: int, parent=None, clock=time.monotonic):
        super().__init__(parent)
        self.minutes = minutes
        self.clock = clock
        self.last_input = clock()
        self.timer = QTimer(self)
        self.timer.setInterval(5_000)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in _USER_EVENTS:
            self.last_input = self.clock()
        return False

    def check(self) -> None:
        if self.clock() - self.last_input >= self.minutes * 60:
            self.last_input = self.clock()
            self.idle.emit()


class LockScreen(QWidget):
    """Covers the window's content until the store's key is given again."""

    unlocked = Signal()

    def __init__(self, keys: KeyManager, parent=None):
        super().__init__(parent)
        self.keys = keys
        title = QLabel("Fieldnote is locked")
        title.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("lockPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Passphrase")
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b91c1c;")
        self.button = QPushButton("Unlock")
        self.button.setObjectName("unlockButton")
        self.button.clicked.connect(self.try_unlock)
        box = QWidget()
        box.setMaximumWidth(380)
        inner = QVBoxLayout(box)
        for w in (title, self.message, self.passphrase, self.error, self.button):
            inner.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()

    def prepare(self) -> None:
        needs = self.keys.needs_passphrase()
        self.passphrase.setVisible(needs)
        self.passphrase.clear()
        self.error.clear()
        self.message.setText(
            "Enter your passphrase to carry on." if needs else
            "Unlock with your computer account's keyring to carry on.")
        (self.passphrase if needs else self.button).setFocus()

    def try_unlock(self) -> None:
        if self.keys.needs_passphrase():
            ok = self.keys.verify_passphrase(self.passphrase.text())
        else:
            try:
                self.keys.obtain()
                ok = True
            except Exception:
                ok = False
        self.passphrase.clear()
        if ok:
            self.unlocked.emit()
        else:
            self.error.setText("That did not unlock Fieldnote. Try again.")
