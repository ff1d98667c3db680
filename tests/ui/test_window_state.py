"""Windows open within the screen (the offscreen screen here is 800×800, smaller than the
main window's 1440 and the observation window's 1340 wide default) and come back with the
size, position, maximised state, splitter and filters they were left with."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.observation.fakes import FakeClock
from tests.ui.test_observation_window import start


def _inside(window) -> bool:
    area = window.screen().availableGeometry()
    frame = window.frameGeometry()
    return area.contains(frame.topLeft()) and area.contains(frame.bottomRight())


def test_the_main_window_opens_within_a_small_screen(make_window, store, case):
    window = make_window(store)
    area = window.screen().availableGeometry()
    assert area.width() < 1440  # the screen really is smaller than the window's default
    assert _inside(window)
    assert window.statusBar().isVisible()
    bar = window.statusBar().geometry()
    assert window.mapToGlobal(bar.bottomRight()).y() <= area.bottom()


def test_size_position_splitter_and_filters_come_back(qtbot, make_window, store, case):
    window = make_window(store)
    window.resize(window.minimumWidth(), 640)  # the minimum shrank to fit the screen
    window.move(10, 40)
    size = (window.width(), window.height())
    assert size[1] == 640
    window.splitter.setSizes([200, 500])
    sizes = window.splitter.sizes()
    school = window.school_filter.findData(case["school"])
    window.school_filter.setCurrentIndex(school)
    window.close()

    again = make_window(store)
    assert (again.width(), again.height()) == size
    assert (again.x(), again.y()) == (10, 40)
    assert again.splitter.sizes() == sizes
    assert again.school_filter.currentData() == case["school"]
    assert again.model.rowCount() == 1  # the filter applies, and the count says so


def test_maximised_comes_back_maximised(qtbot, make_window, store):
    window = make_window(store)
    window.showMaximized()
    qtbot.waitUntil(window.isMaximized)
    window.close()
    again = make_window(store)
    assert again.isMaximized()


@pytest.fixture(autouse=True)
def yes(monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


def test_the_observation_window_opens_within_the_screen_and_remembers(qtbot, make_window, store, case, fill_dialogs):
    _, recording = start(qtbot, make_window, store, case, fill_dialogs, FakeClock())
    assert _inside(recording)
    recording.resize(recording.minimumWidth(), 600)
    size = (recording.width(), recording.height())
    recording.close()
    _, again = start(qtbot, make_window, store, case, fill_dialogs, FakeClock())
    assert (again.width(), again.height()) == size and _inside(again)
