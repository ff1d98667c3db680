"""Audit records: every rating committed as made, finalised = immutable, corrections,
attachments per criterion, and follow-up reviews with movement."""

from __future__ import annotations

import json

import pytest

from desktop.audits.records import AuditRecords, rating_id
from desktop.audits.review import compare, movement, section_movement, start_review
from desktop.store import ValidationError
from desktop.store.attachments import read_attachment


@pytest.fixture
def records(store):
    return AuditRecords(store)


@pytest.fixture
def school(caseload):
    return caseload.add_school(
        name="Brookfield Academy", urn="990010", phase="secondary", governance="academy", area="Ashbridge North"
    )


@pytest.fixture
def worker(caseload):
    return caseload.add_caseworker("Sam Whitfield")


def test_a_rating_is_committed_when_made_and_validated(records, school, worker, store):
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05", conducted_by=worker)
    with pytest.raises(ValidationError) as exc:
        records.rate(aid, "arrival_calm", "G")
    assert "not one of" in exc.value.problems["arrival_calm"]
    assert records.rate(aid, "arrival_calm", "green") == "green"
    row = store.get("audit_rating", rating_id(aid, "arrival_calm"))
    assert row["value"] == "green" and row["rated_at"]
    # committed: the outbox holds it, ready to sync
    assert store.conn.execute("SELECT count(*) FROM outbox WHERE entity = 'audit_rating'").fetchone()[0] >= 1
    records.note(aid, "arrival_calm", "Head on the gate; pupils greeted by name.")
    records.flag_good_practice(aid, "arrival_calm", True)
    assert records.rate(aid, "fte_count", "14") == "14"
    with pytest.raises(ValidationError):
        records.rate(aid, "nope", "red")
    snap = records.snapshot(aid)
    assert snap.ratings["arrival_calm"]["evidence"].startswith("Head on the gate")
    assert snap.ratings["arrival_calm"]["evidence_at"] and snap.ratings["arrival_calm"]["good_practice"] == 1
    assert snap.section_progress()["arrival"] == (1, 3)


def test_finalised_audit_is_immutable_in_code_and_in_the_store(records, school, store):
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05")
    records.rate(aid, "lessons_attitudes", "amber")
    records.judge(aid, "lessons", value="Amber", strengths="Calm starts", development="Transitions")
    act = records.add_action(
        aid, "Re-launch the reward system", owner="Deputy head", due_on="2026-12-01", criteria=["rewards_used"]
    )
    records.record_meeting(aid, held_on="2026-10-05", attendees="Head, SENCO", agreed="Plan agreed")
    records.finalise(aid)
    with pytest.raises(ValidationError):
        records.rate(aid, "lessons_attitudes", "green")
    with pytest.raises(ValidationError):
        records.update_action(act, status="done")
    for sql in (
        "UPDATE audit_rating SET value = 'green'",
        "UPDATE audit SET notes = 'x'",
        "UPDATE audit_action SET status = 'done'",
        "DELETE FROM audit_judgement",
        "UPDATE audit_meeting SET agreed = 'nothing'",
    ):
        with pytest.raises(Exception, match="finalised audit cannot change"):
            with store.transaction():
                store.conn.execute(sql)
    fixed = records.correct(aid)
    records.rate(fixed, "lessons_attitudes", "green")
    new, old = records.snapshot(fixed), records.snapshot(aid)
    assert new.audit["supersedes"] == aid and new.value("lessons_attitudes") == "green"
    assert old.value("lessons_attitudes") == "amber"
    assert new.judgements["lessons"]["value"] == "amber" and len(new.actions) == 1
    assert json.loads(new.meeting["attendees"]) == ["Head", "SENCO"]


def test_judgement_must_be_on_the_sections_scale(records, school):
    aid = records.start(school_id=school, template_id="send-review-tool", conducted_on="2026-10-05")
    records.judge(aid, "leadership", value="repair")
    with pytest.raises(ValidationError, match="not one of Stabilise, Repair"):
        records.judge(aid, "leadership", value="green")
    assert records.snapshot(aid).judgements["leadership"]["value"] == "repair"


def test_photo_attached_to_a_criterion(records, school):
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05")
    att = records.attach(aid, "break_supervised", b"\x89PNG fake photo", filename="yard.png", title="Yard at break")
    snap = records.snapshot(aid)
    assert [(a["id"], a["criterion_id"]) for a in snap.attachments] == [(att, "break_supervised")]
    assert read_attachment(records.store, att) == b"\x89PNG fake photo"


def test_review_compares_with_the_finalised_version_not_a_later_draft(records, school):
    first = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-03-02")
    for cid, v in {
        "arrival_calm": "red",
        "lessons_attitudes": "amber",
        "consistent_approach": "red",
        "rewards_used": "green",
        "restorative": "not_seen",
    }.items():
        records.rate(first, cid, v)
    records.note(first, "arrival_calm", "Queue at the gate, no staff")
    records.add_action(
        first, "Staff on the gate from 8.30", owner="Head", due_on="2026-04-30", criteria=["arrival_calm"]
    )
    records.finalise(first)
    draft_fix = records.correct(first)
    records.rate(draft_fix, "arrival_calm", "green")  # a correction still in draft

    review = start_review(records, school, conducted_on="2026-06-15")
    snap = records.snapshot(review)
    assert snap.audit["review_of"] == first
    assert [a["carried_from"] for a in snap.actions] != [None]
    records.update_action(snap.actions[0]["id"], status="done", progress="Rota in place since May")
    for cid, v in {
        "arrival_calm": "amber",
        "lessons_attitudes": "green",
        "consistent_approach": "red",
        "rewards_used": "amber",
        "restorative": "green",
    }.items():
        records.rate(review, cid, v)
    before, after = compare(records, review)
    moves = {m.criterion_id: m for m in movement(before, after)}
    assert moves["arrival_calm"].before == "red"  # not the draft correction's green
    assert moves["arrival_calm"].before_evidence == "Queue at the gate, no staff"
    assert (
        moves["arrival_calm"].direction,
        moves["lessons_attitudes"].direction,
        moves["consistent_approach"].direction,
        moves["rewards_used"].direction,
    ) == ("up", "up", "same", "down")
    assert moves["restorative"].change is None  # not seen before
    sections = section_movement(before, after)
    assert (
        sections["lessons"].up,
        sections["lessons"].down,
        sections["lessons"].same,
        sections["lessons"].compared,
    ) == (1, 1, 1, 3)
    # the previous audit's action point is untouched
    assert records.snapshot(first).actions[0]["status"] == "open"


def test_review_needs_a_finalised_audit(records, school):
    records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-03-02")
    with pytest.raises(ValidationError, match="no finalised audit"):
        start_review(records, school, conducted_on="2026-06-15")


def test_demo_data_has_audits_reviews_and_a_summary(caseload, records):
    from desktop.audits.summary import load_summary
    from desktop.demo import fill_demo
    from tests.conftest import TODAY

    counts = fill_demo(caseload, pupils=20, referrals=20, seed=3)
    audits = records.list()
    assert counts["audit"] == len(audits) == 8  # five audits, three reviews
    finals = records.current_finals()
    assert len(finals) == 7  # one review left in draft
    snap = records.snapshot(finals[0]["id"])
    assert len(snap.actions) == 3 and snap.meeting and snap.final
    s = load_summary(records, "behaviour-audit", "2026-01-01", TODAY.isoformat())
    assert s.schools == 5 and s.reviews == 2
    assert sum(m.compared for m in s.movement) > 0
