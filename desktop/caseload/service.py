"""Caseload operations in the service's words (no Qt).

``Caseload`` validates and records schools, pupils, referrals and their status
flow, allocation, visits, Pastoral Support Plans and helpline calls. Every
change goes through the store, so it is committed with its outbox and audit
entries at once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from desktop.caseload import vocab
from desktop.dates import age_on, expected_year_group, parse_uk, to_uk, year_group_label
from desktop.store import Store, ValidationError

# A pupil may be taught one year out of their age cohort (held back or accelerated).
YEAR_GROUP_TOLERANCE = 1


def _as_date(value: Any, field: str, problems: dict[str, str], label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        try:
            return parse_uk(str(value))
        except ValueError as exc:
            problems[field] = f"{label}: {exc}"
            return None


def _require(values: dict, field: str, label: str, problems: dict[str, str]) -> None:
    if values.get(field) in (None, ""):
        problems[field] = f"{label} is required."


def _choice(values: dict, field: str, choices: dict, label: str, problems: dict[str, str]) -> None:
    value = values.get(field)
    if value not in (None, "") and value not in choices:
        problems[field] = f"{label} {value!r} is not one of: {', '.join(map(str, choices.values()))}."


@dataclass(frozen=True)
class CaseRow:
    """One line of the caseload list (a referral with its pupil, school and caseworker)."""

    referral_id: str
    status: str
    referral_date: str
    reason: str
    pupil_id: str
    pupil_name: str
    year_group: int | None
    school_id: str
    school_name: str
    caseworker_id: str | None
    caseworker_name: str | None
    allocated_on: str | None
    date_of_birth: str | None = None  # tells apart two pupils with the same name
    upn: str | None = None


CASELOAD_SQL = """
SELECT r.id AS referral_id, r.status, r.referral_date, r.reason,
       p.id AS pupil_id, p.first_name || ' ' || p.last_name AS pupil_name, p.year_group,
       s.id AS school_id, s.name AS school_name,
       c.id AS caseworker_id, c.name AS caseworker_name, r.allocated_on,
       p.date_of_birth, p.upn
