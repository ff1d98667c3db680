"""What sync reports, in the service's words (no Qt): records named as people know them
("Ivy Okafor, Hollowmere Primary School"), fields and values as labels, UK dates and
Yes/No, outbox changes summarised ("Edited: Concern, Status") and both sides of a conflict.

The Needs attention lists (``desktop/ui/attention.py``) show these; they are worked out
here so they are tested without a display.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.caseload import vocab
from desktop.dates import to_uk, to_uk_datetime
from desktop.store import Store, StoreError
from sync.client.local import DELETED
from sync.protocol import shapes

ENTITY_LABELS = {
    "school": "School",
    "caseworker": "Caseworker",
    "pupil": "Pupil",
    "referral": "Referral",
    "visit": "Visit",
    "support_plan": "Pastoral Support Plan",
    "helpline_call": "Helpline call",
    "form_completion": "Assessment",
    "form_answer": "Assessment answer",
    "observation": "Observation",
    "observation_event": "Observation event",
    "coding_scheme": "Coding scheme",
}

FIELD_LABELS = {
    "urn": "URN",
    "upn": "UPN",
    "fsm": "Free school meals",
    "eal": "EAL",
    "sen": "SEN",
    "pupil_premium": "Pupil premium",
    "looked_after": "Looked after",
    "date_of_birth": "Date of birth",
    "school_id": "School",
    "pupil_id": "Pupil",
    "referral_id": "Referral",
    "caseworker_id": "Caseworker",
    "completion_id": "Assessment",
    "observation_id": "Observation",
    "allocated_on": "Allocated on",
    "closed_on": "Closed on",
    "concern": "Concern",
    "fixed_exclusions_before": "Suspensions before",
    "permanent_exclusions_before": "Permanent exclusions before",
    "fixed_exclusions_after": "Suspensions after",
    "permanent_exclusions_after": "Permanent exclusions after",
    "visit_type": "Visit type",
    "caller_role": "Caller's role",
    "item_id": "Item",
    "pack_id": "Instrument",
    DELETED: "Whole record (deleted)",
    "(deleted)": "Whole record (deleted)",
}

# Fixed choices: the stored value is shown by its label.
CHOICES: dict[tuple[str, str], dict] = {
    ("referral", "reason"): vocab.REFERRAL_REASONS,
    ("referral", "status"): vocab.REFERRAL_STATUSES,
    ("referral", "source"): vocab.REFERRAL_SOURCES,
    ("referral", "outcome"): vocab.CLOSURE_OUTCOMES,
    ("visit", "visit_type"): vocab.VISIT_TYPES,
    ("school", "phase"): vocab.SCHOOL_PHASES,
    ("school", "governance"): vocab.GOVERNANCE,
    ("pupil", "sen"): vocab.SEN_STATUS,
    ("pupil", "gender"): vocab.GENDERS,
    ("pupil", "year_group"): vocab.YEAR_GROUPS,
    ("support_plan", "status"): vocab.PLAN_STATUSES,
    ("helpline_call", "caller_role"): vocab.CALLER_ROLES,
    ("helpline_call", "outcome"): vocab.CALL_OUTCOMES,
}
YES_NO_FIELDS = {"fsm", "pupil_premium", "eal", "looked_after"}

# kind -> (short label, what happened and what the choice means)
KINDS = {
    "same_field": (
        "Changed in both places",
        "This detail was changed on this laptop and elsewhere before either had seen the "
        "other change. The server kept its value; choose which one stays.",
    ),
    "edit_vs_delete": (
        "Deleted elsewhere",
        "This laptop changed a record that had already been deleted elsewhere, so the change "
        "was not made. Keep this laptop's restores the record with this laptop's value; Keep "
        "the server's accepts the deletion (this laptop's value stays on file with the "
        "conflict).",
    ),
    "delete_vs_edit": (
        "Deleted here, changed elsewhere",
        "This laptop deleted the record after someone else had changed this detail. Keep "
        "this laptop's lets the deletion stand; Keep the server's restores the record, with "
        "their change.",
    ),
    "edit_vs_final": (
        "Finalised elsewhere",
        "The record was finalised elsewhere before this laptop's change reached the server, so "
        "the change was not made. Finalised evidence never changes: if the change is needed, "
        "make a correction.",
    ),
}

CELL_LIMIT = 80  # characters a table cell shows; the detail pane and tooltip show all


def field_label(name: str) -> str:
    """A field's name as people read it ("Date of birth", "URN")."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    return name.replace("_", " ").strip().capitalize()


def kind_label(kind: str) -> str:
    """A conflict kind's short label ("Changed in both places")."""
    return KINDS.get(kind, (kind.replace("_", " ").capitalize(), ""))[0]


