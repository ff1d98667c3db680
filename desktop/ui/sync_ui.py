"""Signing in, background sync, and the status-bar indicator.

Network and keyring work never runs on the GUI thread: sign-in, sign-out and every sync
run on the window's store worker (``window.tasks.write``, the one writer off the GUI
thread), and report back with a signal. The sign-in token is read from the keyring there
too, once, and kept while it works. The indicator reads only the local store (last synced,
changes waiting, items needing attention), so it is instant and works offline.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
)

from desktop.dates import to_uk_datetime

SYNC_EVERY_MS = 2 * 60 * 1000  # while the app is open; a failed attempt just waits for the next
FIRST_SYNC_MS = 5 * 1000
DEMO_STATUS = "Demo data — never synced"


def status_text(store, syncing: bool = False) -> tuple[str, str]:
    """What the status bar says, and its tooltip, from the local store only."""
    from sync.client.local import sync_status

    status = sync_status(store)
    waiting = status.changes_waiting
    changes = f"{waiting:,} change{'s' if waiting != 1 else ''} waiting"
    attention = (
        f" · {status.attention_count} need{'s' if status.attention_count == 1 else ''} attention"
        if status.attention_count
        else ""
    )
    if store.meta("demo") == "1":  # nothing is waiting: a demo store never syncs
        return DEMO_STATUS, "Demonstration data never leaves this laptop: it is not sent to any server."
    if syncing:
        return f"Syncing… · {changes}{attention}", f"Syncing with {status.server_url}"
    if not status.server_url:
        return f"Not signed in · {changes}", "Sync ▸ Sign in… to connect to your service's server."
    last = f"last synced {to_uk_datetime(status.last_synced_at)}" if status.last_synced_at else "never synced"
    if status.last_error and status.last_error_kind == "error":
        # Not a network problem (an answer not understood, a store that could not be
        # written): say the sync failed, and why, rather than "Offline".
        return (
            f"Sync failed · {changes} · {last}{attention}",
            f"{status.last_error}\nEverything is saved on this laptop.",
        )
    if status.last_error:
        return (
            f"Offline · {changes} · {last}{attention}",
            f"{status.last_error}\nEverything is saved on this laptop and will sync when the server can be reached.",
        )
    return (
        f"Synced · {last[len('last synced ') :] if status.last_synced_at else 'never'} · {changes}{attention}",
        f"Server: {status.server_url}",
    )


class SignInDialog(QDialog):
    """Server address, user name and password; signs in off the GUI thread."""

    def __init__(self, tasks, server_url: str = "", parent=None):
        super().__init__(parent)
        self.tasks = tasks  # the window's StoreTasks
        self.setWindowTitle("Sign in to your service's server")
        self.setMinimumWidth(440)
        self.server = QLineEdit(server_url)
        self.server.setObjectName("server")
        self.server.setPlaceholderText("https://fieldnote.example-council.gov.uk")
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("User name", self.user)
        form.addRow("Password", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.done_signing_in = None

    def sign_in(self) -> None:
        server, user, password = self.server.text().strip(), self.user.text().strip(), self.password.text()
        if not (server and user and password):
            self.message.setText("Fill in the server, your user name and your password.")
            return
        self.buttons.setEnabled(False)
        self.message.setText("Signing in…")

        def work(store):
            from sync.client import local
            from sync.client.auth import login

            login(server, user, password, store=store)
            local.set_state(store, "server_url", server)
            return server

        def done(result, error):
            self.password.clear()
            self.buttons.setEnabled(True)
            self.done_signing_in = result or error
            if error:
                self.message.setText(str(error))
            else:
                self.accept()

        self.tasks.write(work, done)


class SyncController(QObject):
    """Background sync for one main window: every couple of minutes, and on Sync now."""

    finished = Signal(object, object)  # report, error
    signed_out = Signal(object)  # error (None: signed out)

    def __init__(self, window, every_ms: int = SYNC_EVERY_MS):
        super().__init__(window)
        self.window = window
        # The sign-in token, once the worker has read it from the keyring (or sign-in or a
        # refresh gave it): the keyring is not asked again at every timed sync.
        self.token: str | None = None
        self.signing_out = False
        self.syncing = False
        self.actions: list = []  # Sign in, Sign out: off for a demo store
        self.stopped = False
        # A background sync held while an observation is recording: decoding and applying
        # pages takes the interpreter from the prompt timer (issue 14 item 9). It runs
        # when the observation ends (or at the next timer tick once no window records).
        self.held = False
        self.button = QToolButton()
        self.button.setObjectName("syncButton")
        self.button.setAutoRaise(True)
        self.button.clicked.connect(lambda: self.sync_now())
        window.statusBar().addPermanentWidget(self.button)
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms)
        self.timer.timeout.connect(lambda: self.sync_now(quiet=True))
        self.timer.start()
        QTimer.singleShot(FIRST_SYNC_MS, self, lambda: self.sync_now(quiet=True))  # dies with self
        self.update_status()

    def stop(self) -> None:
        """No more syncs (the window is closing)."""
        self.stopped = True
        self.timer.stop()

    def server_url(self) -> str | None:
        from sync.client import local

        return local.get_state(self.window.store, "server_url") or None

    def observation_live(self) -> bool:
        """True while an observation window is open and recording."""
        return any(
            w.isVisible() and w.engine.observation.status == "recording"
            for w in getattr(self.window, "observation_windows", ())
        )

    def observation_ended(self) -> None:
        """An observation ended: run the sync it held back."""
        if self.held and not self.observation_live():
            self.held = False
            self.sync_now(quiet=True)

    def update_status(self) -> None:
        demo = self.window.store.meta("demo") == "1"
        for action in self.actions:  # a demo store never syncs: nothing to sign in to
            action.setEnabled(not demo)
        text, tip = status_text(self.window.store, self.syncing)
        if self.held and not self.syncing:
            text = "Sync waits for the observation to end"
            tip = "Background sync is held while you observe, so the prompts stay on time."
        self.button.setText(text)
        self.button.setToolTip(tip + "\nClick to sync now.")

    def sign_in(self) -> bool:
        if self.window.store.meta("demo") == "1":
            self.window.statusBar().showMessage(DEMO_STATUS + ": there is nothing to sign in to.", 6000)
            return False
        dialog = SignInDialog(self.window.tasks, self.server_url() or "", self.window)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if accepted:
            self.token = None  # the new one is read from where sign-in kept it
        self.update_status()
        if accepted:
            self.sync_now()
        return accepted

    def sign_out(self) -> None:
        """Forget the sign-in here and revoke it on the server, on the store worker (the
        request gives up after 30 s; the token then expires on the server by itself)."""
        url, self.token = self.server_url(), None
        if not url:
            self.update_status()
            return
        self.signing_out = True

        def work(store):
            from sync.client.auth import logout

            logout(url, store)

        def done(_result, error):
            self.signing_out = False
            self.token = None
            self.update_status()
            if error is not None:
                self.window.statusBar().showMessage(f"Signing out did not finish: {error}", 8000)
            self.signed_out.emit(error)

        self.window.tasks.write(work, done)

    def sync_now(self, quiet: bool = False) -> bool:
        """Start a sync in the background; False if one cannot start (busy, demo, signed out)."""
        if self.stopped:  # the window closed (its store may be closed too)
            return False
        store = self.window.store
        demo = store.meta("demo") == "1"
        if self.syncing or self.signing_out or self.window.locked or demo:
            if not quiet and not self.window.locked:  # F9 or a click: say why nothing starts
                self.window.statusBar().showMessage(
                    DEMO_STATUS + "."
                    if demo
                    else "A sync is already running."
                    if self.syncing
                    else "Signing out…"
                    if self.signing_out
                    else "Sync has stopped.",
                    6000,
                )
            return False
        if quiet and self.observation_live():  # Sync now (not quiet) still runs at once
            self.held = True
            self.update_status()
            return False
        self.held = False
        url = self.server_url()
        if not url:
            if not quiet:
                self.sign_in()
            return False
        self.syncing = True
        self.update_status()
        if not quiet:
            self.window.statusBar().showMessage("Syncing now…", 4000)
        cached = self.token

        def work(worker):
            from sync.client.auth import save_token, stored_token
            from sync.client.engine import SyncEngine
            from sync.client.errors import AuthError
            from sync.client.transport import Transport

            token = cached or stored_token(url, worker)  # the keyring, off the GUI thread
            if not token:
                raise AuthError("Sign in to sync with your service's server.")
            # One quick retry: the timer is the real retry, so an offline laptop
            # shows "Offline" at once instead of after a long back-off.
            transport = Transport(url, token, retries=1)
            report = SyncEngine(
                worker, url, token, transport=transport, on_token=lambda t: save_token(url, t, worker)
            ).sync()
            return report, transport.token

        def done(result, error):
            from sync.client.errors import AuthError

            report, self.token = result if result is not None else (None, None)
            self.syncing = False
            if self.stopped:
                return
            self.window.refresh()  # pulled changes, purged cases
            self.update_status()
            if report is not None and getattr(report, "device_renewed", False):
                self.window.statusBar().showMessage(
                    "This laptop's data was put back from an older copy. Fieldnote sent the "
                    f"{report.renumbered} change(s) the server did not have and fetched "
                    "everything again; nothing was lost.",
                    15000,
                )
            if isinstance(error, AuthError) and not quiet:
                self.window.statusBar().showMessage("Your sign-in has expired: sign in again.", 8000)
                self.sign_in()
            self.finished.emit(report, error)

        self.window.tasks.write(work, done)
        return True


def install(window) -> SyncController:
    """The Sync menu (Sign in…, Sync now, Sign out) and the status-bar indicator."""
    controller = SyncController(window)
    window.add_action("sync", "Sync &now", controller.sync_now, "F9", "syncNow")
    controller.actions = [
        window.add_action("sync", "&Sign in…", controller.sign_in, None, "signIn"),
        window.add_action("sync", "Sign &out", controller.sign_out, None, "signOut"),
    ]
    controller.update_status()
    window.sync = controller
    return controller
