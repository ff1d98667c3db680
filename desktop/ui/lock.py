"""The idle lock: one controller locks every Fieldnote window at once.

After a set number of idle minutes (or Ctrl+L) ``LockController.lock`` covers each
visible top-level window — the main window, observation and form windows, any dialog or
message box, and any window that opens while locked — with a ``LockScreen``: an opaque
cover holding the unlock field, so whichever window the user faces (even a modal dialog
that blocks the others) can be unlocked from. Window titles, which name pupils, are
replaced while locked.

While locked the controller filters the application's events: no key, mouse, drop or
shortcut reaches anything outside a cover, and every key typed into a cover goes to its
field, never to a shortcut (Alt+F types into the field rather than opening a menu
behind). Timers are untouched, so an observation in progress keeps recording: its
prompts fire, its intervals are committed, and its codes stay hidden until unlock. A
window may offer ``locked_status() -> str``, a line the cover shows (never case data).

What opens the lock — the passphrase, or in keyring mode the user's PIN — and how fast
wrong tries may come are decided by ``desktop.security.Unlocker`` (no Qt).
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop.security import MAX_PIN_DIGITS, MIN_PIN_DIGITS, Unlocker, UnlockPin, pin_problem
from desktop.ui.style import text_size

_USER_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}
# Input that must not reach a window's content while locked.
_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.KeyRelease,
    QEvent.Type.ShortcutOverride,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel,
    QEvent.Type.ContextMenu,
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.TouchEnd,
    QEvent.Type.DragEnter,
    QEvent.Type.DragMove,
    QEvent.Type.Drop,
    QEvent.Type.TabletPress,
    QEvent.Type.InputMethod,
}
_NOT_COVERED = (Qt.WindowType.Popup, Qt.WindowType.ToolTip, Qt.WindowType.SplashScreen)
LOCKED_TITLE = "Fieldnote — locked"
BOX_WIDTH = 420


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
    """The cover over one window while locked: what opens the lock, and a field for it.

    Opaque and sized to its window; it takes every key it is given so none passes on to
    the window beneath (Esc would close a dialog, Tab would skip an interval)."""

    def __init__(self, controller: "LockController", parent: QWidget):
        super().__init__(parent)
        self.controller = controller
        self.method = "passphrase"  # what opens the lock: set by prepare()
        self.compact = False  # a small window's cover: set by fit()
        self.waiting = False  # the error line shows the throttle's wait
        self.setObjectName("lockScreen")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#lockScreen { background: #f3f4f6; }"
            "#lockBox { background: white; border: 1px solid #d1d5db;"
            " border-radius: 8px; }"
        )
        self.title = title = QLabel("Fieldnote is locked")
        text_size(title, 1.5, bold=True)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setWordWrap(True)
        self.passphrase = QLineEdit()  # the passphrase or the PIN
        self.passphrase.setObjectName("lockPassphrase")
        self.passphrase.setAccessibleName("Passphrase or PIN")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.error = QLabel()
        self.error.setObjectName("lockError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.button = QPushButton("Unlock")
        self.button.setObjectName("unlockButton")
        self.button.clicked.connect(self.try_unlock)
        self.quit_button = QPushButton("Quit Fieldnote")
        self.quit_button.setObjectName("lockQuit")
        self.quit_button.clicked.connect(controller.quit)
        self.status = QLabel()  # e.g. "an observation is recording"
        self.status.setObjectName("lockStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(
            "color: #1e3a8a; background: #eff6ff; border: 1px solid #bfdbfe; border-radius: 4px; padding: 6px;"
        )
        self.box = box = QWidget()
        box.setObjectName("lockBox")
        box.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.inner = inner = QVBoxLayout(box)
        inner.setSpacing(10)
        for w in (title, self.message, self.passphrase, self.error, self.button, self.quit_button, self.status):
            inner.addWidget(w)
        self.error.hide()  # until there is something to say
        self.fit(BOX_WIDTH + 40, 400)
        # Centred by stretches, not alignment: an aligned item gets its size hint's height,
        # too short for wrapped text; here it gets its height for its width.
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(box)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addLayout(row)
        layout.addStretch()

    def fit(self, width: int, height: int) -> None:
        """Size the box to a window of ``width`` × ``height``: a small one (a message box)
        gets only the field, the button and the error, so it can still be unlocked from."""
        self.compact = width < BOX_WIDTH + 40 or height < 330
        box_width = max(160, min(BOX_WIDTH, width - 16))
        margin = 8 if self.compact else 24
        self.inner.setContentsMargins(margin, 4 if self.compact else 20, margin, 4 if self.compact else 20)
        self.inner.setSpacing(4 if self.compact else 10)
        self.box.setFixedWidth(box_width)
        for label in (self.message, self.error, self.status):
            # a fixed width lets a wrapped label get its full height
            label.setFixedWidth(box_width - 2 * margin)
        self.title.setVisible(not self.compact)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        was = self.compact
        self.fit(event.size().width(), event.size().height())
        if was != self.compact:
            self._show_parts()

    def prepare(self) -> None:
        """Say what opens the lock (it can change: a PIN set in another window)."""
        self.method = method = self.controller.unlocker.method()
        self.passphrase.clear()
        self._show_parts()
        self.passphrase.setPlaceholderText("PIN" if method == "pin" else "Passphrase")
        self.passphrase.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly if method == "pin" else Qt.InputMethodHint.ImhHiddenText
        )
        self.message.setText(
            {
                "passphrase": "Enter your passphrase to carry on.",
                "pin": "Enter your PIN to carry on.",
                "none": "No PIN is set on this laptop, so this lock cannot be opened here. Quit "
                "Fieldnote (everything is saved; an observation can be resumed), start it "
                "again, and set a PIN in Settings.",
            }[method]
        )
        self.show_wait(self.controller.unlocker.wait_message())
        self.show_status()
        if method != "none":
            self.passphrase.setFocus()

    def _show_parts(self) -> None:
        method = self.method
        self.passphrase.setVisible(method != "none")
        self.button.setVisible(method != "none")
        self.quit_button.setVisible(method == "none")
        self.message.setVisible(not self.compact or method == "none")

    def show_status(self) -> None:
        status = getattr(self.parentWidget(), "locked_status", None)
        text = status() if callable(status) else ""
        self.status.setText(text)
        self.status.setVisible(bool(text) and not self.compact)

    def try_unlock(self) -> None:
        secret = self.passphrase.text()
        self.passphrase.clear()
        result = self.controller.try_unlock(secret)
        if not result.ok:
            self.say(result.message, waiting=bool(self.controller.unlocker.wait_message()))
            self.passphrase.setFocus()

    def say(self, text: str, waiting: bool = False) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.waiting = waiting

    def show_wait(self, message: str) -> None:
        """Keep a throttle's wait current: counting down, then gone once it is over."""
        if message:
            self.say(message, waiting=True)
        elif self.waiting:
            self.say("")

    def keyPressEvent(self, event) -> None:
        event.accept()  # nothing typed here reaches the window beneath

    def keyReleaseEvent(self, event) -> None:
        event.accept()


