"""Everyday use (issue 13): shortcuts that work and say so, and a screen that tells the truth."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog

from tests.ui.conftest import FakeThreadPool


def activate(window, qtbot):
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts fire only in the active window


def test_ctrl_comma_opens_settings_and_the_menu_shows_it(qtbot, make_window, store, monkeypatch):
    from desktop.ui import main_window

    opened = []
    monkeypatch.setattr(
        main_window.SettingsDialog, "exec", lambda self: opened.append(self) or QDialog.DialogCode.Rejected
    )
    window = make_window(store)
    action = window.findChild(QAction, "openSettings")
    assert action.shortcut() == QKeySequence("Ctrl+,") and not action.shortcut().isEmpty()
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert action in file_menu.actions()  # a menu shows its actions' shortcuts beside them
    activate(window, qtbot)
    qtbot.keyClick(window.table, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1


def test_f9_says_what_it_does(qtbot, make_window, store, case, monkeypatch):
    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())
    signed_in = []
    monkeypatch.setattr(window.sync, "sign_in", lambda: signed_in.append(1) or False)
    activate(window, qtbot)
    # not signed in: F9 offers sign-in (a dialog is feedback enough)
    qtbot.keyClick(window.table, Qt.Key.Key_F9)
    assert signed_in == [1]
    # a sync already running: F9 says so rather than doing nothing silently
    window.sync.syncing = True
    qtbot.keyClick(window.table, Qt.Key.Key_F9)
    assert window.statusBar().currentMessage() == "A sync is already running."


def test_finalising_an_observation_asks_first(qtbot, make_window, store, case, fill_dialogs, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from tests.observation.fakes import FakeClock
    from tests.ui.test_observation_window import start

    answers = [QMessageBox.StandardButton.Yes]  # "end the observation?" at close, if asked
    asked = []

    def question(_parent, title, text, *a, **k):
        asked.append(title)
        return answers.pop(0) if answers else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    clock = FakeClock()
    _, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    qtbot.keyClick(rec, "1")
    clock.advance(60)
    rec.tick()
    with qtbot.waitSignal(rec.ended):
        rec.end()
    oid = rec.engine.observation.id
    asked.clear()
    answers[:] = [QMessageBox.StandardButton.No]
    rec.finalise()
    assert asked == ["Finalise the observation?"]
    assert store.get("observation", oid)["status"] == "ended"  # declined: still correctable
    assert rec.finalise_button.isVisible()
    answers[:] = [QMessageBox.StandardButton.Yes]
    rec.finalise()
    assert store.get("observation", oid)["status"] == "final"
