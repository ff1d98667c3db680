"""The school's satisfaction survey is offered when a case is closed, opens as a form, and its
ratings are the service report's "out of 5" figures."""

from __future__ import annotations

from datetime import date

from desktop.forms.records import FormRecords
from desktop.reports.sample import make_sample_case
from desktop.reports.service import SATISFACTION_PACK, render_service, service_figures
from tests.reports.conftest import pdf_text


def close_case(window, queue, referral_id):
    queue.append(
        {
            "outcome": "improved_in_school",
            "closed_on": "2026-11-20",
            "fixed_exclusions_after": 0,
            "permanent_exclusions_after": 0,
        }
    )
    window.select_referral(referral_id)
    window.case_action("close")


def test_closing_a_case_offers_the_survey_and_it_feeds_the_service_report(make_window, store, fill_dialogs):
    queue, _seen = fill_dialogs
    ids = make_sample_case(store)
    window = make_window(store)
    asked = []
    window.reports.ask = lambda _p, title, text: asked.append(title) or True
    close_case(window, queue, ids["referral"])
    assert store.get("referral", ids["referral"])["status"] == "closed"
    assert asked == ["School satisfaction survey"]
    [form] = window.assessments.forms
    records = FormRecords(store)
    survey = records.completion(form.completion_id)
    assert (survey["pack_id"], survey["referral_id"], survey["completed_on"]) == (
        SATISFACTION_PACK,
        ids["referral"],
        "2026-11-20",
    )

    # the school answers (what the form window writes), and the form is finalised
    for item_id, rating in {"contact": 5, "advice": 4, "report": 4, "difference": 3, "overall": 4}.items():
        records.answer(form.completion_id, item_id, rating)
    records.finalise(form.completion_id)
    figures = service_figures(store, date(2026, 9, 1), date(2026, 11, 30))
    assert figures.satisfaction["contact"] == (5, 1) and figures.satisfaction["difference"] == (3, 1)
    assert (figures.rated_good_or_excellent.numerator, figures.rated_good_or_excellent.denominator) == (1, 1)
    text = pdf_text(render_service(figures))
    assert "Schools' satisfaction" in text and "Mean out of 5" in text
    assert "Rated the service good or excellent overall: 100% (1 of 1)." in text


def test_declining_the_survey_records_nothing(make_window, store, fill_dialogs):
    queue, _seen = fill_dialogs
    ids = make_sample_case(store)
    window = make_window(store)
    window.reports.ask = lambda *_: False
    close_case(window, queue, ids["referral"])
    assert store.get("referral", ids["referral"])["status"] == "closed"
    assert window.assessments.forms == []
    assert not store.conn.execute("SELECT 1 FROM form_completion WHERE pack_id = ?", (SATISFACTION_PACK,)).fetchone()
    # offered once a case: asking again (e.g. from the menu) finds nothing to offer after one exists
    window.reports.ask = lambda *_: True
    assert window.reports.offer_satisfaction_survey(ids["referral"]) is not None
    assert window.reports.offer_satisfaction_survey(ids["referral"]) is None


def test_an_exclusion_is_recorded_from_the_reports_menu(make_window, store, fill_dialogs):
    from desktop.caseload.reviews import PlanReviews

    queue, seen = fill_dialogs
    ids = make_sample_case(store)
    window = make_window(store)
    window.select_referral(ids["referral"])
    queue.append({"exclusion_date": "2026-12-01", "kind": "fixed"})  # a date to come: refused, said why
    assert window.reports.record_exclusion() is None
    assert "in the future" in seen[-1].errors.text()
    queue.append({"exclusion_date": "2026-11-02", "kind": "permanent", "notes": "Two days."})
    assert window.reports.record_exclusion()
    [row] = PlanReviews(store).exclusions([ids["pupil"]])
    assert (row["exclusion_date"], row["kind"], row["referral_id"]) == ("2026-11-02", "permanent", ids["referral"])
