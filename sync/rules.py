"""What a syncable record's fields may hold: one place for the server and the laptop.

The server refuses (422) any pushed value that breaks these rules, and the laptop's store
refuses to write one (``ValidationError``), so no laptop ever queues a change the server
will refuse, and the server never hands a laptop a value that laptop cannot store (a
value one laptop cannot store stops its whole pull).

What is read from the store's own migrations (``desktop.store.schema``, through an
in-memory SQLite copy, as ``sync.protocol.shapes`` does): each field's column type
(TEXT or INTEGER), whether it may be null, which fields name another record, and the
UNIQUE indexes (one ``form_answer`` per completion and item, one ``observation_event``
per observation and sequence number). What is declared here, once (``DECLARED``): what
each field means (a date, a JSON list, a choice from the service's vocabulary...) and its
size limit. Every value, whatever its field, must also be storable everywhere: text is
valid Unicode (no lone surrogates) without NUL characters, integers fit SQLite's 64 bits,
numbers are finite. See "Validation" in docs/sync-protocol.md.

Checks are built once per field (closures), so validating a push costs a dictionary
lookup and a few comparisons per field. This module imports no database driver.
"""

from __future__ import annotations

import functools
import hashlib
import json
import json.scanner
import math
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii
from typing import Any, Callable

from desktop.caseload import vocab
from desktop.store.schema import MIGRATIONS, SYNCABLE

INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # SQLite's INTEGER

# Size limits, in characters. A character takes at most 4 bytes in UTF-8.
ID = 36  # a record id (a UUID); the server's id columns are 36 wide
CODE = 64  # a value from a fixed list, a short code
NAME = 200  # a name, a title, an e-mail address, a pack or item id
TEAM = 100  # a team name: the server's team column is 100 wide
SHORT_TEXT = 4096  # a line or a short paragraph: an address, who attended, a call's topic
LONG_TEXT = 65536  # narrative: notes, concerns, advice, targets (64 KiB of text)
JSON_SMALL = 4096  # a short JSON list (specialisms, review dates)
JSON_SCHEME = 262144  # a coding scheme's definition (256 KiB)
JSON_EVENT = 1048576  # one observation event (the first carries the whole scheme): 1 MiB
JSON_REVIEW = 262144  # a PSP review's targets, ratings and notes: 256 KiB
JSON_REPORT = 1048576  # a report's sections or evidence (a long report is ~100 KiB): 1 MiB
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024  # one attachment's file (desktop.store.attachments)

# Patterns both sides check, each written once. The ``*_PATTERN`` strings are what the
# server's routes and schemas declare (and publish in the OpenAPI/JSON Schema); the
# ``valid_*`` functions are what Python code calls (``fullmatch``: no trailing newline).
SHA256_PATTERN = r"^[0-9a-f]{64}$"  # an attachment's or a pack's SHA-256: lowercase hex
# A pack's id and the ids inside a pack (scales, items): also a safe file name.
PACK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
PACK_ID_MAX = NAME  # the server's pack id column
_SHA256_FULL = re.compile(SHA256_PATTERN[1:-1])
_PACK_ID_FULL = re.compile(PACK_ID_PATTERN[1:-1])


def valid_sha256(value: Any) -> bool:
    """Whether ``value`` is a SHA-256 as attachments and packs name them (64 lowercase
    hex digits)."""
    return isinstance(value, str) and _SHA256_FULL.fullmatch(value) is not None


def valid_content_id(value: Any) -> bool:
    """Whether ``value`` is an id a pack may use for itself or its scales and items."""
    return isinstance(value, str) and _PACK_ID_FULL.fullmatch(value) is not None


def valid_pack_id(value: Any) -> bool:
    """Whether ``value`` is a pack id a laptop installs (and a safe file name)."""
    return valid_content_id(value) and len(value) <= PACK_ID_MAX


