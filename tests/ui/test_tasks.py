"""The store worker: one writer thread with one connection; readers that cannot write."""

from __future__ import annotations

import threading

import pytest

from desktop.store import open_store
from desktop.ui.tasks import StoreTasks
from tests.conftest import PASSPHRASE
from tests.ui.conftest import FakeThreadPool


@pytest.fixture
def tasks(qtbot, isolated_home, store):
    tasks = StoreTasks(lambda: open_store(isolated_home, PASSPHRASE))
    yield tasks
    tasks.close()


def test_every_write_runs_on_one_thread_over_one_connection(qtbot, tasks, store):
    seen = []

    def work(worker):
        seen.append((threading.get_ident(), id(worker)))
        assert worker.background  # gives way to the GUI thread's writes
        worker.set_meta("worker_wrote", str(len(seen)))
        return len(seen)

    results = []
    for _ in range(5):
        tasks.write(work, lambda result, error: results.append((result, error)))
    qtbot.waitUntil(lambda: len(results) == 5, timeout=10_000)
    assert results == [(n, None) for n in range(1, 6)]  # in order, none failed
    assert len(set(seen)) == 1 and seen[0][0] != threading.get_ident()  # one worker, not the GUI
    assert store.meta("worker_wrote") == "5"
    assert tasks.close() and tasks._store is None  # closed on its own thread


def test_a_read_task_cannot_write(qtbot, tasks, store):
    results = []
    tasks.read(lambda reader: reader.set_meta("reader_wrote", "1"), lambda result, error: results.append(error))
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert "readonly" in str(results[0]).replace("-", "").replace(" ", "")
    assert store.meta("reader_wrote") is None


def test_an_injected_pool_runs_reads_and_writes_at_once(qtbot, tasks, store):
    tasks.use_pool(FakeThreadPool())
    results = []
    tasks.write(lambda s: s.set_meta("k", "v") or "written", lambda r, e: results.append((r, e)))
    tasks.read(lambda s: s.meta("k"), lambda r, e: results.append((r, e)))
    assert results == [("written", None), ("v", None)]  # no waiting: both ran on this thread


def test_work_without_the_store_runs_off_the_gui_thread_and_reports_on_it(qtbot):
    from desktop.ui.tasks import Tasks

    gui = threading.get_ident()
    results = []
    Tasks().run(
        lambda: threading.get_ident(), lambda result, error: results.append((result, error, threading.get_ident()))
    )
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    worker, error, reported_on = results[0]
    assert error is None and worker != gui and reported_on == gui
    Tasks().run(lambda: 1 / 0, lambda result, error: results.append(error))
    qtbot.waitUntil(lambda: len(results) == 2, timeout=10_000)
    assert isinstance(results[1], ZeroDivisionError)  # reported, never lost in the thread


def test_a_store_worker_runs_storeless_work_on_its_injected_pool(qtbot, tasks):
    tasks.use_pool(FakeThreadPool())
    results = []
    tasks.run(lambda: threading.get_ident(), lambda r, e: results.append(r))
    assert results == [threading.get_ident()]  # at once, on this thread
