"""Undo for casework edits: each step re-applies field values through the store,
so an undo is itself an ordinary, audited, synced edit (nothing is rewritten)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand

from desktop.store import Store
from desktop.store.db import SYNC_FIELDS


def field_diff(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields that changed, as (old values, new values)."""
    keys = [k for k in after if k not in SYNC_FIELDS and before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


class FieldEdit:
    """Fields of one record changed from ``old`` to ``new``."""

    def __init__(self, store: Store, entity: str, record_id: str, old: dict, new: dict):
        self.store, self.entity, self.record_id, self.old, self.new = store, entity, record_id, old, new

    def redo(self) -> None:
        self.store.update(self.entity, self.record_id, self.new)

    def undo(self) -> None:
        self.store.update(self.entity, self.record_id, self.old)


class Creation:
    """A record was created; undo tombstones it. A tombstone is not brought back by redo."""

    def __init__(self, store: Store, entity: str, record_id: str):
        self.store, self.entity, self.record_id = store, entity, record_id

    def redo(self) -> None:  # never called: the command is obsolete once undone
        raise RuntimeError("a deleted record is not re-created by redo")

    def undo(self) -> None:
        self.store.delete(self.entity, self.record_id)


class CaseCommand(QUndoCommand):
    """What one user action did (already applied when pushed); one Ctrl+Z undoes all of it."""

    def __init__(self, text: str, steps: list, after: Callable[[], None]):
        super().__init__(text)
        self.steps = steps
        self._after = after
        self._applied = True

    def redo(self) -> None:
        if not self._applied:
            for step in self.steps:
                step.redo()
        self._applied = True
        self._after()

    def undo(self) -> None:
        for step in reversed(self.steps):
            step.undo()
        self._applied = False
        if any(isinstance(step, Creation) for step in self.steps):
            self.setObsolete(True)
        self._after()
