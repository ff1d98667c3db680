"""Windows that fit the screen they open on, and come back as they were left.

``fit(window, width, height)`` sizes a top-level window to at most the screen's available
area (``QScreen.availableGeometry``: the screen less task bars and panels), less room for
the frame the window manager adds, and centres it there; the minimum size shrinks with it,
so a 1366×768 laptop shows the whole window, status bar included.

``restore(window, key)`` puts back the size, position and maximised state saved by
``save(window, key)`` (``QWidget.saveGeometry``), and refits if the screen is now smaller.
Splitter positions, caseload filters and the caseload's columns are kept the same way (``save_value``,
``value``). All of it lives in ``window-state.ini`` beside ``config.json`` in the config
folder (``FIELDNOTE_HOME`` when set), never in the store: it is about this laptop's screen.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from desktop.config import config_path

# room for the title bar and borders the window manager draws outside the window
FRAME_WIDTH, FRAME_HEIGHT = 16, 40


def state() -> QSettings:
    return QSettings(str(config_path().with_name("window-state.ini")), QSettings.Format.IniFormat)


def available(window: QWidget):
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit(window: QWidget, width: int, height: int) -> None:
    """Size ``window`` to ``width``×``height`` or the available screen area if smaller,
    centred on that area."""
    area = available(window)
    w = max(200, min(width, area.width() - FRAME_WIDTH))
    h = max(200, min(height, area.height() - FRAME_HEIGHT))
    window.setMinimumSize(min(window.minimumWidth(), w), min(window.minimumHeight(), h))
    window.resize(w, h)
    window.move(
        area.x() + max(0, (area.width() - w - FRAME_WIDTH) // 2),
        area.y() + max(0, (area.height() - h - FRAME_HEIGHT) // 2),
    )


def grow_to_contents(window: QWidget) -> None:
    """As wide and tall as the window's contents ask, up to the available screen area (Qt
    stops at two thirds of the screen, which cuts off text in a dialog whose text is large,
    and does not grow a window when wrapped text in it gets longer). Never shrinks it."""
    area, hint = available(window), window.sizeHint()
    w = min(max(window.width(), hint.width()), area.width() - FRAME_WIDTH)
    needed = hint.height()
    layout = window.layout()
    if layout is not None and layout.hasHeightForWidth():
        layout.activate()
        needed = max(needed, layout.totalHeightForWidth(w))
    h = min(max(window.height(), needed), area.height() - FRAME_HEIGHT)
    if (w, h) != (window.width(), window.height()):
        window.resize(w, h)


def within_screen(window: QWidget) -> bool:
    area, frame = available(window), window.frameGeometry()
    return (
        window.isMaximized()
        or frame.width() <= area.width()
        and frame.height() <= area.height()
        and area.intersects(frame)
    )


def restore(window: QWidget, key: str, width: int, height: int) -> bool:
    """Put back the geometry saved under ``key``; otherwise (or if it no longer fits the
    screen) fit ``width``×``height``. True if a saved geometry was used."""
    saved = state().value(f"{key}/geometry")
    fit(window, width, height)  # also shrinks the minimum size to the screen
    if isinstance(saved, QByteArray) and not saved.isEmpty() and window.restoreGeometry(saved):
        area = available(window)
        if not window.isMaximized() and (
            window.width() > area.width() - FRAME_WIDTH
            or window.height() > area.height() - FRAME_HEIGHT
            or not area.intersects(window.geometry())
        ):
            fit(window, window.width(), window.height())
        return True
    return False


def save(window: QWidget, key: str) -> None:
    store = state()
    store.setValue(f"{key}/geometry", window.saveGeometry())
    store.sync()


def save_value(key: str, value) -> None:
    store = state()
    store.setValue(key, value)
    store.sync()


def value(key: str, default=None):
    return state().value(key, default)


# -- the main window: geometry, the caseload/case splitter, filters and columns ---------------------
MAIN = "main"
# each filter: its key here, the window's combo box, and what a first start shows
# ("Open cases", "My cases" when the user is a caseworker this laptop knows; else "All")
_FILTERS = (
    ("status", "status_filter", "open"),
    ("school", "school_filter", None),
    ("caseworker", "worker_filter", "me"),
)


def restore_main(window) -> None:
    """Call once the caseload has loaded (the filter lists are filled)."""
    restore(window, MAIN, 1440, 900)  # a laptop's screen, all of it; a larger one, most
    splitter = getattr(window, "splitter", None)
    saved = value(f"{MAIN}/splitter")
    if splitter is not None and isinstance(saved, QByteArray):
        splitter.restoreState(saved)
    for name, attr, default in _FILTERS:
        combo = getattr(window, attr, None)
        if combo is None:
            continue
        wanted = value(f"{MAIN}/filter_{name}")  # "" when left at "All": None when never saved
        if wanted is None:
            wanted = default
        index = combo.findData(wanted) if wanted else 0
        if index >= 0:
            combo.setCurrentIndex(index)
    table = getattr(window, "table", None)
    if table is not None and hasattr(table, "restore_state"):
        table.restore_state(value(f"{MAIN}/columns"))


def save_main(window) -> None:
    store = state()
    store.setValue(f"{MAIN}/geometry", window.saveGeometry())
    splitter = getattr(window, "splitter", None)
    if splitter is not None:
        store.setValue(f"{MAIN}/splitter", splitter.saveState())
    for name, attr, _default in _FILTERS:
        combo = getattr(window, attr, None)
        if combo is not None:
            store.setValue(f"{MAIN}/filter_{name}", combo.currentData() or "")
    table = getattr(window, "table", None)
    if table is not None and hasattr(table, "state"):
        store.setValue(f"{MAIN}/columns", table.state())
    store.sync()
