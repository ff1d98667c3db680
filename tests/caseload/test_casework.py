"""Referrals move new → allocated → active → closed; visits, plans and calls build the timeline."""

from __future__ import annotations

import json
from datetime import date

import pytest

from desktop.store import ValidationError


def test_status_flow_through_a_case(caseload, case):
    r = case["referral"]
    allocated = caseload.allocate(r, case["caseworker"], date(2026, 11, 5))
    assert (allocated["status"], allocated["allocated_on"]) == ("allocated", "2026-11-05")
    caseload.add_visit(r, "2026-11-10", "observation", notes="Observed maths.")
    assert caseload.store.get("referral", r)["status"] == "active"  # the first visit starts the work
    closed = caseload.close(r, "improved_in_school", date(2026, 11, 20), fixed_exclusions_after=0)
    assert (closed["status"], closed["closed_on"], closed["outcome"]) == ("closed", "2026-11-20", "improved_in_school")


def test_closed_case_cannot_be_reallocated_or_visited(caseload, case):
    r = case["referral"]
    caseload.close(r, "school_withdrew")
    with pytest.raises(ValidationError, match="closed referral cannot become allocated"):
        caseload.allocate(r, case["caseworker"])
    with pytest.raises(ValidationError, match="closed"):
        caseload.add_visit(r, "2026-11-21", "review")


def test_new_referral_cannot_become_active_without_allocation(caseload, case):
    with pytest.raises(ValidationError, match="new referral cannot become active"):
        caseload.activate(case["referral"])


def test_reallocation_keeps_an_active_case_active(caseload, case):
    r = case["referral"]
    other = caseload.add_caseworker("Priya Raman")
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    caseload.add_visit(r, "2026-11-04", "observation")
    moved = caseload.allocate(r, other, date(2026, 11, 6))
    assert (moved["status"], moved["caseworker_id"]) == ("active", other)


def test_allocation_before_the_referral_date_is_refused(caseload, case):
    with pytest.raises(ValidationError, match="before the referral date 02/11/2026"):
        caseload.allocate(case["referral"], case["caseworker"], date(2026, 11, 1))


def test_status_is_changed_only_through_the_flow(caseload, case):
    with pytest.raises(ValidationError):
        caseload.update_referral(case["referral"], status="closed")


def test_support_plan_review_dates(caseload, case):
    plan = caseload.add_support_plan(
        case["referral"],
        "2026-11-10",
        review_dates=["2027-01-12", "15/12/2026"],
        targets="Stay in class",
        parent_involvement="Mum attended",
    )
    assert json.loads(caseload.store.get("support_plan", plan)["review_dates"]) == ["2026-12-15", "2027-01-12"]
    with pytest.raises(ValidationError, match="before the plan starts"):
        caseload.add_support_plan(case["referral"], "2026-11-10", review_dates=["2026-11-01"])


def test_helpline_call(caseload, case):
    call = caseload.log_call(
        "2026-11-12",
        "Lunchtime incidents",
        caller="Mrs Hall",
        caller_role="senco",
        school_id=case["school"],
        outcome="referral_made",
    )
    assert caseload.store.get("helpline_call", call)["outcome"] == "referral_made"
    with pytest.raises(ValidationError, match="what the call was about"):
        caseload.log_call("2026-11-12", " ")


def test_timeline_is_newest_first_with_every_record(caseload, case):
    r = case["referral"]
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    caseload.add_visit(r, "2026-11-04", "observation", notes="Observed maths.")
    caseload.add_support_plan(r, "2026-11-18", targets="Stay in class")
    caseload.log_call("2026-11-19", "Follow-up", referral_id=r)
    kinds = [(i["date"], i["kind"]) for i in caseload.timeline(r)]
    assert kinds == [
        ("2026-11-19", "helpline_call"),
        ("2026-11-18", "support_plan"),
        ("2026-11-04", "visit"),
        ("2026-11-03", "allocation"),
        ("2026-11-02", "referral"),
    ]


def test_caseload_rows_and_view_is_audited(caseload, case):
    (row,) = caseload.caseload()
    assert (row.pupil_name, row.school_name, row.status, row.caseworker_name) == (
        "Ivy Okafor",
        "Hollowmere Primary School",
        "new",
        None,
    )
    opened = caseload.open_case(case["referral"])
    assert opened["pupil"]["first_name"] == "Ivy"
    last = caseload.store.audit_trail()[-1]
    assert (last["action"], last["entity"], last["record_id"]) == ("view", "referral", case["referral"])


def test_caseload_rows_carry_what_tells_two_pupils_apart(caseload, case):
    school = case["school"]
    twin = caseload.add_pupil(
        first_name="Ivy",
        last_name="Okafor",
        school_id=school,
        date_of_birth="2019-06-01",
        year_group=2,
        upn="A123456789012",
    )
    caseload.add_referral(pupil_id=twin, school_id=school, reason="bullying", referral_date="2026-11-03")
    rows = {(r.pupil_name, r.date_of_birth, r.upn) for r in caseload.caseload()}
    assert rows == {("Ivy Okafor", "2017-03-14", None), ("Ivy Okafor", "2019-06-01", "A123456789012")}


def test_the_caseworker_a_name_means(caseload, case):
    """ "My cases": the one caseworker called what the user calls themselves in Settings."""
    assert caseload.caseworker_named("Sam Whitfield") == case["caseworker"]
    assert caseload.caseworker_named("  sam   WHITFIELD ") == case["caseworker"]  # case, spacing
    assert caseload.caseworker_named("Sam") is None
    assert caseload.caseworker_named("") is None
    caseload.add_caseworker("Sam Whitfield")  # two of that name: which is meant is not known
    assert caseload.caseworker_named("Sam Whitfield") is None


def test_deleted_referrals_leave_the_caseload(caseload, case):
    caseload.store.delete("referral", case["referral"])
    assert caseload.caseload() == []


def test_case_history_covers_the_referral_its_pupil_and_records(caseload, case):
    r = case["referral"]
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    visit = caseload.add_visit(r, "2026-11-04", "observation")
    caseload.update_pupil(case["pupil"], year_group=4)
    history = [(h["action"], h["entity"], h["record_id"]) for h in caseload.case_history(r)]
    assert history == [
        ("update", "pupil", case["pupil"]),
        ("update", "referral", r),
        ("create", "visit", visit),
        ("update", "referral", r),
        ("create", "referral", r),
        ("create", "pupil", case["pupil"]),
    ]
