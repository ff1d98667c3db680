"""JSON and CSV interchange: lossless round trips and rejection of hostile files."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.observation import Code, RecordingMethod, boss
from tests.observation.fakes import FakeClock, MemorySink
from desktop.observation.errors import ExportError, InterchangeError, ObservationStateError
from desktop.observation.interchange import (
    MAX_FILE_BYTES,
    from_document,
    from_json,
    intervals_from_csv,
    read_file,
    to_csv,
    to_document,
    to_json,
)
from desktop.observation.summary import summarise

from .conftest import build, run_for, start

SCHEME = (
    boss()
    .with_code(Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT))
    .with_code(Code("OUT", "o", "Out of seat", "#0000FF", RecordingMethod.STATE))
)
KEYS = ["a", "s", "j", "k", "l", "t", "c", "o"]

action = st.one_of(
    st.tuples(st.just("wait"), st.floats(min_value=0.01, max_value=40, allow_nan=False)),
    st.tuples(st.just("press"), st.sampled_from(KEYS)),
    st.tuples(st.just("note"), st.text(max_size=30)),
    st.tuples(st.just("abc"), st.text(max_size=10)),
    st.tuples(st.just("phase"), st.text(min_size=1, max_size=12).filter(str.strip)),
    st.tuples(st.just("skip"), st.none()),
    st.tuples(st.just("same"), st.none()),
    st.tuples(st.just("none"), st.none()),
    st.tuples(st.just("pause"), st.floats(min_value=0, max_value=100, allow_nan=False)),
)


def _run(actions, planned=None, carry_over=False):
    clock, sink = FakeClock(), MemorySink()
    engine = start(SCHEME.replace(carry_over=carry_over), clock=clock, sink=sink, planned_duration_seconds=planned)
    for kind, arg in actions:
        if not engine.observation.is_recording:
            break
        if kind == "wait":
            run_for(engine, clock, arg, step=5)
        elif kind == "press":
            try:
                engine.press(arg)
            except ObservationStateError as exc:  # a momentary key after the grace; no interval left
                assert "too late" in str(exc) or "last one" in str(exc)
        elif kind == "same":
            try:
                engine.same_as_last()
            except ObservationStateError as exc:  # nothing to repeat; no interval left
                assert "repeat" in str(exc) or "last one" in str(exc)
        elif kind == "none":
            try:
                engine.none_seen()
            except ObservationStateError as exc:
                assert "last one" in str(exc)
        elif kind == "note":
            engine.set_note(arg)
        elif kind == "abc":
            engine.record_abc(arg, arg[::-1], "")
        elif kind == "phase":
            engine.mark_phase(arg)
        elif kind == "skip" and engine.observation.current_exclusion is None:
            engine.skip_interval()
        elif kind == "pause":
            engine.pause()
            clock.advance(arg)
            engine.resume_after_pause()
    if engine.observation.is_recording:
        engine.end()
    return engine.observation


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, max_size=40), st.sampled_from([None, 60, 200]), st.booleans())
def test_json_export_then_import_is_lossless(actions, planned, carry_over):
    original = _run(actions, planned, carry_over)
    imported = from_json(to_json(original))
    assert imported.record() == original.record()
    assert to_document(imported) == to_document(original)
    assert summarise(imported) == summarise(original)


def _rich():
    return _run(
        [
            ("press", "a"),
            ("press", "c"),
            ("note", "=SUM(A1)"),
            ("wait", 20),
            ("press", "j"),
            ("abc", "x"),
            ("phase", "main"),
            ("press", "o"),
            ("pause", 30),
            ("wait", 50),
            ("skip", None),
            ("wait", 30),
            ("note", "line 1\nline 2, \"quoted\" 'x'"),
        ]
    )


def test_csv_round_trip_keeps_every_interval_and_defuses_formulas():
    obs = _rich()
    text = to_csv(obs)
    header = text.splitlines()[0].split(",")
    assert header[:7] == ["observation_id", "interval", "subject", "status", "start_s", "end_s", "phase"]
    assert "code:AET" in header and "count:CALL" in header and header[-1] == "note"
    assert "'=SUM(A1)" in text  # a spreadsheet shows it as text, not a formula
    assert intervals_from_csv(text) == (obs.id, list(obs.intervals))


def test_csv_import_rejects_rows_out_of_order():
    lines = to_csv(_rich()).splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    with pytest.raises(InterchangeError, match="out of order"):
        intervals_from_csv("\n".join(lines))


def test_a_recording_observation_cannot_be_exported(clock):
    with pytest.raises(ExportError, match="still recording"):
        to_json(start(clock=clock).observation)


def _doc():
    return to_document(_rich())


def _set(path, value):
    def mutate(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _swap_intervals(doc):
    doc["intervals"][0], doc["intervals"][1] = doc["intervals"][1], doc["intervals"][0]


def _duplicate_interval(doc):
    doc["intervals"][1] = copy.deepcopy(doc["intervals"][0])


HOSTILE = {
    "wrong format": (_set(["format"], "something-else"), "not a Fieldnote observation file"),
    "newer version": (_set(["format_version"], 3), "format_version 3 is not supported .written by a newer"),
    "version as text": (_set(["format_version"], "1"), "format_version must be a whole number"),
    "missing setup": (_delete(["setup"]), "the file is missing setup"),
    "missing interval field": (_delete(["intervals", 0, "status"]), r"intervals\[0\] is missing status"),
    "unknown field": (_set(["observation", "extra"], 1), "observation has unknown field"),
    "intervals not a list": (_set(["intervals"], {"1": {}}), "intervals must be a list"),
    "index as text": (_set(["intervals", 0, "index"], "1"), "index must be a whole number"),
    "huge note": (_set(["intervals", 0, "note"], "x" * 10_001), "note is longer than 10000 characters"),
    "huge label": (_set(["scheme", "codes", 0, "label"], "x" * 201), "label is longer than 200 characters"),
    "huge abc": (_set(["events", 1, "behaviour"], "x" * 10_001), "behaviour is longer than 10000"),
    "intervals out of order": (_swap_intervals, "intervals out of order"),
    "duplicate interval": (_duplicate_interval, "interval 1 appears twice"),
    "code not in scheme": (_set(["intervals", 0, "codes"], ["XYZ"]), "code 'XYZ' is not an interval code"),
    "event code not in scheme": (_set(["events", 0, "code"], "NOPE"), "'NOPE' is not a event code"),
    "foreign event": (
        _set(["events", 0, "observation_id"], "obs-someone-else"),
        "belongs to observation 'obs-someone-else', not 'obs-test'",
    ),
    "event outside its interval": (_set(["events", 0, "t"], 44.0), "outside interval 1"),
    "path in id": (_set(["observation", "id"], "../../etc/passwd"), "observation.id must be"),
    "infinite time": (_set(["observation", "observed_s"], float("inf")), "contains Infinity"),
    "time as text": (_set(["observation", "observed_s"], "100"), "observed_s must be a number"),
    "bad timestamp": (_set(["observation", "started_at"], "yesterday"), "started_at must be a UTC time"),
    "wrong subject": (_set(["intervals", 4, "subject"], "target"), r"intervals\[4\].subject must be 'peer'"),
    "codes in a skipped interval": (_set(["intervals", 4, "codes"], ["PET"]), "skipped interval cannot have codes"),
    "two exclusive codes": (_set(["intervals", 0, "codes"], ["AET", "PET"]), "two codes from one exclusive group"),
    "bad setup": (_set(["setup", "interval_seconds"], 0), "setup: invalid observation set-up"),
    "shifted interval": (_set(["intervals", 1, "start_s"], 14.0), r"intervals\[1\].start_s must be 15"),
    "unknown scheme field": (_set(["scheme", "colour"], "#FFFFFF"), "scheme has unknown field"),
    "unknown code field": (_set(["scheme", "codes", 0, "shortcut"], "x"), r"scheme.codes\[0\] has unknown field"),
    "missing carry_over": (_delete(["scheme", "carry_over"]), "scheme is missing carry_over"),
    "grace as long as the set-up's interval": (
        _set(["setup", "interval_seconds"], 3),
        "3 s grace period .* must be shorter than the 3 s interval",
    ),
    "codes in an uncoded interval": (_set(["intervals", 0, "status"], "uncoded"), "uncoded interval cannot have codes"),
    "exclusive group mixing methods": (
        _set(["scheme", "codes", 2, "group"], "engaged"),
        "exclusive group 'engaged' mixes partial",
    ),
}


def test_the_hostile_fixture_is_valid_before_mutation():
    doc = _doc()
    assert doc["intervals"][4]["status"] == "skipped" and doc["intervals"][4]["subject"] == "peer"
    assert [e["type"] for e in doc["events"][:2]] == ["event", "abc"]
    assert from_document(doc).id == "obs-test"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_import_rejects_hostile_input_and_returns_nothing(name):
    mutate, message = HOSTILE[name]
    doc = _doc()
    mutate(doc)
    result = None
    with pytest.raises(InterchangeError, match=message):
        result = from_json(json.dumps(doc))
    assert result is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"format": NaN}', "contains NaN"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply|not valid JSON|must be an object"),
        ("[]", "the file must be an object"),
    ],
)
def test_import_rejects_malformed_json(text, message):
    with pytest.raises(InterchangeError, match=message):
        from_json(text)


def test_import_rejects_a_file_over_the_size_limit_before_reading_it(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InterchangeError, match="the limit is 20 MB"):
        read_file(big)


def test_import_reports_a_missing_file(tmp_path):
    with pytest.raises(InterchangeError, match="cannot read"):
        read_file(tmp_path / "nope.json")


def test_built_observations_round_trip_too():
    obs = build([("ON", "GRP"), ("DIS",), ()], statuses=["coded", "coded", "gap"])
    assert from_json(to_json(obs)).record() == obs.record()


def test_the_documented_example_imports_and_matches_its_csv():
    """docs/observation-format.md's example is a real, valid export."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).parents[2] / "docs" / "observation-format.md").read_text(encoding="utf-8")
    json_block = re.search(r"```json\n(.*?)\n```", text, re.S).group(1)
    csv_block = re.search(r"```csv\n(.*?)\n```", text, re.S).group(1)
    obs = from_json(json_block)
    assert obs.id == "obs-7d1e5b2a90c34f18" and len(obs.intervals) == 6
    assert to_json(obs).strip() == json_block.strip()
    assert to_csv(obs).strip() == csv_block.strip()


