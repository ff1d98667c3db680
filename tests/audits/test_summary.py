"""Summaries against a hand-worked fixture of five schools (three arrival criteria).

School  audits in the store                                   counted (2026)
A       audit 01-02 final: sup red, greet amber(gp), calm not_seen
        review 01-06 final: sup amber, greet amber, calm green  ← the review
B       audit 01-03 final: sup red, greet green(gp), calm n/a   ← this
C       audit 01-04 final: sup red, greet red, calm red
        correction finalised: calm amber                        ← the correction
D       audit 01-05 draft (never counts)
E       audit 10-01-2025 final (outside the range)

supervised: red 2 (B, C), amber 1 (A)       rated 3
greeting:   red 1 (C), amber 1 (A), green 1 (B); good practice 1 (B; A's flag was on
            the audit, not the review)      rated 3
calm:       amber 1 (C), green 1 (A); n/a 1 (B)   rated 2 (n/a left out)
development (Red): supervised 2, greeting 1
movement (A's review against A's audit): supervised red→amber up; greeting same;
            calm not compared (not seen before).
"""

from __future__ import annotations

import json

import pytest

from desktop.audits.records import AuditRecords
from desktop.audits.review import start_review
from desktop.audits.summary import audit_counts, load_summary

CRITS = ("arrival_supervised", "arrival_greeting", "arrival_calm")


@pytest.fixture
def records(store):
    return AuditRecords(store)


def audit(records, school, on, values, gp=(), final=True):
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on=on)
    for cid, v in zip(CRITS, values):
        if v:
            records.rate(aid, cid, v)
    for cid in gp:
        records.flag_good_practice(aid, cid, True)
    if final:
        records.finalise(aid)
    return aid


@pytest.fixture
def fixture(records, caseload):
    s = {
        k: caseload.add_school(
            name=f"School {k}", urn=f"99002{i}", phase="primary", governance="maintained", area="North"
        )
        for i, k in enumerate("ABCDE")
    }
    ids = {"A1": audit(records, s["A"], "2026-02-01", ("red", "amber", "not_seen"), gp=["arrival_greeting"])}
    review = start_review(records, s["A"], conducted_on="2026-06-01")
    for cid, v in zip(CRITS, ("amber", "amber", "green")):
        records.rate(review, cid, v)
    records.finalise(review)
    ids["A2"] = review
    ids["B"] = audit(records, s["B"], "2026-03-01", ("red", "green", "not_applicable"), gp=["arrival_greeting"])
    c1 = audit(records, s["C"], "2026-04-01", ("red", "red", "red"))
    c2 = records.correct(c1)
    records.rate(c2, "arrival_calm", "amber")
    records.finalise(c2)
    ids["C"] = c2
    audit(records, s["D"], "2026-05-01", ("green", "green", "green"), final=False)
    audit(records, s["E"], "2025-01-10", ("green", "green", "green"))
    return ids


def test_one_audit_counts_by_section(records, fixture):
    counts = {c.section_id: c for c in audit_counts(records.snapshot(fixture["B"]))}
    arrival = counts["arrival"]
    assert arrival.by_level == {"red": 1, "amber": 0, "green": 1}
    assert (arrival.not_seen, arrival.not_applicable, arrival.not_rated, arrival.rated) == (0, 1, 0, 2)
    assert arrival.share("green") == 0.5
    assert counts["lessons"].not_rated == 4 and counts["lessons"].rated == 0
    assert counts["lessons"].share("red") is None


def test_cross_school_summary_matches_the_hand_worked_figures(records, fixture):
    s = load_summary(records, "behaviour-audit", "2026-01-01", "2026-12-31")
    assert s.schools == 3
    assert sorted(s.audit_ids) == sorted([fixture["A2"], fixture["B"], fixture["C"]])
    by = {c.criterion_id: c for c in s.criteria}
    assert by["arrival_supervised"].schools_by_level == {"red": 2, "amber": 1, "green": 0}
    assert by["arrival_greeting"].schools_by_level == {"red": 1, "amber": 1, "green": 1}
    assert by["arrival_greeting"].good_practice == 1
    assert by["arrival_calm"].schools_by_level == {"red": 0, "amber": 1, "green": 1}
    assert (by["arrival_calm"].rated, by["arrival_calm"].not_applicable) == (2, 1)
    assert by["lessons_attitudes"].not_rated == 3 and by["lessons_attitudes"].rated == 0
    # every school counted once per criterion
    for c in s.criteria:
        assert c.rated + c.not_seen + c.not_applicable + c.not_rated == s.schools
    assert s.development == [("arrival_supervised", 2), ("arrival_greeting", 1)]
    assert s.good_practice == [("arrival_greeting", 1)]
    assert s.reviews == 1
    mv = {m.criterion_id: m for m in s.movement}
    assert (mv["arrival_supervised"].up, mv["arrival_supervised"].transitions) == (1, {("red", "amber"): 1})
    assert (mv["arrival_greeting"].same, mv["arrival_greeting"].compared) == (1, 1)
    assert mv["arrival_calm"].compared == 0
    json.dumps(s.as_dict())  # serialisable as the CLI prints it


def test_date_range_includes_the_older_audit_and_excludes_drafts(records, fixture):
    s = load_summary(records, "behaviour-audit", "2025-01-01", "2026-03-31")
    # E (2025), A's audit (its review is after March) and B; never D's draft.
    assert s.schools == 3 and s.reviews == 0
    by = {c.criterion_id: c for c in s.criteria}
    assert by["arrival_supervised"].schools_by_level == {"red": 2, "amber": 0, "green": 1}
    assert by["arrival_calm"].not_seen == 1 and by["arrival_calm"].not_applicable == 1
