"""Onboarding a service's existing records from CSV (issue 12, item 7). No Qt.

* **Schools** from the DfE "Get Information about Schools" (GIAS) extract: Windows-1252
  text with the columns ``URN``, ``EstablishmentName``, ``LA (code)``, ``LA (name)``,
  ``TypeOfEstablishment (name)``, ``EstablishmentTypeGroup (name)``,
  ``EstablishmentStatus (name)``, ``PhaseOfEducation (name)`` and ``Postcode`` (``Street``
  and ``Town`` are used for the address when present). Only the given local authority's
  open schools are imported; they are matched to the store's schools by URN.
* **Pupils, open referrals and caseworkers** from any CSV, through a column mapping (a JSON
  object: the record's field -> the file's column heading; see ``TARGETS``). Pupils are
  matched by UPN, else by first name, last name and date of birth; referrals by pupil,
  referral date and reason; caseworkers by email, else name.

Every import is planned first (``plan_*``): each row is created, updated (only the fields
that differ), unchanged, skipped (another authority's or a closed school) or refused with
the reason. ``apply_plan`` writes a plan in one transaction, and only a plan with no refused
row unless told to leave those out: nothing is ever half-imported. Importing the same file
again finds every row unchanged and writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

Progress = Callable[[int, int], None]  # (rows done, rows in all)

from desktop.caseload import vocab
from desktop.dates import parse_uk
from desktop.store import Store, StoreError
from sync import rules


class ImportRefused(StoreError):
    """The file cannot be imported as a whole (its message says why); nothing was written."""


@dataclass
class Row:
    """One row of an import file and what the import would do with it."""

    line: int  # the row's line in the file (the heading is line 1)
    action: str  # create, update, unchanged, skip, refuse
    entity: str
    values: dict = field(default_factory=dict)
    record_id: str | None = None
    reason: str = ""
    label: str = ""


@dataclass
class Plan:
    """What importing a file would do, row by row (a dry run shows it; ``apply`` does it)."""

    entity: str
    rows: list[Row] = field(default_factory=list)

    def count(self, action: str) -> int:
        """How many rows the import would ``action`` (create, update, unchanged, skip...)."""
        return sum(1 for r in self.rows if r.action == action)

    @property
    def refused(self) -> list[Row]:
        """The rows the import refuses, each with its reason."""
        return [r for r in self.rows if r.action == "refuse"]

    def summary(self) -> str:
        """The plan in one line: how many rows to create, update, leave, skip and refuse."""
        return (
            f"{self.count('create')} to create, {self.count('update')} to update, "
            f"{self.count('unchanged')} unchanged, {self.count('skip')} skipped, "
            f"{self.count('refuse')} refused"
        )


# -- reading files ----------------------------------------------------------------------------
def read_csv(path: Path | str, encoding: str | None = None) -> tuple[list[str], list[dict]]:
    """The heading and rows of a CSV file. UTF-8 (with or without a byte-order mark) is
    read as such; anything else as Windows-1252 (what GIAS and Excel write)."""
    data = Path(path).read_bytes()
    if encoding is None:
        if data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        else:
            try:
                data.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = "cp1252"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"{path} is not readable as {encoding} text ({exc.reason}). Nothing has been imported."
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    heading = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = heading
    return heading, list(reader)


def _clean(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


# -- schools from GIAS ----------------------------------------------------------------------
GIAS_COLUMNS = (
    "URN",
    "EstablishmentName",
    "LA (code)",
    "LA (name)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "Postcode",
)
GOVERNANCE_BY_GROUP = {
    "local authority maintained schools": "maintained",
    "academies": "academy",
    "free schools": "free_school",
    "independent schools": "independent",
}
PHASE_BY_GIAS = {
    "nursery": "nursery",
    "primary": "primary",
    "middle deemed primary": "primary",
    "secondary": "secondary",
    "middle deemed secondary": "secondary",
    "16 plus": "secondary",
    "all-through": "all_through",
}
NOT_SCHOOLS = ("colleges", "universities", "children's centres", "online provider", "welsh schools", "other types")


def _school_from_gias(row: dict) -> tuple[dict, str | None]:
    """A school record's fields from a GIAS row, or the reason it cannot be one."""
    group = _clean(row.get("EstablishmentTypeGroup (name)"))
    kind = _clean(row.get("TypeOfEstablishment (name)"))
    if group.lower() in NOT_SCHOOLS:
        return {}, f"'{group}' ({kind}) is not a school the service works with"
    governance = GOVERNANCE_BY_GROUP.get(group.lower())
    if governance is None and group.lower() == "special schools":
        governance = "independent" if "non-maintained" in kind.lower() else "maintained"
    if governance is None and "academ" in kind.lower():
        governance = "academy"
    lowered = kind.lower()
    if "special" in lowered:
        phase = "special"
    elif "pupil referral" in lowered or "alternative provision" in lowered:
        phase = "ap"
    else:
        phase = PHASE_BY_GIAS.get(_clean(row.get("PhaseOfEducation (name)")).lower())
    address = ", ".join(
        p for p in (_clean(row.get("Street")), _clean(row.get("Town")), _clean(row.get("Postcode"))) if p
    )
    values = {
        "name": _clean(row.get("EstablishmentName")),
        "urn": _clean(row.get("URN")),
        "phase": phase,
        "governance": governance,
        "area": _clean(row.get("LA (name)")) or None,
        "address": address or None,
    }
    if not values["name"]:
        return {}, "it has no EstablishmentName"
    urn = values["urn"]
    if not (urn.isdigit() and 6 <= len(urn) <= 7):
        return {}, f"URN {urn!r} is not a 6- or 7-digit unique reference number"
    return values, None


