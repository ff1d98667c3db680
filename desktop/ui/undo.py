"""Undo for casework edits: each command re-applies field values through the store,
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


class EditCommand(QUndoCommand):
    """Fields of one record changed from ``old`` to ``new`` (already applied when pushed)."""

    def __init__(self, store: Store, entity: str, record_id: str, old: dict, new: dict,
                 text: str, parent: QUndoCommand | None = None):
        super().__init__(text, parent)
        self.store, self.entity, self.record_id, self.old, self.new = store, entity, record_id, old, new
        self._applied = True

    def redo(self) -> None:
        if not self._applied:
            self.store.update(self.entity, self.record_id, self.new)
        self._applied = True

    def undo(self) -> None:
        self.store.update(self.entity, self.record_id, self.old)
        self._applied = False


class CreateCommand(QUndoCommand):
    """A record was created; undo tombstones it (and cannot be redone)."""

    def __init__(self, store: Store, entity: str, record_id: str, text: str,
                 parent: QUndoCommand | None = None):
        super().__init__(text, parent)
        self.store, self.entity, self.record_id = store, entity, record_id

    def redo(self) -> None:
        pass  # the record was created before the command was pushed

    def undo(self) -> None:
        self.store.delete(self.entity, self.record_id)


class CaseCommand(QUndoCommand):
    """Groups what one user action did, so one Ctrl+Z undoes all of it."""

    def __init__(self, text: str, after: Callable[[], None]):
        super().__init__(text)
        self._after = after

    def redo(self) -> None:
        super().redo()
        self._after()

    def undo(self) -> None:
        super().undo()
        if any(isinstance(self.child(i), CreateCommand) for i in range(self.childCount())):
            self.setObsolete(True)  # a tombstoned record is not brought back by redo
        self._after()