def test_what_the_format_documents_is_accepted():
    """Issue 14 item 8: end sampling with a grace period; the grace checked against the set-up's interval."""
    doc = _doc()
    doc["scheme"]["sample_at"] = "end"  # the grace period then has no effect
    assert from_document(doc).scheme.momentary_grace_seconds == 3.0
    doc = _doc()
    doc["scheme"]["interval_seconds"] = 3  # the scheme's default is 3 s; the set-up uses 15 s
    assert from_document(doc).setup.interval_seconds == 15
    doc = _doc()
    doc["setup"]["interval_seconds"] = 2  # 3 s of grace on 2 s intervals is refused
    for iv in doc["intervals"]:
        iv["start_s"], iv["end_s"] = (iv["index"] - 1) * 2.0, iv["index"] * 2.0
    with pytest.raises(InterchangeError, match="grace period .* shorter than the 2 s interval"):
        from_document(doc)


def test_version_1_files_are_still_read_as_recorded_with_carry_over():
    doc = _doc()
    doc["format_version"] = 1
    del doc["scheme"]["carry_over"]
    for iv in doc["intervals"]:  # version 1 had no uncoded status
        iv["status"] = "coded" if iv["status"] == "uncoded" else iv["status"]
    obs = from_document(doc)
    assert obs.scheme.carry_over is True and obs.intervals[0].codes == tuple(doc["intervals"][0]["codes"])
    assert json.loads(to_json(obs))["format_version"] == 2
    doc["intervals"][0].update(status="uncoded", codes=[])
    with pytest.raises(InterchangeError, match="status must be one of coded, skipped, gap, incomplete$"):
        from_document(doc)
    doc = _doc()
    doc["format_version"] = 1
    with pytest.raises(InterchangeError, match="scheme has unknown field.*carry_over"):
        from_document(doc)
