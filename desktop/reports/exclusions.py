"""Exclusions after the service's work, from dated ``exclusion`` records (store migration 11).

Two figures, as the seeds report them ("over 93% of pupils referred following a fixed term
exclusion were not excluded again in the next 12 month period"; "out of 136 referrals of
Year 6 pupils, only 4 have received a fixed term exclusion in the autumn term of Year 7"),
each computed only where the data allows and printed with its denominator:

* **Not excluded again within 12 months of closure.** Cases closed in the range whose
  pupil had been excluded before the referral (``fixed_exclusions_before`` or
  ``permanent_exclusions_before`` above 0) and whose 12 months after closure have ended
  by the report's date (``as_of``): the cases with **follow-up data**. Of those, the ones
  with no exclusion of the pupil dated after the closure date and up to the same day 12
  months later. Printed "x% (n of N closed cases with follow-up data)".
* **Excluded in the autumn term of Year 7.** Referrals received in the range of pupils in
  Year 6 on the referral date (from the date of birth), whose Year 7 autumn term
  (1 September to 31 December of the next school year) has ended by the report's date.
  Of those, the ones with an exclusion (fixed-term or permanent) dated in that term.
  Printed "n of N Year 6 referrals followed up".

A case whose follow-up period has not ended is left out of both (not counted as "not
excluded"): a figure over too few cases says so by its denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from desktop.dates import academic_year_start, expected_year_group
from desktop.observation.ratio import Ratio

FOLLOW_UP_MONTHS = 12
_DAY = timedelta(days=1)


def months_later(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of the month when it has no such day)."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ExclusionFigures:
    as_of: date
    closed_excluded_before: int  # cases closed in the range with exclusions before referral
    not_excluded_again: Ratio  # of those with 12 months' follow-up: none in the 12 months
    year6_referrals: int  # referrals received in the range of pupils then in Year 6
    excluded_autumn_year7: Ratio  # of those followed up: excluded in the autumn of Year 7


def exclusion_figures(store, start: date, end: date, as_of: date) -> ExclusionFigures:
    q = store.db.query
    by_pupil: dict[str, list[date]] = {}
    for row in q("SELECT pupil_id, exclusion_date FROM exclusion WHERE deleted = 0"):
        try:
            by_pupil.setdefault(row["pupil_id"], []).append(date.fromisoformat(row["exclusion_date"]))
        except (TypeError, ValueError):
            continue  # a date no laptop writes: not counted

    def excluded_between(pupil_id: str, after: date, until: date) -> bool:
        return any(after < d <= until for d in by_pupil.get(pupil_id, ()))

    closed = [
        r
        for r in q("SELECT * FROM referral WHERE deleted = 0 AND status = 'closed' AND closed_on IS NOT NULL")
        if start.isoformat() <= r["closed_on"] <= end.isoformat()
    ]
    before = [r for r in closed if (r["fixed_exclusions_before"] or 0) or (r["permanent_exclusions_before"] or 0)]
    followed = [r for r in before if months_later(date.fromisoformat(r["closed_on"]), FOLLOW_UP_MONTHS) <= as_of]
    clean = sum(
        1
        for r in followed
        if not excluded_between(
            r["pupil_id"],
            date.fromisoformat(r["closed_on"]),
            months_later(date.fromisoformat(r["closed_on"]), FOLLOW_UP_MONTHS),
        )
    )

    pupils = {p["id"]: p for p in q("SELECT id, date_of_birth FROM pupil WHERE deleted = 0")}
    year6, year6_followed, year6_excluded = 0, 0, 0
    for r in q(
        "SELECT id, pupil_id, referral_date FROM referral WHERE deleted = 0 "
        "AND referral_date >= ? AND referral_date <= ?",
        [start.isoformat(), end.isoformat()],
    ):
        dob = (pupils.get(r["pupil_id"]) or {}).get("date_of_birth")
        if not dob:
            continue
        referred = date.fromisoformat(r["referral_date"])
        if expected_year_group(date.fromisoformat(dob), referred) != 6:
            continue
        year6 += 1
        autumn_start = date(academic_year_start(referred) + 1, 9, 1)
        autumn_end = date(autumn_start.year, 12, 31)
        if autumn_end > as_of:
            continue
        year6_followed += 1
        if excluded_between(r["pupil_id"], autumn_start - _DAY, autumn_end):
            year6_excluded += 1

    return ExclusionFigures(
        as_of=as_of,
        closed_excluded_before=len(before),
        not_excluded_again=Ratio(
            clean, len(followed), None if followed else "no closed case has 12 months' follow-up yet"
        ),
        year6_referrals=year6,
        excluded_autumn_year7=Ratio(
            year6_excluded,
            year6_followed,
            None if year6_followed else "no Year 6 referral has reached the end of the autumn term of Year 7",
        ),
    )


__all__ = ["ExclusionFigures", "FOLLOW_UP_MONTHS", "exclusion_figures", "months_later"]
