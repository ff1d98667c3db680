"""The Assessments tab, New assessment…, progress at T1/T2/T3 and the cohort means plot."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from desktop.dates import to_uk
from desktop.forms.records import FormRecords
from desktop.reports.charts import chart_texts
from desktop.ui.assessments import EMPTY_TEXT, CompletionsModel
from tests.ui.conftest import FakeThreadPool
from desktop.ui.form_entry import FormEntryModel

TEACHER_SDQ = dict(
    pack_id="sdq-teacher-4-17", informant="teacher", age_band="4-17", completed_by="teacher", respondent="Mr Evans"
)


@pytest.fixture
def forms(store):
    return FormRecords(store)


@pytest.fixture
def installed(make_window, store, case):
    """A main window (which installs assessments itself) with the case selected."""
    window = make_window(store)
    feature = window.assessments
    window.tasks.use_pool(FakeThreadPool())
    window.select_referral(case["referral"])
    return window, feature


def final_form(forms, pupil, referral, point, on, answers, **fields):
    completion = forms.start(
        pupil_id=pupil, referral_id=referral, completed_on=on, time_point=point, **{**TEACHER_SDQ, **fields}
    )
    for item_id, value in answers.items():
        forms.answer(completion, item_id, value)
    forms.finalise(completion)
    return completion


def rows(model):
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


def show_tab(window, feature):
    window.case_view.tabs.setCurrentWidget(feature.tab)
    return feature.tab


def test_install_adds_the_tab_and_commands_with_an_empty_state(installed):
    window, feature = installed
    tabs = window.case_view.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())][:3] == ["Timeline", "History", "Assessments"]
    assert feature.new_action.shortcut() == QKeySequence("Ctrl+Shift+N")
    assert feature.new_action in window.menuBar().actions()[2].menu().actions()  # the Case menu
    assert "means plot" in feature.means_action.text()
    tab = show_tab(window, feature)
    assert tab.empty.isVisible() and tab.empty.text() == EMPTY_TEXT
    assert not tab.list.isVisible() and not tab.progress_box.isVisible()


def test_new_assessment_starts_a_form_and_lists_it(qtbot, installed, fill_dialogs, forms, case):
    window, feature = installed
    queue, seen = fill_dialogs
    queue.append(
        {
            "pack_id": "sdq-teacher-4-17",
            "informant": "teacher",
            "age_band": "4-17",
            "completed_by": "teacher",
            "respondent": "Mr Evans",
            "completed_on": "2026-11-20",
            "time_point": "T1",
        }
    )
    feature.new_action.trigger()
    dialog = seen[0]
    assert dialog.fields["completed_on"].displayFormat() == "dd/MM/yyyy"
    [completion] = forms.completions(case["pupil"])
    assert (
        completion["pack_id"],
        completion["time_point"],
        completion["referral_id"],
        completion["respondent"],
        completion["status"],
    ) == ("sdq-teacher-4-17", "T1", case["referral"], "Mr Evans", "draft")
    [form] = feature.forms
    assert form.completion_id == completion["id"] and form.isVisible()
    qtbot.keyClick(form.table, Qt.Key.Key_2)
    assert forms.answers(completion["id"]) == {"consid": 2}
    form.close()
    assert feature.forms == []
    tab = feature.tab
    assert window.case_view.tabs.currentWidget() is tab and tab.list.isVisible()
    assert rows(tab.model) == [
        ("20/11/2026", "SDQ teacher 4–17 (scoring; neutral labels)", "Teacher", "T1", "Draft · 1/29", "")
    ]


def test_the_start_dialog_offers_the_packs_marks_synthetic_and_suggests_defaults(installed, forms, case):
    window, feature = installed
    from desktop.ui.form_entry import start_dialog

    final_form(forms, case["pupil"], case["referral"], "T1", "2026-11-02", {"consid": 1})
    dialog = start_dialog(forms, window.case_view.case, window, today=date(2026, 11, 23))
    packs = dialog.fields["pack_id"]
    titles = [packs.itemText(i) for i in range(packs.count())]
    assert "Boxall Profile (synthetic — not the licensed content)" in titles
    assert titles[-1].startswith("Boxall")  # synthetic packs last
    dialog.set_values({"pack_id": "sdq-teacher-4-17"})
    assert dialog.values()["time_point"] == "T2"  # T1 is taken on this instrument
    dialog.set_values({"pack_id": "boxall-synthetic"})
    values = dialog.values()
    assert (values["informant"], values["age_band"], values["time_point"]) == ("adult", "4-11", "T1")
    note = dialog.findChild(type(dialog.errors), "packNote")
    assert "synthetic — not the licensed content" in note.text() and note.isVisibleTo(dialog)


def test_the_tab_lists_completions_with_corrections_and_double_click_opens(qtbot, installed, forms, case):
    window, feature = installed
    first = final_form(forms, case["pupil"], case["referral"], "T1", "2026-10-01", {"consid": 1})
    correction = forms.correct(first)
    tab = show_tab(window, feature)
    assert rows(tab.model) == [
        (
            "01/10/2026",
            "SDQ teacher 4–17 (scoring; neutral labels)",
            "Teacher",
            "T1",
            "Draft · 1/29",
            f"Supersedes the form finalised {to_uk(forms.completion(first)['finalised_at'])}",
        ),
        (
            "01/10/2026",
            "SDQ teacher 4–17 (scoring; neutral labels)",
            "Teacher",
            "T1",
            "Final",
            "Correction in progress",
        ),
    ]
    index = tab.model.index(0, 1)
    assert index.data(CompletionsModel.CompletionIdRole) == correction
    tab.list.scrollTo(index)
    rect = tab.list.visualRect(index)
    # A real double-click: the first click's press, then the double-click.
    qtbot.mouseClick(tab.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    [form] = feature.forms
    assert form.completion_id == correction and not form.read_only
    assert form.table.currentIndex().data(FormEntryModel.ItemIdRole) == "restles"  # continues
    feature.open_form(correction)
    assert len(feature.forms) == 1  # the open window is raised, not opened twice


def test_progress_shows_t1_and_t2_side_by_side_with_bands_and_change(installed, forms, case):
    window, feature = installed
    emotion = ("somatic", "worries", "unhappy", "clingy", "afraid")
    final_form(forms, case["pupil"], case["referral"], "T1", "2026-09-10", dict.fromkeys(emotion, 2))
    final_form(forms, case["pupil"], case["referral"], "T2", "2026-11-20", dict(zip(emotion, (1, 1, 0, 0, 1))))
    tab = show_tab(window, feature)
    progress = forms.progress(case["pupil"], "sdq-teacher-4-17")
    model = tab.progress_model
    table = {
        model.index(r, 0).data(): tuple(model.index(r, c).data() for c in range(1, 6)) for r in range(model.rowCount())
    }
    assert table["Emotional problems"] == ("10 · very high", "3 · close to average", "—", "−7", "—")
    assert progress.change("emotion") == -7
    assert table["Conduct problems"] == ("—", "—", "—", "—", "—")
    assert list(model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)) == [
        "Score",
        "T1",
        "T2",
        "T3",
        "Change T1→T2",
        "Change T1→T3",
    ]
    chart = tab.chart.chart  # the chart description the window shows (and a PDF can draw)
    assert [s.name for s in chart.series] == ["T1", "T2"]
    assert chart.short_labels == ("emotion", "conduct", "hyper", "peer", "prosoc")
    emotion_at = chart.short_labels.index("emotion")
    assert chart.series[0].values[emotion_at] == 10 and chart.series[1].values[emotion_at] == 3
    assert chart.ranges[emotion_at] == (0, 3)  # teacher "close to average" 0–3 is shaded
    assert chart.range_label == "close to average range"
    assert "10" in chart_texts(chart) and tab.chart.svg.startswith("<?xml")


def test_the_tab_follows_the_selected_case(installed, caseload, forms, case):
    window, feature = installed
    final_form(forms, case["pupil"], case["referral"], "T1", "2026-10-01", {"consid": 1})
    pupil = caseload.add_pupil(first_name="Theo", last_name="Mensah", school_id=case["school"])
    other = caseload.add_referral(
        pupil_id=pupil, school_id=case["school"], reason="bullying", referral_date="2026-11-10"
    )
    window.refresh()
    tab = show_tab(window, feature)
    assert tab.model.rowCount() == 1
    window.select_referral(other)
    assert tab.pupil_name == "Theo Mensah" and tab.model.rowCount() == 0 and tab.empty.isVisible()
    window.select_referral(case["referral"])
    assert tab.model.rowCount() == 1


def test_locking_closes_open_forms(installed, forms, case):
    window, feature = installed
    completion = forms.start(pupil_id=case["pupil"], completed_on="2026-11-20", time_point="T1", **TEACHER_SDQ)
    form = feature.open_form(completion)
    assert form.isVisible()
    window.lock()
    assert feature.forms == [] and not form.isVisible()


def _closed_cohort(caseload, forms, case):
    """Three pupils: two closed in 2026/27 (one with T1 and T2), one closed in 2025/26."""
    school = case["school"]
    made = []
    for name, referred, closed in (
        ("Ada", "2026-09-05", date(2026, 11, 20)),
        ("Ben", "2026-09-08", date(2026, 11, 21)),
        ("Cal", "2025-10-01", date(2026, 6, 30)),
    ):
        pupil = caseload.add_pupil(first_name=name, last_name="Test", school_id=school)
        referral = caseload.add_referral(pupil_id=pupil, school_id=school, reason="bullying", referral_date=referred)
        made.append((pupil, referral, closed))
    emotion = ("somatic", "worries", "unhappy", "clingy", "afraid")
    difficulties = [it.id for it in forms.pack("sdq-teacher-4-17").items[:25]]
    (ada, ada_r, _), (ben, ben_r, _), (cal, cal_r, _) = made
    # "Somewhat true" (1) scores 1 even reversed: every scale 5, total difficulties 20.
    final_form(forms, ada, ada_r, "T1", "2026-09-10", dict.fromkeys(difficulties, 1))
    final_form(forms, ada, ada_r, "T2", "2026-11-19", dict.fromkeys(emotion, 0))
    final_form(forms, ben, ben_r, "T1", "2026-09-12", dict.fromkeys(emotion, 2))
    final_form(forms, cal, cal_r, "T1", "2025-10-10", dict.fromkeys(emotion, 0))
    for _pupil, referral, closed in made:
        caseload.close(referral, "improved_in_school", on=closed)
    return [r for _, r, _ in made]


def test_the_means_plot_shows_the_numbers_cohort_means_gives(installed, caseload, forms, case):
    ada_r, ben_r, cal_r = _closed_cohort(caseload, forms, case)
    window, feature = installed
    dialog = feature.means_dialog or feature.show_means()
    years = [dialog.year.itemData(i) for i in range(dialog.year.count())]
    assert years == [2026, 2025]
    dialog.instrument.setCurrentIndex(dialog.instrument.findData("sdq-teacher-4-17"))
    assert sorted(dialog.referral_ids) == sorted([ada_r, ben_r])
    expected = forms.cohort_means("sdq-teacher-4-17", [ada_r, ben_r])
    assert dialog.means == expected
    assert expected["T1"]["emotion"] == (7.5, 2) and expected["T2"]["emotion"] == (0, 1)
    assert expected["T1"]["ebdtot"] == (20, 1)
    plotted = dict(dialog.table_model.rows)
    assert plotted["Emotional problems"] == {"T1": (7.5, 2), "T2": (0, 1)}
    assert plotted["Conduct problems"] == {"T1": (5, 1)}
    assert "Total difficulties" not in plotted  # totals only when asked for
    lines = {s.name: s.values for s in dialog.plot.chart.series}  # the plot draws the same numbers
    assert lines["Emotional problems"] == (7.5, 0, None) and lines["Conduct problems"] == (5, None, None)
    assert dialog.plot.chart.notes == ("n=1–2", "n=1", "")
    dialog.totals.setChecked(True)
    assert dict(dialog.table_model.rows)["Total difficulties"] == {"T1": (20, 1)}
    assert {s.name: s.values for s in dialog.plot.chart.series}["Total difficulties"] == (20, None, None)
    assert dialog.table_model.index(0, 1).data() == "7.50 (2)"
    dialog.year.setCurrentIndex(1)  # 2025/26: Cal alone
    assert dialog.referral_ids == [cal_r]
    assert dialog.means == forms.cohort_means("sdq-teacher-4-17", [cal_r])
    assert dict(dialog.table_model.rows)["Emotional problems"] == {"T1": (0, 1)}
    assert {s.name: s.values for s in dialog.plot.chart.series}["Emotional problems"] == (0, None, None)
    assert "closed 01/09/2025 – 31/08/2026" in dialog.summary.text()


def test_the_means_plot_without_closed_cases_says_so(installed):
    window, feature = installed
    dialog = feature.show_means()
    assert dialog.year.count() == 0 and dialog.means == {}
    assert "No closed referrals yet" in dialog.summary.text()


def test_the_means_plot_is_worked_out_in_the_background(qtbot, installed, caseload, forms, case):
    """With the real thread pool the result arrives by signal on the GUI thread."""
    ada_r, ben_r, _ = _closed_cohort(caseload, forms, case)
    window, feature = installed
    window.tasks.use_pool(None)  # the real pools
    dialog = feature.show_means()
    dialog.instrument.setCurrentIndex(dialog.instrument.findData("sdq-teacher-4-17"))
    qtbot.waitUntil(lambda: dialog.means is not None, timeout=10_000)
    assert dialog.means == forms.cohort_means("sdq-teacher-4-17", [ada_r, ben_r])


def test_packs_a_sync_installed_are_read_again(installed, case, tmp_path):
    """After a sync that installed or removed packs the registry is read afresh and the new
    pack is offered by New assessment…; after one that did not, the loaded registry is kept."""
    import json

    from desktop.forms.presentation import instrument_packs
    from desktop.forms.registry import install_pack
    from desktop.ui.form_entry import start_dialog
    from sync.client import SyncReport
    from tests.forms.conftest import MINIMAL_PACK

    window, feature = installed
    before = feature.records.registry
    pack_file = tmp_path / "mini.json"
    pack_file.write_text(json.dumps(MINIMAL_PACK), encoding="utf-8")
    install_pack(pack_file)  # as a sync does: the file lands in the installed packs folder
    window.sync.finished.emit(SyncReport(received=3), None)
    assert feature.records.registry is before and "mini" not in before.packs
    window.sync.finished.emit(SyncReport(packs_installed=1), None)
    after = feature.records.registry
    assert after is not before and set(after.packs) == set(before.packs) | {"mini"}
    assert "mini" in [p.id for p in instrument_packs(feature.records)]
    dialog = start_dialog(feature.records, window.case_view.case, window, today=date(2026, 11, 23))
    packs = dialog.fields["pack_id"]
    assert "mini" in [packs.itemData(i) for i in range(packs.count())]
    dialog.reject()
    window.sync.finished.emit(None, RuntimeError("offline"))
    assert feature.records.registry is after
