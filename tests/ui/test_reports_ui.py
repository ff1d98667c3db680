"""The visit report editor: typed text and chosen evidence are saved at once; drafted paragraphs
are offered, kept, edited or left out; Preview shows the pages; Finalise issues it to Documents."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
import shiboken6
from pypdf import PdfReader
from PySide6.QtCore import Qt, QUrl

from desktop.reports.records import ReportRecords
from desktop.reports.sample import make_sample_case
from desktop.reports.visit import draft_observation
from desktop.store.attachments import attachments_for, read_attachment
from desktop.ui.reports import EvidenceModel
from tests.reports.conftest import pdf_text
from tests.ui.conftest import FakeThreadPool


class Recorder:
    def __init__(self, answer=True):
        self.answer, self.asked, self.told, self.opened = answer, [], [], []

    def ask(self, _parent, _title, text):
        self.asked.append(text)
        return self.answer

    def tell(self, _parent, title, text):
        self.told.append((title, text))

    def open_url(self, url: QUrl):
        self.opened.append(Path(url.toLocalFile()))
        return True


@pytest.fixture
def setup(make_window, store):
    ids = make_sample_case(store)
    window = make_window(store)
    rec = Recorder()
    feature = window.reports
    window.tasks.use_pool(FakeThreadPool())
    feature.ask, feature.tell, feature.open_url = rec.ask, rec.tell, rec.open_url
    window.select_referral(ids["referral"])
    return window, feature, rec, ids


def tick(qtbot, editor, record_id):
    """Tick a record in the editor's evidence list with a click on its box."""
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    model, view = editor.evidence_model, editor.evidence
    for i in range(model.rowCount()):
        index = model.index(i)
        if index.data(EvidenceModel.EvidenceKeyRole)[1] == record_id:
            view.scrollTo(index)
            option = QStyleOptionViewItem()
            view.initViewItemOption(option)
            option.rect = view.visualRect(index)
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
            box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view)
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
            assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
            return
    raise AssertionError(record_id)


def test_new_visit_report_from_the_case_and_text_saved_as_typed(setup, qtbot, store):
    window, feature, _rec, ids = setup
    assert feature.tab.model.rowCount() == 0 and feature.tab.empty.isVisibleTo(feature.tab)
    window.findChild(type(feature.new_action), "newVisitReport").trigger()
    editor = next(iter(feature.editors.values()))
    qtbot.waitExposed(editor)
    qtbot.keyClicks(editor.sections["strengths"], "She enjoys practical work.")  # QTest types ASCII only
    editor.sections["strengths"].insertPlainText(" Zoë")
    row = ReportRecords(store).get(editor.report_id)
    assert row["sections"]["strengths"] == "She enjoys practical work. Zoë"
    assert row["referral_id"] == ids["referral"] and row["status"] == "draft"
    assert feature.tab.model.rowCount() == 1 and feature.tab.table.isVisibleTo(feature.tab)
    assert feature.tab.model.index(0, 2).data() == "Draft"


def test_ticking_evidence_offers_its_drafted_paragraph_to_keep_edit_or_leave_out(setup, qtbot, store):
    _window, feature, _rec, ids = setup
    editor = feature.new_visit_report()
    oid = ids["observations"][0]
    tick(qtbot, editor, oid)
    reports = ReportRecords(store)
    assert reports.get(editor.report_id)["evidence"]["observations"] == [oid]
    key = f"observation:{oid}"
    include, edit = editor.paragraph_edits[key]
    expected = draft_observation(reports.build(editor.report_id).observations[0])
    assert edit.toPlainText() == expected and include.isChecked()
    edit.setPlainText("Zoë settled after the starter.")
    assert reports.build(editor.report_id).evidence_text[key] == "Zoë settled after the starter."
    include.setChecked(False)
    assert key not in reports.build(editor.report_id).evidence_text
    assert reports.get(editor.report_id)["evidence"]["text"][key] is None


