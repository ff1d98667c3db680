"""A case's history in the service's words (no Qt): who did what to which record, and when.

The audit trail (``audit_log``) records every change to every record with its time and
who made it, naming fields but never their content. ``case_history`` gathers the entries of
every kind of record that belongs to a case: the referral, the pupil, visits, Pastoral
Support Plans and their reviews, helpline calls, classroom observations, assessments (form
completions), reports, documents and exclusions. It names each record as a practitioner
knows it ("the SDQ (teacher, 4–17) of 12/11/2026, T1"), says each action in words
("finalised", "allocated the case to Sam Whitfield"), gives fields by their labels
(``sync.client.wording``, where every field label is written once) and, where the change is
still held in the outbox, the short values a field was given (a caseworker by name, a
status by its label, a date in UK form). Free text (notes, concerns) is never repeated.

The many small rows under one record (each coded interval of an observation, each answer
of a form) are folded into one line under their record, as are repeated openings of the
case by the same person: the history stays readable at a glance.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Callable

from desktop.caseload import vocab
from desktop.dates import to_uk
from desktop.store import Store

#: What each action of the audit trail is, said of a record (``{what}`` is its name).
ACTION_WORDS = {
    "create": "added {what}",
    "update": "changed {what}",
    "delete": "deleted {what}",
    "restore": "restored {what}",
    "view": "opened the case",
    "export": "exported {what}",
    "export_attachment": "saved a copy of {what}",
    "purge": "removed {what} from this laptop",
    "sync_conflict": "met a sync conflict on {what}",
    "resolve_conflict": "settled a sync conflict on {what}",
    "review_dismissed": "dismissed a sync review of {what}",
    "sync_quarantine": "could not store the server's {what}",
    "quarantine_retried": "retried storing {what}",
    "quarantine_dismissed": "set aside {what}",
}

#: The record kinds a case's history covers, with how each finds its records from the case.
#: ``referral`` and ``pupil`` stand for the case's own referral and pupil ids.
CASE_RECORDS: dict[str, str] = {
    "referral": "SELECT id FROM referral WHERE id = :referral",
    "pupil": "SELECT id FROM pupil WHERE id = :pupil",
    "visit": "SELECT id FROM visit WHERE referral_id = :referral",
    "support_plan": "SELECT id FROM support_plan WHERE referral_id = :referral",
    "plan_review": "SELECT id FROM plan_review WHERE referral_id = :referral",
    "helpline_call": "SELECT id FROM helpline_call WHERE referral_id = :referral",
    "observation": "SELECT id FROM observation WHERE referral_id = :referral",
    # Assessments belong to the pupil: the Assessments tab lists every one of theirs.
    "form_completion": "SELECT id FROM form_completion WHERE referral_id = :referral OR pupil_id = :pupil",
    "report": "SELECT id FROM report WHERE referral_id = :referral",
    "attachment": "SELECT id FROM attachment WHERE referral_id = :referral "
    "OR id IN (SELECT attachment_id FROM report WHERE referral_id = :referral)",
    "exclusion": "SELECT id FROM exclusion WHERE referral_id = :referral OR pupil_id = :pupil",
}

#: Rows that are parts of a record above: their entries are told as their parent's.
PARTS: dict[str, tuple[str, str, str]] = {
    # part entity: (parent entity, the part's link to its parent, what one part is called)
    "observation_event": ("observation", "observation_id", "entry"),
    "form_answer": ("form_completion", "completion_id", "item"),
}

REPORT_KINDS = {"visit": "visit report", "psp": "PSP report", "progress": "progress report"}
EXCLUSION_KINDS = {"fixed": "suspension", "permanent": "permanent exclusion"}
#: Long free text: a history line names such a field, never repeats what it says.
FREE_TEXT = {
    "concern",
    "notes",
    "targets",
    "advice",
    "topic",
    "strategies",
    "sections",
    "evidence",
    "ratings",
    "title",
    "filename",
    "lesson",
    "definition",
    "payload",
    "respondent",
    "progress",
    "agreed",
    "attendees",
    "strengths",
    "development",
    "value",
    "first_name",
    "last_name",
    "upn",
    "address",
    "contact",
    "summary",
}
#: Bookkeeping fields a person never set by hand: left out of a change's list.
QUIET_FIELDS = {
    "supersedes",
    "finalised_at",
    "issued_sha256",
    "attachment_id",
    "observation_version",
    "pack_version",
    "age_band",
    "sha256",
    "size",
    "media_type",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case's history: when (ISO UTC, the latest of the rows folded in),
    who, and what they did, in words; ``entity`` and ``record_id`` say which record."""

    at: str
    actor: str
    text: str
    action: str
    entity: str
    record_id: str
    count: int = 1  # audit rows this line stands for (parts and repeats folded in)
    part: str | None = None  # "observation_event", "form_answer": a line about a record's parts

    @property
    def _key(self) -> tuple:
        return (self.entity, self.record_id, self.actor, self.action, self.part)


