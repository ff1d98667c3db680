"""Exclusions after support, from dated exclusions: a fixture worked out by hand.

Period: the school year 2025/26 (01/09/2025 to 31/08/2026); report made on 15/01/2027.

Cases closed, pupil excluded before referral?, exclusions recorded, 12 months' follow-up ended?
  A  closed 15/10/2025, yes: excluded 01/03/2026 (within 12 months)          followed   -> excluded again
  B  closed 20/11/2025, yes: excluded 21/11/2026 (a day after the 12 months) followed   -> not again
  C  closed 01/11/2025, yes: excluded 01/11/2025 (the closure day itself)    followed   -> not again
  D  closed 30/06/2026, yes: none                       (follow-up ends 30/06/2027)    -> left out
  E  closed 10/01/2026, no exclusions before referral                                  -> left out
  F  closed 20/08/2025, before the period                                              -> left out
  => closed with exclusions before: 4 (A-D); with follow-up data: 3; not excluded again: 2 (B, C): 67%.

Referrals received in the period, the pupil's year group on the referral date (from the date
of birth), exclusions in the autumn term of Year 7 (01/09/2026 to 31/12/2026):
  P1 born 01/10/2014, referred 01/10/2025: Year 6; excluded 05/10/2026              -> excluded
  P2 born 10/03/2015, referred 01/02/2026: Year 6; excluded 30/08/2026 and 05/01/2027 (not in term)
  P3 born 01/09/2014, referred 01/06/2026: Year 6; excluded 31/12/2026 (the term's last day) -> excluded
  P4 born 01/12/2013, referred 01/11/2025: Year 7 then, not a Year 6 referral
  P5 born 01/10/2014, referred 15/08/2025: before the period
  => Year 6 referrals: 3, followed up: 3, excluded in the autumn term of Year 7: 2.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from desktop.caseload import Caseload
from desktop.caseload.reviews import PlanReviews
from desktop.dates import expected_year_group
from desktop.reports.exclusions import exclusion_figures, months_later
from desktop.reports.service import render_service, service_csv, service_figures
from desktop.store import ValidationError

from .conftest import pdf_text

AS_OF = date(2027, 1, 15)
START, END = date(2025, 9, 1), date(2026, 8, 31)


@pytest.fixture
def fixture(store):
    cl = Caseload(store, today=AS_OF)
    reviews = PlanReviews(store, today=AS_OF)
    school = cl.add_school(
        name="Hollowmere Primary School", urn="990001", phase="primary", governance="maintained", area="Ashbridge North"
    )
    worker = cl.add_caseworker("Sam Whitfield")

    def pupil(name, dob):
        dob = date.fromisoformat(dob)
        return cl.add_pupil(
            first_name=name,
            last_name="Test",
            school_id=school,
            date_of_birth=dob.isoformat(),
            year_group=expected_year_group(dob, AS_OF),
        )

    def case(name, dob, referred, before=0, closed=None, exclusions=()):
        p = pupil(name, dob)
        r = cl.add_referral(
            pupil_id=p,
            school_id=school,
            reason="persistent_disruption",
            referral_date=referred,
            fixed_exclusions_before=before,
        )
        if closed:
            cl.allocate(r, worker, on=date.fromisoformat(referred))
            cl.close(r, "improved_in_school", date.fromisoformat(closed))
        for when in exclusions:
            reviews.add_exclusion(p, when, "fixed", referral_id=r)
        return r

    case("A", "2016-01-01", "2025-06-01", 2, "2025-10-15", ["2026-03-01"])
    case("B", "2016-01-01", "2025-06-01", 1, "2025-11-20", ["2026-11-21"])
    case("C", "2016-01-01", "2025-06-01", 1, "2025-11-01", ["2025-11-01"])
    case("D", "2016-01-01", "2026-03-01", 3, "2026-06-30")
    case("E", "2016-01-01", "2025-06-01", 0, "2026-01-10", ["2026-02-01"])
    case("F", "2016-01-01", "2025-05-01", 2, "2025-08-20", [])
    case("P1", "2014-10-01", "2025-10-01", exclusions=["2026-10-05"])
    case("P2", "2015-03-10", "2026-02-01", exclusions=["2026-08-30", "2027-01-05"])
    case("P3", "2014-09-01", "2026-06-01", exclusions=["2026-12-31"])
    case("P4", "2013-12-01", "2025-11-01", exclusions=["2026-10-01"])
    case("P5", "2014-10-01", "2025-08-15", exclusions=["2026-10-01"])
    return store


def test_the_hand_worked_figures(fixture):
    e = exclusion_figures(fixture, START, END, AS_OF)
    assert e.closed_excluded_before == 4
    assert (e.not_excluded_again.numerator, e.not_excluded_again.denominator) == (2, 3)
    assert e.year6_referrals == 3
    assert (e.excluded_autumn_year7.numerator, e.excluded_autumn_year7.denominator) == (2, 3)


def test_the_report_prints_them_with_their_denominators(fixture):
    f = service_figures(fixture, START, END, as_of=AS_OF)
    text = re.sub(r"\s+", " ", pdf_text(render_service(f)))
    assert "Exclusions after support" in text
    assert "67% 2 of 3 closed cases with follow-up data" in text
    assert "2 of 3 Year 6 referrals followed up" in text
    csv = service_csv(f)
    assert "exclusions,not excluded again within 12 months of closure %,67" in csv
    assert "exclusions,closed cases with 12 months' follow-up data,3" in csv
    assert "exclusions,Year 6 referrals excluded in the autumn term of Year 7,2" in csv


def test_before_the_follow_up_ends_nothing_is_counted(fixture):
    e = exclusion_figures(fixture, START, END, date(2026, 10, 1))
    # A's 12 months ended 15/10/2026 (after): no closed case followed up; no autumn term over
    assert e.not_excluded_again.denominator == 0 and e.excluded_autumn_year7.denominator == 0
    assert e.closed_excluded_before == 4 and e.year6_referrals == 3


def test_months_later_keeps_the_day_or_the_months_last():
    assert months_later(date(2025, 10, 15), 12) == date(2026, 10, 15)
    assert months_later(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert months_later(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_an_exclusion_that_cannot_be_recorded_says_why(store, case):
    reviews = PlanReviews(store, today=date(2026, 11, 23))
    with pytest.raises(ValidationError) as err:
        reviews.add_exclusion(case["pupil"], "2026-12-01", "suspension")
    assert "in the future" in err.value.problems["exclusion_date"]
    assert "fixed-term or permanent" in err.value.problems["kind"]
