"""Caseload records are validated with messages a practitioner can act on."""

from __future__ import annotations

import pytest

from desktop.store import ValidationError


def problems(fn, *a, **k) -> dict:
    with pytest.raises(ValidationError) as info:
        fn(*a, **k)
    return info.value.problems


def test_birth_date_in_the_future(caseload, case):
    p = problems(
        caseload.add_pupil, first_name="A", last_name="B", school_id=case["school"], date_of_birth="2027-01-01"
    )
    assert p == {"date_of_birth": "Date of birth 01/01/2027 is in the future."}


def test_year_group_that_does_not_fit_the_age(caseload, case):
    p = problems(
        caseload.add_pupil,
        first_name="A",
        last_name="B",
        school_id=case["school"],
        date_of_birth="2017-03-14",
        year_group=9,
    )
    assert p == {"year_group": "Year 9 does not fit a pupil born 14/03/2017, who would be in Year 5 this school year."}


def test_one_year_out_of_cohort_is_accepted(caseload, case):
    pupil = caseload.add_pupil(
        first_name="A", last_name="B", school_id=case["school"], date_of_birth="2017-03-14", year_group=4
    )
    assert caseload.store.get("pupil", pupil)["year_group"] == 4


def test_uk_date_typed_is_stored_as_iso(caseload, case):
    pupil = caseload.add_pupil(first_name="A", last_name="B", school_id=case["school"], date_of_birth="14/03/2017")
    assert caseload.store.get("pupil", pupil)["date_of_birth"] == "2017-03-14"


def test_nonsense_date(caseload, case):
    p = problems(
        caseload.add_pupil, first_name="A", last_name="B", school_id=case["school"], date_of_birth="31/02/2017"
    )
    assert "not a date" in p["date_of_birth"]


def test_referral_with_no_school(caseload, case):
    p = problems(caseload.add_referral, pupil_id=case["pupil"], reason="attendance")
    assert p == {"school_id": "A referral needs the school that made it."}


def test_referral_needs_known_pupil_and_reason(caseload, case):
    p = problems(caseload.add_referral, pupil_id="nobody", school_id=case["school"], reason="")
    assert p == {
        "pupil_id": "The referred pupil is not in the store.",
        "reason": "The reason for referral is required.",
    }


def test_pupil_needs_names_and_school(caseload):
    p = problems(caseload.add_pupil, first_name="", last_name="B")
    assert set(p) == {"first_name", "school_id"}


def test_school_urn_format(caseload):
    p = problems(caseload.add_school, name="X", urn="12AB")
    assert "6- or 7-digit" in p["urn"]


def test_nothing_is_written_when_validation_fails(caseload, case):
    before = caseload.store.pending_count()
    with pytest.raises(ValidationError):
        caseload.add_pupil(first_name="A", last_name="B", school_id=case["school"], date_of_birth="2030-01-01")
    assert caseload.store.pending_count() == before
