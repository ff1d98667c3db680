"""sync.rules: one declaration of what every syncable field may hold, true to the store's
schema, used by the server (tests/sync/test_hostile.py) and by the store itself."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest

from desktop.store import ValidationError
from desktop.store.schema import MIGRATIONS, SYNCABLE
from sync import rules
from sync.protocol import shapes
from tests.sync.conftest import ROOT
from tests.sync.hostile import as_python, hostile_values, valid_value

FIELDS = [(entity, name) for entity in SYNCABLE for name in sorted(rules.rules()[entity])]


def _rule(entity, name) -> rules.FieldRule:
    return rules.rules()[entity][name]


def test_every_syncable_field_has_a_rule_declared_or_read_from_the_schema():
    """Whoever adds a field to the store says here what it holds (or it names a record)."""
    for entity in SYNCABLE:
        assert set(rules.rules()[entity]) == set(shapes()[entity].fields)
        assert set(rules.DECLARED.get(entity, {})) <= shapes()[entity].fields, entity
        for name, f in rules.rules()[entity].items():
            assert f.declared, f"{entity}.{name} has no rule in sync.rules.DECLARED"
            assert f.nullable == (name not in shapes()[entity].not_null)
        for name in shapes()[entity].references:
            assert _rule(entity, name).rule.max_length == rules.ID


def test_the_choices_are_exactly_the_stores_check_constraints():
    """A CHECK (x IN (...)) in the store and the rule's choices list the same values."""
    checks = {}
    for _version, _name, statements in MIGRATIONS:
        for sql in statements:
            table = re.match(r"\s*CREATE TABLE (\w+)", sql)
            for column, values in re.findall(r"\n\s*(\w+) TEXT[^,\n]*CHECK \(\w+ IN \(([^)]*)\)\)", sql):
                checks[(table.group(1), column)] = {v.strip(" '") for v in values.split(",")}
    assert checks, "the regular expression found no CHECK constraint"
    for (entity, column), values in checks.items():
        if entity in SYNCABLE:
            assert set(_rule(entity, column).rule.choices) == values


def test_the_declared_vocabularies_match_the_code_that_writes_them():
    from desktop.forms.records import COMPLETED_BY, TIME_POINTS
    from desktop.store.attachments import MAX_ATTACHMENT_BYTES

    assert rules.COMPLETED_BY == tuple(COMPLETED_BY)
    assert rules.TIME_POINTS == tuple(TIME_POINTS)
    assert rules.MAX_ATTACHMENT_BYTES == MAX_ATTACHMENT_BYTES


def test_the_stores_defaults_pass_the_rules():
    """A column's default (what a laptop writes when a field is not given) is valid."""
    conn = sqlite3.connect(":memory:")
    for _version, _name, statements in MIGRATIONS:
        for sql in statements:
            conn.execute(sql)
    for entity in SYNCABLE:
        for _cid, name, _type, _notnull, default, _pk in conn.execute(f"PRAGMA table_info([{entity}])"):
            if default is not None and name in rules.rules()[entity]:
                value = conn.execute(f"SELECT {default}").fetchone()[0]
                assert rules.problems(entity, {name: value}) == {}, (entity, name, value)


@pytest.mark.parametrize("entity,name", FIELDS)
def test_a_valid_value_passes(entity, name):
    f = _rule(entity, name)
    assert rules.problems(entity, {name: valid_value(f)}) == {}
    if f.nullable:
        assert rules.problems(entity, {name: None}) == {}
        if f.rule.kind in ("choice", "date", "datetime"):
            assert rules.problems(entity, {name: ""}) == {}  # a blank in a form
    elif f.rule.kind in ("choice", "date", "datetime"):
        assert set(rules.problems(entity, {name: ""})) == {name}


@pytest.mark.parametrize("entity,name", FIELDS)
def test_every_hostile_value_is_refused_naming_the_field(entity, name):
    f = _rule(entity, name)
    for what, value in hostile_values(f):
        found = rules.problems(entity, {name: as_python(value)})
        assert set(found) == {name}, (what, found)
        message = found[name]
        assert message.startswith(rules.label(entity, name) + " "), message
        # Safe to store and send anywhere: no value is echoed.
        assert "\x00" not in message and message.isprintable()
        assert "ab\x00" not in message and "xxxxxxxxxx" not in message