def plan_schools(store: Store, path: Path | str, la_code: str, progress: Progress | None = None) -> Plan:
    """Plan importing a GIAS extract: the open schools of local authority ``la_code``,
    matched with the store's schools by URN."""
    heading, rows = read_csv(path)
    missing = [c for c in GIAS_COLUMNS if c not in heading]
    if missing:
        raise ImportRefused(
            f"{path} is not a GIAS extract: it has no column(s) {', '.join(missing)}. Nothing has been imported."
        )
    by_urn = {r["urn"]: r for r in store.db.query("SELECT * FROM school WHERE deleted = 0 AND urn IS NOT NULL")}
    plan = Plan("school")
    seen: dict[str, int] = {}
    la_code = la_code.strip()
    for line, row in _counted(rows, progress):
        if _clean(row.get("LA (code)")) != la_code:
            plan.rows.append(Row(line, "skip", "school", reason="another local authority"))
            continue
        status = _clean(row.get("EstablishmentStatus (name)")).lower()
        if not status.startswith("open"):
            plan.rows.append(Row(line, "skip", "school", reason="not open"))
            continue
        values, problem = _school_from_gias(row)
        label = f"{_clean(row.get('EstablishmentName'))} (URN {_clean(row.get('URN'))})"
        if problem is None and values["urn"] in seen:
            problem = f"URN {values['urn']} is also on line {seen[values['urn']]}"
        if problem is None:
            problem = _field_problems("school", values)
        if problem:
            plan.rows.append(Row(line, "refuse", "school", reason=problem, label=label))
            continue
        seen[values["urn"]] = line
        plan.rows.append(_match(line, "school", values, by_urn.get(values["urn"]), label))
    return plan


def gias_authorities(path: Path | str) -> list[tuple[str, str, int]]:
    """The local authorities of a GIAS extract: (code, name, open schools), most schools
    first (what the import dialog offers to choose from)."""
    heading, rows = read_csv(path)
    missing = [c for c in GIAS_COLUMNS if c not in heading]
    if missing:
        raise ImportRefused(f"{path} is not a GIAS extract: it has no column(s) {', '.join(missing)}.")
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        if _clean(row.get("EstablishmentStatus (name)")).lower().startswith("open"):
            key = (_clean(row.get("LA (code)")), _clean(row.get("LA (name)")))
            counts[key] = counts.get(key, 0) + 1
    return sorted(((code, name, n) for (code, name), n in counts.items() if code), key=lambda t: (-t[2], t[1]))


def _counted(rows: list[dict], progress: Progress | None, every: int = 250):
    """(line, row) for each row, the heading being line 1; tells ``progress`` as it goes."""
    total = len(rows)
    for i, row in enumerate(rows):
        if progress is not None and i % every == 0:
            progress(i, total)
        yield i + 2, row
    if progress is not None:
        progress(total, total)


