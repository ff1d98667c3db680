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
    finals = list(store.db.query("SELECT * FROM form_completion WHERE status = 'final'"))
    assert counts["form_completion"] == len(finals)
    assert {r["pack_id"] for r in finals} == {"sdq-teacher-4-17", "boxall-synthetic"}
    with_three = [r for r in finals if r["time_point"] == "T3"]
    assert with_three, "some pupil has an SDQ at T3"
    progress = records.progress(with_three[0]["pupil_id"], "sdq-teacher-4-17")
    assert set(progress.by_time_point) == {"T1", "T2", "T3"}
    assert progress.change("ebdtot", to="T3") is not None
    assert store.integrity_ok()
