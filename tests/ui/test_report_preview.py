"""The report preview in the app: a demo case's visit report, rendered off the GUI thread, shown
as its pages (as many as the PDF has), with page x of y, zoom by keyboard and Close."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QUrl

from desktop.caseload import Caseload
from desktop.demo import fill_demo
from desktop.reports.records import ReportRecords
from desktop.reports.sample import add_evidence
from desktop.ui.report_preview import PAGE_GAP, ZOOM_STEPS
from tests.conftest import TODAY
from tests.ui.conftest import FakeThreadPool


@pytest.fixture
def demo_editor(make_window, store, qtbot):
    caseload = Caseload(store, today=TODAY)
    fill_demo(caseload, pupils=30, referrals=36, seed=3)
    case = next(r for r in caseload.caseload() if r.status == "active")
    evidence = add_evidence(store, case.referral_id, observed_on="2026-11-16")
    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())
    feature = window.reports
    opened: list[Path] = []
    feature.open_url = lambda url: opened.append(Path(QUrl(url).toLocalFile())) or True
    feature.ask = lambda *_: True
    window.select_referral(case.referral_id)
    editor = feature.new_visit_report()
    qtbot.waitExposed(editor)
    ReportRecords(store).choose_evidence(editor.report_id, [evidence["observation"]], [evidence["boxall"]])
    editor.load()
    return editor, opened


def test_preview_shows_every_page_of_the_pdf_and_closes(demo_editor, qtbot):
    editor, opened = demo_editor
    qtbot.keyClicks(editor.sections["background"], "Leaves lessons without permission.")
    qtbot.keyClick(editor, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Preview
    preview = editor.preview_dialog
    assert preview is not None
    qtbot.waitExposed(preview)
    preview.open_button.click()  # the same bytes, to count the PDF's pages with pypdf
    pages = len(PdfReader(BytesIO(opened[-1].read_bytes())).pages)
    assert pages >= 2 and len(preview.page_views) == pages
    assert all(not v.pixmap().isNull() for v in preview.page_views)
    assert preview.page_label.text() == f"Page 1 of {pages}"
    preview.show_page(pages)
    assert preview.page_label.text() == f"Page {pages} of {pages}"
    assert "Finalise and issue…" in [b.text() for b in preview.action_buttons.values()]

    preview.close_button.click()
    qtbot.waitUntil(lambda: editor.preview_dialog is None)
    assert ReportRecords(editor.store).get(editor.report_id)["status"] == "draft"


def test_zoom_in_out_and_fit_width_from_the_keyboard(demo_editor, qtbot):
    editor, _opened = demo_editor
    editor.preview()
    preview = editor.preview_dialog
    qtbot.waitExposed(preview)
    first = preview.page_views[0]
    fitted = preview.scroll.viewport().width() - 2 * PAGE_GAP
    assert abs(first.width() - fitted) <= 1  # opens fitted to the width
    qtbot.keyClick(preview, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    start = preview.zoom
    qtbot.keyClick(preview, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert preview.zoom > start and preview.zoom in ZOOM_STEPS and not preview.fitted
    wider = first.width()
    qtbot.keyClick(preview, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(preview, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert first.width() < wider and preview.zoom_label.text() == f"{round(preview.zoom * 100)}%"
    before = preview.zoom  # Ctrl and "+" typed with Shift, as on a UK keyboard
    qtbot.keyClick(preview, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert preview.zoom > before
    qtbot.keyClick(preview, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    for _ in ZOOM_STEPS:
        preview.zoom_out()
    assert preview.zoom == ZOOM_STEPS[0] and not preview.zoom_out_button.isEnabled()
    qtbot.keyClick(preview, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert preview.fitted and abs(first.width() - fitted) <= 1
    # a page is as tall as an A4 page is for its width
    assert abs(first.height() / first.width() - 841.89 / 595.28) < 0.01
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: editor.preview_dialog is None)


def test_a_finalised_report_previews_without_finalise(demo_editor, qtbot):
    editor, _opened = demo_editor
    editor.finalise()
    assert ReportRecords(editor.store).get(editor.report_id)["status"] == "final"
    editor.preview()
    assert editor.preview_dialog.action_buttons == {}
    editor.preview_dialog.close()


def test_previews_close_when_the_app_locks(demo_editor, qtbot):
    """Pages show pupil data: the editor's preview and the Reports menu's close on locking."""
    editor, _opened = demo_editor
    feature = editor.feature
    editor.preview()
    feature.progress_report()
    assert editor.preview_dialog is not None and feature.preview_dialog is not None
    feature.window.lock()
    qtbot.waitUntil(lambda: editor.preview_dialog is None and feature.preview_dialog is None)