def _field_problems(entity: str, values: dict) -> str | None:
    problems = rules.problems(entity, {k: v for k, v in values.items() if v is not None})
    return "; ".join(problems.values()) if problems else None


def _match(line: int, entity: str, values: dict, existing: dict | None, label: str) -> Row:
    """Create, or update only the fields that differ (blanks in the file change nothing)."""
    if existing is None:
        return Row(line, "create", entity, {k: v for k, v in values.items() if v is not None}, label=label)
    changed = {k: v for k, v in values.items() if v is not None and existing.get(k) != v}
    if not changed:
        return Row(line, "unchanged", entity, record_id=existing["id"], label=label)
    return Row(line, "update", entity, changed, record_id=existing["id"], label=label)


# -- pupils, referrals and caseworkers through a column mapping ------------------------------
# What a mapping may name for each kind of file: the record's fields, and the columns that
# find the records it refers to (pupil_*, school_urn, caseworker_*).
TARGETS = {
    "pupil": (
        "first_name",
        "last_name",
        "date_of_birth",
        "year_group",
        "gender",
        "upn",
        "fsm",
        "pupil_premium",
        "sen",
        "eal",
        "looked_after",
        "school_urn",
    ),
    "referral": (
        "pupil_upn",
        "pupil_first_name",
        "pupil_last_name",
        "pupil_date_of_birth",
        "school_urn",
        "referral_date",
        "reason",
        "concern",
        "source",
        "status",
        "caseworker_name",
        "caseworker_email",
        "allocated_on",
        "fixed_exclusions_before",
        "permanent_exclusions_before",
    ),
    "caseworker": ("name", "email", "role", "team", "area", "specialisms"),
}
REQUIRED = {
    "pupil": ("first_name", "last_name", "school_urn"),
    "referral": ("referral_date", "reason"),
    "caseworker": ("name",),
}
# What the import dialog calls each field, and the headings it recognises for it (besides
# the field's own name): compared with spaces, case and punctuation ignored.
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "year_group": "Year group",
    "gender": "Gender",
    "upn": "UPN",
    "fsm": "Free school meals",
    "pupil_premium": "Pupil premium",
    "sen": "SEN status",
    "eal": "EAL",
    "looked_after": "Looked after",
    "school_urn": "School URN",
    "pupil_upn": "Pupil's UPN",
    "pupil_first_name": "Pupil's first name",
    "pupil_last_name": "Pupil's last name",
    "pupil_date_of_birth": "Pupil's date of birth",
    "referral_date": "Referral date",
    "reason": "Reason",
    "concern": "Concern",
    "source": "Source",
    "status": "Status",
    "caseworker_name": "Caseworker's name",
    "caseworker_email": "Caseworker's email",
    "allocated_on": "Allocated on",
    "fixed_exclusions_before": "Fixed exclusions before",
    "permanent_exclusions_before": "Permanent exclusions before",
    "name": "Name",
    "email": "Email",
    "role": "Role",
    "team": "Team",
    "area": "Area",
    "specialisms": "Specialisms",
}
_SYNONYMS = {
    "first_name": ("forename", "given name", "legal forename", "preferred forename", "first names"),
    "last_name": ("surname", "family name", "legal surname", "last names"),
    "date_of_birth": ("dob", "birth date", "d o b"),
    "year_group": ("year", "nc year", "ncyear", "national curriculum year", "yr"),
    "gender": ("sex",),
    "upn": ("unique pupil number",),
    "fsm": ("free school meals", "fsm eligible", "fsm6"),
    "pupil_premium": ("pp", "pupil premium eligible"),
    "sen": ("send", "sen status", "send status", "sen provision"),
    "eal": ("english as an additional language",),
    "looked_after": ("cla", "lac", "child looked after", "looked after child"),
    "school_urn": ("urn", "school urn number"),
    "pupil_upn": ("upn", "unique pupil number"),
    "pupil_first_name": ("first name", "forename", "pupil forename"),
    "pupil_last_name": ("last name", "surname", "pupil surname"),
    "pupil_date_of_birth": ("date of birth", "dob", "pupil dob"),
    "referral_date": ("date referred", "referred on", "date of referral", "referral received"),
    "reason": ("referral reason", "reason for referral", "primary reason"),
    "concern": ("concerns", "details", "description", "presenting concern"),
    "source": ("referred by", "referral source", "referrer"),
    "status": ("referral status", "case status"),
    "caseworker_name": ("caseworker", "worker", "allocated to", "practitioner", "allocated worker"),
    "caseworker_email": ("worker email", "practitioner email"),
    "allocated_on": ("allocation date", "date allocated", "allocated"),
    "fixed_exclusions_before": ("fixed exclusions", "fixed term exclusions", "suspensions"),
    "permanent_exclusions_before": ("permanent exclusions",),
    "name": ("caseworker", "full name", "caseworker name", "worker", "practitioner"),
    "email": ("e mail", "email address", "work email"),
    "role": ("job title", "position"),
    "team": ("team name",),
    "area": ("patch", "locality"),
    "specialisms": ("specialism", "specialities", "expertise"),
}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def guess_mapping(entity: str, heading: list[str]) -> dict[str, str]:
    """A first column mapping for a file: each field of ``entity`` (``TARGETS``) whose name,
    label or a usual heading for it matches one of the file's headings (spaces, case and
    punctuation ignored), each heading given to one field at most, a field's own name
    first. The dialog shows it for a person to correct."""
    columns = {_squash(h): h for h in reversed(heading) if h.strip()}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for exact in (True, False):  # a field's own name or label before any usual heading
        for target in TARGETS[entity]:
            if target in mapping:
                continue
            names = [target, FIELD_LABELS.get(target, target)] if exact else list(_SYNONYMS.get(target, ()))
            for name in names:
                column = columns.get(_squash(name.replace("_", " ")))
                if column is not None and column not in used:
                    mapping[target] = column
                    used.add(column)
                    break
    return {t: mapping[t] for t in TARGETS[entity] if t in mapping}


