"""Instruments fit the pupil (issue 13 item 7): a pack's age range, checked when it loads,
and the packs offered for a pupil's age."""

from __future__ import annotations

import pytest

from desktop.forms.loader import PackError, parse_pack
from desktop.forms.presentation import age_range_label, packs_for_age
from desktop.forms.registry import load_registry
from tests.forms.conftest import builtin


@pytest.mark.parametrize(
    "pack_id, ages",
    [
        ("sdq-parent-2-4", (2, 4)),
        ("sdq-teacher-2-4", (2, 4)),
        ("sdq-parent-4-17", (4, 17)),
        ("sdq-teacher-4-17", (4, 17)),
        ("sdq-self-11-17", (11, 17)),
        ("boxall-synthetic", (4, 19)),
        ("outcome-measures", None),
        ("school-satisfaction", None),
    ],
)
def test_built_in_instruments_say_the_ages_they_are_for(pack_id, ages):
    assert builtin(pack_id).age_range == ages


def test_an_age_range_is_read_and_checked(minimal_pack):
    minimal_pack["age_range"] = {"min": 4, "max": 17}
    pack = parse_pack(minimal_pack)
    assert pack.age_range == (4, 17) and age_range_label(pack) == "ages 4–17"
    assert [pack.fits_age(a) for a in (3, 4, 17, 18, None)] == [False, True, True, False, True]
    del minimal_pack["age_range"]
    assert parse_pack(minimal_pack).fits_age(40)  # no range: any age


@pytest.mark.parametrize(
    "age_range, problem",
    [
        ({"min": 11, "max": 4}, "ages must run from 'min' up to 'max'"),
        ({"min": 4, "max": 99}, "within 0 to 25 years"),
        ({"min": "4", "max": 17}, "field 'min' must be an integer"),
        ({"min": 4}, "missing required field 'max'"),
        ({"min": 4, "max": 17, "from": 4}, "unknown field 'from'"),
        ([4, 17], "expected an object"),
    ],
)
def test_a_wrong_age_range_is_refused_with_the_reason(minimal_pack, age_range, problem):
    minimal_pack["age_range"] = age_range
    with pytest.raises(PackError) as refused:
        parse_pack(minimal_pack)
    assert "age_range" in str(refused.value) and problem in str(refused.value)


def test_a_nine_year_old_is_offered_the_forms_for_their_age():
    packs = sorted((p for p in load_registry().packs.values() if p.kind == "instrument"), key=lambda p: p.id)
    fitting, others = packs_for_age(packs, 9)
    assert [p.id for p in others] == ["sdq-parent-2-4", "sdq-self-11-17", "sdq-teacher-2-4"]
    assert {"sdq-teacher-4-17", "sdq-parent-4-17", "boxall-synthetic", "outcome-measures"} <= {p.id for p in fitting}
    assert {p.id for p in packs_for_age(packs, 3)[0]} >= {"sdq-parent-2-4", "sdq-teacher-2-4"}
    assert "sdq-teacher-4-17" not in {p.id for p in packs_for_age(packs, 3)[0]}
    assert {"sdq-teacher-2-4", "sdq-teacher-4-17"} <= {p.id for p in packs_for_age(packs, 4)[0]}
    assert packs_for_age(packs, None) == (packs, [])  # no date of birth: every form
