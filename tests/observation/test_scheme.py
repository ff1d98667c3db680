"""Coding schemes: presets, copying and editing, JSON form, validation messages."""

from __future__ import annotations

import pytest

from desktop.observation import Code, CodeGroup, CodingScheme, ObservationSetup, RecordingMethod, SamplePoint
from desktop.observation.errors import SchemeError, SetupError
from desktop.observation.scheme import BOSS_ID, boss, minute_intervals, preset, presets


def test_boss_preset_matches_the_published_scheme():
    """BOSS: 15 s, AET/PET momentary, OFT-* partial, TDI, peer every 5th, on-task AET+PET."""
    s = boss()
    assert s.interval_seconds == 15 and s.peer_every == 5
    assert {c.id: c.method for c in s.codes} == {
        "AET": RecordingMethod.MOMENTARY,
        "PET": RecordingMethod.MOMENTARY,
        "OFT-M": RecordingMethod.PARTIAL,
        "OFT-V": RecordingMethod.PARTIAL,
        "OFT-P": RecordingMethod.PARTIAL,
        "TDI": RecordingMethod.PARTIAL,
    }
    assert s.on_task_codes == ("AET", "PET")
    assert s.sample_at is SamplePoint.START and s.momentary_grace_seconds == 3.0
    assert s.group("engaged").exclusive and not s.group("off_task").exclusive


def test_minute_preset_has_behaviour_and_context_groups():
    s = minute_intervals()
    assert s.interval_seconds == 60
    assert [c.label for c in s.codes_in_group("behaviour")] == [
        "On task",
        "Off task: passive",
        "Off task: verbal",
        "Off task: motor",
        "Disruptive",
    ]
    assert [c.label for c in s.codes_in_group("context")] == [
        "Teacher-directed, whole class",
        "Group work",
        "Independent work",
        "Transition",
    ]
    assert s.on_task_codes == ("ON",)


@pytest.mark.parametrize("scheme", presets(), ids=lambda s: s.id)
def test_presets_survive_a_json_round_trip(scheme):
    assert CodingScheme.from_dict(scheme.to_dict()) == scheme


def test_copy_gets_a_new_id_and_edits_do_not_touch_the_preset():
    original = preset(BOSS_ID)
    mine = original.copy(name="BOSS, 10 s")
    assert mine.id != original.id and mine.name == "BOSS, 10 s"
    mine = mine.replace(interval_seconds=10).with_code(
        Code("CALL", "c", "Calling out", "#000000", RecordingMethod.EVENT)
    )
    assert mine.interval_seconds == 10 and mine.code("CALL").method is RecordingMethod.EVENT
    assert boss() == original and not original.has_code("CALL")
    assert [c.id for c in mine.without_code("PET").codes] == ["AET", "OFT-M", "OFT-V", "OFT-P", "TDI", "CALL"]
    assert mine.without_code("PET").on_task_codes == ("AET",)


def _code(id, key, **kw):
    return Code(
        id, key, kw.pop("label", id), kw.pop("colour", "#112233"), kw.pop("method", RecordingMethod.PARTIAL), **kw
    )


@pytest.mark.parametrize(
    "codes, groups, extra, message",
    [
        ((_code("A", "a"), _code("B", "a")), (), {}, "key 'a' is used by more than one code (A, B)"),
        ((_code("A", "a"), _code("A", "b")), (), {}, "duplicate code id 'A'"),
        ((_code("A", "a", group="nope"),), (), {}, "code 'A' refers to unknown group 'nope'"),
        ((_code("A", "a", colour="red"),), (), {}, "colour must be a hex colour"),
        ((_code("A", "a", label="x" * 201),), (), {}, "label is longer than 200 characters"),
        ((_code("A", "ab"),), (), {}, "key must be one printable, non-space character"),
        ((_code("A", "a"),), (), {"on_task_codes": ("Z",)}, "on-task code 'Z' is not in the scheme"),
        ((_code("A", "a"),), (), {"interval_seconds": 0}, "interval_seconds must be a whole number"),
        ((_code("A", "a"),), (), {"carry_over": "yes"}, "carry_over must be true or false"),
        (
            (_code("A", "a", group="g"), _code("B", "b", group="g", method=RecordingMethod.MOMENTARY)),
            (CodeGroup("g", "G", exclusive=True),),
            {},
            "exclusive group 'g' mixes",
        ),
        ((), (), {}, "a scheme needs at least one code"),
    ],
)
def test_invalid_schemes_are_rejected_with_a_clear_message(codes, groups, extra, message):
    fields = dict(id="s1", name="S", interval_seconds=10, codes=codes, groups=groups)
    fields.update(extra)
    with pytest.raises(SchemeError) as err:
        CodingScheme(**fields)
    assert message in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(SchemeError) as err:
        CodingScheme(id="s", name="", interval_seconds=-1, codes=(_code("A", "a"), _code("B", "a", colour="x")))
    text = str(err.value)
    assert "name must not be empty" in text and "interval_seconds" in text and "key 'a'" in text and "colour" in text


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "scheme must be an object"),
        ({"id": "s", "name": "S", "interval_seconds": 10, "codes": "AET"}, "'codes' must be a list"),
        ({"id": "s", "name": "S", "interval_seconds": 10, "codes": [1]}, "malformed scheme"),
        (
            {
                "id": "s",
                "name": "S",
                "interval_seconds": 10,
                "codes": [{"id": "A", "key": "a", "label": "A", "colour": "#000000", "method": "sometimes"}],
            },
            "code method must be one of",
        ),
        (
            {
                "id": "s",
                "name": "S",
                "interval_seconds": "10",
                "codes": [{"id": "A", "key": "a", "label": "A", "colour": "#000000", "method": "event"}],
            },
            "interval_seconds must be a whole number",
        ),
    ],
)
def test_from_dict_rejects_malformed_input(data, message):
    with pytest.raises(SchemeError, match=message):
        CodingScheme.from_dict(data)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"interval_seconds": 0}, "interval_seconds must be a whole number of seconds from 1"),
        ({"interval_seconds": True}, "interval_seconds"),
        ({"interval_seconds": 7.5}, "interval_seconds"),
        ({"peer_every": 1}, "peer_every"),
        ({"case_id": "  "}, "case_id must not be empty"),
        ({"teacher": "x" * 201}, "teacher is longer than 200"),
        ({"class_size": -1}, "class_size"),
    ],
)
def test_setup_validation(fields, message):
    base = {"case_id": "C1"}
    base.update(fields)
    with pytest.raises(SetupError, match=message):
        ObservationSetup(**base)


def test_setup_accepts_any_whole_interval_and_counts_planned_intervals():
    s = ObservationSetup(case_id="C1", interval_seconds=7, planned_duration_seconds=60)
    assert s.planned_intervals == 9  # 8 full intervals and a part one
    assert ObservationSetup.from_dict(s.to_dict()) == s