def test_preview_opens_the_pdf_and_finalise_issues_it_to_documents(setup, qtbot, store):
    window, feature, rec, ids = setup
    editor = feature.new_visit_report()
    qtbot.keyClicks(editor.sections["next_steps"], "A PSP meeting in four weeks.")
    tick(qtbot, editor, ids["completions"][0])
    editor.preview_button.click()
    preview = editor.preview_dialog
    assert preview is not None and preview.isVisible() and rec.opened == []  # shown in the app
    preview.open_button.click()  # the secondary action: the same PDF in the laptop's PDF app
    assert len(rec.opened) == 1 and "A PSP meeting in four weeks." in pdf_text(rec.opened[0].read_bytes())
    assert len(preview.page_views) == len(PdfReader(BytesIO(rec.opened[0].read_bytes())).pages)
    assert ReportRecords(store).get(editor.report_id)["status"] == "draft"  # a preview changes nothing
    preview.close_button.click()
    assert editor.preview_dialog is None or not editor.preview_dialog.isVisible()

    editor.finalise_button.click()
    assert rec.asked and rec.told == []
    row = ReportRecords(store).get(editor.report_id)
    assert row["status"] == "final" and row["issued_sha256"]
    [doc] = attachments_for(store, ids["referral"])
    assert doc["id"] == row["attachment_id"]
    assert "Boxall" in pdf_text(read_attachment(store, doc["id"]))
    assert editor.sections["next_steps"].isReadOnly() and not editor.finalise_button.isVisible()
    assert feature.tab.model.index(0, 2).data() == "Final: issued to Documents"
    # the issued report's evidence stays as it was: shown ticked, no longer tickable
    evidence = editor.evidence_model
    ticked = [
        evidence.index(i)
        for i in range(evidence.rowCount())
        if evidence.index(i).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    ]
    assert [i.data(EvidenceModel.EvidenceKeyRole) for i in ticked] == [("completion", ids["completions"][0])]
    assert not any(evidence.index(i).flags() & Qt.ItemFlag.ItemIsUserCheckable for i in range(evidence.rowCount()))
    assert not evidence.setData(ticked[0], Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)

    editor.correct_button.click()
    correction = ReportRecords(store).for_case(ids["referral"])
    assert len(correction) == 2 and any(r["supersedes"] == editor.report_id for r in correction)


def test_declining_to_finalise_changes_nothing(setup, store):
    _window, feature, rec, _ids = setup
    rec.answer = False
    editor = feature.new_visit_report()
    editor.finalise_button.click()
    assert ReportRecords(store).get(editor.report_id)["status"] == "draft"


def test_report_settings_are_saved_and_used_when_issuing(setup, store, saved_settings, monkeypatch, tmp_path):
    """Logo, protective marking and initials-only file names, from Settings to the issued PDF."""
    from PIL import Image

    from desktop.ui.main_window import SettingsDialog

    window, feature, _rec, ids = setup
    logo = tmp_path / "logo.png"
    Image.new("RGB", (80, 40), (0, 114, 178)).save(logo)

    def fake_exec(dialog):
        dialog.logo.setText(str(logo))
        dialog.marking.setText("OFFICIAL")
        dialog.initials.setChecked(True)
        dialog._save()
        return dialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", fake_exec)
    window.open_settings()
    saved = saved_settings[-1]
    assert (saved.logo_path, saved.protective_marking, saved.initials_in_file_names) == (str(logo), "OFFICIAL", True)

    editor = feature.new_visit_report()
    editor.sections["strengths"].setPlainText("Kind to others.")
    editor.finalise_button.click()
    [doc] = attachments_for(store, ids["referral"])
    assert doc["filename"].startswith("Visit report ZN ") and "Zoë" not in doc["filename"]
    text = pdf_text(read_attachment(store, doc["id"]))
    assert "OFFICIAL" in text and "OFFICIAL-SENSITIVE" not in text