def case_history(store: Store, referral_id: str, pack_titles: Callable[[str], str] | None = None) -> list[HistoryEntry]:
    """Every audit entry of every record of the case, newest first, in words.

    ``pack_titles(pack_id)`` names an instrument ("SDQ teacher 4–17"); without it the
    pack's id is tidied into words."""
    referral = store.get("referral", referral_id, include_deleted=True)
    if referral is None:
        return []
    params = {"referral": referral_id, "pupil": referral["pupil_id"]}
    records = {entity: [rid for (rid,) in store.conn.execute(sql, params)] for entity, sql in CASE_RECORDS.items()}
    rows: list[tuple] = []  # (seq, at, actor, action, entity, record_id, detail, part)
    for entity, ids in records.items():
        rows += [(*row, None) for row in _audit_rows(store, entity, ids)]
    for part, (parent, link, _word) in PARTS.items():
        parent_ids = records[parent]
        for start in range(0, len(parent_ids), 500):
            chunk = parent_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows += store.conn.execute(
                f"SELECT a.seq, a.at, a.actor, a.action, ?, p.[{link}], a.detail, ? "
                f"FROM [{part}] p JOIN audit_log a ON a.entity = ? AND a.record_id = p.id "
                f"WHERE p.[{link}] IN ({marks})",
                [parent, part, part, *chunk],
            ).fetchall()
    rows.sort(key=lambda r: r[0])
    namer = _Namer(store, pack_titles)
    values = _OutboxValues(store, [rid for ids in records.values() for rid in ids])
    entries: list[HistoryEntry] = []
    for _seq, at, actor, action, entity, record_id, detail, part in rows:
        if (part is not None or action == "view") and _folded(
            entries, (entity, record_id, actor, action, part), at, namer
        ):
            continue
        text = _sentence(namer, values, entity, record_id, action, detail, part, at)
        entries.append(HistoryEntry(at, actor, text, action, entity, record_id, part=part))
    # Newest first; a folded line stands at the time of its latest row.
    return sorted(reversed(entries), key=lambda e: e.at, reverse=True)


def _folded(entries: list[HistoryEntry], key: tuple, at: str, namer: "_Namer") -> bool:
    """Fold a part of a record (or a repeated opening) into the line already saying the same of
    it by the same person, unless another record's line came between; whether it was."""
    for back in range(len(entries) - 1, -1, -1):
        earlier = entries[back]
        if earlier._key == key:
            entries[back] = _fold(earlier, at, namer)
            return True
        if (earlier.entity, earlier.record_id) != key[:2]:
            return False
    return False


def _audit_rows(store: Store, entity: str, ids: list[str]) -> list[tuple]:
    found: list[tuple] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found += store.conn.execute(
            "SELECT seq, at, actor, action, entity, record_id, detail FROM audit_log "
            f"WHERE entity = ? AND record_id IN ({', '.join('?' for _ in chunk)})",
            [entity, *chunk],
        ).fetchall()
    return found