def test_messages_say_what_is_wrong_in_words():
    problems = rules.problems(
        "visit",
        {
            "notes": "x" * (rules.LONG_TEXT + 1),
            "visit_type": "bogus",
            "visit_date": "2026-02-30",
            "attendees": "a\x00",
            "recommendations": "\ud800",
        },
    )
    assert problems == {
        "notes": "Visit notes is too long: at most 65,536 characters (this has 65,537).",
        "visit_type": "Visit type must be one of: observation, consultation, psp_meeting, "
        "review, modelling, clinic, audit, telephone.",
        "visit_date": "Visit date must be a date written as YYYY-MM-DD.",
        "attendees": "Visit attendees contains a NUL character, which cannot be stored.",
        "recommendations": "Visit recommendations contains broken characters (a lone "
        "surrogate), which cannot be stored.",
    }
    assert rules.problems("pupil", {"year_group": float("nan")}) == {
        "year_group": "Pupil year group must be a finite number."
    }
    assert rules.problems("observation", {"status": "bogus"})["status"].startswith(
        "Observation status must be one of: recording, ended, final"
    )
    # Unknown fields and record types are the caller's to report.
    assert rules.problems("visit", {"nonsense": 1}) == {}
    assert rules.problems("nonsense", {"a": 1}) == {}


def test_the_unique_keys_are_the_stores_unique_indexes():
    assert rules.unique_fields() == {
        "form_answer": ("completion_id", "item_id"),
        "observation_event": ("observation_id", "seq"),
        "audit_rating": ("audit_id", "criterion_id"),
        "audit_judgement": ("audit_id", "section_id"),
        "audit_meeting": ("audit_id",),
    }
    key = rules.unique_key("form_answer", {"completion_id": "c1", "item_id": "q1", "value": "1"})
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == rules.unique_key("form_answer", {"completion_id": "c1", "item_id": "q1"})
    assert key != rules.unique_key("form_answer", {"completion_id": "c1", "item_id": "q2"})
    assert key != rules.unique_key("form_answer", {"completion_id": "c2", "item_id": "q1"})
    assert rules.unique_key("observation_event", {"observation_id": "o", "seq": 3}) != rules.unique_key(
        "observation_event", {"observation_id": "o", "seq": 4}
    )
    assert rules.unique_key("form_answer", {"completion_id": "c1"}) is None
    assert rules.unique_key("visit", {"notes": "x"}) is None


def test_ids_must_be_short_clean_text():
    assert rules.id_problem("0b9f3c1e-7d7a-4c53-9a55-3f4b8f7a9a10") is None
    for bad in ("", "x" * 37, "a\x00", "\ud800", 5, None):
        assert rules.id_problem(bad) is not None


def test_the_rules_import_no_database_driver():
    code = (
        "import sys, sync.rules; sync.rules.rules(); "
        "bad = {'sqlcipher3', 'sqlite_utils', 'desktop.store.db', 'PySide6'} & set(sys.modules); "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_store_refuses_to_write_what_the_server_would_refuse(laptops):
    """The laptop enforces the same limits when a change is made: a ValidationError naming
    the field, nothing written, nothing queued."""
    store = laptops("a")
    school = store.create("school", {"name": "Hollowmere Primary School"})
    before = (store.pending_count(), store.get("school", school))
    for bad in (
        {"name": "x" * (rules.NAME + 1)},
        {"phase": "bogus"},
        {"phone": 12345},
        {"address": "a\x00b"},
        {"area": "\ud800"},
    ):
        with pytest.raises(ValidationError) as caught:
            store.update("school", school, bad)
        assert set(caught.value.problems) == set(bad)
        with pytest.raises(ValidationError):
            store.create("school", {"name": "Another school", **bad})
    with pytest.raises(ValidationError) as caught:
        store.create("pupil", {"first_name": "Ivy", "last_name": "Okafor", "school_id": school, "year_group": 2**63})
    assert "Pupil year group must be between" in str(caught.value)
    with pytest.raises(ValidationError):
        store.create("school", {"name": "A school"}, record_id="x" * 37)
    assert (store.pending_count(), store.get("school", school)) == before
    assert store.conn.execute("SELECT count(*) FROM school").fetchone()[0] == 1
    # At the limit is fine.
    store.update("school", school, {"name": "x" * rules.NAME})
    assert store.get("school", school)["name"] == "x" * rules.NAME
