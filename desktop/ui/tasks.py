"""One way to run work off the GUI thread (after Picard's ``run_task``).

``run_task(fn, on_done)`` runs ``fn(progress)`` on the thread pool and calls
``on_done(result, error)`` on the GUI thread. ``progress(done, total)`` may be
called from ``fn`` and reaches ``on_progress`` on the GUI thread. Work must not
touch widgets, and opens its own store connection if it needs one.
"""
from __future__ import annotations

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


def run_task(fn: Callable[[Callable[[int, int], None]], Any],
             on_done: Callable[[Any, BaseException | None], None],
             on_progress: Callable[[int, int], None] | None = None,
             pool: QThreadPool | None = None) -> None:
    signals = _Signals()
    _live.add(signals)

    def finished(result, error):
        _live.discard(signals)
        on_done(result, error)

    signals.done.connect(finished)
    if on_progress:
        signals.progress.connect(on_progress)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, signals))