class LockController(QObject):
    """Locks and unlocks every top-level window of the app, from one place.

    ``main`` is the main window: the only window a click on its close button may close
    while locked (quitting loses nothing; every answer is committed). ``quit`` is what
    the cover's Quit button calls."""

    locked_changed = Signal(bool)

    def __init__(self, unlocker: Unlocker, main: QWidget, quit=None):
        super().__init__(main)
        self.unlocker = unlocker
        self.main = main
        self._quit = quit or QApplication.quit
        self.locked = False
        self.covers: dict[QWidget, LockScreen] = {}
        self._titles: dict[QWidget, str] = {}
        self.status_timer = QTimer(self)  # keeps "interval 12" on a cover current
        self.status_timer.setInterval(1_000)
        self.status_timer.timeout.connect(self._refresh_status)

    # -- locking ------------------------------------------------------------------------------
    def windows(self) -> list[QWidget]:
        """Every visible top-level window of the app (not menus, tooltips or covers)."""
        return [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow() and not _transient(w)]

    def lock(self) -> None:
        if self.locked:
            return
        self.locked = True
        QToolTip.hideText()
        while (popup := QApplication.activePopupWidget()) is not None:  # an open menu
            popup.close()
        QApplication.instance().installEventFilter(self)
        for window in self.windows():
            self.cover(window)
        self.status_timer.start()
        self.locked_changed.emit(True)

    def cover(self, window: QWidget) -> LockScreen:
        """Hide ``window``'s content and title behind a lock screen."""
        if window in self.covers:
            return self.covers[window]
        screen = LockScreen(self, window)
        self.covers[window] = screen
        self._titles[window] = window.windowTitle()
        window.setWindowTitle(LOCKED_TITLE)
        screen.setGeometry(window.rect())
        screen.show()
        screen.raise_()
        screen.prepare()
        return screen

    def cover_of(self, window: QWidget) -> LockScreen | None:
        return self.covers.get(window)

    def _refresh_status(self) -> None:
        """Each second while locked: a recording's interval, and the wait after wrong tries."""
        wait = self.unlocker.wait_message()
        for screen in list(self.covers.values()):
            if shiboken6.isValid(screen):
                screen.show_status()
                screen.show_wait(wait)

    # -- unlocking ----------------------------------------------------------------------------
    def try_unlock(self, secret: str):
        """Check ``secret`` (throttled); unlock every window if it opens the lock."""
        result = self.unlocker.attempt(secret)
        if result.ok:
            self.unlock()
        return result

    def unlock(self) -> None:
        if not self.locked:
            return
        self.locked = False
        QApplication.instance().removeEventFilter(self)
        self.status_timer.stop()
        for window, screen in list(self.covers.items()):
            if not shiboken6.isValid(window):
                continue  # closed and deleted while locked: its cover went with it
            window.setWindowTitle(self._titles.get(window, window.windowTitle()))
            screen.hide()
            screen.deleteLater()
        self.covers.clear()
        self._titles.clear()
        self.locked_changed.emit(False)

    def quit(self) -> None:
        self._quit()

    def stop(self) -> None:
        """The main window is closing: stop watching the app's events (covers stay)."""
        QApplication.instance().removeEventFilter(self)
        self.status_timer.stop()

    # -- keeping input out --------------------------------------------------------------------
    def _in_cover(self, obj) -> bool:
        w = obj if isinstance(obj, QWidget) else None
        while w is not None:
            if isinstance(w, LockScreen) and w.controller is self:
                return True
            w = w.parentWidget()
        return False

    def eventFilter(self, obj, event) -> bool:
        if not self.locked or not shiboken6.isValid(self.main):
            return False
        kind = event.type()
        if kind == QEvent.Type.Shortcut:
            return True  # no shortcut, menu mnemonic or button mnemonic fires while locked
        if not isinstance(obj, QWidget):
            return False  # events reach widgets through their window: judged there
        if kind == QEvent.Type.Show and obj.isWindow() and not _transient(obj) and not self._in_cover(obj):
            self.cover(obj)  # a window opening while locked (a message box, a resume offer)
        elif kind == QEvent.Type.Resize and obj in self.covers:
            self.covers[obj].setGeometry(obj.rect())
        elif kind == QEvent.Type.Close and obj in self.covers and obj is not self.main and event.spontaneous():
            event.ignore()  # its close questions (end the observation?) wait for unlock
            return True
        elif kind in _INPUT_EVENTS:
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # deliver as a key press: to the field, or to nothing
                return True
            return not self._in_cover(obj)
        return False


