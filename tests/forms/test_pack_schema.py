"""The pack format is declared once (desktop/forms/pack_format.py); the JSON Schema pack
authors validate against is generated from it and committed, and the two never drift."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from desktop.forms import pack_format
from desktop.forms.loader import PackError, parse_pack
from desktop.forms.registry import BUILTIN_DIR
from tests.forms.conftest import DATA, MINIMAL_PACK

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "schemas" / "pack.schema.json"
REGENERATE = "python -m desktop.forms.pack_format docs/schemas/pack.schema.json"
PACKS = sorted(BUILTIN_DIR.glob("*.json")) + sorted(DATA.glob("*.json"))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_committed_schema_is_what_the_models_generate():
    assert SCHEMA.read_text(encoding="utf-8") == pack_format.schema_text(), (
        f"docs/schemas/pack.schema.json is out of date with desktop/forms/pack_format.py: run `{REGENERATE}`"
    )


def test_the_schema_command_prints_or_writes_the_schema(tmp_path):
    printed = subprocess.run(
        [sys.executable, "-m", "desktop.forms.pack_format"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    assert printed.stdout == pack_format.schema_text()
    out = tmp_path / "pack.schema.json"
    subprocess.run([sys.executable, "-m", "desktop.forms.pack_format", str(out)], cwd=ROOT, check=True)
    assert out.read_text(encoding="utf-8") == pack_format.schema_text()


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.stem)
def test_every_built_in_pack_meets_the_published_schema(validator, path):
    errors = [e.message for e in validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))]
    assert errors == []


def test_a_strategies_and_a_wording_pack_meet_the_schema(validator):
    common = {
        "format": "fieldnote-instrument-pack",
        "format_version": 1,
        "version": "1",
        "title": "t",
        "licence": "ours",
        "source": "test",
        "synthetic": True,
    }
    bank = {
        **common,
        "kind": "strategies",
        "id": "bank",
        "strategies": [{"id": "s1", "title": "Signal", "text": "A card on the desk.", "tags": ["calm"]}],
    }
    wording = {**common, "kind": "wording", "id": "w", "extends": "mini", "items": [{"id": "a1", "text": "Words"}]}
    for data in (bank, wording):
        assert list(validator.iter_errors(data)) == []
        parse_pack(copy.deepcopy(data))  # and the loader takes them too


@pytest.mark.parametrize(
    "change, schema_says, loader_says",
    [
        (
            lambda p: p["scales"][0]["scoring"].update(min_answerd=2),
            "'min_answerd' was unexpected",
            "unknown field 'min_answerd'",
        ),
        (lambda p: p.update(kind="survey"), "'survey' is not one of", "field 'kind' must be one of"),
        (lambda p: p["items"][0].update(id="a 1"), "does not match", "field 'id' must be an id"),
        (
            lambda p: p["scales"][0]["scoring"].pop("min_answered"),
            "'min_answered' is a required property",
            "must say 'min_answered'",
        ),
        (
            lambda p: p["response_sets"][0]["options"][0].pop("score"),
            "'score' is a required property",
            "missing required field 'score'",
        ),
        (
            lambda p: p.update(extends="sdq-parent-4-17"),
            "'extends' was unexpected",
            "only a wording pack may use 'extends'",
        ),
        (
            lambda p: p["band_schemes"][0]["tables"][0].update(bands=[]),
            "should be non-empty",
            "field 'bands' must list at least one band",
        ),
    ],
)
def test_the_schema_and_the_loader_refuse_the_same_malformed_pack(validator, change, schema_says, loader_says):
    data = copy.deepcopy(MINIMAL_PACK)
    change(data)
    messages = [e.message for e in validator.iter_errors(data)]
    assert any(schema_says in m for m in messages), messages
    with pytest.raises(PackError) as err:
        parse_pack(data, "mini.json")
    assert any(loader_says in p for p in err.value.problems), err.value.problems


def test_what_a_schema_cannot_say_is_left_to_the_model_validators(validator):
    """A reused item number, a duplicate band label and a band gap pass the schema; the
    models' validators refuse them."""
    data = copy.deepcopy(MINIMAL_PACK)
    data["items"][1]["number"] = 1
    data["band_schemes"][0]["tables"][0]["bands"][2]["label"] = "low"
    data["band_schemes"][0]["tables"][0]["bands"][1]["min"] = 6
    assert list(validator.iter_errors(data)) == []
    with pytest.raises(pack_format.PackProblems) as err:
        pack_format.validate_pack(data)
    text = "\n".join(err.value.problems)
    assert "items[1] 'a2': item number 1 is already used by item 'a1'" in text
    assert "band_schemes[0] 'bands' tables[0] (total, parent, 4-17): duplicate band label 'low'" in text
    data["band_schemes"][0]["tables"][0]["bands"][2]["label"] = "high"
    with pytest.raises(pack_format.PackProblems) as err:
        pack_format.validate_pack(data)
    assert (
        "band_schemes[0] 'bands' tables[0] (total, parent, 4-17): gap: no band holds 5 to 5 "
        "(between 'low' and 'mid')" in err.value.problems
    )


def test_the_models_alone_refuse_a_self_contradictory_pack():
    """pydantic's own entry point (no loader) runs the same validators: what the server and
    any other tool get from ``PackFile``."""
    from pydantic import TypeAdapter, ValidationError

    data = copy.deepcopy(MINIMAL_PACK)
    data["scales"][0]["items"] = ["a1", "a2", "nope"]
    with pytest.raises(ValidationError) as err:
        TypeAdapter(pack_format.PackFile).validate_python(data)
    problems = [p for e in err.value.errors() for p in pack_format.explain_error(e, data)]
    assert problems == ["scales[0] 'a': unknown item 'nope'"]
    assert isinstance(
        TypeAdapter(pack_format.PackFile).validate_python(copy.deepcopy(MINIMAL_PACK)), pack_format.InstrumentPackFile
    )