def required_fields(entity: str) -> tuple[str, ...]:
    """The fields a mapping must name a column for (a referral's pupil is found by UPN, or
    else by first name, last name and date of birth: those are asked for when no UPN is)."""
    return REQUIRED[entity]


_BOOLEANS = {"y": 1, "yes": 1, "true": 1, "1": 1, "n": 0, "no": 0, "false": 0, "0": 0}


def load_mapping(entity: str, source: Path | str | dict, heading: list[str]) -> dict[str, str]:
    """The mapping (field -> column) checked against the file's heading."""
    if isinstance(source, dict):
        mapping = source
    else:
        try:
            mapping = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ImportRefused(
                f"The column mapping {source} could not be read ({exc}). Nothing has been imported."
            ) from exc
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ImportRefused(
            "A column mapping is a JSON object of field name to column heading. Nothing has been imported."
        )
    unknown = sorted(set(mapping) - set(TARGETS[entity]))
    if unknown:
        raise ImportRefused(
            f"The mapping names {', '.join(unknown)}, which a {entity} import "
            f"does not know (it knows {', '.join(TARGETS[entity])}). Nothing "
            "has been imported."
        )
    absent = sorted(c for c in mapping.values() if c not in heading)
    if absent:
        raise ImportRefused(
            f"The file has no column(s) {', '.join(absent)} named in the mapping. Nothing has been imported."
        )
    needed = [f for f in REQUIRED[entity] if f not in mapping]
    if (
        entity == "referral"
        and "pupil_upn" not in mapping
        and not all(f in mapping for f in ("pupil_first_name", "pupil_last_name", "pupil_date_of_birth"))
    ):
        needed.append("pupil_upn (or pupil_first_name, pupil_last_name and pupil_date_of_birth)")
    if needed:
        raise ImportRefused(f"The mapping must name a column for {', '.join(needed)}. Nothing has been imported.")
    return mapping


def _choice(value: str, choices: dict, what: str):
    """A vocabulary value from its value or its label (any case)."""
    lowered = value.strip().lower()
    for key, label in choices.items():
        if lowered in (str(key).lower(), label.lower()):
            return key
    raise ValueError(f"{what} {value!r} is not one of {', '.join(choices.values())}")


def _date(value: str, what: str) -> str:
    try:
        return parse_uk(value).isoformat()
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date (DD/MM/YYYY)") from None


