"""School audits sync like every record: two laptops rating different sections offline
both keep theirs; the same criterion rated differently is a visible conflict; scope goes
through the conducting caseworker (they, their team lead, admins — not a colleague);
a finalised audit is refused changes by the server."""

from __future__ import annotations

from desktop.audits.records import AuditRecords, rating_id
from sync.client import sync_status
from sync.protocol import AUDIT_ENTITIES, FINAL_PARENT, FINAL_WHEN, shapes
from tests.sync.conftest import mutation


def test_audit_entities_are_syncable_and_final_when_finalised():
    assert AUDIT_ENTITIES <= set(shapes())
    assert FINAL_WHEN["audit"] == ("status", "final")
    assert {e for e, (_, parent) in FINAL_PARENT.items() if parent == "audit"} == AUDIT_ENTITIES - {"audit"}
    assert {"audit_id", "criterion_id"} <= shapes()["attachment"].fields


def test_two_laptops_rate_one_audit_offline(service, laptops):
    one, two = laptops("a-one"), laptops("a-two")
    service.engine(one, "a").sync()
    rec1 = AuditRecords(one)
    aid = rec1.start(
        school_id=service.ids["school"],
        template_id="behaviour-audit",
        conducted_on="2026-10-05",
        conducted_by=service.ids["cw_a"],
    )
    service.engine(one, "a").sync()
    service.engine(two, "a").sync()
    rec2 = AuditRecords(two)
    assert two.get("audit", aid) is not None
    # offline: different sections on each laptop, and one criterion on both
    rec1.rate(aid, "arrival_calm", "green")
    rec1.note(aid, "arrival_calm", "Calm start seen from the gate")
    rec2.rate(aid, "lunch_supervised", "red")
    rec1.rate(aid, "restorative", "amber")
    rec2.rate(aid, "restorative", "red")
    service.engine(one, "a").sync()
    report = service.engine(two, "a").sync()
    service.engine(one, "a").sync()
    for laptop in (one, two):
        snap = AuditRecords(laptop).snapshot(aid)
        assert snap.value("arrival_calm") == "green" and snap.value("lunch_supervised") == "red"
        assert snap.ratings["arrival_calm"]["evidence"] == "Calm start seen from the gate"
        assert snap.value("restorative") == "amber"  # the first to arrive stands
    assert report.conflicts >= 1
    kept = [
        c
        for c in sync_status(two).conflicts
        if c["record_id"] == rating_id(aid, "restorative") and c["field"] == "value"
    ]
    assert [(c["local_value"], c["remote_value"]) for c in kept] == [("red", "amber")]

    # scope: the team lead sees the audit and its ratings; a colleague does not
    lead, colleague = laptops("lead"), laptops("b")
    service.engine(lead, "lead").sync()
    service.engine(colleague, "b").sync()
    assert AuditRecords(lead).snapshot(aid).value("lunch_supervised") == "red"
    assert colleague.get("audit", aid) is None
    assert colleague.get("audit_rating", rating_id(aid, "arrival_calm")) is None

    # finalised: the server refuses a change pushed from anywhere
    rec1.finalise(aid)
    service.engine(one, "a").sync()
    row = service.server.api.pull_all(service.server.admin_token)
    rating = next(r for r in row if r["entity"] == "audit_rating" and r["id"] == rating_id(aid, "arrival_calm"))
    r = service.server.api.push(
        service.tokens["a"], [mutation("audit_rating", rating["id"], fields={"value": "red"}, base=rating["version"])]
    )
    assert r.json()["results"][0]["status"] != "applied"


def test_a_review_handed_to_a_colleague_brings_the_previous_audit(service, laptops):
    """A audits and finalises; the team lead starts the review in B's name; B's laptop then
    receives the review and the finalised audit it starts from (and the school)."""
    from desktop.audits.review import compare, movement, start_review

    a, lead, b = laptops("a"), laptops("lead"), laptops("b")
    service.engine(a, "a").sync()
    rec_a = AuditRecords(a)
    first = rec_a.start(
        school_id=service.ids["school"],
        template_id="behaviour-audit",
        conducted_on="2026-03-02",
        conducted_by=service.ids["cw_a"],
    )
    rec_a.rate(first, "arrival_calm", "red")
    rec_a.note(first, "arrival_calm", "Crowding at the gate")
    rec_a.add_action(first, "Stagger the start", owner="Head", due_on="2026-04-30", criteria=["arrival_calm"])
    rec_a.finalise(first)
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    review = start_review(
        AuditRecords(lead), service.ids["school"], conducted_on="2026-06-15", conducted_by=service.ids["cw_b"]
    )
    assert service.engine(lead, "lead").sync().rejected == 0
    service.engine(b, "b").sync()
    rec_b = AuditRecords(b)
    assert b.get("audit", first)["status"] == "final"
    rec_b.rate(review, "arrival_calm", "amber")
    before, after = compare(rec_b, review)
    [calm] = [m for m in movement(before, after) if m.criterion_id == "arrival_calm"]
    assert (calm.before, calm.after, calm.direction, calm.before_evidence) == (
        "red",
        "amber",
        "up",
        "Crowding at the gate",
    )
    assert [x["carried_from"] for x in after.actions] == [before.actions[0]["id"]]