def _fold(entry: HistoryEntry, at: str, namer: "_Namer") -> HistoryEntry:
    count = entry.count + 1
    if entry.part is not None:
        text = _part_sentence(namer, entry.entity, entry.record_id, entry.action, entry.part, count)
    else:  # repeated openings
        text = f"{entry.text.split(' (')[0]} ({count} times)"
    return dataclasses.replace(entry, at=at, text=text, count=count)


def _part_sentence(namer: "_Namer", entity: str, record_id: str, action: str, part: str, count: int) -> str:
    word = PARTS[part][2]
    plural = word[:-1] + "ies" if word.endswith("y") else word + "s"
    many = f"{count} {plural}" if count != 1 else f"an {word}" if word[0] in "aeiou" else f"a {word}"
    what = namer.name(entity, record_id)
    if part == "observation_event":
        return (
            f"recorded {many} in {what}"
            if action == "create"
            else f"{ACTION_WORDS.get(action, action + ' {what}').format(what=many)} in {what}"
        )
    verb = {"create": "answered", "update": "changed", "delete": "cleared"}.get(action, action)
    return f"{verb} {many} in {what}"


def _sentence(
    namer: "_Namer",
    values: "_OutboxValues",
    entity: str,
    record_id: str,
    action: str,
    detail: str | None,
    part: str | None,
    at: str,
) -> str:
    if part is not None:
        return _part_sentence(namer, entity, record_id, action, part, 1)
    what = namer.name(entity, record_id)
    if action == "update" and detail:
        return _change_sentence(namer, values, entity, record_id, what, detail, at)
    if action == "restore" and detail:
        return f"restored {what}"
    text = ACTION_WORDS.get(action, action.replace("_", " ") + " {what}").format(what=what)
    if action in ("export", "purge") and detail:
        text += f" ({detail})"
    return text


def _change_sentence(
    namer: "_Namer", values: "_OutboxValues", entity: str, record_id: str, what: str, detail: str, at: str
) -> str:
    from sync.client.wording import field_label

    names = [n.strip() for n in detail.split(",") if n.strip()]
    given = values.find(entity, record_id, names, at) or {}
    status = given.get("status")
    if entity == "referral" and "status" in names:
        if status == "closed":
            outcome = vocab.CLOSURE_OUTCOMES.get(given.get("outcome"), "")
            return "closed the case" + (f": {outcome}" if outcome else "")
        if status == "active":
            return "started the casework (case active)"
    if entity == "referral" and "caseworker_id" in names and given.get("caseworker_id"):
        worker = namer.value(entity, "caseworker_id", given["caseworker_id"])
        rest = [n for n in names if n not in ("caseworker_id", "allocated_on", "status")]
        text = f"allocated the case to {worker}"
        if given.get("allocated_on"):
            text += f" from {to_uk(given['allocated_on'])}"
        return text + (f"; changed {_fields(namer, entity, rest, given)}" if rest else "")
    if "status" in names and status == "final":
        return f"finalised {what}"
    if entity == "observation" and "status" in names and status == "ended":
        return f"ended {what}"
    shown = [n for n in names if n not in QUIET_FIELDS] or names
    if not given and entity == "referral" and {"caseworker_id", "allocated_on"} <= set(names):
        return "allocated the case (" + ", ".join(field_label(n) for n in shown) + ")"
    return f"changed {what}: {_fields(namer, entity, shown, given)}"


def _fields(namer: "_Namer", entity: str, names: list[str], given: dict) -> str:
    from sync.client.wording import field_label

    parts = []
    for name in names:
        label = field_label(name)
        if name in given and given[name] in (None, ""):
            parts.append(f"{label} cleared")
        elif name in given and name not in FREE_TEXT:
            parts.append(f"{label} to {namer.value(entity, name, given[name])}")
        else:
            parts.append(label)
    return ", ".join(parts)


def installed_pack_titles() -> Callable[[str], str]:
    """Names instruments by the installed packs' titles, without their notes in brackets
    ("SDQ teacher 4–17"); a pack no longer installed by its id in words. The packs are read
    when an instrument is first named, not before (most cases' histories name none)."""
    titles: dict[str, str] = {}

    def title(pack_id: str) -> str:
        """The instrument's short title."""
        if not titles:
            from desktop.forms.registry import load_registry

            try:
                titles.update({pid: pack.title.split(" (")[0] for pid, pack in load_registry().packs.items()})
            except OSError:
                pass
            titles.setdefault("", "")  # read once, even when nothing could be
        return titles.get(pack_id) or pack_id.replace("-", " ")

    return title


