"""Pack validation: every malformed or self-contradictory pack is refused, by name."""

from __future__ import annotations

import json

import pytest

from desktop.forms.loader import NotAPackError, PackError, load_pack_file, load_pack_text, parse_pack
from desktop.forms.registry import BUILTIN_DIR
from desktop.forms.scoring import score
from tests.forms.conftest import MINIMAL_PACK


def refused(data) -> list[str]:
    with pytest.raises(PackError) as err:
        parse_pack(data, "test.json")
    return err.value.problems


def test_minimal_pack_is_valid_and_scores():
    pack = parse_pack(MINIMAL_PACK)
    result = score(pack, {"a1": 2, "a2": 0, "b1": 1, "b2": 2, "gate": 1, "i1": 1}, "parent", "4-17")
    # a: 2 + (0 reversed → 2) over 2 answered × 3 = 6; b: 3; total 9 (band high).
    assert result.scores == {"a": 6, "b": 3, "total": 9, "impact": 1}
    assert result.band("total") == "high"


@pytest.mark.parametrize("path", sorted(BUILTIN_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_built_in_pack_is_valid(path):
    pack = load_pack_file(path)
    assert pack.id == path.stem


# Each case: (description, mutation of the minimal pack, substrings the problem must contain).
def _set(path, value):
    def mutate(p):
        target = p
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(p):
        target = p
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _append(path, value):
    def mutate(p):
        target = p
        for key in path:
            target = target[key]
        target.append(value)

    return mutate


BANDS = ("band_schemes", 0, "tables", 0, "bands")

CASES = [
    ("missing title", _delete(("title",)), ["missing required field 'title'"]),
    ("missing synthetic flag", _delete(("synthetic",)), ["missing required field 'synthetic'"]),
    ("missing licence", _delete(("licence",)), ["missing required field 'licence'"]),
    ("item without id", _delete(("items", 0, "id")), ["items[0]", "missing required field 'id'"]),
    (
        "item without response set",
        _delete(("items", 2, "response_set")),
        ["items[2] 'a3'", "missing required field 'response_set'"],
    ),
    ("scale without scoring", _delete(("scales", 1, "scoring")), ["scales[1] 'b'", "missing required field 'scoring'"]),
    (
        "unknown item in scale",
        _set(("scales", 0, "items"), ["a1", "a2", "nope"]),
        ["scales[0] 'a'", "unknown item 'nope'"],
    ),
    (
        "item in two scales of one strand",
        _set(("scales", 1, "items"), ["b1", "b2", "a1"]),
        ["item 'a1' is also in scale 'a' of strand 's'"],
    ),
    (
        "item in two unstranded scales",
        lambda p: [p["scales"][0].pop("strand"), p["scales"][1].pop("strand"), p["scales"][1]["items"].append("a3")],
        ["item 'a3'", "default strand"],
    ),
    (
        "reverse item in no scale",
        _append(("items",), {"id": "r9", "number": 9, "label": "r", "response_set": "ntc", "reverse": True}),
        ["items 'r9'", "reverse-scored but not in any scored scale"],
    ),
    ("duplicate item id", _set(("items", 1, "id"), "a1"), ["items[1] 'a1'", "duplicate item id 'a1'"]),
    ("duplicate item number", _set(("items", 1, "number"), 1), ["item number 1 is already used by item 'a1'"]),
    ("duplicate scale id", _set(("scales", 1, "id"), "a"), ["duplicate scale id 'a'"]),
    ("derived id clashes with scale", _set(("derived", 0, "id"), "b"), ["duplicate score id 'b'"]),
    ("duplicate response set id", _set(("response_sets", 1, "id"), "ntc"), ["duplicate response set id 'ntc'"]),
    ("duplicate option value", _set(("response_sets", 0, "options", 1, "value"), 0), ["duplicate option value 0"]),
    (
        "unknown response set",
        _set(("items", 0, "response_set"), "yesno"),
        ["items[0] 'a1'", "unknown response set 'yesno'"],
    ),
    ("wrong format_version", _set(("format_version",), 2), ["format_version 2 is not supported"]),
    ("format_version as text", _set(("format_version",), "1"), ['format_version "1" is not supported']),
    ("missing format_version", _delete(("format_version",)), ["format_version (missing) is not supported"]),
    ("band gap", _set(BANDS + (1, "min"), 6), ["(total, parent, 4-17)", "gap: no band holds 5 to 5"]),
    ("band overlap", _set(BANDS + (1, "min"), 4), ["bands 'low' (0-4) and 'mid' (4-7) overlap"]),
    ("bands miss the bottom", _set(BANDS + (0, "min"), 1), ["does not cover 0 to 0"]),
    ("bands miss the top", _set(BANDS + (2, "max"), 9), ["does not cover 10 to 10 (highest possible score is 10)"]),
    (
        "bands beyond the top",
        _set(BANDS + (2, "max"), 12),
        ["band 'high' ends at 12, above the highest possible score 10"],
    ),
    ("open band on a bounded score", _set(BANDS + (2, "max"), None), ["band 'high' is open-ended"]),
    ("band runs backwards", _set(BANDS + (1, "max"), 3), ["band 'mid' runs backwards"]),
    (
        "band table without source",
        _delete(("band_schemes", 0, "tables", 0, "source")),
        ["tables[0]", "missing required field 'source'"],
    ),
    ("band table for unknown scale", _set(("band_schemes", 0, "tables", 0, "scale"), "nope"), ["unknown scale 'nope'"]),
    (
        "band table for unknown informant",
        _set(("band_schemes", 0, "tables", 0, "informant"), "self"),
        ["informant 'self' is not one of the pack's informants"],
    ),
    (
        "band table for unknown age band",
        _set(("band_schemes", 0, "tables", 0, "age_band"), "2-4"),
        ["age band '2-4' is not one of the pack's age bands"],
    ),
    ("duplicate band label", _set(BANDS + (1, "label"), "low"), ["duplicate band label 'low'"]),
    (
        "two tables for one score",
        _append(("band_schemes", 0, "tables"), dict(MINIMAL_PACK["band_schemes"][0]["tables"][0])),
        ["a second table for total, parent, 4-17"],
    ),
    ("derived part unknown", _set(("derived", 0, "of"), ["a", "c"]), ["derived[0] 'total'", "unknown score 'c'"]),
    ("derived part defined later", _set(("derived", 0, "of"), ["a", "impact"]), ["unknown score 'impact'"]),
    (
        "impact gate value not an option",
        _set(("derived", 1, "gate", "zero_when"), [7]),
        ["value 7 is not an option of item 'gate'"],
    ),
    ("prorated without min_answered", _delete(("scales", 0, "scoring", "min_answered")), ["must say 'min_answered'"]),
    (
        "min_answered above item count",
        _set(("scales", 0, "scoring", "min_answered"), 4),
        ["min_answered 4 must be between 0 and the 3 item(s)"],
    ),
    (
        "unknown scoring rule",
        _set(("scales", 0, "scoring", "rule"), "median"),
        ["field 'rule' must be one of sum, prorated_mean, count"],
    ),
    ("misspelt field", _set(("scales", 0, "scoring", "min_answerd"), 2), ["unknown field 'min_answerd'"]),
    (
        "score not an integer",
        _set(("response_sets", 0, "options", 0, "score"), "0"),
        ["field 'score' must be an integer or null"],
    ),
    (
        "text item in a scale",
        lambda p: [
            p["response_sets"].append({"id": "note", "kind": "text"}),
            _set(("items", 3, "response_set"), "note")(p),
        ],
        ["item 'b1' has a text answer and cannot be scored"],
    ),
    (
        "reverse number item",
        lambda p: [
            p["response_sets"].append({"id": "n", "kind": "number", "minimum": 0}),
            _set(("items", 1, "response_set"), "n")(p),
        ],
        ["only items answered from options can be reverse-scored"],
    ),
    (
        "count of a value not offered",
        lambda p: p["scales"].append(
            {
                "id": "twos",
                "label": "twos",
                "strand": "t",
                "items": ["a1"],
                "scoring": {"rule": "count", "values": ["red"]},
            }
        ),
        ["value \"red\" is not an option of item 'a1'"],
    ),
    ("no items", _set(("items",), []), ["a pack needs at least one item"]),
    ("bad pack id", _set(("id",), "my pack"), ["field 'id' must be an id"]),
    ("synthetic flag not boolean", _set(("synthetic",), "yes"), ["field 'synthetic' must be true or false"]),
    (
        "wording pack field in an instrument",
        _set(("extends",), "sdq-parent-4-17"),
        ["only a wording pack may use 'extends'"],
    ),
]


@pytest.mark.parametrize("description, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_pack_refused_with_named_problem(minimal_pack, description, mutate, expected):
    mutate(minimal_pack)
    problems = refused(minimal_pack)
    assert any(all(part in p for part in expected) for p in problems), problems


def test_all_problems_are_reported_together(minimal_pack):
    minimal_pack["items"][0]["response_set"] = "yesno"
    minimal_pack["titel"] = "typo"
    minimal_pack["response_sets"][1]["options"][1]["value"] = 0
    minimal_pack["band_schemes"][0]["tables"][0]["bands"][1]["min"] = 6
    problems = refused(minimal_pack)
    text = "\n".join(problems)
    assert "items[0] 'a1': unknown response set 'yesno'" in text
    assert "unknown field 'titel'" in text
    assert "duplicate option value 0" in text
    # Scale 'a' lists the refused item: that is not reported again as "unknown item 'a1'",
    # nor is the total built on scale 'a' reported as unknown.
    assert "unknown item 'a1'" not in text and "unknown score" not in text and "unknown scale" not in text


def test_band_problems_reported_alongside_other_problems(minimal_pack):
    minimal_pack["scales"][1]["items"] = ["b1", "b2", "a3"]
    minimal_pack["band_schemes"][0]["tables"][0]["bands"][1]["min"] = 6
    minimal_pack["synthetic"] = "no"
    text = "\n".join(refused(minimal_pack))
    assert "item 'a3' is also in scale 'a' of strand 's'" in text
    assert "gap: no band holds 5 to 5 (between 'low' and 'mid')" in text
    assert "field 'synthetic' must be true or false" in text


def test_error_message_names_the_file_and_each_problem(minimal_pack):
    minimal_pack["scales"][0]["items"] = ["a1", "a2", "nope"]
    with pytest.raises(PackError) as err:
        parse_pack(minimal_pack, "packs/mini.json")
    assert str(err.value).startswith("packs/mini.json: invalid instrument pack")
    assert "  - scales[0] 'a': unknown item 'nope'" in str(err.value)


def test_malformed_json_refused_with_line_and_column():
    with pytest.raises(PackError) as err:
        load_pack_text('{"format": "fieldnote-instrument-pack",\n "id": }', "bad.json")
    assert err.value.problems == ["not valid JSON: Expecting value at line 2, column 8"]


def test_duplicate_json_key_refused():
    text = json.dumps(MINIMAL_PACK).replace('"title": ', '"title": "x", "title": ', 1)
    with pytest.raises(PackError, match="duplicate key 'title'"):
        load_pack_text(text)


def test_not_a_pack_at_all():
    with pytest.raises(NotAPackError, match="not a Fieldnote instrument pack"):
        parse_pack({"format": "fieldnote-audit-template", "id": "x"})
    with pytest.raises(PackError, match="expected an object, found a list"):
        parse_pack([1, 2])


def test_unreadable_file(tmp_path):
    with pytest.raises(PackError, match="cannot read file"):
        load_pack_file(tmp_path / "missing.json")


def test_wording_pack_may_not_change_scoring():
    with pytest.raises(PackError, match="a wording pack may not contain 'scales'"):
        parse_pack(
            {
                "format": "fieldnote-instrument-pack",
                "format_version": 1,
                "kind": "wording",
                "id": "w",
                "version": "1",
                "title": "w",
                "licence": "l",
                "source": "s",
                "synthetic": False,
                "extends": "mini",
                "items": [{"id": "a1", "text": "Full wording"}],
                "scales": [],
            }
        )


def test_decimal_band_edges_must_fit_the_scale_precision(minimal_pack):
    minimal_pack["band_schemes"][0]["tables"][0]["bands"][0]["max"] = json.loads("4.5")
    problems = refused(minimal_pack)
    assert any("4.5 is not a whole multiple of 1" in p for p in problems)


def _with_count_scale(pack: dict, bands: list) -> dict:
    pack["response_sets"].append({"id": "n", "kind": "number", "minimum": 0})
    pack["items"].append({"id": "incidents", "number": 8, "label": "incidents", "response_set": "n"})
    pack["scales"].append(
        {"id": "inc", "label": "Incidents", "strand": "counts", "items": ["incidents"], "scoring": {"rule": "sum"}}
    )
    pack["band_schemes"][0]["tables"].append(
        {"scale": "inc", "informant": "parent", "age_band": "4-17", "source": "test", "bands": bands}
    )
    return pack


def test_unbounded_score_takes_an_open_ended_last_band(minimal_pack):
    pack = parse_pack(
        _with_count_scale(
            minimal_pack, [{"label": "few", "min": 0, "max": 4}, {"label": "many", "min": 5, "max": None}]
        )
    )
    assert score(pack, {"incidents": 900}, "parent", "4-17").band("inc") == "many"
    assert score(pack, {"incidents": 4}, "parent", "4-17").band("inc") == "few"


def test_unbounded_score_with_a_closed_last_band_refused(minimal_pack):
    problems = refused(
        _with_count_scale(minimal_pack, [{"label": "few", "min": 0, "max": 4}, {"label": "many", "min": 5, "max": 99}])
    )
    assert any("does not cover scores above 99" in p for p in problems)


def test_normative_range_outside_possible_scores_refused(minimal_pack):
    minimal_pack["normative_ranges"] = [
        {"scale": "a", "informant": "parent", "age_band": "4-17", "min": 2, "max": 7, "source": "test"}
    ]
    problems = refused(minimal_pack)
    assert any(
        "normative_ranges[0] (a, parent, 4-17): range 2-7 lies outside the possible scores 0-6" in p for p in problems
    )


def test_a_malformed_part_is_reported_once_with_the_reference_problems_of_the_rest(minimal_pack):
    """A response set refused for its own fault is not reported again as unknown by the item
    answered from it (nor is the impact score built on that item); faults elsewhere among
    the whole parts are still found in the same pass."""
    minimal_pack["response_sets"][1]["options"][0]["score"] = "0"  # 'imp', used by item i1
    minimal_pack["synthetic"] = "no"
    minimal_pack["scales"][0]["items"] = ["a1", "a2", "nope"]
    assert refused(minimal_pack) == [
        "field 'synthetic' must be true or false, found \"no\"",
        "response_sets[1] 'imp' options[0]: field 'score' must be an integer or null, found \"0\"",
        "scales[0] 'a': unknown item 'nope'",
    ]


def test_kind_specific_fields_are_named_as_such(minimal_pack):
    minimal_pack["response_sets"][0]["minimum"] = 0
    minimal_pack["response_sets"].append({"id": "n", "kind": "number", "minimum": 0, "maximum": None})
    minimal_pack["scales"][1]["scoring"]["n"] = 2
    minimal_pack["derived"][0]["gate"] = {"item": "gate", "zero_when": [0]}
    problems = refused(minimal_pack)
    assert "response_sets[0] 'ntc': field 'minimum' is for number response sets, not options" in problems
    assert "response_sets[2] 'n': field 'maximum' must be a number, found null" in problems
    assert "scales[1] 'b' scoring: field 'n' applies only to the prorated_mean rule" in problems
    assert "derived[0] 'total': field 'gate' applies only to the impact rule" in problems
