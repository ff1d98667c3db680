"""A PSP review: each target rated at each review, the change since the last review, printed
in the PSP document; worked out by hand."""

from __future__ import annotations

import re
from datetime import date

import pytest

from desktop.caseload.reviews import PlanReviews, TargetRating, plan_targets
from desktop.reports.psp import build_psp, render_psp
from desktop.store import ValidationError
from tests.conftest import TODAY

from .conftest import pdf_body, pdf_text

TARGETS = (
    "1. Ivy will start written tasks within 2 minutes.\n"
    "2. Ivy will stay in her seat for 10 minutes.\n"
    "- Ivy will use the calm card instead of leaving the room."
)
T1, T2, T3 = plan_targets(TARGETS)


@pytest.fixture
def plan(caseload, case):
    return caseload.add_support_plan(
        case["referral"], "2026-09-20", targets=TARGETS, review_dates=["2026-10-18", "2026-11-15"]
    )


def test_targets_are_the_plans_lines_without_list_markers():
    assert (T1, T2, T3) == (
        "Ivy will start written tasks within 2 minutes.",
        "Ivy will stay in her seat for 10 minutes.",
        "Ivy will use the calm card instead of leaving the room.",
    )
    assert plan_targets("\n  \n* one\n2) two\nthree") == ["one", "two", "three"]


def test_progress_since_the_last_review_and_the_psp_table(store, plan):
    reviews = PlanReviews(store, today=TODAY)
    # entered out of order: the table goes by review date
    reviews.add_review(
        plan,
        "2026-11-15",
        [(T1, 4, "Starts most tasks with a timer."), (T2, 2, ""), (T3, None, "Not seen this half term.")],
        notes="Mum attended.",
    )
    reviews.add_review(plan, "18/10/2026", [(T1, 2, ""), (T2, 3, ""), (T3, 1, "")])
    progress = reviews.progress(plan)
    assert progress.review_dates == ("2026-10-18", "2026-11-15")
    # by hand: T1 2 → 4 is +2; T2 3 → 2 is −1; T3 rated 1 then not rated: no change to give
    assert [(r.target, r.ratings, r.change) for r in progress.rows] == [
        (T1, (2, 4), 2),
        (T2, (3, 2), -1),
        (T3, (1, None), None),
    ]

    pdf = render_psp(build_psp(store, plan, report_date=TODAY))
    body = re.sub(r"\s+", " ", pdf_body(pdf, "Behaviour Support Service"))
    section = body[body.index("Progress at reviews") : body.index("Ratings at each review")]
    assert "Change since last review" in section
    # each review date heads a column (pdf_body drops lines that are only a date, as the
    # footer's): in the page's text, after the section's heading, before its first row
    text = pdf_text(pdf)
    start = text.index("Progress at reviews")
    header = text[start : text.index(T1, start)]
    assert re.sub(r"\s+", " ", header).strip() == (
        "Progress at reviews Target 18/10/2026 15/11/2026 Change since last review"
    )
    for row in (f"{T1} 2 4 +2", f"{T2} 3 2 -1", f"{T3} 1 — —"):
        assert row in section
    assert "Review of 15/11/2026 Mum attended." in body
    assert "• Ivy will start written tasks within 2 minutes: Starts most tasks with a timer." in body


def test_a_third_review_compares_with_the_second_only(store, plan):
    reviews = PlanReviews(store, today=date(2026, 12, 20))
    reviews.add_review(plan, "2026-10-18", [(T1, 1, "")])
    reviews.add_review(plan, "2026-11-15", [(T1, 3, "")])
    reviews.add_review(plan, "2026-12-13", [(T1, 2, ""), ("A new target added at this review", 3, "")])
    rows = {r.target: r for r in reviews.progress(plan).rows}
    assert rows[T1].ratings == (1, 3, 2) and rows[T1].change == -1
    assert rows[T2].ratings == (None, None, None) and rows[T2].change is None
    assert rows["A new target added at this review"].ratings == (None, None, 3)


@pytest.mark.parametrize(
    "when, ratings, field, words",
    [
        ("2026-09-01", [(T1, 3, "")], "review_date", "before the plan started"),
        ("2026-12-01", [(T1, 3, "")], "review_date", "in the future"),
        ("not a date", [(T1, 3, "")], "review_date", "Review date"),
        ("2026-10-18", [], "ratings", "at least one target"),
        ("2026-10-18", [(T1, None, "")], "ratings", "Rate at least one target"),
        ("2026-10-18", [(T1, 6, "")], "ratings", "from 1 (No progress) to 5 (Target met)"),
        ("2026-10-18", [(T1, 3, ""), (T1, 2, "")], "ratings", "listed twice"),
        ("2026-10-18", [(" ", 3, "")], "ratings", "no text"),
    ],
)
def test_a_review_that_cannot_be_stored_says_why_and_stores_nothing(store, plan, when, ratings, field, words):
    with pytest.raises(ValidationError) as err:
        PlanReviews(store, today=TODAY).add_review(plan, when, [TargetRating(*r) for r in ratings])
    assert words in err.value.problems[field]
    assert PlanReviews(store).reviews(plan) == []


def test_the_signatures_block_stays_on_the_page_when_it_fits(store, caseload, case):
    """A kept-together section is moved to a new page only when it does not fit (a short plan
    and its signatures are one page)."""
    from .conftest import pdf_pages

    plan = caseload.add_support_plan(case["referral"], "2026-11-20", targets="Ivy will start tasks.")
    pages = pdf_pages(render_psp(build_psp(store, plan, report_date=TODAY)))
    assert len(pages) == 1 and "Signatures" in pages[0] and "Behaviour support" in pages[0]
