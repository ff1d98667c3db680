"""Conducting a school audit: areas on the left, criteria on the right (thin over
``desktop.audits``).

Keys in the criteria table: the scale's levels on single keys (R / A / G, or the
scale's own letters, and 1, 2, 3…), N not seen, X not applicable, Y / N on a yes/no
criterion, Delete clears; every rating is committed as the key is pressed and the
cursor moves on. Enter edits a number or text criterion. The evidence note is saved
(timestamped) when the cursor leaves it or on Ctrl+S. Judgements, action points and
the feedback meeting have their own tabs; Finalise… asks first.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.audits.records import ACTION_STATUSES, AuditRecords
from desktop.audits.review import movement
from desktop.audits.template import RATED, YES_NO, AuditTemplate, Criterion, scale_keys
from desktop.audits.views import (  # noqa: F401 - COLOURS, GREY and level_colour are used through this module
    COL_GOOD,
    COL_NOTE,
    COL_NUM,
    COL_PREVIOUS,
    COL_RATING,
    COL_TEXT,
    COLOURS,
    GREY,
    action_rows,
    area_rows,
    audit_rows,
    criterion_row,
    level_colour,
    summary_grid,
    value_text,
)
from desktop.dates import parse_uk, to_uk, to_uk_datetime
from desktop.store import ValidationError
from desktop.ui.audit_models import (
    ActionsModel,
    AreaList,
    AreasModel,
    AuditsModel,
    CriteriaModel,
    OneLineDelegate,
    RowsView,
    SummaryGridModel,
)


def level_keys(template: AuditTemplate) -> dict[str, str]:
    """Single keys for the scale (``scale_keys``): its own or each level's first free letter
    (R/A/G; S/R/I/U...), its position 1..n, N not seen, X not applicable."""
    return scale_keys([(str(o.value), o.label) for o in template.levels], template.level_own_keys)


class CriteriaTable(RowsView):
    key_rating = Signal(str)  # the key pressed (upper case)
    cleared = Signal()
    enter_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = chr(key) if (Qt.Key.Key_A <= key <= Qt.Key.Key_Z or Qt.Key.Key_0 <= key <= Qt.Key.Key_9) else ""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.cleared.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.enter_pressed.emit()
            return
        if (
            text
            and (text.isalnum())
            and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        ):
            self.key_rating.emit(text)
            return
        super().keyPressEvent(event)


class AuditWindow(QDialog):
    """One audit (or review), open for rating (draft) or reading (final).

    ``confirm(title, text) -> bool`` asks before finalising; tests replace it.
    """

    changed = Signal(str)
    report_issued = Signal(str)  # the attachment's id

    def __init__(self, records: AuditRecords, audit_id: str, parent=None):
        super().__init__(parent)
        self.setObjectName("auditWindow")
        self.records = records
        self.audit_id = audit_id
        self.confirm: Callable[[str, str], bool] = self._ask
        self.resize(1366, 768)
        self.snap = records.snapshot(audit_id)
        self.template = self.snap.template
        self.keys = level_keys(self.template)
        self.previous = None
        if self.snap.audit["review_of"]:
            self.previous = records.snapshot(self.snap.audit["review_of"])
        self._note_criterion: str | None = None

        self.header = QLabel()
        self.header.setObjectName("auditHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel()
        self.message.setObjectName("auditMessage")
        self.message.setStyleSheet("color: #b91c1c;")
        self.message.setWordWrap(True)

        # -- Criteria tab: areas | criteria + evidence + judgement
        self.areas = AreaList()
        self.areas_model = AreasModel(self.areas)
        self.areas.setModel(self.areas_model)
        self.areas.setObjectName("auditAreas")
        self.areas.setAccessibleName("Areas of the audit")
        self.areas.setMaximumWidth(300)
        self.areas.currentRowChanged.connect(self.show_section)
        self.table = CriteriaTable()
        self.criteria = CriteriaModel(review=self.previous is not None, parent=self.table)
        self.table.setModel(self.criteria)
        self.table.setObjectName("auditCriteria")
        self.table.setAccessibleName("Criteria: rate with the scale's keys")
        if not self.previous:
            self.table.setColumnHidden(COL_PREVIOUS, True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        for col in (COL_NUM, COL_RATING, COL_PREVIOUS, COL_GOOD):
            # fitted to their contents when the rows change (_fit_columns): a header left to
            # resize to contents would ask every cell again at each layout
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        self._one_line = OneLineDelegate(self.table)
        for col in (COL_NUM, COL_RATING, COL_PREVIOUS, COL_GOOD):
            self.table.setItemDelegateForColumn(col, self._one_line)
        hh.setSectionResizeMode(COL_NOTE, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(COL_NOTE, 260)
        self.table.key_rating.connect(self.key_pressed)
        self.table.cleared.connect(lambda: self.rate_current(None))
        self.table.selectionModel().currentChanged.connect(lambda *_: self._criterion_changed())
        self.table.doubleClicked.connect(lambda *_: self.edit_fact())
        self.table.enter_pressed.connect(lambda: self.edit_fact())

        self.guidance = QLabel()
        self.guidance.setObjectName("auditGuidance")
        self.guidance.setWordWrap(True)
        self.guidance.setStyleSheet("color: #374151;")
        self.previous_label = QLabel()
        self.previous_label.setObjectName("previousEvidence")
        self.previous_label.setWordWrap(True)
        self.previous_label.setStyleSheet("color: #1e3a8a;")
        self.note = QPlainTextEdit()
        self.note.setObjectName("evidenceNote")
        self.note.setAccessibleName("Evidence note")
        self.note.setPlaceholderText("Evidence: what you saw or read, where, when (saved as you leave it, or Ctrl+S)")
        self.note.setMaximumHeight(90)
        self.note_time = QLabel()
        self.note_time.setObjectName("evidenceTime")
        self.good = QCheckBox("Good practice to share  (Ctrl+G)")
        self.good.setObjectName("goodPractice")
        self.good.clicked.connect(self.set_good)
        self.attach_button = QPushButton("Attach photo or document…")
        self.attach_button.setObjectName("attachEvidence")
        self.attach_button.setAutoDefault(False)
        self.attach_button.clicked.connect(lambda _=False: self.attach())
        self.attached = QLabel()
        self.attached.setObjectName("attachedFiles")
        self.attached.setWordWrap(True)
        self.judgement = QComboBox()
        self.judgement.setObjectName("sectionJudgement")
        self.judgement.setAccessibleName("Overall judgement for this area")
        self.judgement.activated.connect(lambda _i: self.save_judgement())
        self.strengths = QLineEdit()
        self.strengths.setObjectName("strengths")
        self.strengths.setAccessibleName("Areas of strength")
        self.strengths.setPlaceholderText("Areas of strength")
        self.strengths.editingFinished.connect(self.save_judgement)
        self.development = QLineEdit()
        self.development.setObjectName("development")
        self.development.setAccessibleName("Areas for development")
        self.development.setPlaceholderText("Areas for development")
        self.development.editingFinished.connect(self.save_judgement)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.table, 1)
        rl.addWidget(self.guidance)
        rl.addWidget(self.previous_label)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        side = QVBoxLayout()
        side.addWidget(self.good)
        side.addWidget(self.note_time)
        side.addWidget(self.attach_button)
        side.addWidget(self.attached)
        side.addStretch(1)
        note_row.addLayout(side)
        rl.addLayout(note_row)
        jrow = QHBoxLayout()
        self.judgement_label = QLabel("Overall judgement:")
        jrow.addWidget(self.judgement_label)
        jrow.addWidget(self.judgement)
        jrow.addWidget(self.strengths, 1)
        jrow.addWidget(self.development, 1)
        rl.addLayout(jrow)
        split = QSplitter()
        split.addWidget(self.areas)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 1100])

        # -- Action points tab
        self.actions = RowsView()
        self.actions_model = ActionsModel(self.actions)
        self.actions.setModel(self.actions_model)
        self.actions.setObjectName("actionPoints")
        self.actions.verticalHeader().hide()
        self.actions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.actions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.actions.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.actions.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.new_action = QLineEdit()
        self.new_action.setObjectName("newAction")
        self.new_action.setPlaceholderText("Action to be taken")
        self.new_owner = QLineEdit()
        self.new_owner.setObjectName("newOwner")
        self.new_owner.setPlaceholderText("Owner")
        self.new_due = QLineEdit()
        self.new_due.setObjectName("newDue")
        self.new_due.setPlaceholderText("Due DD/MM/YYYY")
        self.new_criteria = QLineEdit()
        self.new_criteria.setObjectName("newCriteria")
        self.new_criteria.setPlaceholderText("Linked criteria (ids, comma-separated; blank = the current one)")
        add = QPushButton("Add action point")
        add.setObjectName("addAction")
        add.clicked.connect(self.add_action)
        self.action_status = QComboBox()
        self.action_status.setObjectName("actionStatus")
        for key, label in ACTION_STATUSES.items():
            self.action_status.addItem(label, key)
        self.action_progress = QLineEdit()
        self.action_progress.setObjectName("actionProgress")
        self.action_progress.setPlaceholderText("Progress since the audit")
        update = QPushButton("Update selected")
        update.setObjectName("updateAction")
        update.clicked.connect(self.update_action)
        plan = QWidget()
        pl = QVBoxLayout(plan)
        pl.addWidget(self.actions, 1)
        form = QHBoxLayout()
        for w, stretch in (
            (self.new_action, 3),
            (self.new_owner, 1),
            (self.new_due, 1),
            (self.new_criteria, 2),
            (add, 0),
        ):
            form.addWidget(w, stretch)
        pl.addLayout(form)
        upd = QHBoxLayout()
        upd.addWidget(QLabel("Selected:"))
        upd.addWidget(self.action_status)
        upd.addWidget(self.action_progress, 1)
        upd.addWidget(update)
        pl.addLayout(upd)
        self.good_practice_text = QPlainTextEdit()
        self.good_practice_text.setObjectName("goodPracticeText")
        self.good_practice_text.setPlaceholderText("Good practice to share (whole school)")
        self.good_practice_text.setMaximumHeight(70)
        pl.addWidget(self.good_practice_text)

        # -- Feedback meeting tab
        meeting = QWidget()
        ml = QFormLayout(meeting)
        self.meeting_date = QLineEdit()
        self.meeting_date.setObjectName("meetingDate")
        self.meeting_date.setPlaceholderText("DD/MM/YYYY")
        self.meeting_attendees = QLineEdit()
        self.meeting_attendees.setObjectName("meetingAttendees")
        self.meeting_attendees.setPlaceholderText("Who attended, comma-separated")
        self.meeting_agreed = QPlainTextEdit()
        self.meeting_agreed.setObjectName("meetingAgreed")
        save_meeting = QPushButton("Save meeting")
        save_meeting.setObjectName("saveMeeting")
        save_meeting.clicked.connect(self.save_meeting)
        ml.addRow("Held on", self.meeting_date)
        ml.addRow("Attended", self.meeting_attendees)
        ml.addRow("Agreed", self.meeting_agreed)
        ml.addRow("", save_meeting)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("auditTabs")
        self.tabs.addTab(split, "Criteria")
        self.tabs.addTab(plan, "Action plan")
        self.tabs.addTab(meeting, "Feedback meeting")
        self.tabs.currentChanged.connect(lambda _i: self.save_note())

        self.progress = QLabel()
        self.progress.setObjectName("auditProgress")
        self.hint = QLabel()
        self.hint.setObjectName("auditKeys")
        self.hint.setStyleSheet("color: #374151;")
        self.finalise_button = QPushButton("Finalise…")
        self.finalise_button.setObjectName("finaliseAudit")
        self.finalise_button.clicked.connect(self.finalise)
        self.issue_button = QPushButton("Issue summary report…")
        self.issue_button.setObjectName("issueAuditReport")
        self.issue_button.setToolTip(
            "Make the school's audit summary report (PDF) and attach it to this audit (Ctrl+Shift+P)"
        )
        self.issue_button.clicked.connect(lambda _=False: self.issue_report())
        #: Opens a second store connection for work off the GUI thread (the main window's).
        self.tasks = None  # the main window's StoreTasks: the one store writer
        self.letterhead = None
        self.issued: tuple[str, bytes] | None = None
        close = QPushButton("Close")
        close.setToolTip("Ratings are saved as you go; a draft reopens where you stopped.")
        close.clicked.connect(self.close)
        for b in (self.finalise_button, self.issue_button, close, add, update, save_meeting):
            b.setAutoDefault(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress)
        bottom.addSpacing(12)
        bottom.addWidget(self.message, 1)
        self.report_status = QLabel()
        self.report_status.setObjectName("reportStatus")
        bottom.addWidget(self.report_status)
        bottom.addWidget(self.finalise_button)
        bottom.addWidget(self.issue_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.hint)
        layout.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save_note)
        QShortcut(QKeySequence("Ctrl+G"), self, lambda: (self.good.toggle(), self.set_good()))
        QShortcut(QKeySequence("Ctrl+Shift+P"), self, self.issue_report)

        self._fill_areas()
        self._fill_actions()
        self._fill_meeting()
        self._update_state()
        self.show_section(0)
        self.table.setFocus()

    # -- display -----------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.snap.final

    def _update_state(self) -> None:
        a = self.snap.audit
        kind = "Follow-up review" if a["review_of"] else "Audit"
        status = "Finalised" if self.read_only else "Draft"
        self.header.setText(
            f"<b>{self.snap.school_name}</b> — {self.template.title} — {kind} "
            f"on {to_uk(a['conducted_on'])} — <i>{status}</i>"
        )
        self.setWindowTitle(f"{kind}: {self.snap.school_name}")
        self.finalise_button.setEnabled(not self.read_only)
        for w in (
            self.note,
            self.strengths,
            self.development,
            self.new_action,
            self.meeting_agreed,
            self.good_practice_text,
        ):
            w.setReadOnly(self.read_only) if hasattr(w, "setReadOnly") else None
        self.good.setEnabled(not self.read_only)
        self.judgement.setEnabled(not self.read_only)
        keys = ", ".join(f"{k} {self.template.level_label(v)}" for k, v in self.keys.items() if not k.isdigit())
        self.hint.setText(f"Keys: {keys}; Delete clears; Enter edits a number or text. Everything is saved as you go.")
        done = sum(d for d, _ in self.snap.section_progress().values())
        total = len(self.template.criteria)
        self.progress.setText(f"{done} of {total} criteria recorded")

    def _fill_areas(self) -> None:
        current = max(self.areas.currentRow(), 0)
        self.areas.blockSignals(True)
        self.areas_model.set_rows(area_rows(self.template, self.snap))
        if self.areas.currentRow() != current:
            self.areas.setCurrentRow(current)
        self.areas.blockSignals(False)

    @property
    def section(self):
        return self.template.sections[max(self.areas.currentRow(), 0)]

    def show_section(self, row: int) -> None:
        if row < 0:
            return
        self.save_note()
        section = self.template.sections[row]
        moves = {}
        if self.previous:
            moves = {m.criterion_id: m for m in movement(self.previous, self.snap)}
        # a reset moves the cursor without a signal; setting it below tells of the new criterion
        self.criteria.reset_rows(
            [criterion_row(self.template, self.snap, c, moves.get(c.id)) for c in section.criteria]
        )
        self._fit_columns(COL_NUM, COL_RATING, COL_PREVIOUS, COL_GOOD)
        self.table.resizeRowsToContents()
        self.table.setCurrentCell(0, COL_RATING)
        self._criterion_changed()
        # judgement
        self.judgement.clear()
        scale = section.judgement_scale
        self.judgement_label.setVisible(scale is not None)
        self.judgement.setVisible(scale is not None)
        if scale:
            self.judgement.addItem("(not judged)", None)
            for lv in scale.levels:
                self.judgement.addItem(lv.label, lv.value)
        j = self.snap.judgements.get(section.id) or {}
        self.judgement.setCurrentIndex(max(self.judgement.findData(j.get("value")), 0))
        self.strengths.setText(j.get("strengths") or "")
        self.development.setText(j.get("development") or "")
        self.strengths.setReadOnly(self.read_only)
        self.development.setReadOnly(self.read_only)

    def _fit_columns(self, *columns: int) -> None:
        for col in columns:
            if not self.table.isColumnHidden(col):
                self.table.resizeColumnToContents(col)

    def _value_text(self, c: Criterion, value: str | None) -> str:
        return value_text(self.template, c, value)

    def current_criterion(self) -> Criterion | None:
        row = self.table.currentRow()
        section = self.section
        if 0 <= row < len(section.criteria):
            return section.criteria[row]
        return None

    def _criterion_changed(self) -> None:
        self.save_note()
        c = self.current_criterion()
        self._note_criterion = c.id if c else None
        row = (self.snap.ratings.get(c.id) or {}) if c else {}
        self.note.blockSignals(True)
        self.note.setPlainText(row.get("evidence") or "")
        self.note.blockSignals(False)
        self.note_time.setText(f"Noted {to_uk_datetime(row['evidence_at'])}" if row.get("evidence_at") else "")
        self.good.setChecked(bool(row.get("good_practice")))
        files = [
            a["title"] or a["filename"] or "file" for a in self.snap.attachments if c and a["criterion_id"] == c.id
        ]
        self.attached.setText(("Attached: " + ", ".join(files)) if files else "")
        guidance = []
        if c and c.guidance:
            guidance = [f"<b>{self.template.level_label(k)}</b>: {v}" for k, v in c.guidance.items()]
        if self.section.guidance:
            guidance.append("<i>Effective practice:</i> " + " ".join(self.section.guidance))
        self.guidance.setText("<br>".join(guidance))
        self.guidance.setVisible(bool(guidance))
        prev = ""
        if self.previous and c:
            p = self.previous.ratings.get(c.id) or {}
            if p:
                prev = f"Last time: {self.template.level_label(p.get('value')) or 'not rated'}"
                if p.get("evidence"):
                    prev += f" — “{p['evidence']}”"
        self.previous_label.setText(prev)
        self.previous_label.setVisible(bool(prev))

    # -- committing ----------------------------------------------------------------------------
    def _refuse_if_final(self) -> bool:
        if self.read_only:
            self.message.setText("This audit is finalised and cannot change; a correction is a new version.")
        return self.read_only

    def _reload(self, criterion_id: str | None = None) -> None:
        self.snap = self.records.snapshot(self.audit_id)
        if criterion_id:
            section = self.section
            for r, c in enumerate(section.criteria):
                if c.id == criterion_id:
                    move = None
                    if self.previous:
                        move = next((m for m in movement(self.previous, self.snap) if m.criterion_id == c.id), None)
                    self.criteria.set_row(r, criterion_row(self.template, self.snap, c, move))
                    self._fit_columns(COL_RATING, COL_PREVIOUS, COL_GOOD)
        self._fill_areas()
        self._update_state()

    def key_pressed(self, key: str) -> None:
        c = self.current_criterion()
        if c is None:
            return
        if c.kind == RATED:
            value = self.keys.get(key)
        elif c.kind == YES_NO:
            value = {"Y": "yes", "N": "no"}.get(key)
        else:
            value = None
        if value is None:
            if c.kind not in (RATED, YES_NO):
                self.edit_fact(key)
            else:
                self.message.setText(f"'{key}' is not a key of this scale.")
            return
        self.rate_current(value)

    def rate_current(self, value: str | None, advance: bool = True) -> bool:
        c = self.current_criterion()
        if c is None or self._refuse_if_final():
            return False
        try:
            self.records.rate(self.audit_id, c.id, value)
        except ValidationError as exc:
            self.message.setText(" ".join(exc.problems.values()))
            return False
        self.message.clear()
        row = self.table.currentRow()
        self._reload(c.id)
        if advance and value is not None and row + 1 < self.table.rowCount():
            self.table.setCurrentCell(row + 1, COL_RATING)
        return True

    def edit_fact(self, first: str = "") -> None:
        """A number or short text: a small dialog (Enter saves)."""
        c = self.current_criterion()
        if c is None or c.kind in (RATED,) or self._refuse_if_final():
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(c.text)
        edit = QLineEdit((self.snap.value(c.id) or "") if not first else first)
        edit.setObjectName("factEdit")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        lay = QVBoxLayout(dialog)
        lay.addWidget(QLabel(c.text + (f" ({c.unit})" if c.unit else "")))
        lay.addWidget(edit)
        lay.addWidget(buttons)
        self._fact_dialog = dialog  # tests reach it
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.rate_current(edit.text(), advance=True)

    def save_note(self) -> None:
        cid = self._note_criterion
        if cid is None or self.read_only:
            return
        text = self.note.toPlainText().strip()
        if text == ((self.snap.ratings.get(cid) or {}).get("evidence") or ""):
            return
        try:
            self.records.note(self.audit_id, cid, text)
        except ValidationError as exc:
            self.message.setText(" ".join(exc.problems.values()))
            return
        self._reload(cid)
        row = self.snap.ratings.get(cid) or {}
        if self._note_criterion == cid:
            self.note_time.setText(f"Noted {to_uk_datetime(row['evidence_at'])}" if row.get("evidence_at") else "")

    def set_good(self) -> None:
        c = self.current_criterion()
        if c is None or self._refuse_if_final():
            return
        self.records.flag_good_practice(self.audit_id, c.id, self.good.isChecked())
        self._reload(c.id)

    def attach(self, path: str | None = None) -> None:
        """A photo or document for the current criterion (encrypted in the store, synced)."""
        from desktop.store import StoreError

        c = self.current_criterion()
        if c is None or self._refuse_if_final():
            return
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self,
                f"Attach to: {c.text}",
                "",
                "Photos and documents (*.jpg *.jpeg *.png *.heic *.pdf *.docx);;All files (*)",
            )
        if not path:
            return
        try:
            self.records.attach(self.audit_id, c.id, path)
        except (StoreError, OSError) as exc:
            self.message.setText(str(exc))
            return
        self.message.clear()
        self._reload(c.id)
        self._criterion_changed()

    def save_judgement(self) -> None:
        if self.read_only:
            return
        section = self.section
        j = self.snap.judgements.get(section.id) or {}
        value = self.judgement.currentData() if section.judgement_scale else None
        new = {
            "value": value,
            "strengths": self.strengths.text().strip() or None,
            "development": self.development.text().strip() or None,
        }
        if all((j.get(k) or None) == v for k, v in new.items()):
            return
        try:
            self.records.judge(self.audit_id, section.id, **new)
        except ValidationError as exc:
            self.message.setText(" ".join(exc.problems.values()))
            return
        self._reload()

    # -- plan and meeting ----------------------------------------------------------------------
    def _fill_actions(self) -> None:
        self.actions_model.set_rows(action_rows(self.snap))
        self.good_practice_text.setPlainText(self.snap.audit["good_practice"] or "")

    def add_action(self) -> None:
        if self._refuse_if_final():
            return
        text = self.new_criteria.text().strip()
        if text:
            crits = [c.strip() for c in text.split(",") if c.strip()]
        else:
            current = self.current_criterion()
            crits = [current.id] if current else []
        try:
            due = parse_uk(self.new_due.text()) if self.new_due.text().strip() else None
            self.records.add_action(
                self.audit_id, self.new_action.text(), owner=self.new_owner.text(), due_on=due, criteria=crits
            )
        except (ValueError, ValidationError) as exc:
            problems = getattr(exc, "problems", None)
            self.message.setText(" ".join(problems.values()) if problems else str(exc))
            return
        self.message.clear()
        for w in (self.new_action, self.new_owner, self.new_due, self.new_criteria):
            w.clear()
        self._reload()
        self._fill_actions()

    def update_action(self) -> None:
        if self._refuse_if_final():
            return
        row = self.actions.currentRow()
        if row < 0:
            self.message.setText("Choose an action point first.")
            return
        action_id = self.actions_model.index(row, 0).data(ActionsModel.ActionIdRole)
        try:
            self.records.update_action(
                action_id, status=self.action_status.currentData(), progress=self.action_progress.text()
            )
        except ValidationError as exc:
            self.message.setText(" ".join(exc.problems.values()))
            return
        self._reload()
        self._fill_actions()

    def _fill_meeting(self) -> None:
        m = self.snap.meeting or {}
        self.meeting_date.setText(to_uk(m["held_on"]) if m.get("held_on") else "")
        self.meeting_attendees.setText(", ".join(json.loads(m.get("attendees") or "[]")))
        self.meeting_agreed.setPlainText(m.get("agreed") or "")

    def save_meeting(self) -> None:
        if self._refuse_if_final():
            return
        try:
            held = parse_uk(self.meeting_date.text()) if self.meeting_date.text().strip() else None
            self.records.record_meeting(
                self.audit_id,
                held_on=held,
                attendees=self.meeting_attendees.text(),
                agreed=self.meeting_agreed.toPlainText(),
            )
            if not self.read_only:
                self.records.set_good_practice(self.audit_id, self.good_practice_text.toPlainText())
        except (ValueError, ValidationError) as exc:
            problems = getattr(exc, "problems", None)
            self.message.setText(" ".join(problems.values()) if problems else str(exc))
            return
        self.message.setText("")
        self._reload()

    # -- finalising ------------------------------------------------------------------------------
    def _ask(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def finalise(self) -> None:
        if self._refuse_if_final():
            return
        self.save_note()
        self.save_judgement()
        done = sum(d for d, _ in self.snap.section_progress().values())
        total = len(self.template.criteria)
        text = (
            "Once finalised this audit cannot change; a correction would be a new version. "
            + (f"{total - done} of {total} criteria have nothing recorded. " if done < total else "")
            + "Finalise now?"
        )
        if not self.confirm("Finalise audit", text):
            return
        self.records.finalise(self.audit_id)
        self._reload()
        self.show_section(self.areas.currentRow())
        self.changed.emit(self.audit_id)

    def issue_report(self) -> None:
        """Render the summary report off the GUI thread and attach it to the audit."""
        from desktop.audits.report import issue_report

        self.save_note()
        if self.tasks is None:
            self.message.setText("The report can be issued from the main window's audit.")
            return
        audit_id, letterhead = self.audit_id, self.letterhead
        registry = self.records.registry
        self.issue_button.setEnabled(False)
        self.report_status.setText("Making the summary report…")

        def work(store):
            return issue_report(AuditRecords(store, registry), audit_id, letterhead)

        def done(result, error):
            self.issue_button.setEnabled(True)
            if error is not None:
                self.report_status.clear()
                self.message.setText(f"The summary report could not be made: {error}. Nothing was attached.")
                return
            self.issued = result
            self.snap = self.records.snapshot(self.audit_id)
            self.report_status.setText(
                f"Summary report issued: attached to this audit ({len(result[1]) // 1024 + 1} KB PDF)."
            )
            self.report_issued.emit(result[0])

        self.tasks.write(work, done)

    def closeEvent(self, event) -> None:
        self.save_note()
        self.save_judgement()
        self.changed.emit(self.audit_id)
        super().closeEvent(event)


class NewAuditDialog(QDialog):
    """Pick the school, the template and the date; or start a review of the school's last
    finalised audit."""

    def __init__(
        self,
        records: AuditRecords,
        schools: list[dict],
        caseworkers: list[dict],
        today: date | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.setWindowTitle("New school audit")
        self.records = records
        self.school = QComboBox()
        self.school.setObjectName("auditSchool")
        for s in schools:
            self.school.addItem(s["name"], s["id"])
        self.template = QComboBox()
        self.template.setObjectName("auditTemplate")
        for t in records.templates():
            self.template.addItem(t.title, t.id)
        self.worker = QComboBox()
        self.worker.setObjectName("auditWorker")
        self.worker.addItem("(not given)", None)
        for c in caseworkers:
            self.worker.addItem(c["name"], c["id"])
        self.on = QLineEdit(to_uk(today or date.today()))
        self.on.setObjectName("auditDate")
        self.review = QCheckBox("Follow-up review of the school's last finalised audit")
        self.review.setObjectName("auditIsReview")
        self.message = QLabel()
        self.message.setStyleSheet("color: #b91c1c;")
        form = QFormLayout(self)
        form.addRow("School", self.school)
        form.addRow("Template", self.template)
        form.addRow("Conducted by", self.worker)
        form.addRow("Date", self.on)
        form.addRow("", self.review)
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.audit_id: str | None = None

    def create(self) -> None:
        from desktop.audits.review import start_review

        try:
            on = parse_uk(self.on.text())
            if self.review.isChecked():
                self.audit_id = start_review(
                    self.records,
                    self.school.currentData(),
                    conducted_on=on,
                    conducted_by=self.worker.currentData(),
                    template_id=self.template.currentData(),
                )
            else:
                self.audit_id = self.records.start(
                    school_id=self.school.currentData(),
                    template_id=self.template.currentData(),
                    conducted_on=on,
                    conducted_by=self.worker.currentData(),
                )
        except (ValueError, ValidationError) as exc:
            problems = getattr(exc, "problems", None)
            self.message.setText(" ".join(problems.values()) if problems else str(exc))
            return
        self.accept()


class AuditList(QDialog):
    """The audits on this laptop; Enter opens one."""

    def __init__(self, records: AuditRecords, parent=None):
        super().__init__(parent)
        self.setWindowTitle("School audits")
        self.resize(900, 500)
        self.records = records
        self.table = RowsView()
        self.model = AuditsModel(self.table)
        self.table.setModel(self.model)
        self.table.setObjectName("auditList")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)
        self.model.set_rows(audit_rows(records.list()))
        if self.model.rows:
            self.table.selectRow(0)

    def selected(self) -> str | None:
        row = self.table.currentRow()
        return self.model.index(row, 0).data(AuditsModel.AuditIdRole) if row >= 0 else None


def install(window) -> None:
    """Add Schools ▸ New school audit… (Ctrl+Shift+U) and Open audit… to ``window``."""
    window.audit_windows = []

    def records() -> AuditRecords:
        if getattr(window, "audit_records", None) is None:
            window.audit_records = AuditRecords(window.store)
        return window.audit_records

    def open_audit(audit_id: str) -> AuditWindow:
        w = AuditWindow(records(), audit_id, window)
        w.tasks = window.tasks
        settings = getattr(window, "settings", None)
        if settings is not None:
            from desktop.reports.document import Letterhead

            w.letterhead = Letterhead.from_settings(settings)
        window.audit_windows.append(w)
        w.show()
        return w

    def new_audit() -> None:
        d = NewAuditDialog(records(), window.caseload.schools(), window.caseload.caseworkers(), parent=window)
        if d.exec() == QDialog.DialogCode.Accepted and d.audit_id:
            open_audit(d.audit_id)

    def list_audits() -> None:
        d = AuditList(records(), window)
        if d.exec() == QDialog.DialogCode.Accepted and d.selected():
            open_audit(d.selected())

    def summary() -> None:
        window.audit_summary = SummaryDialog(records(), parent=window)
        window.audit_summary.tasks = window.tasks
        settings = getattr(window, "settings", None)
        if settings is not None:
            from desktop.reports.document import Letterhead

            window.audit_summary.letterhead = Letterhead.from_settings(settings)
        window.audit_summary.show()

    window.open_audit = open_audit
    window.add_action("schools", "New school &audit…", new_audit, "Ctrl+Shift+U", "newAudit")
    window.add_action("schools", "Open a&udit…", list_audits, None, "openAudit")
    window.add_action("schools", "Audit &summary across schools…", summary, None, "auditSummary")
    from desktop.ui import audit_template_editor

    audit_template_editor.install(window)  # Schools ▸ Audit templates… (copies, edited)


class SummaryDialog(QDialog):
    """The commissioner's question in the app: schools at each rating per criterion over a
    date range (a colour grid), areas for development, good practice, movement; and the
    commissioner summary PDF of what it shows ("Commissioner summary (PDF)…", rendered off
    the GUI thread). ``ask_path(default) -> path`` and ``open_file(path)`` are replaced by
    tests."""

    pdf_saved = Signal(str)  # the PDF's path

    def __init__(self, records: AuditRecords, today: date | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("auditSummary")
        self.setWindowTitle("Audit summary across schools")
        self.resize(1200, 700)
        self.records = records
        today = today or date.today()
        self.template = QComboBox()
        self.template.setObjectName("summaryTemplate")
        self.template.setAccessibleName("Audit template")
        for t in records.templates():
            self.template.addItem(t.title, t.id)
        self.date_from = QLineEdit(to_uk(date(today.year - 1, today.month, 1)))
        self.date_from.setObjectName("summaryFrom")
        self.date_from.setAccessibleName("From (dd/mm/yyyy)")
        self.date_to = QLineEdit(to_uk(today))
        self.date_to.setObjectName("summaryTo")
        self.date_to.setAccessibleName("To (dd/mm/yyyy)")
        show = QPushButton("Show")
        show.setObjectName("summaryShow")
        show.clicked.connect(self.refresh)
        show.setAutoDefault(False)
        self.pdf_button = QPushButton("Commissioner summary (PDF)…")
        self.pdf_button.setObjectName("summaryPdf")
        self.pdf_button.setToolTip(
            "The commissioner summary of this template and date range as a PDF "
            "(schools and criteria only: no pupil data)"
        )
        self.pdf_button.setAutoDefault(False)
        self.pdf_button.clicked.connect(lambda _=False: self.save_pdf())
        self.tasks = None  # the main window's StoreTasks (the PDF is made off the GUI thread)
        self.letterhead = None
        self.ask_path: Callable[[str], str] = lambda default: QFileDialog.getSaveFileName(
            self, "Save the commissioner summary", default, "PDF (*.pdf)"
        )[0]
        self.open_file: Callable[[str], object] = _open_file
        self.pdf_status = QLabel()
        self.pdf_status.setObjectName("summaryPdfStatus")
        self.heading = QLabel()
        self.heading.setObjectName("summaryHeading")
        self.message = QLabel()
        self.message.setStyleSheet("color: #b91c1c;")
        from desktop.ui.chart_view import ChartView

        # The commissioner summary's chart (the same description the PDF draws).
        self.chart = ChartView(self, "No finalised audits in this range.")
        self.chart.setObjectName("summaryChart")
        self.grid = RowsView()
        self.grid_model = SummaryGridModel(self.grid)
        self.grid.setModel(self.grid_model)
        self.grid.setObjectName("summaryGrid")
        self.grid.setAccessibleName("Schools at each rating, per criterion")
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.verticalHeader().hide()
        self.lists = QLabel()
        self.lists.setObjectName("summaryLists")
        self.lists.setWordWrap(True)
        self.lists.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        for label, w in (("Template", self.template), ("From", self.date_from), ("To", self.date_to)):
            top.addWidget(QLabel(label))
            top.addWidget(w)
        top.addWidget(show)
        top.addStretch(1)
        top.addWidget(self.pdf_status)
        top.addWidget(self.pdf_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.heading)
        lay.addWidget(self.message)
        lay.addWidget(self.chart)
        lay.addWidget(self.grid, 1)
        lay.addWidget(self.lists)
        self.summary = None
        self.refresh()

    def refresh(self) -> None:
        from desktop.audits.summary import load_summary

        try:
            start, end = parse_uk(self.date_from.text()), parse_uk(self.date_to.text())
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        if start > end:
            self.message.setText("The start date is after the end date.")
            return
        self.message.clear()
        template_id = self.template.currentData()
        if template_id is None:
            return
        t = self.records.template(template_id)
        s = self.summary = load_summary(self.records, template_id, start.isoformat(), end.isoformat())
        levels = [str(o.value) for o in t.levels]
        self.grid_model.set_grid(summary_grid(t, s))
        self.grid.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        from desktop.audits.report import commissioner_chart, commissioner_data

        self.grid.verticalHeader().show()  # each row headed by its reference, as the chart's bars
        self.chart.set_chart(commissioner_chart(commissioner_data(s, t)) if s.schools else None)
        self.heading.setText(
            f"<b>{s.schools}</b> school(s) audited {to_uk(s.date_from)} to "
            f"{to_uk(s.date_to)}; {s.reviews} follow-up review(s). Each school's "
            "latest finalised audit or review; not seen and N/A are left out of Rated."
        )
        texts = {c.criterion_id: c.text for c in s.criteria}
        dev = "; ".join(f"{texts[c]} ({n})" for c, n in s.development[:5]) or "none"
        good = "; ".join(f"{texts[c]} ({n})" for c, n in s.good_practice[:5]) or "none"
        self.lists.setText(
            f"<b>Most frequent areas for development</b> "
            f"({t.level_label(levels[0])}): {dev}<br>"
            f"<b>Most frequent good practice</b>: {good}"
        )

    def save_pdf(self, path: str | None = None) -> None:
        """The commissioner summary of what the window shows (the same template, dates and
        figures), rendered off the GUI thread and written to a file the user names."""
        from desktop.audits.report import commissioner_data, render_commissioner
        from desktop.audits.summary import load_summary

        self.refresh()  # the PDF prints what the window shows, as it is now
        if self.summary is None or self.message.text():
            return
        s = self.summary
        template_id = self.template.currentData()
        path = path or self.ask_path(f"commissioner-summary-{s.date_from}-to-{s.date_to}.pdf")
        if not path:
            return
        registry, letterhead = self.records.registry, self.letterhead
        out = Path(path)

        def work(store):
            records = AuditRecords(store, registry)
            summary = load_summary(records, template_id, s.date_from, s.date_to)
            pdf = render_commissioner(commissioner_data(summary, records.template(template_id)), letterhead)
            part = out.with_name(out.name + ".part")
            part.write_bytes(pdf)
            part.replace(out)  # a reader sees the whole PDF or none
            return str(out)

        def done(result, error):
            self.pdf_button.setEnabled(True)
            if error is not None:
                self.pdf_status.setText("")
                self.message.setText(f"The commissioner summary could not be made: {error}.")
                return
            self.pdf_status.setText(f"Saved {Path(result).name}")
            self.pdf_saved.emit(result)
            self.open_file(result)

        self.pdf_button.setEnabled(False)
        self.pdf_status.setText("Making the commissioner summary…")
        if self.tasks is None:  # on its own (no main window): here and now
            try:
                result, error = work(self.records.store), None
            except Exception as exc:  # noqa: BLE001 - told to the user, never lost
                result, error = None, exc
            done(result, error)
        else:
            self.tasks.read(work, done)


def _open_file(path: str) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(path))
