"""The service report: the figures a team lead gives the commissioner, over a date range.

Every figure is defined here once (and in docs/reports.md), computed from the
records on this laptop, and every breakdown adds up to its total:

* **Referrals received**: referrals whose referral date is in the range; by academic
  year and term (autumn: September–December, spring: January–March, summer:
  April–August), by reason and by source.
* **Schools and pupils supported**: the distinct schools and pupils of those
  referrals; schools by governance, phase and area; pupils by characteristic (FSM,
  pupil premium, SEN status, EAL, looked-after, gender, year group — as recorded now).
* **Days from referral to allocation**: for those referrals that are allocated,
  allocation date minus referral date; the median, the 90th percentile (nearest
  rank: the smallest value with at least 90% of cases at or below it) and the share
  allocated within 14 days. Referrals not yet allocated are counted apart.
* **Visits by type**: visits dated in the range.
* **Contacts per case**: for the referrals received, visits plus helpline calls
  recorded against each (on any date): median and distribution.
* **Helpline calls**: calls dated in the range, by topic and by outcome.
* **Cases closed**: referrals closed in the range, by outcome; of those with
  exclusions recorded after referral, the share with none (fixed-term or permanent).
* **Schools' satisfaction**: finalised ``school-satisfaction`` surveys completed in the
  range (the current version of each): each question's mean rating out of 5 over the
  schools that answered it, and the share rating the service 4 (good) or 5 (excellent)
  overall.
* **Exclusions after support** (``desktop.reports.exclusions``, from dated exclusions):
  of cases closed in the range after exclusions before referral and with 12 months'
  follow-up, the share not excluded again within 12 months of closure; of Year 6
  referrals received in the range whose Year 7 autumn term has ended, how many were
  excluded in it. Each with its denominator.
* **Outcome measures**: for pupils of cases closed in the range, the mean score of
  each scale at T1, T2 and T3 and how many pupils each mean rests on
  (``FormRecords.cohort_means``).

``service_figures`` returns a plain ``ServiceFigures``; ``service_document`` lays it
out, ``service_csv`` writes the same figures as rows a spreadsheet can take.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from desktop.caseload import vocab
from desktop.dates import academic_year_label, to_uk, year_group_label
from desktop.reports import charts
from desktop.reports.document import ChartBlock, Document, Letterhead, ReportRenderer, Section, TableBlock, Text
from desktop.reports.exclusions import ExclusionFigures, exclusion_figures
from desktop.reports.figures import percent_text
from desktop.observation.ratio import Ratio

ALLOCATION_TARGET_DAYS = 14
SATISFACTION_PACK = "school-satisfaction"
CONTACT_BINS = ("0", "1", "2", "3", "4", "5 or more")


def term_of(day: date) -> str:
    """The English school term a date falls in: autumn (Sep–Dec), spring (Jan–Mar), summer (Apr–Aug)."""
    return "autumn" if day.month >= 9 else "spring" if day.month <= 3 else "summer"


def percentile_nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The smallest value with at least ``p``% of the values at or below it (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Breakdown:
    """Counts by category (label → n), in display order; ``total`` is their sum."""

    title: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ServiceFigures:
    start: date
    end: date
    referrals: int
    by_term: Breakdown
    by_reason: Breakdown
    by_source: Breakdown
    schools: int
    schools_by: tuple[Breakdown, ...]
    pupils: int
    pupils_by: tuple[Breakdown, ...]
    allocated: int
    not_allocated: int
    allocation_median_days: float | None
    allocation_p90_days: float | None
    allocated_within_target: Ratio
    visits_by_type: Breakdown
    contacts_median: float | None
    contacts_distribution: Breakdown
    calls_by_topic: Breakdown
    calls_by_outcome: Breakdown
    closed_by_outcome: Breakdown
    not_excluded_again: Ratio
    satisfaction: dict[str, tuple[float | None, int]] = field(default_factory=dict)  # question → (mean, n)
    satisfaction_labels: dict[str, str] = field(default_factory=dict)
    rated_good_or_excellent: Ratio = Ratio(0, 0, "no survey answered the overall question")
    outcome_means: dict[str, dict[str, dict[str, tuple[float | None, int]]]] = field(default_factory=dict)
    outcome_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # pack → score id → label
    outcome_titles: dict[str, str] = field(default_factory=dict)
    exclusions: ExclusionFigures | None = None  # desktop.reports.exclusions (dated records)


def _in(day: str | None, start: date, end: date) -> bool:
    return bool(day) and start <= date.fromisoformat(day[:10]) <= end


def _breakdown(title: str, values, labels: dict | None = None, missing: str = "Not recorded") -> Breakdown:
    counts = Counter(values)
    ordered: dict[str, int] = {}
    for key, label in (labels or {}).items():
        if counts.get(key):
            ordered[label] = counts.pop(key)
    for key in sorted(counts, key=lambda k: (k is None, str(k))):
        ordered[missing if key in (None, "") else str(key)] = (
            ordered.get(missing if key in (None, "") else str(key), 0) + counts[key]
        )
    return Breakdown(title, ordered)


STEPS = 6


def service_figures(
    store, start: date, end: date, records=None, progress=None, as_of: date | None = None
) -> ServiceFigures:
    """The service's figures for referrals, visits, calls and closures dated ``start``..``end``.

    ``progress(done, total)``, if given, is called after each of the ``STEPS`` stages."""
    step = progress or (lambda _done, _total: None)
    q = store.db.query
    referrals = [r for r in q("SELECT * FROM referral WHERE deleted = 0") if _in(r["referral_date"], start, end)]
    schools = {s["id"]: s for s in q("SELECT * FROM school WHERE deleted = 0")}
    pupils = {p["id"]: p for p in q("SELECT * FROM pupil WHERE deleted = 0")}

    step(1, STEPS)
    terms = []
    for r in referrals:
        day = date.fromisoformat(r["referral_date"])
        terms.append(f"{academic_year_label(day)} {term_of(day)}")
    term_order = sorted(set(terms), key=lambda t: (t[:7], ("autumn", "spring", "summer").index(t[8:])))
    by_term = Breakdown("Referrals by term", {t: terms.count(t) for t in term_order})

    school_ids = sorted({r["school_id"] for r in referrals})
    pupil_ids = sorted({r["pupil_id"] for r in referrals})
    sch = [schools.get(i, {}) for i in school_ids]
    pup = [pupils.get(i, {}) for i in pupil_ids]
    yes_no = {1: "Yes", 0: "No"}
    schools_by = (
        _breakdown("Schools by governance", [s.get("governance") for s in sch], vocab.GOVERNANCE),
        _breakdown("Schools by phase", [s.get("phase") for s in sch], vocab.SCHOOL_PHASES),
        _breakdown("Schools by area", [s.get("area") for s in sch]),
    )
    pupils_by = (
        _breakdown("Pupils: free school meals", [p.get("fsm") for p in pup], yes_no),
        _breakdown("Pupils: pupil premium", [p.get("pupil_premium") for p in pup], yes_no),
        _breakdown("Pupils: SEN status", [p.get("sen") for p in pup], vocab.SEN_STATUS),
        _breakdown("Pupils: English as an additional language", [p.get("eal") for p in pup], yes_no),
        _breakdown("Pupils: looked after", [p.get("looked_after") for p in pup], yes_no),
        _breakdown("Pupils: gender", [p.get("gender") for p in pup], vocab.GENDERS),
        _breakdown(
            "Pupils: year group",
            [p.get("year_group") for p in pup],
            {y: year_group_label(y) for y in vocab.YEAR_GROUPS},
        ),
    )

    step(2, STEPS)
    days = [
        (date.fromisoformat(r["allocated_on"]) - date.fromisoformat(r["referral_date"])).days
        for r in referrals
        if r["allocated_on"]
    ]
    within = sum(1 for d in days if d <= ALLOCATION_TARGET_DAYS)

    step(3, STEPS)
    visits = [v for v in q("SELECT * FROM visit WHERE deleted = 0") if _in(v["visit_date"], start, end)]
    calls_all = list(q("SELECT * FROM helpline_call WHERE deleted = 0"))
    calls = [c for c in calls_all if _in(c["call_date"], start, end)]
    contacts = Counter()
    for v in q("SELECT referral_id FROM visit WHERE deleted = 0"):
        contacts[v["referral_id"]] += 1
    for c in calls_all:
        if c["referral_id"]:
            contacts[c["referral_id"]] += 1
    per_case = [contacts.get(r["id"], 0) for r in referrals]
    distribution = Counter(CONTACT_BINS[min(n, 5)] for n in per_case)

    step(4, STEPS)
    closed = [
        r
        for r in q("SELECT * FROM referral WHERE deleted = 0 AND status = 'closed'")
        if _in(r["closed_on"], start, end)
    ]
    known = [
        r for r in closed if r["fixed_exclusions_after"] is not None or r["permanent_exclusions_after"] is not None
    ]
    clean = sum(
        1 for r in known if not (r["fixed_exclusions_after"] or 0) and not (r["permanent_exclusions_after"] or 0)
    )

    from desktop.forms.records import FormRecords

    records = records or FormRecords(store)
    satisfaction, sat_labels, good = {}, {}, Ratio(0, 0, "no survey answered the overall question")
    surveys = [
        r
        for r in q(  # the current version of each: a corrected survey counts once
            "SELECT * FROM form_completion c WHERE c.deleted = 0 AND c.status = 'final' AND c.pack_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM form_completion n WHERE n.supersedes = c.id AND n.status = 'final' "
            "AND n.deleted = 0)",
            [SATISFACTION_PACK],
        )
        if _in(r["completed_on"], start, end)
    ]
    if surveys:
        pack = records.pack(SATISFACTION_PACK)
        answers = [records.answers(r["id"]) for r in surveys]
        for item in pack.items:
            given = [a[item.id] for a in answers if isinstance(a.get(item.id), int)]
            satisfaction[item.id] = (statistics.mean(given) if given else None, len(given))
            sat_labels[item.id] = item.label
        overall = [a["overall"] for a in answers if isinstance(a.get("overall"), int)]
        good = Ratio(
            sum(1 for v in overall if v >= 4),
            len(overall),
            None if overall else "no survey answered the overall question",
        )

    step(5, STEPS)
    means, labels, titles = {}, {}, {}
    if closed:
        packs = [
            row[0]
            for row in store.conn.execute(
                "SELECT DISTINCT pack_id FROM form_completion WHERE deleted = 0 AND status = 'final' ORDER BY pack_id"
            )
        ]
        for pack_id in packs:
            try:
                pack = records.pack(pack_id)
            except KeyError:
                continue
            if pack.kind != "instrument" or pack_id == SATISFACTION_PACK:
                continue
            cohort = records.cohort_means(pack_id, [r["id"] for r in closed])
            if cohort:
                means[pack_id] = cohort
                labels[pack_id] = {s.id: s.label for s in pack.scales} | {d.id: d.label for d in pack.derived}
                titles[pack_id] = pack.title

    step(6, STEPS)
    return ServiceFigures(
        start=start,
        end=end,
        referrals=len(referrals),
        by_term=by_term,
        by_reason=_breakdown("Referrals by reason", [r["reason"] for r in referrals], vocab.REFERRAL_REASONS),
        by_source=_breakdown("Referrals by source", [r["source"] for r in referrals], vocab.REFERRAL_SOURCES),
        schools=len(school_ids),
        schools_by=schools_by,
        pupils=len(pupil_ids),
        pupils_by=pupils_by,
        allocated=len(days),
        not_allocated=len(referrals) - len(days),
        allocation_median_days=statistics.median(days) if days else None,
        allocation_p90_days=percentile_nearest_rank(days, 90),
        allocated_within_target=Ratio(within, len(days), None if days else "no referral allocated"),
        visits_by_type=_breakdown("Visits by type", [v["visit_type"] for v in visits], vocab.VISIT_TYPES),
        contacts_median=statistics.median(per_case) if per_case else None,
        contacts_distribution=Breakdown(
            "Contacts per case", {b: distribution.get(b, 0) for b in CONTACT_BINS} if per_case else {}
        ),
        calls_by_topic=_breakdown("Helpline calls by topic", [c["topic"] for c in calls]),
        calls_by_outcome=_breakdown("Helpline calls by outcome", [c["outcome"] for c in calls], vocab.CALL_OUTCOMES),
        closed_by_outcome=_breakdown("Cases closed by outcome", [r["outcome"] for r in closed], vocab.CLOSURE_OUTCOMES),
        not_excluded_again=Ratio(clean, len(known), None if known else "no exclusions recorded after referral"),
        satisfaction=satisfaction,
        satisfaction_labels=sat_labels,
        rated_good_or_excellent=good,
        outcome_means=means,
        outcome_labels=labels,
        outcome_titles=titles,
        exclusions=exclusion_figures(store, start, end, as_of or date.today()),
    )


# -- output --------------------------------------------------------------------------------
def _num(v: float | None) -> str:
    """A median or mean as printed: whole, or to one decimal place rounded half up."""
    if v is None:
        return "—"
    if float(v).is_integer():
        return str(int(v))
    return str(Decimal(str(v)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _table(b: Breakdown, what: str = "Number") -> TableBlock:
    rows = [[label, str(n), percent_text(Ratio(n, b.total))] for label, n in b.counts.items()]
    if rows:
        rows.append(["Total", str(b.total), percent_text(Ratio(b.total, b.total))])
    return TableBlock([b.title, what, "Share"], rows, widths=[0.6, 0.2, 0.2], align_right=(1, 2))


def _bars(b: Breakdown) -> ChartBlock | None:
    if not b.counts or len(b.counts) > 12:
        return None
    return ChartBlock(
        charts.BarChart(
            b.title,
            tuple(b.counts),
            (charts.Series("Number", tuple(float(v) for v in b.counts.values()), charts.PALETTE[0]),),
            y_label="Number",
            height=170,
        )
    )


def service_document(f: ServiceFigures, author: str = "", report_date: date | None = None) -> Document:
    period = f"{to_uk(f.start)} to {to_uk(f.end)}"
    headline = TableBlock(
        ["Figure", "Value"],
        [
            ["Referrals received", str(f.referrals)],
            ["Schools supported", str(f.schools)],
            ["Pupils supported", str(f.pupils)],
            ["Median days from referral to allocation", _num(f.allocation_median_days)],
            ["90th percentile days to allocation", _num(f.allocation_p90_days)],
            [
                f"Allocated within {ALLOCATION_TARGET_DAYS} days",
                f"{percent_text(f.allocated_within_target)} ({f.allocated_within_target.numerator} of "
                f"{f.allocated_within_target.denominator})",
            ],
            ["Referrals not yet allocated", str(f.not_allocated)],
            ["Median contacts per case", _num(f.contacts_median)],
            ["Cases closed", str(f.closed_by_outcome.total)],
            [
                "Closed cases with no exclusion after referral",
                f"{percent_text(f.not_excluded_again)} ({f.not_excluded_again.numerator} of "
                f"{f.not_excluded_again.denominator} with exclusions recorded)",
            ],
        ],
        widths=[0.65, 0.35],
        align_right=(1,),
    )
    sections = [
        Section("Summary", (headline,)),
        Section(
            "Referrals",
            tuple(
                x
                for x in (_bars(f.by_term), _table(f.by_term), _table(f.by_reason), _table(f.by_source))
                if x is not None
            ),
        ),
        Section("Schools supported", tuple(_table(b, "Schools") for b in f.schools_by)),
        Section("Pupils supported", tuple(_table(b, "Pupils") for b in f.pupils_by)),
        Section(
            "Visits and contacts",
            tuple(
                x
                for x in (
                    _table(f.visits_by_type),
                    _bars(f.contacts_distribution),
                    _table(f.contacts_distribution, "Cases"),
                )
                if x is not None
            ),
        ),
        Section("Helpline", (_table(f.calls_by_topic, "Calls"), _table(f.calls_by_outcome, "Calls"))),
        Section("Cases closed", (_table(f.closed_by_outcome, "Cases"),)),
    ]
    if f.exclusions is not None and (f.exclusions.closed_excluded_before or f.exclusions.year6_referrals):
        sections.append(Section("Exclusions after support", exclusion_blocks(f.exclusions)))
    sat_rows = [[f.satisfaction_labels.get(q, q), _num(m), str(n)] for q, (m, n) in f.satisfaction.items()]
    sections.append(
        Section(
            "Schools' satisfaction",
            (
                TableBlock(
                    ["Question (rated 1–5)", "Mean out of 5", "Schools answering"],
                    sat_rows,
                    widths=[0.6, 0.2, 0.2],
                    align_right=(1, 2),
                ),
                Text(
                    f"Rated the service good or excellent overall: {percent_text(f.rated_good_or_excellent)} "
                    f"({f.rated_good_or_excellent.numerator} of {f.rated_good_or_excellent.denominator})."
                    if f.rated_good_or_excellent.denominator
                    else ""
                ),
            ),
        )
    )
    outcome_blocks: list = []
    for pack_id, cohort in f.outcome_means.items():
        points = [tp for tp in ("T1", "T2", "T3") if tp in cohort]
        labels = f.outcome_labels.get(pack_id, {})
        score_ids = [sid for sid in labels if any(sid in cohort[tp] for tp in points)]
        rows = [
            [labels[sid]]
            + [f"{_num(cohort[tp][sid][0])} (n={cohort[tp][sid][1]})" if sid in cohort[tp] else "—" for tp in points]
            for sid in score_ids
        ]
        outcome_blocks.append(
            TableBlock(
                [f.outcome_titles.get(pack_id, pack_id), *points],
                rows,
                widths=[0.4] + [0.6 / len(points)] * len(points),
            )
        )
    sections.append(Section("Outcome measures (cases closed in the period)", tuple(outcome_blocks)))
    return Document(
        title=f"Service report: {period}",
        subject="Figures for the commissioner",
        author=author,
        report_date=report_date or date.today(),
        facts=[("Period", period)],
        sections=tuple(sections),
    )


def exclusion_rows(e: ExclusionFigures) -> list[tuple[str, str, str]]:
    """(figure, value, what it is out of), as printed and as written to the CSV."""
    again, y7 = e.not_excluded_again, e.excluded_autumn_year7
    return [
        (
            "Not excluded again within 12 months of closure (cases excluded before referral)",
            percent_text(again),
            f"{again.numerator} of {again.denominator} closed cases with follow-up data",
        ),
        (
            "Excluded in the autumn term of Year 7 (Year 6 referrals)",
            str(y7.numerator),
            f"of {y7.denominator} Year 6 referrals followed up",
        ),
    ]


def exclusion_blocks(e: ExclusionFigures) -> tuple:
    rows = [[label, value, out_of] for label, value, out_of in exclusion_rows(e)]
    return (
        TableBlock(["Figure", "Value", "Out of"], rows, widths=[0.5, 0.14, 0.36], align_right=(1,)),
        Text(
            f"From the dated exclusions recorded, as of {to_uk(e.as_of)}. Only cases whose "
            f"follow-up period has ended are counted: 12 months after closure, or the end of the "
            f"autumn term of Year 7. {e.closed_excluded_before} case(s) closed in the period had "
            f"exclusions before referral; {e.year6_referrals} referral(s) were of Year 6 pupils."
        ),
    )


def render_service(
    f: ServiceFigures, letterhead: Letterhead | None = None, author: str = "", report_date: date | None = None
) -> bytes:
    return ReportRenderer(letterhead).generate(service_document(f, author, report_date))


def service_csv(f: ServiceFigures) -> str:
    """The same figures as rows: section, item, value (a spreadsheet can pivot them)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "item", "value"])
    w.writerow(["period", "from", f.start.isoformat()])
    w.writerow(["period", "to", f.end.isoformat()])
    for item, value in (
        ("referrals received", f.referrals),
        ("schools supported", f.schools),
        ("pupils supported", f.pupils),
        ("allocated", f.allocated),
        ("not yet allocated", f.not_allocated),
        ("median days to allocation", _num(f.allocation_median_days)),
        ("90th percentile days to allocation", _num(f.allocation_p90_days)),
        (f"allocated within {ALLOCATION_TARGET_DAYS} days %", percent_text(f.allocated_within_target).rstrip("%")),
        ("median contacts per case", _num(f.contacts_median)),
        ("closed cases with no exclusion after referral %", percent_text(f.not_excluded_again).rstrip("%")),
    ):
        w.writerow(["summary", item, value])
    for b in (
        f.by_term,
        f.by_reason,
        f.by_source,
        *f.schools_by,
        *f.pupils_by,
        f.visits_by_type,
        f.contacts_distribution,
        f.calls_by_topic,
        f.calls_by_outcome,
        f.closed_by_outcome,
    ):
        for label, n in b.counts.items():
            w.writerow([b.title, label, n])
    if f.exclusions is not None:
        again, y7 = f.exclusions.not_excluded_again, f.exclusions.excluded_autumn_year7
        w.writerow(["exclusions", "not excluded again within 12 months of closure", again.numerator])
        w.writerow(["exclusions", "closed cases with 12 months' follow-up data", again.denominator])
        w.writerow(["exclusions", "not excluded again within 12 months of closure %", percent_text(again).rstrip("%")])
        w.writerow(["exclusions", "Year 6 referrals excluded in the autumn term of Year 7", y7.numerator])
        w.writerow(["exclusions", "Year 6 referrals followed up to the end of that term", y7.denominator])
    for q, (m, n) in f.satisfaction.items():
        w.writerow(["satisfaction", f"{q} mean", _num(m)])
        w.writerow(["satisfaction", f"{q} n", n])
    if f.rated_good_or_excellent.denominator:
        w.writerow(
            ["satisfaction", "rated good or excellent overall %", percent_text(f.rated_good_or_excellent).rstrip("%")]
        )
    for pack_id, cohort in f.outcome_means.items():
        for tp, scores in cohort.items():
            for sid, (m, n) in scores.items():
                w.writerow([f"outcome means: {pack_id}", f"{sid} {tp} mean", _num(m)])
                w.writerow([f"outcome means: {pack_id}", f"{sid} {tp} n", n])
    return out.getvalue()