def _year_group(value: str) -> int:
    text = value.strip().lower().removeprefix("year").strip()
    if text in ("r", "reception"):
        return 0
    if text in ("n", "nursery"):
        return -1
    try:
        year = int(text)
    except ValueError:
        raise ValueError(f"Year group {value!r} is not a year group") from None
    if year not in vocab.YEAR_GROUPS:
        raise ValueError(f"Year group {value!r} is outside Nursery to Year 13")
    return year


def _boolean(value: str, what: str) -> int:
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError:
        raise ValueError(f"{what} {value!r} is not yes or no") from None


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a whole number") from None


CONVERT = {
    "date_of_birth": lambda v: _date(v, "Date of birth"),
    "referral_date": lambda v: _date(v, "Referral date"),
    "allocated_on": lambda v: _date(v, "Allocated on"),
    "pupil_date_of_birth": lambda v: _date(v, "Date of birth"),
    "year_group": _year_group,
    "gender": lambda v: _choice(v, vocab.GENDERS, "Gender"),
    "sen": lambda v: _choice(v, vocab.SEN_STATUS, "SEN status"),
    "reason": lambda v: _choice(v, vocab.REFERRAL_REASONS, "Reason"),
    "source": lambda v: _choice(v, vocab.REFERRAL_SOURCES, "Source"),
    "status": lambda v: _choice(v, vocab.REFERRAL_STATUSES, "Status"),
    **{
        name: (lambda n: lambda v: _boolean(v, n.replace("_", " ").capitalize()))(name)
        for name in ("fsm", "pupil_premium", "eal", "looked_after")
    },
    "fixed_exclusions_before": lambda v: _int(v, "Fixed exclusions"),
    "permanent_exclusions_before": lambda v: _int(v, "Permanent exclusions"),
    "specialisms": lambda v: json.dumps([s.strip() for s in v.replace(",", ";").split(";") if s.strip()]),
}


def _mapped(row: dict, mapping: dict[str, str]) -> dict:
    """The row's mapped values, converted; ValueError naming the first bad one."""
    out = {}
    for target, column in mapping.items():
        raw = _clean(row.get(column))
        if raw == "":
            continue
        out[target] = CONVERT[target](raw) if target in CONVERT else raw
    return out


def _key(*parts) -> tuple:
    return tuple(str(p or "").strip().lower() for p in parts)


def plan_mapped(
    store: Store, entity: str, path: Path | str, mapping_source: Path | str | dict, progress: Progress | None = None
) -> Plan:
    """Plan importing pupils, referrals or caseworkers (``entity``) from a CSV file whose
    columns ``mapping_source`` maps to the record's fields."""
    heading, rows = read_csv(path)
    mapping = load_mapping(entity, mapping_source, heading)
    planner = {"pupil": _plan_pupil, "referral": _plan_referral, "caseworker": _plan_caseworker}[entity]
    return planner(store, rows, mapping, progress)


def _schools_by_urn(store: Store) -> dict[str, str]:
    return {r[0]: r[1] for r in store.conn.execute("SELECT urn, id FROM school WHERE deleted = 0 AND urn IS NOT NULL")}


def _plan_pupil(store: Store, rows: list[dict], mapping: dict, progress: Progress | None = None) -> Plan:
    schools = _schools_by_urn(store)
    existing = list(store.db.query("SELECT * FROM pupil WHERE deleted = 0"))
    by_upn = {p["upn"].upper(): p for p in existing if p["upn"]}
    by_name = {_key(p["first_name"], p["last_name"], p["date_of_birth"]): p for p in existing}
    plan = Plan("pupil")
    seen: dict[tuple, int] = {}
    for line, row in _counted(rows, progress):
        try:
            values = _mapped(row, mapping)
            missing = [f for f in REQUIRED["pupil"] if not values.get(f)]
            if missing:
                raise ValueError(f"no {', '.join(missing)}")
            urn = values.pop("school_urn")
            if urn not in schools:
                raise ValueError(f"no school with URN {urn} is in the store (import schools first)")
            values["school_id"] = schools[urn]
            if values.get("date_of_birth") and values["date_of_birth"] > date.today().isoformat():
                raise ValueError("the date of birth is in the future")
            if values.get("upn"):
                values["upn"] = values["upn"].upper()
        except ValueError as exc:
            plan.rows.append(Row(line, "refuse", "pupil", reason=str(exc)))
            continue
        label = f"{values['first_name']} {values['last_name']}"
        problem = _field_problems("pupil", values)
        ident = (
            ("upn", values["upn"])
            if values.get("upn")
            else _key(values["first_name"], values["last_name"], values.get("date_of_birth"))
        )
        if problem is None and ident in seen:
            problem = f"the same pupil is also on line {seen[ident]}"
        if problem:
            plan.rows.append(Row(line, "refuse", "pupil", reason=problem, label=label))
            continue
        seen[ident] = line
        match = by_upn.get(values["upn"]) if values.get("upn") else None
        if match is None:
            match = by_name.get(_key(values["first_name"], values["last_name"], values.get("date_of_birth")))
        plan.rows.append(_match(line, "pupil", values, match, label))
    return plan


