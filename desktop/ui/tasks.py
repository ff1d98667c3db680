"""One way to run work off the GUI thread (after Picard's ``run_task``), and one writer.

``run_task(fn, on_done)`` runs ``fn(progress)`` on a thread pool and calls
``on_done(result, error)`` on the GUI thread. ``progress(done, total)`` may be
called from ``fn`` and reaches ``on_progress`` on the GUI thread. Work must not
touch widgets.

``StoreTasks`` is how work reaches the store off the GUI thread (Anki's single DB
worker): ``write(work, done)`` runs ``work(store)`` on the one store worker, a pool of
exactly one thread holding its own store connection, so background writes (sync, sign
in and out, attach and delete, demo data) never race each other; the GUI thread's own
connection is the only other writer, and sync sizes its transactions so a key press
waits at most one short transaction (``sync.client.engine.APPLY_SECONDS``). ``read(work, done)``
runs ``work(store)`` on the shared pool over a connection of its own that refuses to
write (``PRAGMA query_only``): the means plot, PDFs and the page check never wait for
a long first sync. Tests swap both pools for a synchronous one in one place:
``window.tasks.use_pool(FakeThreadPool())``.

``Tasks`` is the part that needs no store: ``run(work, done)`` runs a Qt-free ``work()``
(a key derivation, a keyring write) on the shared pool and ``done(result, error)`` on the
GUI thread. A window's ``StoreTasks`` is one (``window.tasks.run``); the first-run set-up,
shown before any window exists, holds a ``Tasks`` of its own. ``use_pool`` swaps its pool.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

_live: set = set()  # keeps signal carriers alive until their task reports


class _Signals(QObject):
    done = Signal(object, object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, fn: Callable, signals: _Signals):
        super().__init__()
        self.fn, self.signals = fn, signals

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit)
        except Exception as exc:  # reported to the GUI, never lost in a thread
            self.signals.done.emit(None, exc)
        else:
            self.signals.done.emit(result, None)


def run_task(
    fn: Callable[[Callable[[int, int], None]], Any],
    on_done: Callable[[Any, BaseException | None], None],
    on_progress: Callable[[int, int], None] | None = None,
    pool: QThreadPool | None = None,
) -> None:
    signals = _Signals()
    _live.add(signals)

    def finished(result, error):
        _live.discard(signals)
        on_done(result, error)

    signals.done.connect(finished)
    if on_progress:
        signals.progress.connect(on_progress)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, signals))


def single_thread_pool() -> QThreadPool:
    """A pool of one thread that never expires: the worker connection lives on it (a
    SQLite connection may be used only on the thread that opened it)."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    pool.setExpiryTimeout(-1)
    return pool


class Tasks:
    """Work that touches neither widgets nor the store, off the GUI thread.

    ``read_pool`` is where it runs: ``None`` for the application's shared pool, or the pool
    a test injects with ``use_pool``.
    """

    def __init__(self, read_pool=None):
        self.read_pool = read_pool  # None: the application's shared pool

    def use_pool(self, pool) -> None:
        """Run every task on ``pool`` (tests: a pool whose ``start()`` runs it at once);
        ``None``: the shared pool again."""
        self.read_pool = pool

    def run(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        """``work()`` on the shared pool; ``done(result, error)`` on the GUI thread."""
        run_task(lambda _progress: work(), done, pool=self.read_pool)

    def close(self, wait_ms: int = 30_000) -> bool:
        """Let work under way finish (up to ``wait_ms``); whether it all finished in time."""
        if isinstance(self.read_pool, QThreadPool) or self.read_pool is None:
            return (self.read_pool or QThreadPool.globalInstance()).waitForDone(wait_ms)
        return True


class StoreTasks(Tasks):
    """The store worker of one main window: ``write`` on the one writer, ``read`` beside it
    (and ``run``, from ``Tasks``, for work that needs no store).

    ``open_store()`` opens a new connection to the window's store; the writer's is opened
    on first use (on the worker thread) and kept until ``close()``.
    """

    def __init__(self, open_store: Callable[[], Any], pool=None, read_pool=None):
        super().__init__(read_pool)
        self.open_store = open_store
        self.pool = pool or single_thread_pool()
        self._store = None
        self._thread: int | None = None

    def use_pool(self, pool) -> None:
        """Run every task on ``pool`` (tests: a pool whose ``start()`` runs it at once);
        ``None``: the real ones again (the one worker thread, and the shared pool)."""
        self.close()
        self.pool, self.read_pool = pool or single_thread_pool(), pool

    def _worker_store(self):
        if self._store is not None and self._thread != threading.get_ident():
            # Another thread (a pool swapped by a test): this connection cannot be used
            # here, so it is left to be collected, and a new one opened.
            self._store = None
        if self._store is None:
            self._store = self.open_store()
            self._store.background = True  # its writes give way to the GUI thread's
            self._thread = threading.get_ident()
        return self._store

    def write(
        self,
        work: Callable,
        done: Callable[[Any, BaseException | None], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """``work(store)`` (``work(store, progress)`` with ``on_progress``) on the store
        worker; ``done(result, error)`` on the GUI thread."""

        def task(progress):
            store = self._worker_store()
            return work(store, progress) if on_progress else work(store)

        run_task(task, done, on_progress, pool=self.pool)

    def read(
        self,
        work: Callable,
        done: Callable[[Any, BaseException | None], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """``work(store)`` on the shared pool over a read-only connection of its own."""

        def task(progress):
            store = self.open_store()
            try:
                store.refuse_writes()  # the one writer is the worker
                return work(store, progress) if on_progress else work(store)
            finally:
                store.close()

        run_task(task, done, on_progress, pool=self.read_pool)

    def close(self, wait_ms: int = 30_000) -> bool:
        """Let the worker finish (up to ``wait_ms``) and close its connection, on its own
        thread. Whether everything finished in time."""

        def close_store(_progress):
            store, self._store = self._store, None
            if store is not None:
                store.close()

        finished = True
        if self._store is not None:
            run_task(close_store, lambda *_: None, pool=self.pool)
        if isinstance(self.pool, QThreadPool):
            finished = self.pool.waitForDone(wait_ms)
        return super().close(wait_ms) and finished
