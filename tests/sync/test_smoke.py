"""The basic round trip: one practitioner's laptop receives their case and sends a visit."""

from desktop.caseload import Caseload
from tests.conftest import TODAY


def test_practitioner_receives_their_case_and_sends_a_visit(service, laptops):
    """A practitioner's first sync brings their case; a visit recorded offline reaches the
    office after both sync."""
    laptop = laptops("a")
    report = service.engine(laptop, "a").sync()
    assert report.digest_match is True
    assert laptop.get("referral", service.ids["referral"])["caseworker_id"] == service.ids["cw_a"]
    assert laptop.get("pupil", service.ids["pupil"])["first_name"] == "Ivy"
    visit = Caseload(laptop, today=TODAY).store.create(
        "visit",
        {
            "referral_id": service.ids["referral"],
            "visit_date": "2026-11-20",
            "visit_type": "observation",
            "notes": "Observed maths.",
        },
    )
    service.engine(laptop, "a").sync()
    assert laptop.pending_count() == 0
    service.engine(service.office, "admin").sync()
    assert service.office.get("visit", visit)["notes"] == "Observed maths."
