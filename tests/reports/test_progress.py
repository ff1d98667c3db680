"""The progress report: every instrument at T1/T2/T3 side by side, figures from FormRecords.progress."""

from __future__ import annotations

import re
from datetime import date

from desktop.cli import main
from desktop.forms.records import FormRecords
from desktop.reports.progress import NOTHING_YET, build_progress_report, progress_document, render_progress
from desktop.reports.sample import make_sample_case
from desktop.store import open_store
from tests.conftest import PASSPHRASE

from .conftest import pdf_body, pdf_text

DAY = date(2026, 11, 23)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_instrument_with_its_time_points_scores_bands_and_change(store, sample):
    report = build_progress_report(store, sample["referral"], report_date=DAY)
    assert [(i.pack_id, i.points) for i in report.instruments] == [
        ("sdq-teacher-4-17", ("T1", "T2", "T3")),
        ("boxall-synthetic", ("T1",)),
    ]
    records = FormRecords(store)
    progress = records.progress(sample["pupil"], "sdq-teacher-4-17", "teacher")
    text = squash(pdf_body(render_progress(report), "Behaviour Support Service", report.title))
    for sid, label, cells, change in report.instruments[0].rows:
        values = [progress.by_time_point[tp].scores[sid] for tp in ("T1", "T2", "T3")]
        bands = [progress.by_time_point[tp].band(sid) for tp in ("T1", "T2", "T3")]
        expected = " ".join(f"{v} ({b})" if b else f"{v}" for v, b in zip(values, bands))
        delta = progress.change(sid, to="T3", since="T1")
        assert f"{label} {expected} {'+' if delta > 0 else ''}{delta}" in text
    assert "Synthetic — not the licensed content" in text


def test_a_pupil_with_no_finalised_forms_gets_a_clear_page(store, case):
    report = build_progress_report(store, case["referral"], report_date=DAY)
    assert report.instruments == ()
    assert [s.title for s in progress_document(report).printed_sections()] == ["Assessments"]
    assert NOTHING_YET in pdf_text(render_progress(report))


def test_the_progress_report_command(monkeypatch, isolated_home, tmp_path, capsys):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    store = open_store(isolated_home, PASSPHRASE)
    ids = make_sample_case(store)
    store.close()
    out = tmp_path / "progress.pdf"
    assert main(["report", "progress", ids["referral"], "-o", str(out), "--date", "23/11/2026"]) == 0
    text = pdf_text(out.read_bytes())
    assert "Progress report: Zoë Nguyễn" in text and "23/11/2026" in text
    assert main(["report", "progress", "nope", "-o", str(out)]) == 1
    assert "there is no case 'nope'" in capsys.readouterr().err