# The store's CHECK constraints and vocabularies not in desktop.caseload.vocab.
COMPLETION_STATUSES = ("draft", "final")
OBSERVATION_STATUSES = ("recording", "ended", "final")
# desktop.forms.records.COMPLETED_BY and TIME_POINTS (a test checks they agree).
COMPLETED_BY = ("teacher", "parent", "pupil", "practitioner")
TIME_POINTS = ("T1", "T2", "T3", "other")
REPORT_KINDS = ("visit", "psp", "progress")
AUDIT_ACTION_STATUSES = ("open", "in_progress", "done", "not_done")
EXCLUSION_KINDS = ("fixed", "permanent")


@dataclass(frozen=True)
class Rule:
    """What one field holds. ``kind``: text, date, datetime, json, sha256, choice,
    integer or boolean (an INTEGER 0 or 1)."""

    kind: str
    max_length: int | None = None
    choices: tuple | None = None
    minimum: int | None = None
    maximum: int | None = None
    json_type: type | None = None  # list or dict: what the JSON text must hold


def text(n: int) -> Rule:
    return Rule("text", max_length=n)


def choice(values) -> Rule:
    return Rule("choice", max_length=CODE, choices=tuple(values))


def integer(minimum: int = INT_MIN, maximum: int = INT_MAX) -> Rule:
    return Rule("integer", minimum=minimum, maximum=maximum)


def json_text(n: int, json_type: type) -> Rule:
    return Rule("json", max_length=n, json_type=json_type)


DATE = Rule("date", max_length=10)  # ISO 8601: 2026-11-02
DATETIME = Rule("datetime", max_length=40)  # ISO 8601: 2026-11-02T09:15:00Z
BOOLEAN = Rule("boolean", choices=(0, 1))
REFERENCE = Rule("text", max_length=ID)  # a record's id

