"""A case's history (issue 13 item 6): every kind of record on the case, in the service's
words, newest first, with who and when."""

from __future__ import annotations

import re
from datetime import date

import pytest

from desktop.caseload.case_words import history_text
from desktop.caseload.history import CASE_RECORDS, case_history
from desktop.caseload.reviews import PlanReviews, TargetRating
from desktop.forms.records import FormRecords
from desktop.observation.engine import ObservationEngine
from tests.observation.fakes import FakeClock
from desktop.observation.records import ObservationSetup
from desktop.observation.scheme import minute_intervals
from desktop.observation.store_repository import StoreObservationRepository
from desktop.reports.records import ReportRecords
from desktop.store.attachments import add_attachment
from tests.conftest import TODAY


@pytest.fixture
def full_case(caseload, case):
    """A case with one record of every kind the history covers, each made by "tester"."""
    store, r = caseload.store, case["referral"]
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    ids = {"referral": r, "pupil": case["pupil"]}
    ids["visit"] = caseload.add_visit(r, "2026-11-04", "observation", notes="Maths, set 2")
    ids["support_plan"] = caseload.add_support_plan(r, "2026-11-05", targets="Stay in class\nAsk for help")
    ids["plan_review"] = PlanReviews(store, TODAY).add_review(
        ids["support_plan"], "2026-11-19", [TargetRating("Stay in class", 3, "")]
    )
    ids["helpline_call"] = caseload.log_call("2026-11-06", "Lunchtimes", referral_id=r)
    ids["exclusion"] = PlanReviews(store, TODAY).add_exclusion(case["pupil"], "2026-11-07", "fixed", referral_id=r)
    clock = FakeClock()
    repo = StoreObservationRepository(store)
    engine = ObservationEngine.start(
        ObservationSetup(case_id=r, lesson="Maths", interval_seconds=60),
        minute_intervals(),
        sink=repo.sink,
        clock=clock,
    )
    engine.press("1")
    clock.advance(180)
    engine.poll()
    engine.end()
    engine.finalise()
    ids["observation"] = engine.observation.id
    forms = FormRecords(store)
    completion = forms.start(
        pupil_id=case["pupil"],
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on="2026-11-10",
        time_point="T1",
        referral_id=r,
    )
    for item in forms.pack("sdq-teacher-4-17").items[:3]:
        forms.answer(completion, item.id, 1)
    ids["form_completion"] = completion
    ids["report"] = ReportRecords(store, forms).start_visit(r, date(2026, 11, 12))
    ids["attachment"] = add_attachment(
        store, b"%PDF-1.4 school letter", referral_id=r, title="Letter from school", filename="letter.pdf"
    )
    caseload.update_pupil(case["pupil"], year_group=4)
    return ids


def test_every_kind_of_record_on_the_case_is_in_its_history(caseload, full_case):
    history = case_history(caseload.store, full_case["referral"])
    kinds = {e.entity for e in history}
    assert kinds == set(CASE_RECORDS) == set(full_case)
    assert all(e.actor == "tester" for e in history)
    # newest first: the pupil's year group was the last change
    assert history[0].entity == "pupil" and history[0].text == "changed the pupil's details: Year group to Year 4"
    assert [e.at for e in history] == sorted((e.at for e in history), reverse=True)


def test_history_lines_are_in_the_services_words(caseload, full_case):
    lines = [history_text(e) for e in caseload.case_history(full_case["referral"])]
    text = "\n".join(lines)
    for words in (
        "allocated the case to Sam Whitfield from 03/11/2026",
        "added the visit of 04/11/2026 (classroom observation)",
        "added the Pastoral Support Plan from 05/11/2026",
        "added the PSP review of 19/11/2026",
        "added the helpline call of 06/11/2026",
        "added the suspension of 07/11/2026",
        "finalised the classroom observation of",
        "added the SDQ teacher 4–17 assessment of 10/11/2026, T1",
        "answered 3 items in the SDQ teacher 4–17 assessment",
        "added the visit report of 12/11/2026",
        "added the document “Letter from school”",
    ):
        assert words in text, words
    # no raw field or table names, no ids
    assert not re.search(r"\b\w+_(id|on|date)\b|caseworker id|form_completion|support_plan", text)
    for record_id in full_case.values():
        assert record_id not in text
    # each line: UK date and time, then who
    assert all(re.match(r"\d\d/\d\d/\d{4} \d\d:\d\d   tester ", line) for line in lines)


def test_the_many_rows_of_an_observation_fold_into_one_line(caseload, full_case):
    history = case_history(caseload.store, full_case["referral"])
    events = [e for e in history if e.part == "observation_event"]
    assert len(events) == 1 and events[0].count > 3
    assert events[0].text.startswith(f"recorded {events[0].count} entries in the classroom observation")


def test_repeated_openings_by_one_person_fold(caseload, case):
    for _ in range(3):
        caseload.open_case(case["referral"])
    views = [e for e in case_history(caseload.store, case["referral"]) if e.action == "view"]
    assert [(v.count, v.text) for v in views] == [(3, "opened the case (3 times)")]


def test_a_change_whose_outbox_entry_is_gone_still_reads_in_words(caseload, case):
    r = case["referral"]
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    caseload.store.conn.execute("DELETE FROM outbox")  # acknowledged and pruned
    latest = case_history(caseload.store, r)[0]
    assert latest.text == "allocated the case (Allocated on, Caseworker, Status)"


def test_a_closed_case_says_how_it_closed(caseload, case):
    r = case["referral"]
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    caseload.add_visit(r, "2026-11-04", "observation")
    caseload.close(r, "improved_in_school", date(2026, 11, 20))
    texts = [e.text for e in case_history(caseload.store, r)]
    assert texts[0].startswith("closed the case: ")
    assert "started the casework (case active)" in texts
