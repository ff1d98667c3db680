"""The audit window: single-key ratings committed at once, evidence notes, good practice,
section progress, judgements, action points, the feedback meeting, Finalise (asks first),
a review showing last time's rating; and the main window's menu entry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.audits.records import AuditRecords, rating_id
from desktop.audits.review import start_review
from desktop.ui.audit_models import AreasModel, AuditsModel, CriteriaModel
from desktop.ui.audit_window import AuditList, AuditWindow, level_keys


def cell(view, row: int, column: int = 0) -> str:
    """What a list or table view shows in a cell (its model's display text)."""
    return view.model().index(row, column).data()


def header(view, section: int, orientation=Qt.Orientation.Horizontal) -> str:
    return view.model().headerData(section, orientation)


@pytest.fixture
def records(store):
    return AuditRecords(store)


@pytest.fixture
def audit(records, case):
    return records.start(
        school_id=case["school"],
        template_id="behaviour-audit",
        conducted_on="2026-10-05",
        conducted_by=case["caseworker"],
    )


def open_window(qtbot, records, audit_id):
    w = AuditWindow(records, audit_id)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_keys_follow_the_scale(records):
    keys = level_keys(records.template("behaviour-audit"))
    assert (keys["R"], keys["A"], keys["G"], keys["N"], keys["X"], keys["1"]) == (
        "red",
        "amber",
        "green",
        "not_seen",
        "not_applicable",
        "red",
    )
    sris = level_keys(records.template("wellbeing-framework"))
    assert sris["E"] == "emerging" and sris["S"] == "established" and sris["3"] == "advanced"


def test_rating_by_key_commits_and_moves_on(qtbot, records, audit, store):
    w = open_window(qtbot, records, audit)
    assert "Arrival" in cell(w.areas, 0) and "0/3" in cell(w.areas, 0)
    w.table.setFocus()
    qtbot.keyClick(w.table, Qt.Key.Key_G)
    assert store.get("audit_rating", rating_id(audit, "arrival_supervised"))["value"] == "green"
    assert w.table.currentRow() == 1
    qtbot.keyClick(w.table, Qt.Key.Key_R)
    qtbot.keyClick(w.table, Qt.Key.Key_N)
    assert records.snapshot(audit).value("arrival_calm") == "not_seen"
    assert "3/3" in cell(w.areas, 0)
    assert cell(w.table, 0, 2) == "Green"
    # the colour is beside the words; the row's criterion is on a named role; a finished area is green
    index = w.criteria.index(0, 2)
    assert index.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#bbf7d0"
    assert index.data(CriteriaModel.CriterionIdRole) == "arrival_supervised"
    assert w.areas.model().index(0, 0).data(AreasModel.SectionIdRole) == "arrival"
    assert w.areas.model().index(0, 0).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#166534"
    assert w.areas.model().index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    # evidence: saved when the cursor leaves the criterion, with its time
    w.table.setCurrentCell(1, 2)
    w.note.setPlainText("Greeted by name at the door")
    w.table.setCurrentCell(0, 2)
    row = store.get("audit_rating", rating_id(audit, "arrival_greeting"))
    assert row["evidence"] == "Greeted by name at the door" and row["evidence_at"]
    w.good.click()
    assert store.get("audit_rating", rating_id(audit, "arrival_supervised"))["good_practice"] == 1
    # a key not on the scale is refused with a message, nothing stored
    w.table.setCurrentCell(1, 2)
    qtbot.keyClick(w.table, Qt.Key.Key_Q)
    assert "not a key" in w.message.text()
    assert store.get("audit_rating", rating_id(audit, "arrival_greeting"))["value"] == "red"


def test_judgement_plan_meeting_and_finalise(qtbot, records, audit, store):
    w = open_window(qtbot, records, audit)
    w.judgement.setCurrentIndex(w.judgement.findData("amber"))
    w.strengths.setText("Calm start")
    w.save_judgement()
    assert records.snapshot(audit).judgements["arrival"]["value"] == "amber"
    w.tabs.setCurrentIndex(1)
    w.new_action.setText("Second adult at the gate")
    w.new_owner.setText("Deputy head")
    w.new_due.setText("30/11/2026")
    w.new_criteria.setText("arrival_supervised")
    qtbot.mouseClick(w.findChild(type(w.finalise_button), "addAction"), Qt.MouseButton.LeftButton)
    assert w.actions.rowCount() == 1 and cell(w.actions, 0, 2) == "30/11/2026"
    w.new_action.setText("Bad date")
    w.new_due.setText("31/02/2026")
    w.add_action()
    assert "not a date" in w.message.text() and w.actions.rowCount() == 1
    w.tabs.setCurrentIndex(2)
    w.meeting_date.setText("05/10/2026")
    w.meeting_attendees.setText("Head, SENCO, Deputy head")
    w.meeting_agreed.setPlainText("Plan agreed; review next term")
    w.save_meeting()
    assert records.snapshot(audit).meeting["agreed"] == "Plan agreed; review next term"
    asked = []
    w.confirm = lambda title, text: asked.append(text) or False
    w.finalise()
    assert asked and "cannot change" in asked[0] and not records.snapshot(audit).final
    w.confirm = lambda title, text: True
    w.finalise()
    assert records.snapshot(audit).final and not w.finalise_button.isEnabled()
    w.tabs.setCurrentIndex(0)
    w.table.setCurrentCell(0, 2)
    qtbot.keyClick(w.table, Qt.Key.Key_G)
    assert "finalised" in w.message.text()
    assert records.snapshot(audit).value("arrival_supervised") is None


def test_review_shows_last_time_and_movement(qtbot, records, audit, case):
    records.rate(audit, "arrival_supervised", "red")
    records.note(audit, "arrival_supervised", "Nobody on the gate")
    records.finalise(audit)
    review = start_review(records, case["school"], conducted_on="2026-11-20")
    w = open_window(qtbot, records, review)
    assert not w.table.isColumnHidden(3)
    assert cell(w.table, 0, 3).startswith("Red")
    assert "Nobody on the gate" in w.previous_label.text()
    qtbot.keyClick(w.table, Qt.Key.Key_A)
    assert cell(w.table, 0, 3) == "Red ↑"


def test_the_list_of_audits_opens_the_selected_one(qtbot, records, audit, case):
    later = records.start(school_id=case["school"], template_id="behaviour-audit", conducted_on="2026-11-20")
    records.finalise(later)
    d = AuditList(records)
    qtbot.addWidget(d)
    shown = [[cell(d.table, r, c) for c in range(5)] for r in range(d.table.rowCount())]
    assert sorted(shown) == sorted(
        [
            ["05/10/2026", "Hollowmere Primary School", "behaviour-audit", "Audit", "Draft"],
            ["20/11/2026", "Hollowmere Primary School", "behaviour-audit", "Audit", "Finalised"],
        ]
    )
    assert d.selected() == d.model.rows[0].audit_id
    d.table.selectRow(1)
    assert d.selected() == d.model.index(1, 0).data(AuditsModel.AuditIdRole) == d.model.rows[1].audit_id
    assert {d.model.rows[0].audit_id, d.model.rows[1].audit_id} == {audit, later}


def test_main_window_menu_opens_a_new_audit(qtbot, make_window, store, case, monkeypatch):
    window = make_window(store)
    action = window.findChild(type(window.demo_action), "newAudit")
    assert action is not None and action.shortcut().toString() == "Ctrl+Shift+U"
    from desktop.ui import audit_window as aw

    monkeypatch.setattr(aw.NewAuditDialog, "exec", lambda self: (self.create(), self.result())[1])
    action.trigger()
    assert len(window.audit_windows) == 1
    w = window.audit_windows[0]
    assert "Hollowmere Primary School" in w.header.text()
    w.close()


def test_screenshot_at_1366x768(qtbot, records, audit):
    """Render the window as a practitioner sees it mid-audit (docs/images/audit-window.png)."""
    for cid, v in {
        "arrival_supervised": "green",
        "arrival_greeting": "amber",
        "arrival_calm": "red",
        "lessons_attitudes": "green",
        "consistent_approach": "amber",
    }.items():
        records.rate(audit, cid, v)
    records.note(audit, "arrival_greeting", "Most staff greet pupils; two doors unstaffed at 8:45")
    records.flag_good_practice(audit, "arrival_supervised", True)
    w = open_window(qtbot, records, audit)
    w.resize(1366, 768)
    w.table.setCurrentCell(1, 2)
    image = w.grab()
    assert (image.width(), image.height()) == (1366, 768)
    out = Path(os.environ.get("FIELDNOTE_SCREENSHOT_DIR", "out/screens"))
    out.mkdir(parents=True, exist_ok=True)
    assert image.save(str(out / "audit-window.png"))


def test_a_number_criterion_is_typed_in_and_checked(qtbot, records, audit, monkeypatch):
    w = open_window(qtbot, records, audit)
    w.areas.setCurrentRow([s.id for s in w.template.sections].index("exclusions"))
    w.table.setCurrentCell(1, 2)  # Exclusions whole school (1+ FTE)
    from PySide6.QtWidgets import QDialog, QLineEdit

    answers = iter(["-3", "12"])

    def fake_exec(dialog):
        dialog.findChild(QLineEdit, "factEdit").setText(next(answers))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QDialog, "exec", fake_exec)
    qtbot.keyClick(w.table, Qt.Key.Key_Return)
    assert "below" in w.message.text() and records.snapshot(audit).value("fte_count") is None
    w.table.setCurrentCell(1, 2)
    qtbot.keyClick(w.table, Qt.Key.Key_Return)
    assert records.snapshot(audit).value("fte_count") == "12"
    assert cell(w.table, 1, 2).startswith("12")


