"""School audits in the store: every rating committed as it is made (no Qt).

An ``audit`` rates a school on a template (an audit pack). Each criterion's rating is
its own syncable ``audit_rating`` row (value, timestamped evidence note, good-practice
flag), committed the moment it is entered, with an id derived from (audit, criterion):
two laptops rating different sections merge row by row, and two rating the same
criterion differently meet as a field conflict on that row. Section judgements, action
points and the feedback meeting are rows too. A finalised audit is immutable (the
store's triggers and the server refuse changes); a correction is a new draft that
``supersedes`` it. A follow-up review is an audit whose ``review_of`` names the
school's last finalised audit (``desktop.audits.review``).
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from desktop.audits.template import AuditTemplate, TemplateError
from desktop.forms.registry import PackRegistry, load_registry
from desktop.store import Store, ValidationError, utc_now
from desktop.store.attachments import (
    DEFAULT_MEDIA_TYPE,
    MAX_ATTACHMENT_BYTES,
    AttachmentError,
    put_blob,
    sha256_hex,
)

ACTION_STATUSES = {"open": "Open", "in_progress": "In progress", "done": "Done", "not_done": "Not done"}
_NS = uuid.UUID("0b6f3f0e-8a55-4d4c-9d0b-5a1e2c7d9e41")


def rating_id(audit_id: str, criterion_id: str) -> str:
    """The one rating row of a criterion in an audit (the same on every laptop)."""
    return str(uuid.uuid5(_NS, f"rating/{audit_id}/{criterion_id}"))


def judgement_id(audit_id: str, section_id: str) -> str:
    return str(uuid.uuid5(_NS, f"judgement/{audit_id}/{section_id}"))


def meeting_id(audit_id: str) -> str:
    return str(uuid.uuid5(_NS, f"meeting/{audit_id}"))


@dataclass
class AuditSnapshot:
    """Everything one audit holds, read in a few queries: what the screen, the export,
    the summaries and (later) the PDF report render."""

    audit: dict
    template: AuditTemplate
    school_name: str
    ratings: dict[str, dict] = field(default_factory=dict)  # criterion id -> row
    judgements: dict[str, dict] = field(default_factory=dict)  # section id -> row
    actions: list[dict] = field(default_factory=list)
    meeting: dict | None = None
    attachments: list[dict] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.audit["id"]

    @property
    def final(self) -> bool:
        return self.audit["status"] == "final"

    def value(self, criterion_id: str) -> str | None:
        row = self.ratings.get(criterion_id)
        return row["value"] if row else None

    def section_progress(self) -> dict[str, tuple[int, int]]:
        """Per section: criteria answered (any value, "not seen" included) of all."""
        return {
            s.id: (sum(1 for c in s.criteria if self.value(c.id) is not None), len(s.criteria))
            for s in self.template.sections
        }


class AuditRecords:
    """Starting, rating, judging, planning, finalising and correcting audits."""

    def __init__(self, store: Store, registry: PackRegistry | None = None):
        self.store = store
        self._registry = registry
        self._templates: dict[tuple[str, str], AuditTemplate] = {}

    @property
    def registry(self) -> PackRegistry:
        if self._registry is None:
            self._registry = load_registry()
        return self._registry

    def template(self, template_id: str) -> AuditTemplate:
        pack = self.registry.get(template_id)
        key = (pack.id, pack.version)
        if key not in self._templates:
            self._templates[key] = AuditTemplate(pack)
        return self._templates[key]

    def templates(self) -> list[AuditTemplate]:
        return sorted(
            (self.template(p.id) for p in self.registry.packs.values() if p.kind == "audit"),
            key=lambda t: t.title.lower(),
        )

    # -- an audit's life -------------------------------------------------------------------
    def start(
        self,
        *,
        school_id: str,
        template_id: str,
        conducted_on: str | date,
        conducted_by: str | None = None,
        review_of: str | None = None,
    ) -> str:
        problems: dict[str, str] = {}
        try:
            template = self.template(template_id)
        except (KeyError, TemplateError) as exc:
            raise ValidationError({"template_id": str(exc).strip('"')}) from None
        if not self.store.get("school", school_id):
            problems["school_id"] = "The school is not on this laptop."
        if conducted_by is not None and not self.store.get("caseworker", conducted_by):
            problems["conducted_by"] = "The practitioner is not on this laptop."
        try:
            when = conducted_on if isinstance(conducted_on, date) else date.fromisoformat(conducted_on)
        except ValueError:
            raise ValidationError({"conducted_on": "Give the date of the audit."}) from None
        if when > date.today():
            problems["conducted_on"] = "The audit date is in the future."
        if problems:
            raise ValidationError(problems)
        return self.store.create(
            "audit",
            {
                "school_id": school_id,
                "template_id": template.id,
                "template_version": template.version,
                "conducted_by": conducted_by,
                "conducted_on": when.isoformat(),
                "status": "draft",
                "review_of": review_of,
            },
        )

    def audit(self, audit_id: str) -> dict:
        row = self.store.get("audit", audit_id)
        if row is None:
            raise ValidationError({"audit": "That audit is not on this laptop."})
        return row

    def _draft(self, audit_id: str) -> dict:
        row = self.audit(audit_id)
        if row["status"] == "final":
            raise ValidationError({"status": "This audit is finalised and cannot change; make a correction instead."})
        return row

    def _upsert(self, entity: str, record_id: str, create: dict, changes: dict) -> None:
        with self.store.transaction():
            current = self.store.get(entity, record_id, include_deleted=True)
            if current is None:
                self.store.create(entity, {**create, **changes}, record_id=record_id)
            else:
                self.store.change(entity, current, changes)

    def rate(self, audit_id: str, criterion_id: str, raw) -> str | None:
        """Record (or change, or clear with None) a criterion's value at once; returns it."""
        audit = self._draft(audit_id)
        criterion = self.template(audit["template_id"]).criteria.get(criterion_id)
        if criterion is None:
            raise ValidationError({criterion_id: "This template has no such criterion."})
        try:
            value = criterion.parse(raw)
        except ValueError as exc:
            raise ValidationError({criterion_id: str(exc)}) from None
        self._upsert(
            "audit_rating",
            rating_id(audit_id, criterion_id),
            {"audit_id": audit_id, "criterion_id": criterion_id},
            {"value": value, "rated_at": utc_now() if value is not None else None},
        )
        return value

    def note(self, audit_id: str, criterion_id: str, text: str | None) -> None:
        """The criterion's evidence note (what was seen or read, where), timestamped."""
        audit = self._draft(audit_id)
        if criterion_id not in self.template(audit["template_id"]).criteria:
            raise ValidationError({criterion_id: "This template has no such criterion."})
        text = (text or "").strip() or None
        self._upsert(
            "audit_rating",
            rating_id(audit_id, criterion_id),
            {"audit_id": audit_id, "criterion_id": criterion_id},
            {"evidence": text, "evidence_at": utc_now() if text else None},
        )

    def flag_good_practice(self, audit_id: str, criterion_id: str, flag: bool) -> None:
        audit = self._draft(audit_id)
        if criterion_id not in self.template(audit["template_id"]).criteria:
            raise ValidationError({criterion_id: "This template has no such criterion."})
        self._upsert(
            "audit_rating",
            rating_id(audit_id, criterion_id),
            {"audit_id": audit_id, "criterion_id": criterion_id},
            {"good_practice": int(bool(flag))},
        )

    def judge(
        self,
        audit_id: str,
        section_id: str,
        *,
        value: str | None = ...,
        strengths: str | None = ...,
        development: str | None = ...,
    ) -> None:
        """A section's overall judgement, areas of strength and for development."""
        audit = self._draft(audit_id)
        template = self.template(audit["template_id"])
        try:
            section = template.section(section_id)
        except KeyError:
            raise ValidationError({section_id: "This template has no such section."}) from None
        changes = {}
        if value is not ...:
            if value is not None:
                scale = section.judgement_scale
                if scale is None:
                    raise ValidationError({section_id: f"{section.label} takes no overall judgement."})
                level = next((lv for lv in scale.levels if value.lower() in (lv.value, lv.label.lower())), None)
                if level is None:
                    raise ValidationError(
                        {section_id: f"'{value}' is not one of {', '.join(lv.label for lv in scale.levels)}."}
                    )
                value = level.value
            changes["value"] = value
        if strengths is not ...:
            changes["strengths"] = (strengths or "").strip() or None
        if development is not ...:
            changes["development"] = (development or "").strip() or None
        if changes:
            self._upsert(
                "audit_judgement",
                judgement_id(audit_id, section_id),
                {"audit_id": audit_id, "section_id": section_id},
                changes,
            )

    def set_good_practice(self, audit_id: str, text: str | None) -> None:
        """The audit's good practice to share (free text; criteria carry their own flag)."""
        self._draft(audit_id)
        self.store.update("audit", audit_id, {"good_practice": (text or "").strip() or None})

    def _action_values(
        self, template: AuditTemplate, action=..., owner=..., due_on=..., status=..., criteria=..., progress=...
    ) -> dict:
        values, problems = {}, {}
        if action is not ...:
            if not (action or "").strip():
                problems["action"] = "Say what is to be done."
            values["action"] = (action or "").strip()
        if owner is not ...:
            values["owner"] = (owner or "").strip() or None
        if due_on is not ...:
            if due_on in (None, ""):
                values["due_on"] = None
            else:
                try:
                    values["due_on"] = (
                        due_on if isinstance(due_on, date) else date.fromisoformat(str(due_on))
                    ).isoformat()
                except ValueError:
                    problems["due_on"] = "Give the due date as a date."
        if status is not ...:
            if status not in ACTION_STATUSES:
                problems["status"] = f"Status must be one of {', '.join(ACTION_STATUSES.values())}."
            values["status"] = status
        if criteria is not ...:
            unknown = [c for c in criteria or () if c not in template.criteria]
            if unknown:
                problems["criteria"] = f"No such criterion: {', '.join(unknown)}."
            values["criteria"] = json.dumps(sorted(set(criteria or ())))
        if progress is not ...:
            values["progress"] = (progress or "").strip() or None
        if problems:
            raise ValidationError(problems)
        return values

    def add_action(
        self,
        audit_id: str,
        action: str,
        *,
        owner: str | None = None,
        due_on: str | date | None = None,
        criteria=(),
        status: str = "open",
        carried_from: str | None = None,
    ) -> str:
        audit = self._draft(audit_id)
        values = self._action_values(
            self.template(audit["template_id"]),
            action=action,
            owner=owner,
            due_on=due_on,
            status=status,
            criteria=criteria,
        )
        return self.store.create("audit_action", {"audit_id": audit_id, "carried_from": carried_from, **values})

    def update_action(self, action_id: str, **changes) -> dict:
        row = self.store.get("audit_action", action_id)
        if row is None:
            raise ValidationError({"action": "That action point is not on this laptop."})
        audit = self._draft(row["audit_id"])
        values = self._action_values(self.template(audit["template_id"]), **changes)
        return self.store.update("audit_action", action_id, values)

    def remove_action(self, action_id: str) -> None:
        row = self.store.get("audit_action", action_id)
        if row is None:
            return
        self._draft(row["audit_id"])
        self.store.delete("audit_action", action_id)

    def record_meeting(
        self,
        audit_id: str,
        *,
        held_on: str | date | None = None,
        attendees: list[str] | str | None = None,
        agreed: str | None = None,
    ) -> None:
        """The feedback meeting with senior leaders: who attended, what was agreed."""
        self._draft(audit_id)
        if isinstance(attendees, str):
            attendees = [a.strip() for a in attendees.replace(";", ",").split(",")]
        try:
            held = (
                None
                if held_on in (None, "")
                else (held_on if isinstance(held_on, date) else date.fromisoformat(str(held_on))).isoformat()
            )
        except ValueError:
            raise ValidationError({"held_on": "Give the meeting date as a date."}) from None
        self._upsert(
            "audit_meeting",
            meeting_id(audit_id),
            {"audit_id": audit_id},
            {
                "held_on": held,
                "attendees": json.dumps([a for a in attendees or () if a]),
                "agreed": (agreed or "").strip() or None,
            },
        )

    def attach(
        self,
        audit_id: str,
        criterion_id: str | None,
        path_or_bytes: Path | str | bytes,
        *,
        title: str | None = None,
        filename: str | None = None,
        media_type: str | None = None,
    ) -> str:
        """A photo or document for the audit (or one criterion of it): the attachment
        mechanism's encrypted, synced blob, with a record naming the audit."""
        audit = self._draft(audit_id)
        if criterion_id is not None and criterion_id not in self.template(audit["template_id"]).criteria:
            raise ValidationError({criterion_id: "This template has no such criterion."})
        if isinstance(path_or_bytes, (bytes, bytearray)):
            data = bytes(path_or_bytes)
        else:
            path = Path(path_or_bytes)
            if not path.is_file():
                raise AttachmentError(f"There is no file at {path}. Nothing was added.")
            data = path.read_bytes()
            filename = filename or path.name
            media_type = media_type or mimetypes.guess_type(path.name)[0]
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise AttachmentError("This file is too large to attach. Nothing was added.")
        values = {
            "sha256": sha256_hex(data),
            "size": len(data),
            "media_type": media_type or DEFAULT_MEDIA_TYPE,
            "filename": filename,
            "title": title or filename,
            "school_id": audit["school_id"],
            "audit_id": audit_id,
            "criterion_id": criterion_id,
        }
        with self.store.transaction():
            put_blob(self.store, data, values["sha256"])
            return self.store.create("attachment", {k: v for k, v in values.items() if v is not None})

    def finalise(self, audit_id: str) -> dict:
        self._draft(audit_id)
        return self.store.update("audit", audit_id, {"status": "final", "finalised_at": utc_now()})

    def correct(self, audit_id: str) -> str:
        """A new draft carrying everything of a finalised audit, superseding it."""
        old = self.snapshot(audit_id)
        if not old.final:
            raise ValidationError({"status": "Only a finalised audit needs a correction; edit the draft."})
        a = old.audit
        with self.store.transaction():
            new_id = self.store.create(
                "audit",
                {
                    "school_id": a["school_id"],
                    "template_id": a["template_id"],
                    "template_version": a["template_version"],
                    "conducted_by": a["conducted_by"],
                    "conducted_on": a["conducted_on"],
                    "status": "draft",
                    "supersedes": a["id"],
                    "review_of": a["review_of"],
                    "good_practice": a["good_practice"],
                    "notes": a["notes"],
                },
            )
            keep = ("value", "rated_at", "evidence", "evidence_at", "good_practice")
            for cid, row in old.ratings.items():
                self.store.create(
                    "audit_rating",
                    {"audit_id": new_id, "criterion_id": cid, **{k: row[k] for k in keep}},
                    record_id=rating_id(new_id, cid),
                )
            for sid, row in old.judgements.items():
                self.store.create(
                    "audit_judgement",
                    {
                        "audit_id": new_id,
                        "section_id": sid,
                        **{k: row[k] for k in ("value", "strengths", "development")},
                    },
                    record_id=judgement_id(new_id, sid),
                )
            for row in old.actions:
                self.store.create(
                    "audit_action",
                    {
                        "audit_id": new_id,
                        **{
                            k: row[k]
                            for k in ("action", "owner", "due_on", "status", "criteria", "progress", "carried_from")
                        },
                    },
                )
            if old.meeting:
                self.store.create(
                    "audit_meeting",
                    {"audit_id": new_id, **{k: old.meeting[k] for k in ("held_on", "attendees", "agreed")}},
                    record_id=meeting_id(new_id),
                )
        return new_id

    # -- reading -----------------------------------------------------------------------------
    def snapshot(self, audit_id: str) -> AuditSnapshot:
        audit = self.audit(audit_id)
        q = self.store.db.query
        school = self.store.get("school", audit["school_id"])
        snap = AuditSnapshot(
            audit, self.template(audit["template_id"]), school["name"] if school else "(school not on this laptop)"
        )
        snap.ratings = {
            r["criterion_id"]: r for r in q("SELECT * FROM audit_rating WHERE audit_id = ? AND deleted = 0", [audit_id])
        }
        snap.judgements = {
            r["section_id"]: r
            for r in q("SELECT * FROM audit_judgement WHERE audit_id = ? AND deleted = 0", [audit_id])
        }
        snap.actions = list(
            q(
                "SELECT * FROM audit_action WHERE audit_id = ? AND deleted = 0 "
                "ORDER BY due_on IS NULL, due_on, modified_at, id",
                [audit_id],
            )
        )
        snap.meeting = next(iter(q("SELECT * FROM audit_meeting WHERE audit_id = ? AND deleted = 0", [audit_id])), None)
        snap.attachments = list(
            q(
                "SELECT id, criterion_id, title, filename, media_type, size "
                "FROM attachment WHERE audit_id = ? AND deleted = 0 "
                "ORDER BY modified_at, id",
                [audit_id],
            )
        )
        return snap

    def list(self, school_id: str | None = None) -> list[dict]:
        """Audits on this laptop, newest first, with the school's name."""
        where, params = "a.deleted = 0", []
        if school_id:
            where += " AND a.school_id = ?"
            params.append(school_id)
        return list(
            self.store.db.query(
                "SELECT a.*, s.name AS school_name FROM audit a LEFT JOIN school s ON s.id = a.school_id "
                f"WHERE {where} ORDER BY a.conducted_on DESC, a.modified_at DESC",
                params,
            )
        )

    def current_finals(self, since: str | None = None, until: str | None = None) -> list[dict]:
        """Finalised audits no later finalised correction supersedes, by date (inclusive range)."""
        where, params = "", []
        if since:
            where += " AND a.conducted_on >= ?"
            params.append(since)
        if until:
            where += " AND a.conducted_on <= ?"
            params.append(until)
        return list(
            self.store.db.query(
                "SELECT a.* FROM audit a WHERE a.deleted = 0 AND a.status = 'final'"
                + where
                + " AND NOT EXISTS (SELECT 1 FROM audit n WHERE n.supersedes = a.id AND n.status = 'final'"
                " AND n.deleted = 0) ORDER BY a.conducted_on, a.finalised_at",
                params,
            )
        )

    def last_final(self, school_id: str, template_id: str | None = None) -> dict | None:
        """The school's latest finalised audit or review (a later correction's draft is not)."""
        rows = [
            r
            for r in self.current_finals()
            if r["school_id"] == school_id and (template_id is None or r["template_id"] == template_id)
        ]
        return rows[-1] if rows else None