def _finalised_audit_by_a(service, a):
    """A audits the school (ratings, evidence, a photo on a criterion, an action point) and
    finalises; the id of the audit and of the photo."""
    rec_a = AuditRecords(a)
    first = rec_a.start(
        school_id=service.ids["school"],
        template_id="behaviour-audit",
        conducted_on="2026-03-02",
        conducted_by=service.ids["cw_a"],
    )
    rec_a.rate(first, "arrival_calm", "red")
    rec_a.note(first, "arrival_calm", "Crowding at the gate")
    rec_a.rate(first, "rewards_used", "green")
    rec_a.note(first, "rewards_used", "Every adult used the points chart")
    photo = rec_a.attach(
        first,
        "arrival_calm",
        b"\x89PNG photo of the gate",
        title="Gate at 8:40",
        filename="gate.png",
        media_type="image/png",
    )
    rec_a.add_action(first, "Stagger the start", owner="Head", due_on="2026-04-30", criteria=["arrival_calm"])
    rec_a.finalise(first)
    assert service.engine(a, "a").sync().rejected == 0
    return first, photo


def _has_the_audit(store, first, photo) -> None:
    from desktop.store.attachments import read_attachment

    snap = AuditRecords(store).snapshot(first)
    assert snap.final and snap.audit["conducted_by"] is not None
    assert (snap.value("arrival_calm"), snap.ratings["arrival_calm"]["evidence"]) == ("red", "Crowding at the gate")
    assert snap.ratings["rewards_used"]["evidence"] == "Every adult used the points chart"
    assert [x["action"] for x in snap.actions] == ["Stagger the start"]
    assert [(x["id"], x["criterion_id"]) for x in snap.attachments] == [(photo, "arrival_calm")]
    assert read_attachment(store, photo) == b"\x89PNG photo of the gate"


def test_a_review_in_bs_name_re_sends_the_previous_audit_to_a_laptop_that_pulled_past_it(service, laptops):
    """B's laptop synced after A's audit was finalised (it was not B's to see then); the
    team lead starts the review in B's name; B's next sync brings A's finalised audit with
    its ratings, evidence and photo in the ordinary pull (no digest mismatch, no re-sync)."""
    from desktop.audits.review import compare, movement, start_review

    a, lead, b = laptops("a"), laptops("lead"), laptops("b")
    service.engine(a, "a").sync()
    first, photo = _finalised_audit_by_a(service, a)
    service.engine(b, "b").sync()
    assert b.get("audit", first) is None  # not B's yet
    service.engine(lead, "lead").sync()
    review = start_review(
        AuditRecords(lead), service.ids["school"], conducted_on="2026-06-15", conducted_by=service.ids["cw_b"]
    )
    assert service.engine(lead, "lead").sync().rejected == 0
    report = service.engine(b, "b").sync()
    assert not report.resynced and report.digest_match
    _has_the_audit(b, first, photo)
    rec_b = AuditRecords(b)
    rec_b.rate(review, "arrival_calm", "amber")
    [calm] = [m for m in movement(*compare(rec_b, review)) if m.criterion_id == "arrival_calm"]
    assert (calm.before, calm.after, calm.direction, calm.before_evidence) == (
        "red",
        "amber",
        "up",
        "Crowding at the gate",
    )


def test_a_new_audit_by_b_brings_the_schools_earlier_audits_so_b_can_review(service, laptops):
    """B, who already holds the school (a case of B's there) and synced past A's audit,
    starts an audit of the school on B's own laptop: the sync that sends it brings A's
    finalised audit back, and B can then start the review from it."""
    from desktop.audits.review import start_review
    from desktop.caseload import Caseload
    from tests.conftest import TODAY

    office = Caseload(service.office, today=TODAY)
    pupil = office.add_pupil(
        first_name="Noor", last_name="Begum", school_id=service.ids["school"], date_of_birth="2016-05-01", year_group=6
    )
    ref = office.add_referral(
        pupil_id=pupil,
        school_id=service.ids["school"],
        reason="emotional_wellbeing",
        referral_date="2026-11-03",
        concern="Will not come in.",
    )
    office.allocate(ref, service.ids["cw_b"])
    service.engine(service.office, "admin").sync()
    a, b = laptops("a"), laptops("b")
    service.engine(a, "a").sync()
    first, photo = _finalised_audit_by_a(service, a)
    service.engine(b, "b").sync()
    assert b.get("school", service.ids["school"]) is not None and b.get("audit", first) is None
    rec_b = AuditRecords(b)
    mine = rec_b.start(
        school_id=service.ids["school"],
        template_id="behaviour-audit",
        conducted_on="2026-06-10",
        conducted_by=service.ids["cw_b"],
    )
    report = service.engine(b, "b").sync()
    assert report.rejected == 0 and not report.resynced and report.digest_match
    _has_the_audit(b, first, photo)
    assert rec_b.last_final(service.ids["school"])["id"] == first
    review = start_review(rec_b, service.ids["school"], conducted_on="2026-06-15", conducted_by=service.ids["cw_b"])
    assert b.get("audit", review)["review_of"] == first and mine != review
    assert service.engine(b, "b").sync().rejected == 0