def test_summary_dialog_shows_the_grid_and_lists(qtbot, records, caseload):
    from desktop.ui.audit_window import SummaryDialog
    from datetime import date

    for i, (sup, greet) in enumerate((("red", "green"), ("red", "not_seen"), ("amber", "green"))):
        school = caseload.add_school(name=f"School {i}")
        a = records.start(school_id=school, template_id="behaviour-audit", conducted_on=f"2026-0{i + 3}-10")
        records.rate(a, "arrival_supervised", sup)
        records.rate(a, "arrival_greeting", greet)
        if i == 0:
            records.flag_good_practice(a, "arrival_greeting", True)
        records.finalise(a)
    d = SummaryDialog(records, today=date(2026, 11, 23))
    qtbot.addWidget(d)
    d.show()
    d.template.setCurrentIndex(d.template.findData("behaviour-audit"))
    d.date_from.setText("01/01/2026")
    d.refresh()
    headers = [header(d.grid, c) for c in range(d.grid.model().columnCount())]
    row = {cell(d.grid, r, 1): r for r in range(d.grid.rowCount())}["Arrival supervised by visible staff"]
    cells = {h: cell(d.grid, row, c) for c, h in enumerate(headers)}
    assert (cells["Red"], cells["Amber"], cells["Green"], cells["Rated"]) == ("2", "1", "0", "3")
    row = {cell(d.grid, r, 1): r for r in range(d.grid.rowCount())}["Pupils greeted positively by name"]
    cells = {h: cell(d.grid, row, c) for c, h in enumerate(headers)}
    assert (cells["Green"], cells["Not seen"], cells["Rated"], cells["Good practice"]) == ("2", "1", "2", "1")
    assert "3</b> school(s)" in d.heading.text()
    assert "Arrival supervised by visible staff (2)" in d.lists.text()
    # the chart is the commissioner summary's: schools at each rating, stacked per criterion
    chart = d.chart.chart
    assert chart.stacked and chart.categories[0] == "1.1" == header(d.grid, 0, Qt.Orientation.Vertical)
    first = {sr.name: sr.values[0] for sr in chart.series}
    assert first == {"Red": 2.0, "Amber": 1.0, "Green": 0.0}  # arrival_supervised, as in the grid
    assert "<svg" in d.chart.svg
    d.date_from.setText("31/31/2026")
    d.refresh()
    assert "not a date" in d.message.text()


