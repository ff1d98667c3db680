"""Service figures against a small fixture whose medians, shares and counts are worked out by hand."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from desktop.caseload import Caseload
from desktop.cli import main
from desktop.reports.service import (
    percentile_nearest_rank,
    render_service,
    service_csv,
    service_document,
    service_figures,
    term_of,
)
from desktop.store import open_store
from tests.conftest import PASSPHRASE

from .conftest import pdf_text

START, END = date(2025, 9, 1), date(2026, 8, 31)


def fill(store) -> dict:
    cl = Caseload(store, today=date(2026, 8, 31))
    a = cl.add_school(name="Foxcote Primary School", phase="primary", governance="maintained", area="North")
    b = cl.add_school(name="Yarrow Academy", phase="secondary", governance="academy", area="South")
    worker = cl.add_caseworker("Siân Ó Briain")
    p1 = cl.add_pupil(
        first_name="Zoë", last_name="Nguyễn", school_id=a, fsm=1, sen="sen_support", gender="female", year_group=4
    )
    p2 = cl.add_pupil(first_name="Łukasz", last_name="Nowak", school_id=a, eal=1, gender="male", year_group=5)
    p3 = cl.add_pupil(
        first_name="Ivy",
        last_name="Okafor",
        school_id=b,
        fsm=1,
        looked_after=1,
        sen="ehcp",
        gender="female",
        year_group=8,
    )
    p4 = cl.add_pupil(first_name="Oscar", last_name="Hill", school_id=b, gender="male", year_group=9)

    def referral(pupil, school, when, reason="persistent_disruption"):
        return cl.add_referral(pupil_id=pupil, school_id=school, reason=reason, referral_date=when, source="school")

    r0 = referral(p4, b, "2025-08-01")  # before the period: counted nowhere
    r1 = referral(p1, a, "2025-09-10")
    r2 = referral(p2, a, "2025-10-01", "attendance")
    r3 = referral(p3, b, "2026-01-05")
    r4 = referral(p1, a, "2026-04-20", "attendance")
    referral(p4, b, "2026-06-01", "social_interaction")  # r5: never allocated
    for r, on in ((r0, "2025-08-04"), (r1, "2025-09-15"), (r2, "2025-10-21"), (r3, "2026-01-12"), (r4, "2026-05-04")):
        cl.allocate(r, worker, on=date.fromisoformat(on))  # days: 5, 20, 7, 14; r5 not allocated
    cl.add_visit(r1, "2025-09-20", "observation")
    cl.add_visit(r1, "2025-10-02", "psp_meeting")
    cl.add_visit(r3, "2026-01-20", "consultation")
    cl.add_visit(r0, "2025-08-10", "observation")  # before the period
    cl.log_call("2025-11-03", "Playground behaviour", referral_id=r1, outcome="advice_given")
    cl.log_call("2026-02-01", "Exclusion advice", outcome="referral_made")
    cl.close(r1, "improved_in_school", on=date(2026, 3, 1), fixed_exclusions_after=0, permanent_exclusions_after=0)
    cl.close(r3, "managed_move", on=date(2026, 5, 1), fixed_exclusions_after=2, permanent_exclusions_after=0)
    cl.close(r2, "school_withdrew", on=date(2026, 6, 1))  # no exclusions recorded
    return {"r1": r1, "r3": r3}


def test_figures_match_the_hand_worked_example(store):
    fill(store)
    f = service_figures(store, START, END)
    assert f.referrals == 5 and f.schools == 2 and f.pupils == 4
    assert f.by_term.counts == {"2025/26 autumn": 2, "2025/26 spring": 1, "2025/26 summer": 2}
    assert f.by_reason.counts == {
        "Persistent disruptive behaviour": 2,
        "Attendance": 2,
        "Social interaction difficulties": 1,
    }
    # allocation days 5, 20, 7, 14: median (7 + 14) / 2; 90th percentile rank ceil(3.6) = 4th = 20
    assert (f.allocated, f.not_allocated) == (4, 1)
    assert f.allocation_median_days == 10.5 and f.allocation_p90_days == 20
    assert (f.allocated_within_target.numerator, f.allocated_within_target.denominator) == (3, 4)
    # visits dated in the period: 2 on r1, 1 on r3 (r0's is before it)
    assert f.visits_by_type.counts == {"Classroom observation": 1, "Consultation": 1, "PSP meeting": 1}
    # contacts per case (any date): r1 2 visits + 1 call = 3, r3 1, r2 r4 r5 0 → median 0
    assert f.contacts_median == 0
    assert f.contacts_distribution.counts == {"0": 3, "1": 1, "2": 0, "3": 1, "4": 0, "5 or more": 0}
    assert f.calls_by_outcome.counts == {"Advice given": 1, "Referral made": 1}
    assert f.closed_by_outcome.counts == {
        "Behaviour improved; remains in school": 1,
        "Managed move": 1,
        "School withdrew the referral": 1,
    }
    # of the two closures with exclusions recorded, one had none: 50 %
    assert (f.not_excluded_again.numerator, f.not_excluded_again.denominator) == (1, 2)
    by = {b.title: b.counts for b in f.schools_by + f.pupils_by}
    assert by["Schools by governance"] == {"Maintained": 1, "Academy": 1}
    assert by["Pupils: free school meals"] == {"Yes": 2, "No": 2}
    assert by["Pupils: SEN status"] == {"None": 2, "SEN support": 1, "EHC plan": 1}
    assert by["Pupils: year group"] == {"Year 4": 1, "Year 5": 1, "Year 8": 1, "Year 9": 1}
    for b in (f.by_term, f.by_reason, f.by_source, f.contacts_distribution):
        assert b.total == f.referrals  # every breakdown adds up to its total
    for b in f.pupils_by:
        assert b.total == f.pupils


def test_the_pdf_and_csv_carry_the_same_figures(store):
    fill(store)
    f = service_figures(store, START, END)
    text = re.sub(r"\s+", " ", pdf_text(render_service(f, report_date=date(2026, 9, 1))))
    assert "Referrals received 5" in text and "Median days from referral to allocation 10.5" in text
    assert "90th percentile days to allocation 20" in text and "Allocated within 14 days 75% (3 of 4)" in text
    assert "50% (1 of 2 with exclusions recorded)" in text
    rows = list(csv.reader(io.StringIO(service_csv(f))))
    values = {(s, i): v for s, i, v in rows[1:]}
    assert values[("summary", "referrals received")] == "5"
    assert values[("summary", "median days to allocation")] == "10.5"
    assert values[("summary", "allocated within 14 days %")] == "75"
    assert values[("Referrals by term", "2025/26 autumn")] == "2"


@pytest.mark.parametrize(
    "values,p,expected",
    [
        ([5, 20, 7, 14], 90, 20),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
        ([3], 90, 3),
        ([], 90, None),
        ([4, 1, 2], 50, 2),
    ],
)
def test_nearest_rank_percentile(values, p, expected):
    assert percentile_nearest_rank(values, p) == expected


def test_terms():
    assert [term_of(date(2026, m, 1)) for m in (9, 12, 1, 3, 4, 8)] == [
        "autumn",
        "autumn",
        "spring",
        "spring",
        "summer",
        "summer",
    ]


def test_an_empty_period_prints_without_error(store):
    fill(store)
    f = service_figures(store, date(2020, 1, 1), date(2020, 12, 31))
    assert f.referrals == 0 and f.allocation_median_days is None
    titles = [s.title for s in service_document(f).printed_sections()]
    assert titles == ["Summary"]
    assert "Referrals received 0" in re.sub(r"\s+", " ", pdf_text(render_service(f)))


def test_the_service_report_command(monkeypatch, isolated_home, tmp_path, capsys):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    store = open_store(isolated_home, PASSPHRASE)
    fill(store)
    store.close()
    out = tmp_path / "service.pdf"
    assert main(["report", "service", "--from", "01/09/2025", "--to", "31/08/2026", "-o", str(out)]) == 0
    assert "Service report: 01/09/2025 to 31/08/2026" in pdf_text(out.read_bytes())
    table = tmp_path / "service.csv"
    assert main(["report", "service", "--from", "01/09/2025", "--to", "31/08/2026", "--csv", "-o", str(table)]) == 0
    assert "referrals received,5" in table.read_text(encoding="utf-8")
    assert main(["report", "service", "--from", "01/09/2026", "--to", "31/08/2025", "-o", str(out)]) == 1
    assert "before" in capsys.readouterr().err


def test_satisfaction_means_and_the_share_rating_good_or_excellent(store):
    from desktop.forms.records import FormRecords

    fill(store)
    records = FormRecords(store)
    pupil = store.db.query("SELECT id FROM pupil ORDER BY first_name LIMIT 1").__next__()["id"]

    def survey(when, answers, final=True):
        cid = records.start(
            pupil_id=pupil,
            pack_id="school-satisfaction",
            informant="school",
            age_band="all",
            completed_by="teacher",
            completed_on=when,
            time_point="other",
        )
        for item, value in answers.items():
            records.answer(cid, item, value)
        if final:
            records.finalise(cid)
        return cid

    survey("2026-03-02", {"overall": 5, "advice": 4})
    first = survey("2026-05-02", {"overall": 3, "advice": 5, "report": 4})
    survey("2026-06-02", {"overall": 2}, final=False)  # a draft: not counted
    survey("2025-07-01", {"overall": 1})  # before the period
    # a correction of the second survey replaces it: overall 3 → 4
    correction = records.correct(first)
    records.answer(correction, "overall", 4)
    records.finalise(correction)
    f = service_figures(store, START, END)
    # overall: 5 and 4 → mean 4.5 over 2 schools; advice: 4 and 5 → 4.5; report: 4 (one school)
    assert f.satisfaction["overall"] == (4.5, 2) and f.satisfaction["advice"] == (4.5, 2)
    assert f.satisfaction["report"] == (4, 1) and f.satisfaction["contact"] == (None, 0)
    assert (f.rated_good_or_excellent.numerator, f.rated_good_or_excellent.denominator) == (2, 2)
    text = re.sub(r"\s+", " ", pdf_text(render_service(f)))
    assert "Overall rating of the service 4.5 2" in text
    assert "Rated the service good or excellent overall: 100% (2 of 2)." in text
    assert "school-satisfaction" not in f.outcome_means


def test_progress_is_reported_stage_by_stage(store):
    from desktop.reports.service import STEPS

    fill(store)
    seen = []
    service_figures(store, START, END, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, STEPS) for n in range(1, STEPS + 1)]
