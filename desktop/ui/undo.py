"""Undo for casework edits: each step re-applies field values through the store,
so an undo is itself an ordinary, audited, synced edit (nothing is rewritten).

The steps (``FieldEdit``, ``Creation``) and their rule, never overwrite a change that
arrived since (a colleague's, by sync), live in the core (``desktop.store.undo``); here
they become one Qt command per user action, which keeps what the steps could not do as a
``note`` for the window to show."""

from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand

from desktop.store.undo import Creation, FieldEdit, Outcome, field_diff

__all__ = ["CaseCommand", "Creation", "FieldEdit", "field_diff", "notes_of", "take_notes"]

# Notes of undos and redos not yet shown. Kept here, not only on the command: the undo
# stack deletes an undone creation's command (obsolete) before it says its index changed.
_unread: list[str] = []


def take_notes() -> list[str]:
    """The notes of undos and redos since the last call (the window shows them)."""
    notes = list(_unread)
    _unread.clear()
    return notes


def notes_of(outcomes: list) -> str:
    """The sentences for the steps that could not do all their work (empty if all did)."""
    return " ".join(o.message() for o in outcomes if isinstance(o, Outcome) and o.message())


class CaseCommand(QUndoCommand):
    """What one user action did (already applied when pushed); one Ctrl+Z undoes all of it.

    After an undo or redo, ``note`` holds what could not be done (a field changed
    elsewhere meanwhile, a record deleted elsewhere) in the user's words; the main window
    shows it (``take_notes``)."""

    def __init__(self, text: str, steps: list, after: Callable[[], None]):
        super().__init__(text)
        self.steps = steps
        self._after = after
        self._applied = True
        self.note = ""

    def _noted(self, note: str) -> None:
        self.note = note
        if note:
            _unread.append(note)

    def redo(self) -> None:
        if not self._applied:
            self._noted(notes_of([step.redo() for step in self.steps]))
        self._applied = True
        self._after()

    def undo(self) -> None:
        self._noted(notes_of([step.undo() for step in reversed(self.steps)]))
        self._applied = False
        if any(isinstance(step, Creation) for step in self.steps):
            self.setObsolete(True)
        self._after()
