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
