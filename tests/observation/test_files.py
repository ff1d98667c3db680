"""Observation files to and from the store, as the window's export and import run them."""

from __future__ import annotations

import json

import pytest

from desktop.observation.errors import ObservationError
from desktop.observation.files import export_file, read_for_import, store_import
from desktop.observation.interchange import to_csv, to_json
from desktop.observation.repository import DuplicateObservation
from desktop.observation.store_repository import StoreObservationRepository
from tests.observation.conftest import build


def test_export_writes_what_the_cli_writes_and_is_logged(store, tmp_path):
    repo = StoreObservationRepository(store)
    repo.add(build([("ON",), ("DIS",)], observation_id="obs-x"))
    stored = repo.get("obs-x")
    written = export_file(store, "obs-x", tmp_path / "o.json", "json")
    assert written.read_text(encoding="utf-8") == to_json(stored)
    export_file(store, "obs-x", tmp_path / "o.csv", "csv")
    assert (tmp_path / "o.csv").read_text(encoding="utf-8") == to_csv(stored)
    assert [(a["action"], a["detail"]) for a in store.audit_trail("observation", "obs-x")][-2:] == [
        ("export", "JSON to a file"),
        ("export", "CSV to a file"),
    ]


def test_import_keeps_the_case_the_file_names_or_takes_the_one_given(store, case, tmp_path):
    obs = build([("ON",)], observation_id="obs-y")  # recorded for "CASE-1", not on this laptop
    path = tmp_path / "y.json"
    path.write_text(to_json(obs), encoding="utf-8")
    read, case_id = read_for_import(store, path)
    assert read.id == "obs-y" and case_id is None
    assert store.get("observation", "obs-y") is None  # reading stores nothing
    stored = store_import(store, read, case["referral"])
    assert stored.setup.case_id == case["referral"]
    assert store.get("observation", "obs-y")["referral_id"] == case["referral"]
    # exported again, it names this case, which is on this laptop
    export_file(store, "obs-y", tmp_path / "again.json", "json")
    assert read_for_import(store, tmp_path / "again.json")[1] == case["referral"]
    with pytest.raises(DuplicateObservation, match="already stored"):
        store_import(store, read_for_import(store, tmp_path / "again.json")[0], None)


def test_a_file_the_format_refuses_says_why(store, tmp_path):
    doc = json.loads(to_json(build([("ON",)], observation_id="obs-z")))
    del doc["setup"]["case_id"]
    path = tmp_path / "z.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ObservationError, match="case_id"):
        read_for_import(store, path)


def test_a_note_holding_a_carriage_return_keeps_the_csv_readable(store, tmp_path):
    """A bare CR (a note pasted from an old Mac or Windows text) was written unquoted, and the
    exported CSV could not be read back (found by test_breakdowns' random observations)."""
    from desktop.observation.interchange import from_document, intervals_from_csv

    doc = json.loads(to_json(build([("ON",), ("DIS",)], observation_id="obs-cr")))
    doc["intervals"][0]["note"] = "left the room\rcame back"
    obs = from_document(doc)
    StoreObservationRepository(store).add(obs)
    path = export_file(store, "obs-cr", tmp_path / "cr.csv", "csv")
    with path.open(encoding="utf-8", newline="") as fh:
        text = fh.read()
    assert intervals_from_csv(text) == ("obs-cr", list(obs.intervals))
    assert text.count("\n") == 3 and '"left the room\rcame back"' in text