FROM referral r
JOIN pupil p ON p.id = r.pupil_id
JOIN school s ON s.id = r.school_id
LEFT JOIN caseworker c ON c.id = r.caseworker_id
WHERE r.deleted = 0
ORDER BY r.referral_date DESC, pupil_name
"""


class Caseload:
    """The casework operations over one store."""

    def __init__(self, store: Store, today: date | None = None):
        self.store = store
        self._today = today
        self._pack_titles = None  # instrument titles, read from the installed packs when first needed

    @property
    def today(self) -> date:
        """The date rules are checked against: the one given (tests, demo) or today's."""
        return self._today or date.today()

    # -- schools -------------------------------------------------------------------------
    def add_school(self, **values: Any) -> str:
        """Add a school after checking its name, phase, governance and URN; returns its id."""
        self._validate_school(values)
        return self.store.create("school", values)

    def update_school(self, school_id: str, **changes: Any) -> dict:
        """Change a school's fields; the merged record is checked as ``add_school`` checks."""
        merged = {**(self.store.get("school", school_id) or {}), **changes}
        self._validate_school(merged)
        return self.store.update("school", school_id, changes)

    def _validate_school(self, v: dict) -> None:
        problems: dict[str, str] = {}
        _require(v, "name", "The school's name", problems)
        _choice(v, "phase", vocab.SCHOOL_PHASES, "Phase", problems)
        _choice(v, "governance", vocab.GOVERNANCE, "Governance", problems)
        urn = v.get("urn")
        if urn and not (str(urn).isdigit() and 6 <= len(str(urn)) <= 7):
            problems["urn"] = f"URN {urn!r} should be the school's 6- or 7-digit unique reference number."
        if problems:
            raise ValidationError(problems)

    # -- caseworkers -----------------------------------------------------------------------
    def add_caseworker(self, name: str, *, specialisms: Iterable[str] = (), **values: Any) -> str:
        """Add a caseworker (name required; specialisms stored as a JSON list); returns its id."""
        if not name.strip():
            raise ValidationError({"name": "The caseworker's name is required."})
        return self.store.create(
            "caseworker", dict(values, name=name.strip(), specialisms=json.dumps(list(specialisms)))
        )

    def caseworkers(self) -> list[dict]:
        """Every caseworker not deleted, by name."""
        return list(self.store.db.query("SELECT * FROM caseworker WHERE deleted = 0 ORDER BY name"))

    def caseworker_named(self, name: str) -> str | None:
        """The id of the one caseworker called ``name`` (case and spacing aside): who "My
        cases" means when the user's name in Settings is theirs. None if no one, or several."""
        wanted = " ".join(name.split()).casefold()
        if not wanted:
            return None
        found = [c["id"] for c in self.caseworkers() if " ".join(c["name"].split()).casefold() == wanted]
        return found[0] if len(found) == 1 else None

    # -- pupils ---------------------------------------------------------------------------
    def add_pupil(self, **values: Any) -> str:
        """Add a pupil after checking names, school, date of birth and that the year group fits
        the age; returns its id."""
        values = self._validate_pupil(values)
        return self.store.create("pupil", values)

    def update_pupil(self, pupil_id: str, **changes: Any) -> dict:
        """Change a pupil's fields; the merged record is checked as ``add_pupil`` checks."""
        current = self.store.get("pupil", pupil_id) or {}
        merged = self._validate_pupil({**current, **changes})
        return self.store.update("pupil", pupil_id, {k: merged[k] for k in changes})

    def _validate_pupil(self, v: dict) -> dict:
        problems: dict[str, str] = {}
        v = dict(v)
        _require(v, "first_name", "First name", problems)
        _require(v, "last_name", "Last name", problems)
        _require(v, "school_id", "The pupil's school", problems)
        if v.get("school_id") and not self.store.get("school", v["school_id"]):
            problems["school_id"] = "The pupil's school is not in the store."
        _choice(v, "sen", vocab.SEN_STATUS, "SEN status", problems)
        _choice(v, "gender", vocab.GENDERS, "Gender", problems)
        dob = _as_date(v.get("date_of_birth"), "date_of_birth", problems, "Date of birth")
        if dob:
            v["date_of_birth"] = dob.isoformat()
            if dob > self.today:
                problems["date_of_birth"] = f"Date of birth {to_uk(dob)} is in the future."
            elif age_on(dob, self.today) > 25:
                problems["date_of_birth"] = (
                    f"Date of birth {to_uk(dob)} makes the pupil {age_on(dob, self.today)}; check the year."
                )
        year = v.get("year_group")
        if year not in (None, ""):
            try:
                year = int(year)
            except (TypeError, ValueError):
                problems["year_group"] = f"Year group {year!r} is not a year group."
                year = None
            if year is not None and year not in vocab.YEAR_GROUPS:
                problems["year_group"] = f"Year group {year} is outside Nursery to Year 13."
            elif year is not None and dob and "date_of_birth" not in problems:
                expected = expected_year_group(dob, self.today)
                if abs(year - expected) > YEAR_GROUP_TOLERANCE:
                    problems["year_group"] = (
                        f"{year_group_label(year)} does not fit a pupil born {to_uk(dob)}, who "
                        f"would be in {year_group_label(expected)} this school year."
                    )
            v["year_group"] = year
        if problems:
            raise ValidationError(problems)
        return v

    # -- referrals and their status flow -----------------------------------------------------
    def add_referral(self, **values: Any) -> str:
        """Add a new referral (status New, dated today unless given, not in the future) for a
        pupil and school in the store; returns its id."""
        problems: dict[str, str] = {}
        values = dict(values)
        values.setdefault("referral_date", self.today.isoformat())
        values.setdefault("status", "new")
        if not values.get("school_id"):
            problems["school_id"] = "A referral needs the school that made it."
        elif not self.store.get("school", values["school_id"]):
            problems["school_id"] = "The referring school is not in the store."
        if not values.get("pupil_id"):
            problems["pupil_id"] = "A referral needs a pupil."
        else:
            pupil = self.store.get("pupil", values["pupil_id"])
            if not pupil:
                problems["pupil_id"] = "The referred pupil is not in the store."
        _require(values, "reason", "The reason for referral", problems)
        _choice(values, "reason", vocab.REFERRAL_REASONS, "Reason", problems)
        _choice(values, "source", vocab.REFERRAL_SOURCES, "Source", problems)
        when = _as_date(values.get("referral_date"), "referral_date", problems, "Referral date")
        if when:
            values["referral_date"] = when.isoformat()
            if when > self.today:
                problems["referral_date"] = f"The referral date {to_uk(when)} is in the future."
        if values["status"] != "new":
            problems["status"] = "A new referral starts as New; allocate it to change that."
        if problems:
            raise ValidationError(problems)
        return self.store.create("referral", values)

    def _transition(self, referral_id: str, new_status: str) -> dict:
        referral = self.store.get("referral", referral_id)
        if referral is None:
            raise ValidationError({"referral": "That referral is not in the store."})
        if new_status not in vocab.STATUS_FLOW[referral["status"]]:
            raise ValidationError(
                {
                    "status": (
                        f"A {vocab.REFERRAL_STATUSES[referral['status']].lower()} referral cannot become "
                        f"{vocab.REFERRAL_STATUSES[new_status].lower()}."
                    )
                }
            )
        return referral

    def allocate(self, referral_id: str, caseworker_id: str, on: date | None = None) -> dict:
        """Allocate (or reallocate) a referral to a caseworker."""
        referral = self._transition(referral_id, "allocated")
        if not self.store.get("caseworker", caseworker_id):
            raise ValidationError({"caseworker_id": "That caseworker is not in the store."})
        on = on or self.today
        if on < date.fromisoformat(referral["referral_date"]):
            raise ValidationError(
                {
                    "allocated_on": (
                        f"Allocation on {to_uk(on)} is before the referral date {to_uk(referral['referral_date'])}."
                    )
                }
            )
        status = "allocated" if referral["status"] == "new" else referral["status"]
        return self.store.update(
            "referral", referral_id, {"caseworker_id": caseworker_id, "allocated_on": on.isoformat(), "status": status}
        )

    def activate(self, referral_id: str) -> dict:
        """Start the casework on an allocated referral (status Active)."""
        self._transition(referral_id, "active")
        return self.store.update("referral", referral_id, {"status": "active"})

    def close(self, referral_id: str, outcome: str, on: date | None = None, **after: Any) -> dict:
        """Close a case with its outcome (and, optionally, exclusions since referral)."""
        self._transition(referral_id, "closed")
        if outcome not in vocab.CLOSURE_OUTCOMES:
            raise ValidationError({"outcome": "Choose the outcome the case closed with."})
        on = on or self.today
        return self.store.update(
            "referral", referral_id, dict(after, status="closed", outcome=outcome, closed_on=on.isoformat())
        )

    def update_referral(self, referral_id: str, **changes: Any) -> dict:
        """Change a referral's details; status, caseworker and closing fields change only
        through ``allocate``, ``activate`` and ``close``."""
        forbidden = {"status", "caseworker_id", "allocated_on", "closed_on", "outcome"} & set(changes)
        if forbidden:
            raise ValidationError({f: "Change this through allocate, activate or close." for f in forbidden})
        _choice(changes, "reason", vocab.REFERRAL_REASONS, "Reason", problems := {})
        if problems:
            raise ValidationError(problems)
        return self.store.update("referral", referral_id, changes)

    # -- visits, plans, calls --------------------------------------------------------------
    def _referral_for_record(self, referral_id: str, problems: dict[str, str]) -> dict | None:
        referral = self.store.get("referral", referral_id) if referral_id else None
        if referral is None:
            problems["referral_id"] = "Choose the case this belongs to."
        return referral

    def add_visit(self, referral_id: str, visit_date: Any, visit_type: str, **values: Any) -> str:
        """Record a visit on an open case; the first visit to an allocated case makes it active.
        Returns the visit's id."""
        problems: dict[str, str] = {}
        referral = self._referral_for_record(referral_id, problems)
        when = _as_date(visit_date, "visit_date", problems, "Visit date")
        if when is None and "visit_date" not in problems:
            problems["visit_date"] = "The visit date is required."
        if visit_type not in vocab.VISIT_TYPES:
            problems["visit_type"] = "Choose the type of visit."
        if referral and referral["status"] == "closed":
            problems["referral_id"] = "This case is closed; reopen it as a new referral."
        if problems:
            raise ValidationError(problems)
        visit_id = self.store.create(
            "visit", dict(values, referral_id=referral_id, visit_date=when.isoformat(), visit_type=visit_type)
        )
        if referral["status"] == "allocated":
            self.activate(referral_id)  # the first visit starts the casework
        return visit_id

    def update_visit(self, visit_id: str, **changes: Any) -> dict:
        """Change a visit's fields, checking its date and type."""
        problems: dict[str, str] = {}
        if "visit_date" in changes:
            when = _as_date(changes["visit_date"], "visit_date", problems, "Visit date")
            if when:
                changes["visit_date"] = when.isoformat()
        if "visit_type" in changes and changes["visit_type"] not in vocab.VISIT_TYPES:
            problems["visit_type"] = "Choose the type of visit."
        if problems:
            raise ValidationError(problems)
        return self.store.update("visit", visit_id, changes)

    def add_support_plan(
        self, referral_id: str, start_date: Any, *, review_dates: Iterable[Any] = (), **values: Any
    ) -> str:
        """Add a support plan to a case; review dates must fall on or after its start.
        Returns the plan's id."""
        problems: dict[str, str] = {}
        self._referral_for_record(referral_id, problems)
        start = _as_date(start_date, "start_date", problems, "Start date")
        reviews = []
        for i, raw in enumerate(review_dates):
            review = _as_date(raw, "review_dates", problems, f"Review date {i + 1}")
            if review and start and review < start:
                problems["review_dates"] = f"Review date {to_uk(review)} is before the plan starts."
            if review:
                reviews.append(review.isoformat())
        if start is None and "start_date" not in problems:
            problems["start_date"] = "The plan's start date is required."
        _choice(values, "status", vocab.PLAN_STATUSES, "Status", problems)
        if problems:
            raise ValidationError(problems)
        return self.store.create(
            "support_plan",
            dict(
                values, referral_id=referral_id, start_date=start.isoformat(), review_dates=json.dumps(sorted(reviews))
            ),
        )

    def log_call(self, call_date: Any, topic: str, **values: Any) -> str:
        """Log a helpline call (date and topic required); returns its id."""
        problems: dict[str, str] = {}
        when = _as_date(call_date, "call_date", problems, "Call date")
        if not topic or not topic.strip():
            problems["topic"] = "Say what the call was about."
        _choice(values, "caller_role", vocab.CALLER_ROLES, "Caller role", problems)
        _choice(values, "outcome", vocab.CALL_OUTCOMES, "Outcome", problems)
        if when is None and "call_date" not in problems:
            problems["call_date"] = "The call date is required."
        if problems:
            raise ValidationError(problems)
        return self.store.create("helpline_call", dict(values, call_date=when.isoformat(), topic=topic))

    # -- reading -----------------------------------------------------------------------------
    def caseload(self) -> list[CaseRow]:
        """Every open or closed referral with its pupil, school and caseworker."""
        return [CaseRow(*row) for row in self.store.conn.execute(CASELOAD_SQL)]

    def observations_left_recording(self) -> int:
        """How many observations were still recording when the app last stopped (a crash or a
        kill): the start-up check, cheap enough to run on every start."""
        return self.store.conn.execute(
            "SELECT count(*) FROM observation WHERE status = 'recording' AND deleted = 0"
        ).fetchone()[0]

    def schools(self) -> list[dict]:
        """Every school not deleted, by name."""
        return list(self.store.db.query("SELECT * FROM school WHERE deleted = 0 ORDER BY name"))

    def pupils(self, school_id: str | None = None) -> list[dict]:
        """Pupils not deleted (of one school, if given), by surname then first name."""
        if school_id:
            return list(
                self.store.db.query(
                    "SELECT * FROM pupil WHERE deleted = 0 AND school_id = ? ORDER BY last_name, first_name",
                    [school_id],
                )
            )
        return list(self.store.db.query("SELECT * FROM pupil WHERE deleted = 0 ORDER BY last_name, first_name"))

    def open_case(self, referral_id: str, *, record_view: bool = True) -> dict:
        """The case view's data: referral, pupil, school, caseworker and timeline.

        Opening a case is recorded in the audit trail (``record_view=False`` when
        merely redrawing a case already open).
        """
        referral = self.store.get("referral", referral_id)
        if referral is None:
            raise ValidationError({"referral": "That referral is not in the store."})
        if record_view:
            self.store.log("view", "referral", referral_id)
        return {
            "referral": referral,
            "pupil": self.store.get("pupil", referral["pupil_id"]),
            "school": self.store.get("school", referral["school_id"]),
            "caseworker": (
                self.store.get("caseworker", referral["caseworker_id"]) if referral["caseworker_id"] else None
            ),
            "timeline": self.timeline(referral_id),
            "history": self.case_history(referral_id),
        }

    def case_history(self, referral_id: str) -> list[dict]:
        """The history of a case, newest first, in words: every change to the referral, its
        pupil and every record of the case (``desktop.caseload.history``), as dicts with
        ``at``, ``actor``, ``text``, ``action``, ``entity``, ``record_id`` and ``count``."""
        from desktop.caseload.history import case_history, installed_pack_titles

        if self._pack_titles is None:
            self._pack_titles = installed_pack_titles()
        return [
            dataclasses.asdict(entry) | {"id": entry.record_id, "kind": entry.entity}
            for entry in case_history(self.store, referral_id, self._pack_titles)
        ]

    def timeline(self, referral_id: str) -> list[dict]:
        """Everything that happened on a case, newest first: ``{date, kind, title, detail, id}``."""
        referral = self.store.get("referral", referral_id)
        items = [
            {
                "date": referral["referral_date"],
                "kind": "referral",
                "id": referral_id,
                "title": "Referred: " + vocab.REFERRAL_REASONS.get(referral["reason"], referral["reason"]),
                "detail": referral["concern"] or "",
            }
        ]
        if referral["allocated_on"]:
            items.append(
                {
                    "date": referral["allocated_on"],
                    "kind": "allocation",
                    "id": referral_id,
                    "title": "Allocated",
                    "detail": "",
                }
            )
        for v in self.store.db.query("SELECT * FROM visit WHERE referral_id = ? AND deleted = 0", [referral_id]):
            items.append(
                {
                    "date": v["visit_date"],
                    "kind": "visit",
                    "id": v["id"],
                    "title": vocab.VISIT_TYPES.get(v["visit_type"], v["visit_type"]),
                    "detail": v["notes"] or "",
                }
            )
        for p in self.store.db.query("SELECT * FROM support_plan WHERE referral_id = ? AND deleted = 0", [referral_id]):
            items.append(
                {
                    "date": p["start_date"],
                    "kind": "support_plan",
                    "id": p["id"],
                    "title": "Pastoral Support Plan",
                    "detail": p["targets"] or "",
                }
            )
        for c in self.store.db.query(
            "SELECT * FROM helpline_call WHERE referral_id = ? AND deleted = 0", [referral_id]
        ):
            items.append(
                {
                    "date": c["call_date"],
                    "kind": "helpline_call",
                    "id": c["id"],
                    "title": "Helpline call: " + c["topic"],
                    "detail": c["advice"] or "",
                }
            )
        for o in self.store.db.query("SELECT * FROM observation WHERE referral_id = ? AND deleted = 0", [referral_id]):
            state = {"recording": "still recording", "ended": "ended", "final": "finalised"}[o["status"]]
            items.append(
                {
                    "date": o["started_at"][:10],
                    "kind": "observation",
                    "id": o["id"],
                    "title": f"Classroom observation: {o['lesson'] or 'lesson'} ({state})",
                    "detail": f"{o['scheme_name']}, {o['interval_seconds']} s intervals",
                }
            )
        if referral["closed_on"]:
            items.append(
                {
                    "date": referral["closed_on"],
                    "kind": "closure",
                    "id": referral_id,
                    "title": "Closed: " + vocab.CLOSURE_OUTCOMES.get(referral["outcome"], ""),
                    "detail": "",
                }
            )
        order = {"referral": 0, "allocation": 1, "closure": 9}
        return sorted(items, key=lambda i: (i["date"], order.get(i["kind"], 5)), reverse=True)