class _OutboxValues:
    """The values a change gave its fields, from the outbox entry written with it (an
    entry the server acknowledged long ago is pruned: then only the fields' labels show)."""

    def __init__(self, store: Store, record_ids: list[str]):
        self.by_record: dict[tuple[str, str], list[tuple[str, dict]]] = {}
        ids = sorted(set(record_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for entity, record_id, fields, created in store.conn.execute(
                "SELECT entity, record_id, fields, created_at FROM outbox WHERE op = 'update' "
                f"AND record_id IN ({', '.join('?' for _ in chunk)}) ORDER BY seq",
                chunk,
            ):
                try:
                    given = json.loads(fields)
                except ValueError:
                    continue
                self.by_record.setdefault((entity, record_id), []).append((created, given))

    def find(self, entity: str, record_id: str, names: list[str], at: str) -> dict | None:
        """The outbox entry's fields for the change logged at ``at`` naming ``names``: the
        latest with those very fields made at or before it (same transaction)."""
        best = None
        for created, given in self.by_record.get((entity, record_id), ()):
            if created <= at and sorted(given) == sorted(names):
                best = given
        return best


class _Namer:
    """Names the records of a case as a practitioner knows them."""

    def __init__(self, store: Store, pack_titles: Callable[[str], str] | None):
        from sync.client.wording import RecordNamer

        self.store = store
        self.pack_titles = pack_titles or (lambda pack_id: pack_id.replace("-", " "))
        self.words = RecordNamer(store)
        self._names: dict[tuple[str, str], str] = {}

    def value(self, entity: str, name: str, value) -> str:
        """A field's value as people read it (``RecordNamer.value``)."""
        return self.words.value(entity, name, value)

    def name(self, entity: str, record_id: str) -> str:
        """The record as a practitioner names it within its case ("the visit of …")."""
        key = (entity, record_id)
        if key not in self._names:
            row = self.store.get(entity, record_id, include_deleted=True)
            self._names[key] = self._describe(entity, row) if row else _a(entity)
        return self._names[key]

    def _describe(self, entity: str, r: dict) -> str:
        if entity == "referral":
            return "the referral"
        if entity == "pupil":
            return "the pupil's details"
        if entity == "visit":
            kind = vocab.VISIT_TYPES.get(r["visit_type"], r["visit_type"]).lower()
            return f"the visit of {to_uk(r['visit_date'])} ({kind})"
        if entity == "support_plan":
            return f"the Pastoral Support Plan from {to_uk(r['start_date'])}"
        if entity == "plan_review":
            return f"the PSP review of {to_uk(r['review_date'])}"
        if entity == "helpline_call":
            return f"the helpline call of {to_uk(r['call_date'])}"
        if entity == "observation":
            lesson = f" ({r['lesson']})" if r["lesson"] else ""
            return f"the classroom observation of {to_uk(r['started_at'][:10])}{lesson}"
        if entity == "form_completion":
            return f"the {self.pack_titles(r['pack_id'])} assessment of {to_uk(r['completed_on'])}, {r['time_point']}"
        if entity == "report":
            kind = REPORT_KINDS.get(r["kind"], "report")
            return f"the {kind} of {to_uk(r['report_date'])}"
        if entity == "attachment":
            return f"the document “{r['title'] or r['filename'] or 'untitled'}”"
        if entity == "exclusion":
            kind = EXCLUSION_KINDS.get(r["kind"], "exclusion")
            return f"the {kind} of {to_uk(r['exclusion_date'])}"
        return _a(entity)


def _a(entity: str) -> str:
    from sync.rules import ENTITY_LABELS

    return f"a record ({ENTITY_LABELS.get(entity, entity).lower()}) no longer on this laptop"
