"""The visit report: built from the store on its own, then printed; the PDF's figures are the app's."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from desktop.forms import boxall
from desktop.forms.records import FormRecords
from desktop.forms.sdq import BAND_SCORES
from desktop.observation.ratio import Ratio
from desktop.observation.store_repository import StoreObservationRepository
from desktop.observation.summary import summarise
from desktop.reports.document import Letterhead
from desktop.reports.figures import percent_text
from desktop.reports.visit import (
    SECTIONS,
    SYNTHETIC_NOTE,
    build_visit_report,
    draft_observation,
    render_visit,
    visit_document,
)

from .conftest import half_up_percent, pdf_body, pdf_pages, pdf_text

DAY = date(2026, 11, 23)
SERVICE = "Ashbridge Behaviour Support Service"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def report(store, sample):
    return build_visit_report(
        store,
        sample["referral"],
        sections=sample["sections"],
        observation_ids=sample["observations"],
        completion_ids=sample["completions"],
        report_date=DAY,
    )


@pytest.fixture
def pdf(report):
    return render_visit(report, Letterhead(service_name=SERVICE))


def test_the_report_data_carries_the_case_header_and_every_chosen_record(report, sample):
    assert (report.pupil_name, report.date_of_birth, report.year_group) == ("Zoë Nguyễn", "03/02/2017", "Year 4")
    assert (report.school_name, report.reason) == ("Kestrel Hill Primary School", "Persistent disruptive behaviour")
    assert (report.referral_date, report.caseworker, report.author) == ("05/10/2026", "Siân Ó Briain", "Siân Ó Briain")
    assert [o.observation_id for o in report.observations] == sample["observations"]
    assert len(report.boxall) == 1 and len(report.sdq) == 3
    assert [p.points for p in report.progress] == [("T1", "T2", "T3")]  # the SDQ; a lone Boxall has no progress
    assert report.evidence_text == report.drafts()  # drafts are taken as offered unless edited


def test_observation_evidence_is_the_summary(store, report):
    repo = StoreObservationRepository(store)
    for ev in report.observations:
        summary = summarise(repo.get(ev.observation_id))
        assert ev.target_on_task == summary.overall.target.on_task
        assert ev.peer_on_task == summary.overall.peer.on_task
        assert {c.code: (c.target, c.peer) for c in ev.codes} == {
            k: (v, summary.overall.peer.codes[k]) for k, v in summary.overall.target.codes.items()
        }
        assert [(b.label, b.target) for b in ev.blocks] == [(b.label, b.target.on_task) for b in summary.by_phase]


def test_the_pdf_prints_the_observation_figures_the_summary_gives(store, report, pdf):
    text = pdf_text(pdf)
    repo = StoreObservationRepository(store)
    for ev in report.observations:
        obs = repo.get(ev.observation_id)
        summary = summarise(obs)
        labels = {c.id: c.label for c in obs.scheme.codes}
        for code, r in summary.overall.target.codes.items():
            p = summary.overall.peer.codes[code]
            row = (
                f"{labels[code]}\n{half_up_percent(r.numerator, r.denominator)} "
                f"({int(r.numerator)} of {int(r.denominator)})\n"
                f"{half_up_percent(p.numerator, p.denominator)} ({int(p.numerator)} of {int(p.denominator)})"
            )
            assert row in text
        t = summary.overall.target.on_task
        assert f"On task\n{half_up_percent(t.numerator, t.denominator)} ({t.numerator} of {t.denominator})" in text
        for block in summary.by_phase:
            b = block.target.on_task
            assert (
                f"{block.label}\n{half_up_percent(b.numerator, b.denominator)} ({b.numerator} of {b.denominator})"
                in text
            )
        for abc in obs.abc_records:
            assert abc.antecedent.split()[0] in text
        assert squash(draft_observation(ev)) in squash(text)


def test_the_pdf_prints_the_sdq_scores_and_bands_scoring_gives(store, report, pdf, sample):
    text = squash(pdf_body(pdf, SERVICE, report.title))
    records = FormRecords(store)
    blocks = text.split("SDQ (Teacher): ")[1:]
    assert len(blocks) == 3
    for cid, block in zip(sample["completions"][1:], blocks):
        row = records.completion(cid)
        result = records.score(cid)
        pack = records.pack(row["pack_id"])
        labels = {s.id: s.label for s in pack.scales} | {d.id: d.label for d in pack.derived}
        assert block.startswith(date.fromisoformat(row["completed_on"]).strftime("%d/%m/%Y"))
        table = " ".join(f"{labels[sid]} {result.scores[sid]} {result.band(sid)}" for sid in BAND_SCORES)
        assert "Scale Score Band Total difficulties" in block
        # a table split over two pages repeats its header on the second
        assert table in block.replace(" Scale Score Band ", " ")


def test_the_pdf_prints_the_boxall_scores_and_ranges_and_says_the_pack_is_synthetic(store, report, pdf, sample):
    text = squash(pdf_body(pdf, SERVICE, report.title))
    records = FormRecords(store)
    cid = sample["completions"][0]
    row = records.completion(cid)
    pack = records.pack(row["pack_id"])
    profile = boxall.profile(pack, records.answers(cid), row["age_band"], row["informant"])
    for c in profile.clusters:
        assert (
            f"{c.cluster}: {c.label} {c.strand} {c.score} {c.competence_min}–{c.competence_max} {c.position}"
        ) in text, c.cluster
    assert squash(SYNTHETIC_NOTE) in squash(text)
    assert "competence range (synthetic)" in text


def test_the_progress_table_shows_each_time_point_and_the_change(store, report, pdf):
    text = squash(pdf_body(pdf, SERVICE, report.title))
    progress = report.progress[0]
    records = FormRecords(store)
    by_point = records.progress(
        records.completion(report.sdq[0].info.completion_id)["pupil_id"], "sdq-teacher-4-17", "teacher"
    ).by_time_point
    for sid, label, cells, change in progress.rows:
        scores = [by_point[tp].scores[sid] for tp in ("T1", "T2", "T3")]
        assert [int(c.split()[0]) for c in cells] == scores
        expected = scores[2] - scores[0]
        assert change == (f"+{expected}" if expected > 0 else str(expected))
        assert f"{label} {' '.join(cells)} {change}" in text


def test_pdf_metadata_outline_and_names(report, pdf):
    reader = PdfReader(BytesIO(pdf))
    assert reader.metadata.title == "Visit report: Zoë Nguyễn"
    assert reader.metadata.author == "Siân Ó Briain"
    assert [o.title for o in reader.outline] == [title for _key, title in SECTIONS]
    text = pdf_text(pdf)
    for name in ("Zoë", "Siân", "Łukasz", "Nguyễn", "Ó Briain"):
        assert name in text
    pages = pdf_pages(pdf)
    assert f"Page 1 of {len(pages)}" in pages[0] and "23/11/2026" in pages[-1]


def test_a_section_with_no_text_and_no_evidence_is_left_out(store, sample):
    sections = dict(sample["sections"], strengths="  ")
    report = build_visit_report(store, sample["referral"], sections=sections, report_date=DAY)
    titles = [s.title for s in visit_document(report).printed_sections()]
    assert "Strengths" not in titles and "The observation" not in titles
    assert "The Boxall and SDQ picture" not in titles
    data = render_visit(report)
    outline = [o.title for o in PdfReader(BytesIO(data)).outline]
    assert outline == [
        "Reason for referral and background",
        "What the behaviour communicates",
        "Recommendations and strategies",
        "Next steps",
    ]
    text = pdf_text(data)
    assert "Strengths" not in text and "Classroom observation" not in text and "SDQ" not in text


def test_the_practitioner_decides_what_each_evidence_paragraph_says(store, sample):
    oid = sample["observations"][0]
    report = build_visit_report(
        store,
        sample["referral"],
        observation_ids=[oid],
        evidence_text={f"observation:{oid}": "Zoë settled well after the starter."},
        report_date=DAY,
    )
    text = squash(pdf_text(render_visit(report)))
    assert "Zoë settled well after the starter." in text
    assert "was on task in" not in text  # the draft was not kept
    ignored = build_visit_report(store, sample["referral"], observation_ids=[oid], evidence_text={}, report_date=DAY)
    assert "was on task in" not in squash(pdf_text(render_visit(ignored)))
    assert "On task" in pdf_text(render_visit(ignored))  # the evidence itself stays


def test_an_unknown_case_is_refused(store):
    with pytest.raises(KeyError):
        build_visit_report(store, "no-such-case")


@pytest.mark.parametrize(
    "num,den,text",
    [(5, 8, "63%"), (1, 8, "13%"), (3, 8, "38%"), (1, 40, "3%"), (0, 12, "0%"), (12, 12, "100%"), (0, 0, "—")],
)
def test_percentages_round_half_up_and_undefined_is_a_dash(num, den, text):
    assert percent_text(Ratio(num, den)) == text


def test_chosen_evidence_no_longer_on_the_laptop_is_left_out_and_named(store, sample):
    oid, cid = sample["observations"][0], sample["completions"][1]
    store.delete("observation", oid)
    report = build_visit_report(
        store,
        sample["referral"],
        observation_ids=sample["observations"],
        completion_ids=[cid, "no-such-form"],
        report_date=DAY,
    )
    assert [o.observation_id for o in report.observations] == sample["observations"][1:]
    assert report.missing == (f"observation:{oid}", "completion:no-such-form")
    assert len(report.sdq) == 1
    assert "Classroom observation" in pdf_text(render_visit(report))
