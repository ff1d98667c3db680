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
