"""Demo data is realistic, fictional and internally consistent."""

from desktop.dates import expected_year_group
from desktop.demo import fill_demo
from tests.conftest import TODAY


def test_demo_fills_a_consistent_fictional_caseload(caseload):
    counts = fill_demo(caseload, pupils=40, referrals=60, seed=3)
    store = caseload.store
    assert counts["pupil"] == store.db["pupil"].count == 40
    assert counts["referral"] == store.db["referral"].count == 60
    assert store.meta("demo") == "1"
    for school in store.db["school"].rows:
        assert school["urn"].startswith("99") and school["area"].startswith("Ashbridge")
    from datetime import date

    for pupil in store.db["pupil"].rows:
        assert expected_year_group(date.fromisoformat(pupil["date_of_birth"]), TODAY) == pupil["year_group"]
    statuses = {r.status for r in caseload.caseload()}
    assert statuses == {"new", "allocated", "active", "closed"}
    for r in caseload.caseload():
        if r.status != "new":
            assert r.caseworker_id and r.allocated_on >= r.referral_date
    assert store.pending_count() > 0 and store.integrity_ok()


def test_demo_has_finished_observations_and_outcome_measures(caseload):
    """Demo data shows the product: observations recorded through the engine, SDQs at
    T1, T2 and T3 and a Boxall, all final, so Outcomes and reports have data."""
    from desktop.forms.records import FormRecords
    from desktop.observation.store_repository import StoreObservationRepository
    from desktop.observation.summary import summarise

    counts = fill_demo(caseload, pupils=40, referrals=60, seed=3)
    store = caseload.store
    repo = StoreObservationRepository(store)
    observations = list(store.db.query("SELECT * FROM observation WHERE deleted = 0"))
    assert counts["observation"] == len(observations) >= 3
    for row in observations:
        assert row["status"] == "final" and row["referral_id"]
        obs = repo.get(row["id"])  # the event log replays: it is a genuine engine log
        assert obs.status == "finalised" and len(obs.intervals) == 30
        assert obs.abc_records and obs.phases and any(i.note for i in obs.intervals)
        assert obs.id in {r["id"] for r in repo.for_referral(row["referral_id"])}
        summary = summarise(obs)
        assert summary is not None
    records = FormRecords(store)
    finals = list(
        store.db.query("SELECT * FROM form_completion WHERE status = 'final' AND pack_id != 'school-satisfaction'")
    )
    assert counts["form_completion"] == len(finals)
    assert {r["pack_id"] for r in finals} == {"sdq-teacher-4-17", "boxall-synthetic"}
    with_three = [r for r in finals if r["time_point"] == "T3"]
    assert with_three, "some pupil has an SDQ at T3"
    progress = records.progress(with_three[0]["pupil_id"], "sdq-teacher-4-17")
    assert set(progress.by_time_point) == {"T1", "T2", "T3"}
    assert progress.change("ebdtot", to="T3") is not None
    assert store.integrity_ok()


def test_demo_dated_exclusions_match_the_referrals_and_none_is_in_the_future(caseload):
    """Every first referral's exclusions before it are dated before it; every closed case's
    exclusions during the casework are dated between referral and closure."""
    from datetime import date

    counts = fill_demo(caseload, pupils=40, referrals=60, seed=3)
    store = caseload.store
    rows = list(store.db.query("SELECT * FROM exclusion WHERE deleted = 0"))
    assert counts["exclusion"] == len(rows) > 0
    assert all(date.fromisoformat(r["exclusion_date"]) <= TODAY for r in rows)
    referrals = {r["id"]: r for r in store.db["referral"].rows}
    seen: set[str] = set()
    for referral in sorted(referrals.values(), key=lambda r: (r["referral_date"], r["id"])):
        mine = [r for r in rows if r["referral_id"] == referral["id"]]
        before = [r for r in mine if r["exclusion_date"] < referral["referral_date"]]
        if referral["pupil_id"] not in seen:
            assert len(before) == (referral["fixed_exclusions_before"] or 0)
        seen.add(referral["pupil_id"])
        if referral["status"] == "closed":
            during = [r for r in mine if referral["referral_date"] < r["exclusion_date"] <= referral["closed_on"]]
            assert len(during) == (referral["fixed_exclusions_after"] or 0)
        for r in mine:
            assert r["pupil_id"] == referral["pupil_id"] and r["kind"] == "fixed"


def test_the_demo_service_report_has_exclusion_and_satisfaction_figures(caseload):
    """The demo has last year's closed cases (12 months' follow-up), Year 6 transition
    referrals whose autumn term of Year 7 is over, and schools' surveys at closure: the
    service report's exclusion and satisfaction sections have figures, and print them."""
    from datetime import date

    from desktop.reports.figures import percent_text
    from desktop.reports.service import render_service, service_figures
    from tests.reports.conftest import pdf_text

    counts = fill_demo(caseload, pupils=60, seed=7)  # what `fieldnote demo` makes
    store = caseload.store
    assert counts["survey"] > 0
    last_year = service_figures(store, date(2025, 9, 1), date(2026, 8, 31), as_of=TODAY)
    again = last_year.exclusions.not_excluded_again
    assert again.denominator > 0 and last_year.exclusions.closed_excluded_before > 0
    assert last_year.satisfaction and all(n > 0 for _mean, n in last_year.satisfaction.values())
    assert last_year.rated_good_or_excellent.denominator > 0
    text = " ".join(pdf_text(render_service(last_year, report_date=TODAY)).split())
    assert "Exclusions after support" in text and "Schools' satisfaction" in text
    assert f"{percent_text(again)} {again.numerator} of {again.denominator} closed cases with follow-up data" in text

    two_years = service_figures(store, date(2024, 9, 1), TODAY, as_of=TODAY)
    assert two_years.exclusions.excluded_autumn_year7.denominator > 0  # transition referrals followed up