# Every syncable field that is not only a reference. Fields naming another record (their
# column REFERENCES it) are ids (``REFERENCE``) without being listed.
DECLARED: dict[str, dict[str, Rule]] = {
    "school": {
        "name": text(NAME),
        "urn": text(CODE),
        "phase": choice(vocab.SCHOOL_PHASES),
        "governance": choice(vocab.GOVERNANCE),
        "area": text(NAME),
        "address": text(SHORT_TEXT),
        "phone": text(CODE),
    },
    "caseworker": {
        "name": text(NAME),
        "email": text(320),
        "role": text(CODE),
        "team": text(TEAM),
        "area": text(NAME),
        "specialisms": json_text(JSON_SMALL, list),
    },
    "pupil": {
        "first_name": text(NAME),
        "last_name": text(NAME),
        "date_of_birth": DATE,
        "year_group": integer(min(vocab.YEAR_GROUPS), max(vocab.YEAR_GROUPS)),
        "gender": choice(vocab.GENDERS),
        "upn": text(CODE),
        "fsm": BOOLEAN,
        "pupil_premium": BOOLEAN,
        "sen": choice(vocab.SEN_STATUS),
        "eal": BOOLEAN,
        "looked_after": BOOLEAN,
    },
    "referral": {
        "referral_date": DATE,
        "reason": choice(vocab.REFERRAL_REASONS),
        "concern": text(LONG_TEXT),
        "source": choice(vocab.REFERRAL_SOURCES),
        "status": choice(vocab.REFERRAL_STATUSES),
        "allocated_on": DATE,
        "closed_on": DATE,
        "outcome": choice(vocab.CLOSURE_OUTCOMES),
        "fixed_exclusions_before": integer(0, 10000),
        "permanent_exclusions_before": integer(0, 10000),
        "fixed_exclusions_after": integer(0, 10000),
        "permanent_exclusions_after": integer(0, 10000),
    },
    "visit": {
        "visit_date": DATE,
        "visit_type": choice(vocab.VISIT_TYPES),
        "attendees": text(SHORT_TEXT),
        "notes": text(LONG_TEXT),
        "recommendations": text(LONG_TEXT),
    },
    "support_plan": {
        "start_date": DATE,
        "targets": text(LONG_TEXT),
        "strategies": text(LONG_TEXT),
        "review_dates": json_text(JSON_SMALL, list),
        "parent_involvement": text(LONG_TEXT),
        "status": choice(vocab.PLAN_STATUSES),
    },
    "helpline_call": {
        "call_date": DATE,
        "caller": text(NAME),
        "caller_role": choice(vocab.CALLER_ROLES),
        "topic": text(SHORT_TEXT),
        "advice": text(LONG_TEXT),
        "outcome": choice(vocab.CALL_OUTCOMES),
    },
    "form_completion": {
        "pack_id": text(NAME),
        "pack_version": text(TEAM),
        "informant": text(CODE),
        "age_band": text(CODE),
        "completed_by": choice(COMPLETED_BY),
        "respondent": text(NAME),
        "completed_on": DATE,
        "time_point": choice(TIME_POINTS),
        "status": choice(COMPLETION_STATUSES),
        "finalised_at": DATETIME,
    },
    "form_answer": {"item_id": text(NAME), "value": Rule("json", max_length=LONG_TEXT)},
    "observation": {
        "lesson": text(SHORT_TEXT),
        "scheme_name": text(NAME),
        "interval_seconds": integer(1, INT_MAX),
        "status": choice(OBSERVATION_STATUSES),
        "observation_version": integer(1, INT_MAX),
        "supersedes": REFERENCE,
        "started_at": DATETIME,
        "ended_at": DATETIME,
    },
    "observation_event": {
        "seq": integer(0, INT_MAX),
        "type": text(CODE),
        "payload": json_text(JSON_EVENT, dict),
    },
    "coding_scheme": {"name": text(NAME), "definition": json_text(JSON_SCHEME, dict)},
    "attachment": {
        "sha256": Rule("sha256", max_length=64),
        "size": integer(0, MAX_ATTACHMENT_BYTES),
        "media_type": text(255),
        "filename": text(255),
        "title": text(SHORT_TEXT),
        "criterion_id": text(NAME),
    },
    "report": {
        "kind": choice(REPORT_KINDS),
        "report_date": DATE,
        "sections": json_text(JSON_REPORT, dict),
        "evidence": json_text(JSON_REPORT, dict),
        "status": choice(COMPLETION_STATUSES),
        "finalised_at": DATETIME,
        "issued_sha256": Rule("sha256", max_length=64),
    },
    "audit": {
        "template_id": text(NAME),
        "template_version": text(TEAM),
        "conducted_on": DATE,
        "status": choice(COMPLETION_STATUSES),
        "finalised_at": DATETIME,
        "good_practice": text(LONG_TEXT),
        "notes": text(LONG_TEXT),
    },
    "audit_rating": {
        # A rating's value is a scale level, yes/no, a number or a short text (by criterion).
        "criterion_id": text(NAME),
        "value": text(SHORT_TEXT),
        "rated_at": DATETIME,
        "evidence": text(LONG_TEXT),
        "evidence_at": DATETIME,
        "good_practice": BOOLEAN,
    },
    "audit_judgement": {
        "section_id": text(NAME),
        "value": text(NAME),
        "strengths": text(LONG_TEXT),
        "development": text(LONG_TEXT),
    },
    "audit_action": {
        "action": text(LONG_TEXT),
        "owner": text(NAME),
        "due_on": DATE,
        "status": choice(AUDIT_ACTION_STATUSES),
        "criteria": json_text(LONG_TEXT, list),
        "progress": text(LONG_TEXT),
    },
    "audit_meeting": {
        "held_on": DATE,
        "attendees": text(SHORT_TEXT),
        "agreed": text(LONG_TEXT),
    },
    "plan_review": {
        "review_date": DATE,
        "ratings": json_text(JSON_REVIEW, list),
        "notes": text(LONG_TEXT),
    },
    "exclusion": {
        "exclusion_date": DATE,
        "kind": choice(EXCLUSION_KINDS),
        "notes": text(LONG_TEXT),
    },
}