def _transient(w: QWidget) -> bool:
    """Menus, tooltips and splash screens: closed or left alone rather than covered."""
    kind = w.windowType()
    return kind in _NOT_COVERED


class PinDialog(QDialog):
    """Set or change the unlock PIN: the current one first (if any), the new one twice."""

    def __init__(self, pin: UnlockPin, parent=None):
        super().__init__(parent)
        self.pin = pin
        self.had_pin = pin.is_set()
        self.setWindowTitle("Change unlock PIN" if self.had_pin else "Set an unlock PIN")
        self.setMinimumWidth(440)
        intro = QLabel(
            f"The PIN opens Fieldnote's lock on this laptop: {MIN_PIN_DIGITS} to "
            f"{MAX_PIN_DIGITS} digits. Fieldnote keeps only a scrambled form of it, inside its "
            "encrypted data. After five wrong tries each further try has to wait longer."
        )
        intro.setWordWrap(True)
        self.current, self.new, self.again = QLineEdit(), QLineEdit(), QLineEdit()
        for name, field in (("currentPin", self.current), ("newPin", self.new), ("againPin", self.again)):
            field.setObjectName(name)
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setMaxLength(MAX_PIN_DIGITS)
        self.error = QLabel()
        self.error.setObjectName("pinError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        form = QFormLayout()
        if self.had_pin:
            form.addRow("Current PIN", self.current)
        else:
            self.current.hide()
        form.addRow("New PIN", self.new)
        form.addRow("Type it again", self.again)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> bool:
        """Keep the new PIN and close; False (with the reason shown) if it cannot be kept."""
        new = self.new.text()
        if self.had_pin and not self.pin.matches(self.current.text()):
            problem = "The current PIN is not right."
        elif new != self.again.text():
            problem = "The two new PINs are different."
        else:
            problem = pin_problem(new)
        if problem:
            self.error.setText(problem)
            return False
        self.pin.set(new)
        self.accept()
        return True
