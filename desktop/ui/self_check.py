"""The window step of ``fieldnote --self-check`` (see ``desktop/selfcheck.py``)."""

from __future__ import annotations

import os
from pathlib import Path


def start_and_quit(home: Path, passphrase: str) -> str:
    """Start the app through its real bootstrap on the store in ``home``, paint the main
    window once, and close it. Returns a line for the report; raises if it cannot."""
    from PySide6.QtWidgets import QApplication

    from desktop.app import start_app

    os.environ["FIELDNOTE_HOME"] = str(home)
    os.environ["FIELDNOTE_PASSPHRASE"] = passphrase
    try:
        started = start_app(["fieldnote"])
        if isinstance(started, int):
            raise RuntimeError(f"the window did not start (status {started})")
        app, window, store = started
        try:
            app.processEvents()
            window.repaint()
            if not window.isVisible():
                raise RuntimeError("the main window was not shown")
            title = window.windowTitle()
            platform = QApplication.platformName()
        finally:
            window.stop_background_work()
            window.close()
            store.close()
            app.processEvents()
    finally:
        os.environ.pop("FIELDNOTE_PASSPHRASE", None)
    return f"main window shown ('{title}', Qt platform {platform}) and closed"


def startup_probe() -> int:
    """``fieldnote --startup-probe`` (bench/frozen.py): start as a practitioner would, on
    the store ``FIELDNOTE_HOME`` names, print ``READY <rows>`` once the main window is
    painted with the caseload, and quit. The same code runs from source and frozen, so the
    benchmark compares like with like."""
    import sys

    from desktop.app import start_app

    started = start_app(["fieldnote"])
    if isinstance(started, int):
        return started or 1
    app, window, store = started
    try:
        app.processEvents()
        window.repaint()
        print("READY", window.model.rowCount(), flush=True, file=sys.stdout)
    finally:
        window.stop_background_work()
        window.close()
        store.close()
    return 0