def one_line(text: str, limit: int = CELL_LIMIT) -> str:
    """Text on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class RecordNamer:
    """Names records as people know them ("Ivy Okafor, Hollowmere Primary School"), looked up
    in the store, or in ``snapshots`` for records no longer on this laptop (review items)."""

    def __init__(
        self,
        store: Store,
        snapshots: dict[tuple[str, str], dict] | None = None,
        pack_titles: dict[str, str] | None = None,
    ):
        self.store = store
        self.snapshots = snapshots or {}
        self.pack_titles = pack_titles or {}

    def row(self, entity: str, record_id: str | None) -> dict | None:
        """The record as held here (deleted ones too), else its snapshot, else None."""
        if not record_id or entity not in ENTITY_LABELS:
            return None
        try:
            found = self.store.get(entity, record_id, include_deleted=True)
        except StoreError:
            found = None
        return found or self.snapshots.get((entity, record_id))

    def describe(self, entity: str, record_id: str | None, row: dict | None = None) -> str:
        """A human name for the record, never an id alone."""
        row = row or self.row(entity, record_id)
        label = ENTITY_LABELS.get(entity, entity)
        if row is None:
            return f"{label} no longer on this laptop"
        name = self._name(entity, row)
        return name or label

    def _pupil(self, pupil_id: str | None) -> str:
        row = self.row("pupil", pupil_id)
        return f"{row['first_name']} {row['last_name']}" if row else ""

    def _case_part(self, referral_id: str | None, what: str) -> str:
        """A record of a case, named by the case's pupil (or, when the pupil has left the
        laptop, the referral's date): short enough for a table cell."""
        row = self.row("referral", referral_id)
        if row is None:
            return what
        case = self._pupil(row.get("pupil_id")) or f"Referral of {to_uk(row.get('referral_date'))}"
        return f"{case} — {what}"

    def _name(self, entity: str, row: dict) -> str:
        if entity == "pupil":
            return f"{row.get('first_name', '')} {row.get('last_name', '')}".strip()
        if entity in ("school", "caseworker", "coding_scheme"):
            return row.get("name") or ""
        if entity == "referral":
            pupil = self._pupil(row.get("pupil_id"))
            school = self.row("school", row.get("school_id"))
            if pupil:
                return f"{pupil}, {school['name']}" if school else pupil
            # The pupil left the laptop with the case: say which referral it was instead.
            reason = vocab.REFERRAL_REASONS.get(row.get("reason"), row.get("reason") or "")
            return f"Referral of {to_uk(row.get('referral_date'))} ({reason})".replace(" ()", "")
        if entity == "visit":
            kind = vocab.VISIT_TYPES.get(row.get("visit_type"), row.get("visit_type") or "Visit")
            return self._case_part(row.get("referral_id"), f"{kind}, {to_uk(row.get('visit_date'))}")
        if entity == "support_plan":
            return self._case_part(row.get("referral_id"), f"plan from {to_uk(row.get('start_date'))}")
        if entity == "helpline_call":
            school = self.row("school", row.get("school_id"))
            where = f", {school['name']}" if school else ""
            return f"Call of {to_uk(row.get('call_date'))}{where}"
        if entity == "form_completion":
            pack = self.pack_titles.get(row.get("pack_id"), row.get("pack_id") or "form")
            what = f"{pack}, {to_uk(row.get('completed_on'))}"
            pupil = self._pupil(row.get("pupil_id"))
            return f"{pupil} — {what}" if pupil else what
        if entity == "form_answer":
            completion = self.row("form_completion", row.get("completion_id"))
            what = f"item {row.get('item_id')}"
            return f"{self._name('form_completion', completion)} — {what}" if completion else what
        if entity == "observation":
            what = f"observation {to_uk(row.get('started_at'))}"
            if row.get("lesson"):
                what += f" ({row['lesson']})"
            return self._case_part(row.get("referral_id"), what)
        if entity == "observation_event":
            observation = self.row("observation", row.get("observation_id"))
            return self._name("observation", observation) if observation else ""
        return ""

    def value(self, entity: str, name: str, value: Any) -> str:
        """A field's value as people read it: labels for choices, names for linked records,
        UK dates, Yes/No."""
        if value is None or value == "":
            return "(empty)"
        choices = CHOICES.get((entity, name))
        if choices is not None:
            return choices.get(value, str(value))
        if name in YES_NO_FIELDS:
            return "Yes" if value in (1, True, "1") else "No"
        target = shapes().get(entity).references.get(name) if entity in shapes() else None
        if target and isinstance(value, str):
            found = self.row(target, value)
            return (
                self.describe(target, value, found)
                if found
                else f"{ENTITY_LABELS.get(target, target)} not on this laptop"
            )
        if isinstance(value, str):
            if name.endswith(("_date", "_on")) or name == "date_of_birth":
                try:
                    return to_uk(value)
                except ValueError:
                    return value
            if name.endswith("_at"):
                try:
                    return to_uk_datetime(value)
                except ValueError:
                    return value
            if name in ("review_dates", "specialisms") and value.startswith("["):
                try:
                    items = json.loads(value)
                except ValueError:
                    return value
                if name == "review_dates":
                    items = [to_uk(i) for i in items]
                return ", ".join(str(i) for i in items) or "(none)"
        return str(value)


def change_summary(op: str, fields_json: str | dict) -> str:
    """One outbox entry in words: 'New record', 'Edited: Concern, Status', 'Deleted'."""
    fields = json.loads(fields_json) if isinstance(fields_json, str) else fields_json
    if op == "delete":
        return "Deleted"
    names = ", ".join(field_label(n) for n in sorted(fields))
    return f"New record ({names})" if op == "create" else f"Edited: {names}"


def conflict_values(c: dict, namer: RecordNamer) -> tuple[str, str]:
    """("This laptop", "Server") as people read them, saying when one side is a deletion."""
    entity, name, kind = c["entity"], c["field"], c["kind"]
    if name in (DELETED, "(deleted)"):
        return "Delete the record", "Keep the record"
    local = namer.value(entity, name, c["local_value"])
    remote = namer.value(entity, name, c["remote_value"])
    if kind == "delete_vs_edit":
        local = "Record deleted here"
    elif kind == "edit_vs_delete":
        remote = "Record deleted" + (f" (was {remote})" if c["remote_value"] is not None else "")
    elif kind == "edit_vs_final":
        remote += " (finalised)"
    return local, remote


def quarantined_name(q: dict, namer: RecordNamer, row: dict | None) -> str:
    """The record's name from the values the server sent (it is not stored here)."""
    try:
        name = namer._name(q["entity"], row) if row else ""
    except (TypeError, ValueError, AttributeError):
        name = ""
    return one_line(str(name), 200) if name else f"{ENTITY_LABELS.get(q['entity'], q['entity'])} (not stored here)"
