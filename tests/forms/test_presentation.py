"""Score presentation, completion cells and the progress and means charts, without Qt."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.forms import presentation as p
from desktop.forms.records import FormRecords
from desktop.reports import charts

EMOTION = ("somatic", "worries", "unhappy", "clingy", "afraid")


@pytest.fixture
def forms(store):
    return FormRecords(store)


def complete(forms, pupil, referral, point, on, answers, final=True):
    c = forms.start(
        pupil_id=pupil,
        referral_id=referral,
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on=on,
        time_point=point,
    )
    for item, value in answers.items():
        forms.answer(c, item, value)
    if final:
        forms.finalise(c)
    return c


def test_labels_and_signed_changes():
    """Changes carry a true minus sign; missing values are dashes; labels use the user's words."""
    assert [p.format_change(v) for v in (3, 0, -2, None)] == ["+3", "0", "−2", "—"]
    assert [p.format_score(v) for v in (7, None)] == ["7", "—"]
    assert p.informant_label("parent") == "Parent / carer"
    assert p.informant_label("head_of_year") == "Head of year"
    assert p.age_band_label("4-17") == "4–17" and p.age_band_label("all") == "All ages"


def test_scores_are_described_with_their_band_and_tone(forms):
    pack = forms.pack("sdq-teacher-4-17")
    rows = {r.score_id: r for r in p.ScoreDescriber(pack, "teacher", "4-17").rows({"emotion": 10, "conduct": 0})}
    assert (rows["emotion"].band, rows["emotion"].tone) == ("very high", "very_high")
    assert (rows["conduct"].band, rows["conduct"].tone) == ("close to average", "typical")
    assert (rows["hyper"].score, rows["hyper"].band, rows["hyper"].tone) == (None, "—", None)


def test_completion_cells_show_draft_progress_and_corrections(forms, case):
    first = complete(forms, case["pupil"], case["referral"], "T1", "2026-10-01", {"somatic": 1})
    correction = forms.correct(first)
    draft = complete(
        forms, case["pupil"], case["referral"], "T2", "2026-11-20", {"somatic": 1, "worries": 2}, final=False
    )
    rows = forms.completions(case["pupil"])
    assert forms.answered_counts([draft]) == {draft: 2}
    cells = dict(zip((r["id"] for r in rows), p.completion_cells(forms, rows)))
    assert cells[draft][4] == f"Draft · 2/{len(forms.pack('sdq-teacher-4-17').items)}"
    assert cells[draft][2:4] == ("Teacher", "T2")
    assert cells[first][4:] == ("Final", "Correction in progress")
    assert cells[correction][5].startswith("Supersedes the form finalised ")


def test_progress_chart_has_a_bar_per_time_point_and_the_typical_range(forms, case):
    complete(forms, case["pupil"], case["referral"], "T1", "2026-09-10", dict.fromkeys(EMOTION, 2))
    complete(forms, case["pupil"], case["referral"], "T2", "2026-11-20", dict(zip(EMOTION, (1, 1, 0, 0, 1))))
    pack = forms.pack("sdq-teacher-4-17")
    chart = p.progress_chart(pack, forms.progress(case["pupil"], pack.id))
    assert chart.categories == tuple(s.label for s in pack.scales)
    assert [(s.name, s.values[0]) for s in chart.series] == [("T1", 10.0), ("T2", 3.0)]
    assert chart.ranges[0] == (0, 3) and chart.range_label == "close to average range"
    assert "10" in charts.chart_texts(chart) and "T2" in charts.chart_texts(chart)
    charts.to_drawing(chart, 400)  # the same description draws for a PDF


def test_means_rows_and_chart_share_the_numbers(forms, caseload, case):
    pack = forms.pack("sdq-teacher-4-17")
    means = {"T1": {"emotion": (7.5, 2), "conduct": (5.0, 1), "ebdtot": (20.0, 1)}, "T2": {"emotion": (0.0, 1)}}
    rows = p.means_rows(pack, means)
    assert rows == [("Emotional problems", {"T1": (7.5, 2), "T2": (0.0, 1)}), ("Conduct problems", {"T1": (5.0, 1)})]
    assert p.means_rows(pack, means, include_totals=True)[-1] == ("Total difficulties", {"T1": (20.0, 1)})
    chart = p.means_chart(rows)
    assert [(s.name, s.values) for s in chart.series] == [
        ("Emotional problems", (7.5, 0.0, None)),
        ("Conduct problems", (5.0, None, None)),
    ]
    assert chart.notes == ("n=1–2", "n=1", "")
    assert "7.50" in charts.chart_texts(chart)
    assert p.means_chart([]) is None


def test_closed_referrals_are_grouped_by_school_year(caseload, case, store):
    caseload.close(case["referral"], "improved_in_school", on=date(2026, 8, 31))
    other_pupil = caseload.add_pupil(first_name="Theo", last_name="Ward", school_id=case["school"])
    other = caseload.add_referral(
        pupil_id=other_pupil, school_id=case["school"], reason="attendance", referral_date="2026-06-01"
    )
    caseload.close(other, "improved_in_school", on=date(2026, 9, 1))
    assert p.closed_referrals_by_year(store) == {2025: [case["referral"]], 2026: [other]}


def test_the_visit_report_draws_the_chart_the_window_shows(forms, case):
    """One description for both: the PDF's progress chart is the tab's, with a title."""
    from dataclasses import replace

    from desktop.reports.visit import progress_evidence

    complete(forms, case["pupil"], case["referral"], "T1", "2026-09-10", dict.fromkeys(EMOTION, 2))
    complete(forms, case["pupil"], case["referral"], "T2", "2026-11-20", dict(zip(EMOTION, (1, 1, 0, 0, 1))))
    pack = forms.pack("sdq-teacher-4-17")
    evidence = progress_evidence(forms, case["pupil"], pack, "teacher")
    shown = p.progress_chart(pack, forms.progress(case["pupil"], pack.id))
    assert evidence.chart == replace(shown, title=evidence.chart.title)
    assert evidence.chart.title.endswith("scores at T1, T2")