def _plan_referral(store: Store, rows: list[dict], mapping: dict, progress: Progress | None = None) -> Plan:
    schools = _schools_by_urn(store)
    pupils = list(
        store.db.query("SELECT id, upn, first_name, last_name, date_of_birth, school_id FROM pupil WHERE deleted = 0")
    )
    by_upn = {p["upn"].upper(): p for p in pupils if p["upn"]}
    by_name = {_key(p["first_name"], p["last_name"], p["date_of_birth"]): p for p in pupils}
    workers = list(store.db.query("SELECT id, name, email FROM caseworker WHERE deleted = 0"))
    worker_by_email = {w["email"].lower(): w["id"] for w in workers if w["email"]}
    worker_by_name = {w["name"].lower(): w["id"] for w in workers}
    existing = {
        (r["pupil_id"], r["referral_date"], r["reason"]): r
        for r in store.db.query("SELECT * FROM referral WHERE deleted = 0")
    }
    plan = Plan("referral")
    seen: dict[tuple, int] = {}
    for line, row in _counted(rows, progress):
        try:
            values = _mapped(row, mapping)
            missing = [f for f in REQUIRED["referral"] if not values.get(f)]
            if missing:
                raise ValueError(f"no {', '.join(missing)}")
            upn = values.pop("pupil_upn", "").upper()
            name = _key(
                values.pop("pupil_first_name", ""),
                values.pop("pupil_last_name", ""),
                values.pop("pupil_date_of_birth", ""),
            )
            pupil = by_upn.get(upn) if upn else by_name.get(name)
            if pupil is None:
                raise ValueError("its pupil is not in the store (import pupils first)")
            values["pupil_id"] = pupil["id"]
            urn = values.pop("school_urn", None)
            if urn is not None and urn not in schools:
                raise ValueError(f"no school with URN {urn} is in the store")
            values["school_id"] = schools[urn] if urn else pupil["school_id"]
            if not values["school_id"]:
                raise ValueError("neither the row nor its pupil names a school")
            email = values.pop("caseworker_email", "").lower()
            worker_name = values.pop("caseworker_name", "").lower()
            if email or worker_name:
                worker = worker_by_email.get(email) if email else worker_by_name.get(worker_name)
                if worker is None:
                    raise ValueError("its caseworker is not in the store (import caseworkers first)")
                values["caseworker_id"] = worker
            status = values.setdefault("status", "allocated" if values.get("caseworker_id") else "new")
            if status == "closed":
                raise ValueError("it is closed: only open referrals are imported")
            if status != "new" and not values.get("caseworker_id"):
                raise ValueError(f"a referral that is {status} needs its caseworker")
            if values["referral_date"] > date.today().isoformat():
                raise ValueError("the referral date is in the future")
        except ValueError as exc:
            plan.rows.append(Row(line, "refuse", "referral", reason=str(exc)))
            continue
        label = f"referral of {row.get(mapping.get('pupil_upn', ''), '') or ' '.join(name)}"
        problem = _field_problems("referral", values)
        ident = (values["pupil_id"], values["referral_date"], values["reason"])
        if problem is None and ident in seen:
            problem = f"the same referral is also on line {seen[ident]}"
        if problem:
            plan.rows.append(Row(line, "refuse", "referral", reason=problem, label=label))
            continue
        seen[ident] = line
        plan.rows.append(_match(line, "referral", values, existing.get(ident), label))
    return plan


