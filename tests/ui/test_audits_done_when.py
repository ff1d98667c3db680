"""Issue 11's "done when", through the app's windows: a practitioner audits a demo school
through a day (ratings by key, evidence notes, a photo, three action points, the feedback
meeting), finalises, issues the summary report, and a term later reviews it and sees the
movement; a team lead then produces the commissioner summary over the demo schools. Each
PDF's text is checked against what the window showed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLineEdit, QPushButton

from desktop.audits.records import AuditRecords
from desktop.audits.template import NUMBER, RATED, TEXT, YES_NO
from desktop.caseload import Caseload
from desktop.demo import fill_demo
from desktop.store.attachments import read_attachment
from desktop.ui.audit_window import COL_PREVIOUS, COL_RATING, NewAuditDialog
from tests.conftest import TODAY
from tests.reports.conftest import pdf_text
from tests.ui.conftest import FakeThreadPool


def cell(view, row: int, column: int = 0) -> str:
    """What a list or table view shows in a cell (its model's display text)."""
    return view.model().index(row, column).data()


def header(view, section: int, orientation=Qt.Orientation.Horizontal) -> str:
    return view.model().headerData(section, orientation)


AUDITED_ON, REVIEWED_ON = "01/07/2026", "16/11/2026"
#: Keys pressed on the rated criteria, in template order, through the day (cycled).
DAY = "GARGGANAGRGA"
NOTES = {
    "arrival_calm": "Crowding at the side gate from 8:40; two adults on duty.",
    "rewards_used": "Every adult seen giving house points; points chart in every room.",
    "lunch_supervised": "Field unsupervised 12:20-12:35 while staff ate.",
}
ACTIONS = [
    ("Stagger the start and staff the side gate", "Deputy head", "30/09/2026", "arrival_calm"),
    ("Rota so every area is supervised at lunch", "Business manager", "15/09/2026", "lunch_supervised"),
    ("Restorative conversation training for midday staff", "SENCO", "31/10/2026", "restorative"),
]


def flat(text: str) -> str:
    """PDF text with every run of whitespace (table cells wrap) as one space."""
    return " ".join(text.split())


def test_a_demo_school_is_audited_reviewed_and_summarised(make_window, store, qtbot, tmp_path, monkeypatch):
    caseload = Caseload(store, today=TODAY)
    fill_demo(caseload, pupils=40, referrals=50, seed=7)
    demo_audited = {a["school_id"] for a in AuditRecords(store).list()}
    school = next(s for s in caseload.schools() if s["id"] not in demo_audited)
    worker = caseload.caseworkers()[0]
    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())

    # The app's modal dialogs, filled as the user would: the new-audit dialog (then OK),
    # and the small box a number or text criterion is typed into (then Save).
    new_audit: dict = {}
    facts = iter(["3", "0", "Persistent disruption (2); verbal abuse of staff (1)"])

    def exec_(dialog):
        if isinstance(dialog, NewAuditDialog):
            dialog.school.setCurrentIndex(dialog.school.findData(school["id"]))
            dialog.template.setCurrentIndex(dialog.template.findData("behaviour-audit"))
            dialog.worker.setCurrentIndex(dialog.worker.findData(worker["id"]))
            dialog.on.setText(new_audit["on"])
            dialog.review.setChecked(new_audit["review"])
            qtbot.mouseClick(
                dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
            )
            return dialog.result()
        dialog.findChild(QLineEdit, "factEdit").setText(next(facts))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QDialog, "exec", exec_)
    photo = tmp_path / "side-gate.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo of the side gate at 8:45")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(photo), ""))

    def start(on: str, review: bool):
        new_audit.update(on=on, review=review)
        before = len(window.audit_windows)
        window.findChild(type(window.demo_action), "newAudit").trigger()
        assert len(window.audit_windows) == before + 1
        w = window.audit_windows[-1]
        qtbot.waitExposed(w)
        w.confirm = lambda *_: True
        return w

    def rows_of(w, area: int):
        w.areas.setCurrentRow(area)
        return list(enumerate(w.section.criteria))

    def press(w, row: int, key: Qt.Key):
        w.table.setCurrentCell(row, COL_RATING)
        qtbot.keyClick(w.table, key)

    # -- the day: area by area, a key per criterion, notes as they come ----------------------
    w = start(AUDITED_ON, review=False)
    assert school["name"] in w.header.text() and "Draft" in w.header.text()
    day = iter(DAY * 3)
    shown: dict[str, tuple[str, str, str]] = {}  # criterion -> (area.number, wording, rating shown)
    for area in range(w.areas.count()):
        for row, c in rows_of(w, area):
            if c.kind == RATED:
                press(w, row, getattr(Qt.Key, f"Key_{next(day)}"))
            elif c.kind == YES_NO:
                press(w, row, Qt.Key.Key_Y)
            else:
                assert c.kind in (NUMBER, TEXT)
                press(w, row, Qt.Key.Key_Return)
            if c.id in NOTES:
                w.table.setCurrentCell(row, COL_RATING)
                w.note.setPlainText(NOTES[c.id])
            if c.id == "arrival_calm":
                qtbot.mouseClick(w.attach_button, Qt.MouseButton.LeftButton)
                assert "side-gate.jpg" in w.attached.text()
            if c.id == "rewards_used":
                w.table.setCurrentCell(row, COL_RATING)
                qtbot.mouseClick(w.good, Qt.MouseButton.LeftButton)  # good practice to share
        w.table.setCurrentCell(0, COL_RATING)  # leaving a criterion saves its note
        for row, c in enumerate(w.section.criteria):
            shown[c.id] = (f"{area + 1}.{c.number}", cell(w.table, row, 1), cell(w.table, row, COL_RATING))
        assert cell(w.areas, area).endswith(f"{len(w.section.criteria)}/{len(w.section.criteria)}")
    assert w.progress.text() == f"{len(w.template.criteria)} of {len(w.template.criteria)} criteria recorded"
    records = AuditRecords(store)
    audit_id = w.audit_id
    snap = records.snapshot(audit_id)
    assert {cid: snap.ratings[cid]["evidence"] for cid in NOTES} == NOTES
    assert snap.value("fte_count") == "3" and snap.value("policy_website") == "yes"
    assert snap.ratings["rewards_used"]["good_practice"] == 1
    assert [a["criterion_id"] for a in snap.attachments] == ["arrival_calm"]

    # section judgements for two areas, with strengths and areas for development
    for area, key, strengths, development in (
        (0, "amber", "Warm greeting at the main door", "Side gate crowding"),
        (3, "red", "Calm dining hall", "The field at the end of lunch"),
    ):
        w.areas.setCurrentRow(area)
        w.judgement.setCurrentIndex(w.judgement.findData(key))
        w.judgement.activated.emit(w.judgement.currentIndex())
        for edit, text in ((w.strengths, strengths), (w.development, development)):
            edit.setText(text)
            edit.editingFinished.emit()

    # the action plan: three action points, each linked to a criterion
    w.tabs.setCurrentIndex(1)
    for action, owner, due, crit in ACTIONS:
        for edit, text in ((w.new_action, action), (w.new_owner, owner), (w.new_due, due), (w.new_criteria, crit)):
            edit.setText(text)
        qtbot.mouseClick(w.findChild(QPushButton, "addAction"), Qt.MouseButton.LeftButton)
    assert w.actions.rowCount() == 3 and w.message.text() == ""
    plan = [tuple(cell(w.actions, r, col) for col in range(4)) for r in range(3)]
    assert sorted(plan) == sorted((a, o, due, "Open") for a, o, due, _ in ACTIONS)
    # the feedback meeting at the end of the day (and the whole-school good practice)
    w.tabs.setCurrentIndex(2)
    w.meeting_date.setText(AUDITED_ON)
    w.meeting_attendees.setText("Headteacher, Deputy head, SENCO")
    w.meeting_agreed.setPlainText("Findings and the three action points agreed; review next term.")
    w.good_practice_text.setPlainText("A calm, warm start at the main door; rewards used by every adult.")
    qtbot.mouseClick(w.findChild(QPushButton, "saveMeeting"), Qt.MouseButton.LeftButton)
    assert w.message.text() == ""

    # finalise, then issue the summary report (made off the GUI thread, attached)
    qtbot.mouseClick(w.finalise_button, Qt.MouseButton.LeftButton)
    assert records.snapshot(audit_id).final and "Finalised" in w.header.text()
    qtbot.mouseClick(w.issue_button, Qt.MouseButton.LeftButton)
    assert "issued" in w.report_status.text(), w.message.text()
    attachment, pdf = w.issued
    assert read_attachment(store, attachment) == pdf
    text = flat(pdf_text(pdf))
    assert f"Behaviour audit summary: {school['name']}" in text and f"Conducted on {AUDITED_ON}" in text
    assert text.index("Good practice to share") < text.index("Ratings by area") < text.index("Action plan")
    assert "A calm, warm start at the main door; rewards used by every adult." in text
    assert f"{NOTES['rewards_used']}" in text  # the flagged criterion's evidence, under good practice
    for cid, (ref, wording, rating) in shown.items():
        if records.template("behaviour-audit").criteria[cid].kind == RATED:
            good = "  (good practice)" if cid == "rewards_used" else ""
            assert flat(f"{ref} {wording}{good} {rating}") in text, (ref, wording, rating)
    for action, owner, due, status in plan:
        assert flat(f"{action} {owner} {due} {status}") in text
    assert "Amber Warm greeting at the main door Side gate crowding" in text
    assert "Attended: Headteacher, Deputy head, SENCO." in text
    w.close()

    # -- a term later: the follow-up review shows last time beside each criterion ---------------
    r = start(REVIEWED_ON, review=True)
    assert "Follow-up review" in r.header.text()
    assert r.actions.rowCount() == 3  # the action points carried over, to record progress
    moved = {}
    r.areas.setCurrentRow(0)
    before = {c.id: shown[c.id][2] for c in r.section.criteria}
    assert [cell(r.table, row, COL_PREVIOUS) for row in range(3)] == list(before.values())
    r.table.setCurrentCell(2, COL_RATING)  # arrival_calm
    assert NOTES["arrival_calm"] in r.previous_label.text()
    for row, key in ((0, Qt.Key.Key_G), (1, Qt.Key.Key_R), (2, Qt.Key.Key_G)):
        press(r, row, key)
    for row, c in enumerate(r.section.criteria):
        moved[c.id] = (cell(r.table, row, COL_PREVIOUS), cell(r.table, row, COL_RATING))
    arrows = {"Green": 2, "Amber": 1, "Red": 0}
    for cid, (then, now) in moved.items():
        word, arrow = then.rsplit(" ", 1)
        change = arrows[now] - arrows[word]
        assert arrow == ("↑" if change > 0 else "↓" if change < 0 else "="), (cid, then, now)
    assert moved["arrival_calm"][0].endswith("↑")
    r.tabs.setCurrentIndex(1)
    r.actions.selectRow(0)
    r.action_status.setCurrentIndex(r.action_status.findData("done"))
    r.action_progress.setText("Side gate staffed from 8:35 since September.")
    qtbot.mouseClick(r.findChild(QPushButton, "updateAction"), Qt.MouseButton.LeftButton)
    assert cell(r.actions, 0, 3) == "Done"
    qtbot.mouseClick(r.finalise_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(r.issue_button, Qt.MouseButton.LeftButton)
    review_text = flat(pdf_text(r.issued[1]))
    assert f"Movement since the audit of {AUDITED_ON}" in review_text
    direction = {"↑": "Up", "↓": "Down", "=": "Same"}
    for cid, (then, now) in moved.items():
        ref, wording, _ = shown[cid]
        word, arrow = then.rsplit(" ", 1)
        assert flat(f"{ref} {wording} {word} {now} {direction[arrow]}") in review_text
    assert "Side gate staffed from 8:35 since September." in review_text
    r.close()

    # -- the team lead: the commissioner summary over the demo schools --------------------------
    window.findChild(type(window.demo_action), "auditSummary").trigger()
    d = window.audit_summary
    d.template.setCurrentIndex(d.template.findData("behaviour-audit"))
    d.date_from.setText("01/01/2026")
    d.date_to.setText(TODAY.strftime("%d/%m/%Y"))
    qtbot.mouseClick(d.findChild(QPushButton, "summaryShow"), Qt.MouseButton.LeftButton)
    schools = d.summary.schools
    assert schools == len(demo_audited) + 1 and f"<b>{schools}</b> school(s)" in d.heading.text()
    headers = [header(d.grid, col) for col in range(d.grid.model().columnCount())]
    grid = [
        {h: cell(d.grid, row, col) for col, h in enumerate(headers)}
        | {"#": header(d.grid, row, Qt.Orientation.Vertical)}
        for row in range(d.grid.rowCount())
    ]
    out = tmp_path / "commissioner.pdf"
    opened: list[str] = []
    d.ask_path = lambda default: str(out)
    d.open_file = opened.append
    qtbot.mouseClick(d.pdf_button, Qt.MouseButton.LeftButton)
    assert opened == [str(out)] and "Saved commissioner.pdf" in d.pdf_status.text()
    summary = flat(pdf_text(out.read_bytes()))
    assert f"{schools} school(s) had a finalised behaviour audit (whole school) or review" in summary
    assert f"between 01/01/2026 and {TODAY.strftime('%d/%m/%Y')}" in summary
    for g in grid:
        assert (
            flat(
                f"{g['#']} {g['Criterion']} {g['Red']} {g['Amber']} {g['Green']} "
                f"{g['Not seen']} {g['N/A']} {g['Rated']}"
            )
            in summary
        ), g
    # the school audited today counts once, at its review (green now at the side gate)
    calm = next(g for g in grid if g["Criterion"] == shown["arrival_calm"][1])
    assert int(calm["Green"]) >= 1
    for pupil in caseload.pupils():  # no pupil data in it
        assert f"{pupil['first_name']} {pupil['last_name']}" not in summary