# What people call the record types in messages.
ENTITY_LABELS = {
    "school": "School",
    "caseworker": "Caseworker",
    "pupil": "Pupil",
    "referral": "Referral",
    "visit": "Visit",
    "support_plan": "Support plan",
    "helpline_call": "Helpline call",
    "form_completion": "Form",
    "form_answer": "Form answer",
    "observation": "Observation",
    "observation_event": "Observation event",
    "coding_scheme": "Coding scheme",
    "attachment": "Attachment",
    "report": "Report",
    "audit": "School audit",
    "audit_rating": "Audit rating",
    "audit_judgement": "Audit judgement",
    "audit_action": "Action point",
    "audit_meeting": "Feedback meeting",
    "plan_review": "PSP review",
    "exclusion": "Exclusion",
}
_SYNC_COLUMNS = frozenset({"id", "version", "field_versions", "modified_at", "deleted"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


FIELD_WORDS = {
    "fsm": "free school meals",
    "sen": "SEN status",
    "eal": "EAL",
    "upn": "UPN",
    "urn": "URN",
    "seq": "sequence number",
    "call_date": "date",
    "sha256": "SHA-256",
    "specialisms": "specialisms (JSON list)",
}


def label(entity: str, name: str) -> str:
    """A field as people say it: ``visit.notes`` -> "Visit notes", ``visit.visit_date`` ->
    "Visit date", ``pupil.school_id`` -> "Pupil school"."""
    entity_words = ENTITY_LABELS.get(entity, entity)
    words = FIELD_WORDS.get(name) or (name[:-3] if name.endswith("_id") else name).replace("_", " ")
    if words.lower().startswith(entity_words.lower() + " "):
        return entity_words + words[len(entity_words) :]
    return f"{entity_words} {words}"


# -- checks on any value ------------------------------------------------------------------


def text_problem(value: Any, max_length: int) -> str | None:
    """Why ``value`` is not text every laptop and both server databases can store, or None."""
    if not isinstance(value, str):
        return "must be text"
    if len(value) > max_length:
        return f"is too long: at most {max_length:,} characters (this has {len(value):,})"
    if "\x00" in value:
        return "contains a NUL character, which cannot be stored"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains broken characters (a lone surrogate), which cannot be stored"
    return None


def _no_constant(token: str):
    raise ValueError(f"{token} is not a number JSON allows")


_strict_decoder = json.JSONDecoder(parse_constant=_no_constant)
_scan = json.scanner.make_scanner(_strict_decoder)


def _strict_json(value: str) -> Any:
    """``json.loads(value, parse_constant=_no_constant)``: the value, or ValueError. Text
    that is one JSON value and nothing else (the usual case) is read by the scanner alone;
    anything else (surrounding spaces, an error to report) by the whole decoder."""
    try:
        parsed, end = _scan(value, 0)
    except StopIteration:
        end = -1
    return parsed if end == len(value) else _strict_decoder.decode(value)


def _number_problem(value: Any) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    return None


def _checker(rule: Rule, nullable: bool) -> Callable[[Any], str | None]:
    """One field's check: value -> what is wrong with it (a phrase), or None."""
    kind = rule.kind
    empty = None if nullable else "cannot be empty"  # what a null gets
    if kind in ("integer", "boolean"):
        low = INT_MIN if rule.minimum is None else rule.minimum
        high = INT_MAX if rule.maximum is None else rule.maximum
        allowed = rule.choices

        def check(value):
            if value is None:
                return empty
            if isinstance(value, float):
                return _number_problem(value) or "must be a whole number"
            if not isinstance(value, int):  # bool is an int: stored as 0 or 1
                return "must be a whole number"
            if allowed is not None:
                return None if value in allowed else "must be 0 (no) or 1 (yes)"
            if not low <= value <= high:
                return f"must be between {low:,} and {high:,}"
            return None
    elif kind in ("text", "choice", "date", "datetime", "json", "sha256"):
        limit = rule.max_length or LONG_TEXT
        allowed = frozenset(rule.choices or ())
        json_type = rule.json_type

        # An optional choice, date or time may be empty text (what a form's blank gives).
        blank_ok = nullable and kind in ("choice", "date", "datetime")

        def check(value):
            if value is None:
                return empty
            # The common case (short ASCII text) costs four quick tests.
            if not (value.__class__ is str and len(value) <= limit and value.isascii() and "\x00" not in value):
                problem = _number_problem(value) or text_problem(value, limit)
                if problem is not None:
                    return problem
            if kind == "text":
                return None
            if blank_ok and value == "":
                return None
            if kind == "choice":
                return None if value in allowed else f"must be one of: {', '.join(map(str, rule.choices))}"
            if kind == "date":
                try:
                    if not _DATE.match(value):
                        raise ValueError
                    date.fromisoformat(value)
                except ValueError:
                    return "must be a date written as YYYY-MM-DD"
            elif kind == "datetime":
                try:
                    datetime.fromisoformat(value)
                except ValueError:
                    return "must be a date and time in ISO 8601 (2026-11-02T09:15:00Z)"
            elif kind == "json":
                try:
                    parsed = _strict_json(value)
                except ValueError:
                    return "must be valid JSON"
                if json_type is not None and not isinstance(parsed, json_type):
                    return f"must be a JSON {'list' if json_type is list else 'object'}"
            elif kind == "sha256" and not valid_sha256(value):
                return "must be 64 lowercase hexadecimal digits"
            return None
    else:  # pragma: no cover - a declaration error, caught by the unit tests
        raise ValueError(f"unknown rule kind {kind!r}")

    return check


# -- what is read from the schema ---------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    entity: str
    name: str
    column_type: str  # TEXT or INTEGER, as the store declares it
    nullable: bool
    rule: Rule
    declared: bool  # False: a field DECLARED does not list (a default limit applies)
    check: Callable[[Any], str | None]


_KINDS_BY_TYPE = {"TEXT": {"text", "choice", "date", "datetime", "json", "sha256"}, "INTEGER": {"integer", "boolean"}}


def _schema() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    for _version, _name, statements in MIGRATIONS:
        for sql in statements:
            conn.execute(sql)
    return conn


@functools.cache
def rules() -> dict[str, dict[str, FieldRule]]:
    """Every syncable entity's field rules, built once."""
    conn = _schema()
    try:
        result: dict[str, dict[str, FieldRule]] = {}
        for entity in SYNCABLE:
            references = {fk[3] for fk in conn.execute(f"PRAGMA foreign_key_list([{entity}])")}
            declared = DECLARED.get(entity, {})
            fields = {}
            for _cid, name, column_type, notnull, _default, _pk in conn.execute(f"PRAGMA table_info([{entity}])"):
                if name in _SYNC_COLUMNS:
                    continue
                column_type = column_type.upper()
                rule = declared.get(name)
                if rule is None and name in references:
                    rule = REFERENCE
                explicit = rule is not None
                if rule is None:
                    rule = text(LONG_TEXT) if column_type == "TEXT" else integer()
                if rule.kind not in _KINDS_BY_TYPE.get(column_type, ()):
                    raise ValueError(f"{entity}.{name} is {column_type} in the store but declared {rule.kind}")
                fields[name] = FieldRule(
                    entity, name, column_type, not notnull, rule, explicit, _checker(rule, not notnull)
                )
            result[entity] = fields
        return result
    finally:
        conn.close()


@functools.cache
def unique_fields() -> dict[str, tuple[str, ...]]:
    """The store's UNIQUE indexes on syncable tables (besides the id): entity -> fields."""
    conn = _schema()
    try:
        result = {}
        for entity in SYNCABLE:
            for _seq, index, unique, origin, _partial in conn.execute(f"PRAGMA index_list([{entity}])"):
                if unique and origin == "c":
                    names = tuple(row[2] for row in conn.execute(f"PRAGMA index_info([{index}])"))
                    if entity in result:  # pragma: no cover - one per table so far
                        raise ValueError(f"{entity} has more than one unique index")
                    result[entity] = names
        return result
    finally:
        conn.close()


# -- what the server and the store call -----------------------------------------------------


def problems(entity: str, fields: dict[str, Any]) -> dict[str, str]:
    """What is wrong with these field values of ``entity`` (field -> message in the user's
    words); empty when all of them may be stored. Unknown fields and unknown entities are
    the caller's to report; fields missing from ``fields`` are not checked."""
    by_name = rules().get(entity)
    if by_name is None:
        return {}
    found = {}
    for name, value in fields.items():
        field_rule = by_name.get(name)
        if field_rule is None:
            continue
        problem = field_rule.check(value)
        if problem is not None:
            found[name] = f"{label(entity, name)} {problem}."
    return found


def first_problem(entity: str, fields: dict[str, Any]) -> str | None:
    """The first of ``problems`` (fields in name order), or None."""
    found = problems(entity, fields)
    return found[min(found)] if found else None


def printable(value: str) -> str:
    """``value`` safe to echo in a message (any database, any JSON encoder): NUL and broken
    characters written as escapes, at most 100 characters."""
    value = value[:100]
    if "\x00" in value or not value.isascii():
        value = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()
    return value


def id_problem(value: Any, what: str = "The record id") -> str | None:
    """Why ``value`` cannot be a record, mutation or device id, or None."""
    if value.__class__ is str and 0 < len(value) <= ID and value.isascii() and "\x00" not in value:
        return None  # the usual id (a UUID), in four quick tests
    if isinstance(value, str) and not value:
        return f"{what} cannot be empty."
    problem = text_problem(value, ID)
    return f"{what} {problem}." if problem else None


def unique_key(entity: str, data: dict[str, Any]) -> str | None:
    """The value that must be unique among ``entity``'s records (as the store's UNIQUE
    index), as 64 hex digits; None for a record type without one, or a key with a null."""
    names = unique_fields().get(entity)
    if names is None:
        return None
    values = [data.get(name) for name in names]
    if any(v is None for v in values):
        return None
    return hashlib.sha256(_compact_json([entity, *values]).encode()).hexdigest()


# json.dumps([...], separators=(",", ":")) without building an encoder per call.
def compact_json_encoder(*, sort_keys: bool = False) -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)``, the same text,
    with the encoder made once rather than per call (a push encodes several values per
    change). For values decoded from JSON (no cycles: no circular-reference check)."""
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(separators=(",", ":"), sort_keys=sort_keys).encode
    encode = c_make_encoder(
        None, json.JSONEncoder().default, encode_basestring_ascii, None, ":", ",", sort_keys, False, True
    )
    return lambda value: "".join(encode(value, 0))


_compact_json = compact_json_encoder()


def duplicate_message(entity: str, data: dict[str, Any]) -> str:
    """Why a record that would repeat another's unique key is refused."""
    if entity == "form_answer":
        return (
            f"This form already has an answer to item {data.get('item_id')!r} (another "
            "form answer record); a second answer to the same item cannot be stored."
        )
    if entity == "observation_event":
        return (
            f"This observation already has an event number {data.get('seq')!r}; a second "
            "event with the same observation and sequence number cannot be stored."
        )
    names = unique_fields().get(entity, ())
    return (
        f"Another {ENTITY_LABELS.get(entity, entity).lower()} already has the same "
        f"{' and '.join(names)}; it cannot be stored twice."
    )
