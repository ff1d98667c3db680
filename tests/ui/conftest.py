from __future__ import annotations

import pytest

from desktop.config import Settings
from desktop.store import open_store
from desktop.store.keys import KeyManager
from tests.conftest import PASSPHRASE, TODAY


class FakeThreadPool:
    """Runs background work at once, on the calling thread (after Picard's tests)."""

    def start(self, task):
        task.run()


@pytest.fixture
def saved_settings():
    return []


@pytest.fixture
def make_window(qtbot, isolated_home, saved_settings):
    from desktop.ui.main_window import MainWindow

    def make(store):
        window = MainWindow(
            store,
            KeyManager(isolated_home),
            Settings(),
            lambda: open_store(isolated_home, PASSPHRASE),
            today=TODAY,
            save_config=saved_settings.append,
        )
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def fill_dialogs(monkeypatch):
    """Run the app's dialogs without exec(): fill fields from a queue of value dicts, then Save."""
    from desktop.ui.main_window import MainWindow

    queue: list[dict] = []
    seen = []

    def run(self, dialog):
        seen.append(dialog)
        dialog.set_values(queue.pop(0))
        dialog.try_save()
        return dialog.result_value if dialog.result() == dialog.DialogCode.Accepted else None

    monkeypatch.setattr(MainWindow, "run_dialog", run)
    return queue, seen
