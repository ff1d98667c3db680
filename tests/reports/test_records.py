"""Reports in the store: saved as typed, finalised once with the PDF's SHA-256, corrected by a new version."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from desktop.reports.records import ReportRecords
from desktop.store import ValidationError
from desktop.store.attachments import read_attachment

from .conftest import pdf_text


@pytest.fixture
def reports(store):
    return ReportRecords(store)


def test_each_edit_is_committed_with_its_outbox_entry(store, sample, reports):
    report_id = reports.start_visit(sample["referral"], date(2026, 11, 23))
    before = store.pending_count()
    reports.set_section(report_id, "strengths", "Zoë enjoys practical work.")
    reports.set_section(report_id, "next_steps", "A PSP meeting in four weeks.")
    assert store.pending_count() == before + 2
    row = reports.get(report_id)
    assert row["sections"] == {"strengths": "Zoë enjoys practical work.", "next_steps": "A PSP meeting in four weeks."}
    assert row["status"] == "draft" and row["kind"] == "visit"
    assert [r["id"] for r in reports.for_case(sample["referral"])] == [report_id]


def test_an_unknown_section_is_refused_and_nothing_changes(store, sample, reports):
    report_id = reports.start_visit(sample["referral"])
    with pytest.raises(ValidationError):
        reports.set_section(report_id, "summary", "x")
    assert reports.get(report_id)["sections"] == {}


def test_the_chosen_evidence_and_kept_paragraphs_build_the_report(store, sample, reports):
    report_id = reports.start_visit(sample["referral"], date(2026, 11, 23), sections=sample["sections"])
    oid = sample["observations"][0]
    reports.choose_evidence(report_id, [oid], sample["completions"][:2])
    built = reports.build(report_id)
    assert [o.observation_id for o in built.observations] == [oid]
    assert len(built.boxall) == 1 and len(built.sdq) == 1
    assert built.evidence_text == built.drafts()  # nothing decided yet: drafts offered
    drafts = built.drafts()
    reports.set_evidence_text(report_id, f"observation:{oid}", "Settled after the starter.")
    assert reports.build(report_id).evidence_text == dict(
        drafts, **{f"observation:{oid}": "Settled after the starter."}
    )
    boxall_key = next(k for k in drafts if k.endswith(sample["completions"][0]))
    reports.set_evidence_text(report_id, boxall_key, None)  # left out
    assert set(reports.build(report_id).evidence_text) == set(drafts) - {boxall_key}


def test_finalising_attaches_the_pdf_records_its_sha256_and_freezes_the_report(store, sample, reports):
    report_id = reports.start_visit(sample["referral"], date(2026, 11, 23), sections=sample["sections"])
    reports.choose_evidence(report_id, sample["observations"][:1], [])
    attachment_id, pdf = reports.finalise(report_id)
    row = reports.get(report_id)
    assert row["status"] == "final" and row["attachment_id"] == attachment_id
    assert row["issued_sha256"] == hashlib.sha256(pdf).hexdigest()
    stored = read_attachment(store, attachment_id)
    assert stored == pdf and "Zoë Nguyễn" in pdf_text(stored)
    with pytest.raises(ValidationError):
        reports.set_section(report_id, "strengths", "changed")
    with pytest.raises(Exception, match="finalised report cannot change"):  # sqlcipher3 IntegrityError
        store.conn.execute("UPDATE report SET sections = '{}' WHERE id = ?", (report_id,))
    assert reports.get(report_id)["sections"] == sample["sections"]


def test_a_correction_is_a_new_draft_superseding_the_final_one(store, sample, reports):
    report_id = reports.start_visit(sample["referral"], sections={"strengths": "Kind to others."})
    with pytest.raises(ValidationError):
        reports.correct(report_id)  # a draft is simply edited
    reports.finalise(report_id)
    new_id = reports.correct(report_id)
    new = reports.get(new_id)
    assert (new["status"], new["supersedes"], new["sections"]) == ("draft", report_id, {"strengths": "Kind to others."})
    reports.set_section(new_id, "strengths", "Kind to others; helps younger pupils.")
    assert reports.get(report_id)["sections"] == {"strengths": "Kind to others."}


def test_report_file_names_with_the_name_or_only_initials():
    from desktop.reports.records import report_file_name

    assert (
        report_file_name("Visit report", "Zoë Nguyễn", date(2026, 11, 23)) == "Visit report Zoë Nguyễn 2026-11-23.pdf"
    )
    assert (
        report_file_name("Visit report", "Siân Ó Briain", date(2026, 11, 23), True) == "Visit report SÓB 2026-11-23.pdf"
    )
    assert report_file_name("Visit report", "", date(2026, 11, 23), True) == "Visit report 2026-11-23.pdf"
