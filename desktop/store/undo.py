"""Undo and redo of casework edits (no Qt): each step is an ordinary, audited, synced edit,
and it never overwrites someone else's change (issue 9, item 5).

Between an edit and its undo a colleague's value may arrive by sync (or the record may be
deleted elsewhere). Writing the old value back then would replace their work with no
conflict on the server: the laptop's edit is based on the version that already holds
their value. So a step changes only fields that still hold the value it wrote; the others
are left as they are, and ``Outcome.message()`` says so in the user's words. A record
deleted meanwhile is left alone. ``desktop.ui.undo`` wraps these steps in Qt commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop.store.db import SYNC_FIELDS, Store

# What a practitioner calls each record type in a sentence.
_NAMES = {
    "referral": "referral",
    "pupil": "pupil's details",
    "school": "school",
    "visit": "visit",
    "support_plan": "support plan",
    "helpline_call": "call",
    "caseworker": "caseworker",
    "attachment": "document",
}


def record_name(entity: str) -> str:
    return _NAMES.get(entity, entity.replace("_", " "))


def _field_names(names: list[str]) -> str:
    words = [n.replace("_id", "").replace("_", " ") for n in sorted(names)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class Outcome:
    """What one undo (or redo) step did to one record."""

    entity: str
    record_id: str
    action: str = "Undo"  # or "Redo"
    applied: list[str] = field(default_factory=list)  # fields changed back
    kept: dict[str, Any] = field(default_factory=dict)  # changed since: left, value found
    deleted_elsewhere: bool = False  # the record was deleted meanwhile: nothing done
    changed_since: bool = False  # (a creation) the record was changed since: kept

    @property
    def complete(self) -> bool:
        return not (self.kept or self.deleted_elsewhere or self.changed_since)

    def message(self) -> str | None:
        """A sentence for the user when the step could not do all of its work."""
        name = record_name(self.entity)
        if self.deleted_elsewhere:
            return (
                f"{self.action} left the {name} alone: it was deleted elsewhere (on "
                "another laptop, then synced) after your change."
            )
        if self.changed_since:
            return (
                f"{self.action} kept the {name}: it was changed elsewhere after you "
                "added it, so removing it would lose that change."
            )
        if self.kept:
            many = len(self.kept) > 1
            rest = " The rest of your change was undone." if self.applied else ""
            if self.action == "Redo":
                rest = " The rest was redone." if self.applied else ""
            return (
                f"{self.action} left the {name}'s {_field_names(list(self.kept))} as "
                f"{'they are' if many else 'it is'}: {'they were' if many else 'it was'} "
                f"changed elsewhere (by a colleague, through sync) after your edit."
                f"{rest}"
            )
        return None


def field_diff(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields that changed, as (old values, new values)."""
    keys = [k for k in after if k not in SYNC_FIELDS and before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def revert_fields(
    store: Store, entity: str, record_id: str, expected: dict, target: dict, action: str = "Undo"
) -> Outcome:
    """Set each field of ``target`` whose current value is still ``expected``'s (what this
    laptop's edit wrote); leave the others. One transaction, one ordinary edit."""
    outcome = Outcome(entity, record_id, action)
    with store.transaction():
        current = store.get(entity, record_id, include_deleted=True)
        if current is None or current["deleted"]:
            outcome.deleted_elsewhere = True
            return outcome
        changes = {k: v for k, v in target.items() if current.get(k) == expected.get(k)}
        outcome.kept = {k: current.get(k) for k in target if k not in changes}
        outcome.applied = sorted(changes)
        if changes:
            store.update(entity, record_id, changes)
    return outcome


def undo_creation(store: Store, entity: str, record_id: str, created: dict | None) -> Outcome:
    """Tombstone a record this laptop created, unless it was deleted or changed elsewhere
    since (``created``: its fields as created; None: not known, deleted as it stands)."""
    outcome = Outcome(entity, record_id)
    with store.transaction():
        current = store.get(entity, record_id, include_deleted=True)
        if current is None or current["deleted"]:
            outcome.deleted_elsewhere = True
            return outcome
        if created is not None and field_diff(created, current)[1]:
            outcome.changed_since = True
            return outcome
        store.delete(entity, record_id)
    return outcome


def undo_deletion(store: Store, entity: str, record_id: str) -> Outcome:
    """Bring back a record this laptop deleted, unless it is back already (restored
    elsewhere) or gone from this laptop."""
    outcome = Outcome(entity, record_id)
    with store.transaction():
        current = store.get(entity, record_id, include_deleted=True)
        if current is None:
            outcome.deleted_elsewhere = True
            return outcome
        if current["deleted"]:
            store.restore(entity, record_id)
    return outcome


class FieldEdit:
    """Fields of one record changed from ``old`` to ``new``."""

    def __init__(self, store: Store, entity: str, record_id: str, old: dict, new: dict):
        self.store, self.entity, self.record_id, self.old, self.new = store, entity, record_id, old, new

    def redo(self) -> Outcome:
        return revert_fields(self.store, self.entity, self.record_id, self.old, self.new, "Redo")

    def undo(self) -> Outcome:
        return revert_fields(self.store, self.entity, self.record_id, self.new, self.old)


class Creation:
    """A record was created; undo tombstones it (unless changed or deleted elsewhere
    since). A tombstone is not brought back by redo."""

    def __init__(self, store: Store, entity: str, record_id: str):
        self.store, self.entity, self.record_id = store, entity, record_id
        row = store.get(entity, record_id, include_deleted=True)
        self.created = {k: v for k, v in row.items() if k not in SYNC_FIELDS} if row else None

    def redo(self) -> Outcome:  # never called: the command is obsolete once undone
        raise RuntimeError("a deleted record is not re-created by redo")

    def undo(self) -> Outcome:
        return undo_creation(self.store, self.entity, self.record_id, self.created)
