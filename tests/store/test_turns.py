"""Two connections to one store in one process: the background one gives way to the other."""

from __future__ import annotations

import threading

from desktop.store import Store

KEY = bytes(range(32))


def test_a_background_write_waits_for_a_foreground_transaction(tmp_path):
    path = tmp_path / "turns.db"
    gui = Store.open(path, KEY)
    opened = threading.Event()
    began, wrote = threading.Event(), threading.Event()
    seen = {}

    def worker():
        store = Store.open(path, KEY)
        store.background = True
        opened.set()
        began.wait(10)
        seen["waiting_before"] = store.writers_waiting()
        store.set_meta("worker", "1")  # must wait for the GUI's transaction
        wrote.set()
        store.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert opened.wait(10)
    with gui.transaction():
        assert not gui.writers_waiting()  # its own transaction is not someone waiting
        gui.set_meta("gui", "1")
        began.set()
        assert not wrote.wait(0.3)  # the worker is held back while the GUI writes
    thread.join(10)
    assert wrote.is_set() and seen["waiting_before"] is True
    assert (gui.meta("gui"), gui.meta("worker")) == ("1", "1")
    gui.close()


def test_a_read_then_write_transaction_does_not_fail_when_another_connection_wrote(tmp_path):
    """Outermost transactions begin IMMEDIATE: a transaction that reads, while another
    connection commits, then writes, waits instead of failing with "database is locked"."""
    path = tmp_path / "turns.db"
    first = Store.open(path, KEY)
    done = threading.Event()

    def other():
        second = Store.open(path, KEY)
        second.set_meta("y", "2")  # waits for first's transaction, then commits
        second.close()
        done.set()

    with first.transaction():
        first.meta("x")  # a read inside the transaction
        thread = threading.Thread(target=other)
        thread.start()
        assert not done.wait(0.5)  # it waits for the write lock this transaction holds
        first.set_meta("x", "1")  # (a deferred one would fail here, its snapshot stale)
    thread.join(10)
    assert done.is_set() and (first.meta("x"), first.meta("y")) == ("1", "2")
    first.close()


def test_while_a_background_job_owns_checkpoints_foreground_commits_do_not_checkpoint(tmp_path):
    """A sync checkpoints between its own transactions; meanwhile a key press's commit
    never copies the journal into the database (SQLite's automatic checkpoint is off on
    the GUI's connection), and takes it back afterwards."""
    path = tmp_path / "turns.db"
    gui, worker = Store.open(path, KEY), Store.open(path, KEY)
    worker.background = True

    def autocheckpoint(store):
        return store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    def frames_in_database():  # pages the checkpoints have copied so far
        return path.stat().st_size

    gui.set_meta("before", "1")
    assert autocheckpoint(gui) == 1000
    with worker.owning_checkpoints():
        assert autocheckpoint(worker) == 0
        with worker.transaction():
            worker.conn.execute("CREATE TABLE filler (x BLOB)")
            worker.conn.executemany(
                "INSERT INTO filler VALUES (randomblob(4000))", [()] * 1500
            )  # a journal longer than 1,000 pages
        size = frames_in_database()
        gui.set_meta("during", "1")
        assert autocheckpoint(gui) == 0 and frames_in_database() == size  # nothing copied
        worker.checkpoint()
        assert frames_in_database() > size  # the owner copied it
    assert autocheckpoint(worker) == 1000
    gui.set_meta("after", "1")
    assert autocheckpoint(gui) == 1000
    gui.close()
    worker.close()


_TRY_TO_WRITE = """
import sys, sqlcipher3
conn = sqlcipher3.connect(sys.argv[1], isolation_level=None, timeout=0)
conn.execute(f"PRAGMA key = \\"x'{sys.argv[2]}'\\"")
try:
    conn.execute("BEGIN IMMEDIATE")
except sqlcipher3.OperationalError as exc:
    print(exc)
else:
    print("wrote")
"""


def test_flushing_the_journal_drops_no_lock_and_keeps_what_was_committed(tmp_path):
    """``flush_journal`` opens and closes the journal file beside SQLite: closing a file
    drops every POSIX lock the process holds on it, so it must be one SQLite locks
    nothing on (another process still finds the write lock of a transaction held)."""
    import subprocess
    import sys

    path = tmp_path / "turns.db"
    store = Store.open(path, KEY)
    store.conn.execute("PRAGMA synchronous = NORMAL")
    store.set_meta("x", "1")

    def other_process_writes() -> str:
        return subprocess.run(
            [sys.executable, "-c", _TRY_TO_WRITE, str(path), KEY.hex()], capture_output=True, text=True, timeout=60
        ).stdout.strip()

    with store.transaction():
        store.set_meta("y", "2")
        store.flush_journal()
        assert other_process_writes() == "database is locked"
    store.flush_journal()
    store.close()
    again = Store.open(path, KEY)
    assert (again.meta("x"), again.meta("y")) == ("1", "2")
    again.close()


def test_background_work_between_transactions_waits_while_the_gui_writes(tmp_path):
    """``give_way`` (a sync decoding or checking a page) waits while a foreground
    transaction runs; with no one writing, or on the GUI's own connection, it returns."""
    path = tmp_path / "turns.db"
    gui, worker = Store.open(path, KEY), Store.open(path, KEY)
    worker.background = True
    worker.give_way()  # no one writes: at once
    waited = threading.Event()

    def background():
        worker_turns_free.wait(10)
        worker.give_way()
        waited.set()

    worker_turns_free = threading.Event()
    thread = threading.Thread(target=background)
    thread.start()
    with gui.transaction():
        gui.give_way()  # the GUI's own connection never waits on itself
        worker_turns_free.set()
        assert not waited.wait(0.3)  # held while the GUI writes
    thread.join(10)
    assert waited.is_set()
    gui.close()
    worker.close()