def _plan_caseworker(store: Store, rows: list[dict], mapping: dict, progress: Progress | None = None) -> Plan:
    workers = list(store.db.query("SELECT * FROM caseworker WHERE deleted = 0"))
    by_email = {w["email"].lower(): w for w in workers if w["email"]}
    by_name = {w["name"].lower(): w for w in workers}
    plan = Plan("caseworker")
    seen: dict[str, int] = {}
    for line, row in _counted(rows, progress):
        try:
            values = _mapped(row, mapping)
            if not values.get("name"):
                raise ValueError("no name")
        except ValueError as exc:
            plan.rows.append(Row(line, "refuse", "caseworker", reason=str(exc)))
            continue
        ident = (values.get("email") or values["name"]).lower()
        problem = _field_problems("caseworker", values)
        if problem is None and ident in seen:
            problem = f"the same caseworker is also on line {seen[ident]}"
        if problem:
            plan.rows.append(Row(line, "refuse", "caseworker", reason=problem, label=values["name"]))
            continue
        seen[ident] = line
        match = by_email.get(values["email"].lower()) if values.get("email") else None
        match = match or by_name.get(values["name"].lower())
        plan.rows.append(_match(line, "caseworker", values, match, values["name"]))
    return plan


# -- writing a plan ---------------------------------------------------------------------------
def apply_plan(store: Store, plan: Plan, *, leave_out_refused: bool = False, progress: Progress | None = None) -> dict:
    """Write the plan's creates and updates in one transaction. A plan with refused rows is
    refused as a whole unless ``leave_out_refused``. Returns the counts written."""
    if plan.refused and not leave_out_refused:
        raise ImportRefused(
            f"{len(plan.refused)} row(s) cannot be imported (see the dry run for each and why); "
            "nothing has been imported. Correct them, or import the rest and leave them out."
        )
    created = updated = 0
    with store.transaction():
        for _line, row in _counted(plan.rows, progress):
            if row.action == "create":
                row.record_id = store.create(plan.entity, row.values)
                created += 1
            elif row.action == "update":
                store.update(plan.entity, row.record_id, row.values)
                updated += 1
        store.log("import", plan.entity, None, f"{created} created, {updated} updated")
    return {"created": created, "updated": updated}


KINDS = {
    "school": "Schools (GIAS extract)",
    "pupil": "Pupils",
    "referral": "Open referrals",
    "caseworker": "Caseworkers",
}


def plan_file(
    store: Store,
    kind: str,
    path: Path | str,
    *,
    la_code: str = "",
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> Plan:
    """The dry run of importing ``path`` as ``kind`` (a ``KINDS`` key): schools from a GIAS
    extract for ``la_code``, anything else through ``mapping``. Writes nothing."""
    if kind == "school":
        if not la_code.strip():
            raise ImportRefused("Choose the local authority whose schools to import.")
        return plan_schools(store, path, la_code, progress)
    return plan_mapped(store, kind, path, mapping or {}, progress)


def import_file(
    store: Store,
    kind: str,
    path: Path | str,
    *,
    la_code: str = "",
    mapping: dict[str, str] | None = None,
    leave_out_refused: bool = False,
    progress: Progress | None = None,
) -> tuple[Plan, dict]:
    """Plan and write in one go, on the store that writes (the plan is made again there, so
    it is what the store holds at that moment): the plan and the counts written. Refused
    as a whole (nothing written) when rows are refused, unless ``leave_out_refused``."""

    def half(offset: int):
        """Progress for one half of the work: planning (0), then writing (1)."""
        return None if progress is None else (lambda done, total: progress(offset * total + done, 2 * total))

    plan = plan_file(store, kind, path, la_code=la_code, mapping=mapping, progress=half(0))
    counts = apply_plan(store, plan, leave_out_refused=leave_out_refused, progress=half(1))
    return plan, counts


def describe_refusals(plan: Plan) -> list[str]:
    """Each refused row as a line a person reads: its line number, label and reason."""
    return [f"line {r.line}{f' ({r.label})' if r.label else ''}: {r.reason}" for r in plan.refused]