def test_a_photo_is_attached_to_the_current_criterion(qtbot, records, audit, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    photo = tmp_path / "gate.jpg"
    photo.write_bytes(b"\xff\xd8 fake jpeg")
    w = open_window(qtbot, records, audit)
    w.table.setCurrentCell(1, 2)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(photo), ""))
    qtbot.mouseClick(w.attach_button, Qt.MouseButton.LeftButton)
    [att] = records.snapshot(audit).attachments
    assert att["criterion_id"] == "arrival_greeting" and "gate.jpg" in w.attached.text()
    w.table.setCurrentCell(0, 2)
    assert w.attached.text() == ""
    w.attach(str(tmp_path / "missing.jpg"))
    assert "no file" in w.message.text()


def test_issue_summary_report_attaches_the_pdf_off_the_gui_thread(qtbot, records, audit, store, isolated_home):
    from desktop.store import open_store
    from desktop.store.attachments import read_attachment
    from tests.conftest import PASSPHRASE

    records.rate(audit, "arrival_supervised", "red")
    records.finalise(audit)
    w = open_window(qtbot, records, audit)
    from desktop.ui.tasks import StoreTasks

    w.tasks = StoreTasks(lambda: open_store(isolated_home, PASSPHRASE, actor="worker"))
    from PySide6.QtGui import QShortcut

    assert "Ctrl+Shift+P" in [sc.key().toString() for sc in w.findChildren(QShortcut)]
    with qtbot.waitSignal(w.report_issued, timeout=30000) as blocker:
        qtbot.mouseClick(w.issue_button, Qt.MouseButton.LeftButton)
        assert not w.issue_button.isEnabled()  # the work runs off the GUI thread
    att = blocker.args[0]
    row = store.get("attachment", att)
    assert row["audit_id"] == audit and row["media_type"] == "application/pdf"
    assert read_attachment(store, att).startswith(b"%PDF")
    assert "issued" in w.report_status.text()
    assert w.tasks.close()
