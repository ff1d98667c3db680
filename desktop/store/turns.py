"""Whose turn it is to write: the GUI thread's connection before the store worker's.

The app writes to its store from two connections in one process: the GUI thread's (a
key press in an observation, an edit) and the store worker's (sync, attachments, demo
data; ``desktop.ui.tasks``). SQLite lets one write at a time and makes the other poll with
growing sleeps, so a worker that commits and begins again at once can keep a waiting key
press out for a second. Here the worker's connection (``Store.background``) waits, before
each transaction, while a foreground one is waiting or writing; a foreground transaction
waits (on a condition, woken at the worker's commit, not by polling) only for the worker's
transaction in progress. Sync keeps those short (``sync.client.engine.APPLY_SECONDS``).

Checkpoints (copying the journal into the database) follow the same rule: while a
background job owns them (``checkpoints_owned``; a sync), foreground connections do not
checkpoint at their commit (SQLite's automatic checkpoint would copy the job's many
megabytes on the GUI thread); the job checkpoints between its transactions, PASSIVE, so
it never stops a foreground write.

Turns are per database file and per process: another process (a command-line sync) is
still kept apart by SQLite's own lock and ``busy_timeout``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Iterator

WAIT_S = 10.0  # as busy_timeout: after that SQLite's own lock decides


class _Turns:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.foreground = 0  # foreground transactions waiting or in progress
        self.background = False  # a background transaction in progress
        self.checkpointers = 0  # background jobs that checkpoint for everyone (a sync)
        self.last_foreground = float("-inf")  # time.monotonic() a foreground one last ended


_by_path: dict[str, _Turns] = {}
_lock = threading.Lock()


def for_path(path: Path) -> _Turns:
    """The turns of the database file at ``path`` (a store keeps its own: one lookup)."""
    key = str(Path(path).resolve())
    with _lock:
        return _by_path.setdefault(key, _Turns())


def foreground_count(path: Path | _Turns) -> int:
    """How many foreground transactions on ``path`` are waiting or in progress."""
    return (path if isinstance(path, _Turns) else for_path(path)).foreground


def foreground_idle(path: Path | _Turns) -> float:
    """Seconds since a foreground transaction on ``path`` last ended (inf: none yet)."""
    turns = path if isinstance(path, _Turns) else for_path(path)
    return time.monotonic() - turns.last_foreground


def checkpoints_owned(path: Path | _Turns) -> bool:
    """Whether a background job checkpoints ``path`` now (foreground commits then do not)."""
    return (path if isinstance(path, _Turns) else for_path(path)).checkpointers > 0


def wait_while_foreground(path: Path | _Turns, timeout: float = WAIT_S) -> None:
    """Wait (not holding Python's lock) while a foreground transaction on ``path`` waits or
    runs: background work between its transactions (decoding, checking a page) gives the
    GUI thread the interpreter to itself meanwhile."""
    turns = path if isinstance(path, _Turns) else for_path(path)
    if turns.foreground:  # read without the lock: a stale answer costs one round
        with turns.cond:
            turns.cond.wait_for(lambda: turns.foreground == 0, timeout)


@contextlib.contextmanager
def owning_checkpoints(path: Path | _Turns) -> Iterator[None]:
    """While this lasts, the caller (a background job) checkpoints ``path``."""
    turns = path if isinstance(path, _Turns) else for_path(path)
    with turns.cond:
        turns.checkpointers += 1
    try:
        yield
    finally:
        with turns.cond:
            turns.checkpointers -= 1


@contextlib.contextmanager
def turn(path: Path | _Turns, background: bool) -> Iterator[None]:
    """Hold this connection's turn to write to ``path`` for one transaction."""
    turns = path if isinstance(path, _Turns) else for_path(path)
    with turns.cond:
        if background:
            turns.cond.wait_for(lambda: turns.foreground == 0, WAIT_S)
            turns.background = True
        else:
            turns.foreground += 1
            turns.cond.wait_for(lambda: not turns.background, WAIT_S)
    try:
        yield
    finally:
        with turns.cond:
            if background:
                turns.background = False
            else:
                turns.foreground -= 1
                turns.last_foreground = time.monotonic()
            turns.cond.notify_all()