def test_the_reports_menu_makes_progress_psp_and_service_reports(setup, store, tmp_path):
    from datetime import date

    from desktop.caseload import Caseload

    window, feature, rec, ids = setup
    menu_titles = [a.text().replace("&", "") for a in feature.menu.actions() if a.text()]
    assert menu_titles == [
        "New visit report",
        "Progress report for this case",
        "Pastoral Support Plan for this case",
        "Record a PSP review…",
        "Record an exclusion…",
        "Service report…",
    ]
    feature.progress_action.trigger()
    preview = feature.preview_dialog  # the pages in the app; the PDF app on request
    assert preview is not None and preview.windowTitle() == "Preview — Progress report" and rec.opened == []
    preview.open_button.click()
    pdf = rec.opened[-1].read_bytes()
    assert "Progress report: Zoë Nguyễn" in pdf_text(pdf) and rec.opened[-1].name == "Progress report.pdf"
    assert len(preview.page_views) == len(PdfReader(BytesIO(pdf)).pages)

    feature.psp_action.trigger()
    assert rec.told and "no Pastoral Support Plan" in rec.told[-1][1]
    Caseload(store, today=date(2026, 11, 23)).add_support_plan(
        ids["referral"], "2026-11-20", targets="Zoë will start tasks within 2 minutes."
    )
    feature.psp_action.trigger()
    assert feature.preview_dialog is not preview and (not shiboken6.isValid(preview) or preview.isHidden())
    feature.preview_dialog.open_button.click()
    assert "Zoë will start tasks within 2 minutes." in pdf_text(rec.opened[-1].read_bytes())

    target = tmp_path / "service.csv"
    feature.ask_service = lambda _parent, _today: (date(2026, 9, 1), date(2026, 11, 30), True, str(target))
    feature.service_action.trigger()
    assert "referrals received,1" in target.read_text(encoding="utf-8")
    pdf = tmp_path / "service.pdf"
    feature.ask_service = lambda _parent, _today: (date(2026, 9, 1), date(2026, 11, 30), False, str(pdf))
    feature.service_action.trigger()
    assert rec.opened[-1] == pdf and "Service report: 01/09/2026 to 30/11/2026" in pdf_text(pdf.read_bytes())
    feature.ask_service = lambda _parent, _today: None  # cancelled: nothing happens
    feature.service_action.trigger()
    assert rec.opened[-1] == pdf


def test_two_strategies_from_the_bank_go_into_the_section_being_written(setup, qtbot, store, tmp_path):
    from desktop.reports.strategies import load_bank

    _window, feature, _rec, _ids = setup
    bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")
    feature._bank = bank
    picks = [bank.get("now-next"), bank.get("chunking")]
    feature.pick_strategy = lambda _parent, _bank: picks.pop(0)
    editor = feature.new_visit_report()
    editor.sections["recommendations"].setPlainText("Agreed with the class teacher:")
    editor.strategy_button.click()
    editor.strategy_button.click()
    stored = ReportRecords(store).get(editor.report_id)["sections"]["recommendations"]
    assert stored == (
        "Agreed with the class teacher:\n"
        + bank.get("now-next").for_report()
        + "\n"
        + bank.get("chunking").for_report()
    )
    # the section last typed in receives the next one
    editor.sections["next_steps"].setFocus()
    qtbot.waitUntil(lambda: editor.last_section == "next_steps")
    picks.append(bank.get("home-school-book"))
    editor.strategy_button.click()
    assert (
        ReportRecords(store).get(editor.report_id)["sections"]["next_steps"]
        == bank.get("home-school-book").for_report()
    )


def test_the_picker_filters_as_you_type_and_enter_chooses(qtbot, tmp_path):
    from desktop.reports.strategies import load_bank
    from desktop.ui.reports import StrategiesModel, StrategyPicker

    bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")
    picker = StrategyPicker(bank)
    qtbot.addWidget(picker)
    assert picker.model.rowCount() == len(bank.strategies)
    # Down and Up move through the results while the search box keeps the keys; the text
    # of the strategy under the cursor is shown below the list
    ids = [picker.model.index(i).data(StrategiesModel.StrategyIdRole) for i in range(3)]
    assert picker.preview.text() == bank.get(ids[0]).text
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    qtbot.keyClick(picker.search, Qt.Key.Key_Up)
    assert picker.results.currentIndex().row() == 1 and picker.preview.text() == bank.get(ids[1]).text
    qtbot.keyClick(picker.search, Qt.Key.Key_Up)
    qtbot.keyClick(picker.search, Qt.Key.Key_Up)  # stays on the first
    assert picker.results.currentIndex().row() == 0
    qtbot.keyClicks(picker.search, "calm signal")
    assert [picker.model.index(i).data(StrategiesModel.StrategyIdRole) for i in range(picker.model.rowCount())] == [
        "calm-space"
    ]
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert picker.chosen == bank.get("calm-space") and picker.result() == picker.DialogCode.Accepted
    picker.search.setText("no-such-word-anywhere")
    assert picker.model.rowCount() == 0 and picker.preview.text() == "No strategy matches every word."
