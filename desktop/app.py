"""The desktop app's bootstrap: unlock the store, open it, show the main window."""

from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop import paths
from desktop.config import load_settings
from desktop.store import PassphraseRequired, Store, StoreError, WrongPassphrase
from desktop.store.db import check_home, store_path
from desktop.store.keys import KeyManager

ASSETS = paths.resource("assets")


def obtain_key_interactively(keys: KeyManager) -> bytes | None:
    """The store key, asking for a passphrase as often as needed; None if the user gives up."""
    from desktop.ui.unlock import PassphraseDialog

    message = ""
    try:
        return keys.obtain()  # keyring, or FIELDNOTE_PASSPHRASE
    except (PassphraseRequired, WrongPassphrase) as exc:
        message = "" if isinstance(exc, PassphraseRequired) else str(exc)
    while True:
        dialog = PassphraseDialog(creating=keys.info() is None, message=message)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        try:
            return keys.obtain(dialog.value())
        except (PassphraseRequired, WrongPassphrase) as exc:
            message = str(exc)


def run_app(argv: list[str] | None = None) -> int:
    """Start the desktop app and run it until the window closes."""
    started = start_app(argv)
    if isinstance(started, int):
        return started
    app, window, store = started
    try:
        return app.exec()
    finally:
        window.stop_background_work()
        store.close()


def start_app(argv: list[str] | None = None):
    """Unlock and open the store and show the main window: ``(app, window, store)``,
    or an exit status if the user gave up or the store could not be opened."""
    from desktop.ui.main_window import MainWindow

    if QApplication.instance() is None:
        from desktop.qt_platform import missing_libraries_message, missing_xcb_packages

        missing = missing_xcb_packages()
        if missing:  # Qt would abort with a message no one can act on: say what to install
            print(missing_libraries_message(missing), file=sys.stderr)
            return 1
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("Fieldnote")
    app.setOrganizationName("Fieldnote")
    icon = ASSETS / "fieldnote.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    first = None
    from desktop.first_run import needs_first_run

    if needs_first_run():  # a new laptop: no store and no config yet
        from desktop.ui.first_run import run_first_run

        first = run_first_run()
        if first is None:
            return 0
    settings = load_settings()
    try:
        home = paths.data_dir()
        keys = KeyManager(home)
        check_home(home, keys)
        db_path = store_path(home)
        key = first.key if first else obtain_key_interactively(keys)
        if key is None:
            return 0
        actor = settings.practitioner_name or None
        store = first.store if first else Store.open(db_path, key, actor=actor)
    except (StoreError, OSError) as exc:
        QMessageBox.critical(None, "Fieldnote cannot open its data", str(exc))
        return 1
    window = MainWindow(store, keys, settings, lambda: Store.open(db_path, key, actor=actor))
    window.show()
    window.protect_at_start()  # keyring mode: locked until the PIN is given, or offer to set one
    for notice in store.notices:  # e.g. a stray journal file moved aside before opening
        QMessageBox.warning(window, "Fieldnote", notice)
    window.check_store_in_background()
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, window.offer_resume)  # an observation a crash interrupted
    if first and first.choices.server_url:
        from desktop.ui.first_run import offer_sign_in

        QTimer.singleShot(0, lambda: offer_sign_in(window, first.choices.server_url))
    return app, window, store
