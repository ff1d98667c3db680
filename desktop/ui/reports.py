"""Reports in the main window: the case's Reports tab and the visit report editor.

``install(window)`` adds a Reports tab beside Documents (kept in step with the case
shown), **New visit report** (Ctrl+Shift+R) to the Case menu, and a **Reports** menu:
New visit report, Progress report and Pastoral Support Plan for the case shown (previewed
in the app, with Open in system viewer), and Service report… (a period, PDF or CSV) — each
rendered off the GUI thread. The editor
(``ReportEditor``) is a thin screen over ``desktop.reports.records.ReportRecords``:

- each section is a plain-text field saved as you type (every change one committed,
  synced edit, like every answer on a form);
- the case's ended observations and finalised forms are ticked to pull them in, and
  each chosen block offers its drafted paragraph, to keep, edit or leave out;
- **Preview** (Ctrl+P in the editor) renders the PDF and its page images off the GUI
  thread and shows the pages in the app (``desktop.ui.report_preview``: zoom, page x of
  y, Finalise and issue…, and Open in system viewer for the laptop's PDF app);
  **Finalise and issue…** renders it once more, attaches it to the case's Documents and
  freezes the report (a correction is a new version).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from datetime import date

from PySide6.QtCore import QAbstractListModel, QDate, QEvent, QModelIndex, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.dates import to_uk
from desktop.forms.records import TIME_POINTS
from desktop.reports.document import Letterhead
from desktop.reports.evidence_choices import EvidenceChoice, chosen_ids, evidence_choices
from desktop.reports.records import ReportRecords
from desktop.reports.visit import SECTIONS, render_visit
from desktop.ui.models import ColumnsModel
from desktop.ui.report_preview import PreviewDialog
from desktop.ui.style import text_size

NEW_SHORTCUT = "Ctrl+Shift+R"
STRATEGY_SHORTCUT = "Ctrl+Shift+I"
PREVIEW_SHORTCUT = "Ctrl+P"  # as Print would be; Ctrl+Shift+V adds a visit in the main window
EMPTY_TEXT = f"No reports on this case yet.\n\nNew visit report ({NEW_SHORTCUT}) starts one."
OPENED_FOLDER = "opened-documents"  # shared with Documents: emptied when Fieldnote starts and quits
PLACEHOLDERS = {
    "background": "Why the school referred the pupil, and what they told you.",
    "observation": "What you saw; the figures from the observations you tick are added below.",
    "assessments": "What the Boxall Profile and SDQ show; their results are added below.",
    "strengths": "- what the pupil does well\n- what already helps",
    "communicates": "What the behaviour may be telling the adults around the pupil.",
    "recommendations": "1. a strategy for the school\n2. another",
    "next_steps": "The next visit, the plan, who does what.",
}


def _ask(parent, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes


def _tell(parent, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def _ask_service(parent, today: date):
    """The service report dialog: a period (default: this academic year so far) and PDF or CSV,
    then where to save. None if cancelled."""
    from desktop.dates import academic_year_start

    dialog = QDialog(parent)
    dialog.setWindowTitle("Service report")
    start = QDateEdit(QDate(academic_year_start(today), 9, 1))
    end = QDateEdit(QDate(today.year, today.month, today.day))
    for edit in (start, end):
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setCalendarPopup(True)
    as_csv = QCheckBox("As CSV figures for a spreadsheet (instead of a PDF)")
    form = QFormLayout(dialog)
    form.addRow("From", start)
    form.addRow("To", end)
    form.addRow(as_csv)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    first, last = start.date().toPython(), end.date().toPython()
    if last < first:
        QMessageBox.information(parent, "Service report", "The end of the period is before its start.")
        return None
    suffix = "csv" if as_csv.isChecked() else "pdf"
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Save the service report",
        f"Service report {first.isoformat()} to {last.isoformat()}.{suffix}",
        f"{suffix.upper()} files (*.{suffix})",
    )
    return (first, last, as_csv.isChecked(), path) if path else None


class StrategiesModel(QAbstractListModel):
    """Strategies found in the bank, in the bank's order of relevance; a strategy's text is
    its tooltip."""

    StrategyIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.strategies: list = []

    def set_strategies(self, strategies) -> None:
        self.beginResetModel()
        self.strategies = list(strategies)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.strategies)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        strategy = self.strategies[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return strategy.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return strategy.text
        if role == self.StrategyIdRole:
            return strategy.id
        return None


class StrategyPicker(QDialog):
    """Search the strategy bank and choose one: type to filter, arrows to move, Enter to insert."""

    def __init__(self, bank, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Insert a strategy")
        self.resize(640, 460)
        self.bank = bank
        self.chosen = None
        self.search = QLineEdit()
        self.search.setObjectName("strategySearch")
        self.search.setPlaceholderText("Search strategies: words in the title, text or tags")
        self.model = StrategiesModel(self)
        self.results = QListView()
        self.results.setObjectName("strategyResults")
        self.results.setModel(self.model)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("color: #374151;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Insert")
        buttons.accepted.connect(self.choose)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.preview)
        if bank.problems:
            note = QLabel("Some strategy banks could not be read: " + "; ".join(bank.problems))
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self.refresh)
        self.results.selectionModel().currentChanged.connect(lambda current, _previous: self._show(current))
        self.results.activated.connect(lambda _index: self.choose())
        self.search.returnPressed.connect(self.choose)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_strategies(self.bank.search(self.search.text()))
        if self.model.rowCount():
            self.results.setCurrentIndex(self.model.index(0))
            self._show(self.model.index(0))
        else:
            self.preview.setText("No strategy matches every word.")

    def _current_id(self) -> str | None:
        return self.results.currentIndex().data(StrategiesModel.StrategyIdRole)

    def _show(self, index: QModelIndex) -> None:
        strategy_id = index.data(StrategiesModel.StrategyIdRole) if index.isValid() else None
        self.preview.setText(self.bank.get(strategy_id).text if strategy_id else "")

    def keyPressEvent(self, event) -> None:
        # Up and Down move through the results while typing in the search box.
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.model.rowCount():
            row = self.results.currentIndex().row() + (1 if event.key() == Qt.Key.Key_Down else -1)
            self.results.setCurrentIndex(self.model.index(max(0, min(row, self.model.rowCount() - 1))))
            return
        super().keyPressEvent(event)

    def choose(self) -> None:
        strategy_id = self._current_id()
        if strategy_id is None:
            return
        self.chosen = self.bank.get(strategy_id)
        self.accept()


def _pick_strategy(parent, bank):
    picker = StrategyPicker(bank, parent)
    return picker.chosen if picker.exec() == QDialog.DialogCode.Accepted else None


class ReportsModel(ColumnsModel):
    """The case's reports, newest first."""

    COLUMNS = ("Report", "Date", "Status")
    ReportIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                ("Visit report" + (" (correction)" if row["supersedes"] else "")),
                to_uk(row["report_date"]),
                "Final: issued to Documents" if row["status"] == "final" else "Draft",
            )[index.column()]
        if role == self.ReportIdRole:
            return row["id"]
        return None


class EvidenceModel(QAbstractListModel):
    """The records a report can cite (``evidence_choices``), each with a tick; a tick a
    person changes is reported by ``ticked`` (a report finalised lists them unticked-able)."""

    EvidenceKeyRole = Qt.ItemDataRole.UserRole + 1  # (kind, record id)
    ticked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.choices: list[EvidenceChoice] = []
        self.final = False

    def set_choices(self, choices: list[EvidenceChoice], final: bool) -> None:
        self.beginResetModel()
        self.choices, self.final = list(choices), final
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.choices)

    def flags(self, index: QModelIndex):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.NoItemFlags if self.final else Qt.ItemFlag.ItemIsUserCheckable)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        choice = self.choices[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return choice.label  # the tooltip: the whole of a label the list cuts short
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if choice.chosen else Qt.CheckState.Unchecked
        if role == self.EvidenceKeyRole:
            return (choice.kind, choice.record_id)
        return None

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole or self.final:
            return False
        chosen = Qt.CheckState(value) == Qt.CheckState.Checked
        if chosen == self.choices[index.row()].chosen:
            return True
        self.choices[index.row()] = self.choices[index.row()].ticked(chosen)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.ticked.emit()
        return True


class ReportsTab(QWidget):
    """The list of the case's reports, with New and Open."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("reportsTab")
        self.model = ReportsModel(self)
        self.table = QTableView()
        self.table.setObjectName("reportsList")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("reportsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.new_button = QPushButton("New visit report")
        self.new_button.setToolTip(NEW_SHORTCUT)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Or double-click a report, or press Enter")
        self.on_new = lambda: None
        self.on_open = lambda report_id: None
        self.new_button.clicked.connect(lambda: self.on_new())
        self.open_button.clicked.connect(lambda: self._open(self.table.currentIndex()))
        self.table.activated.connect(self._open)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(buttons)

    def show_rows(self, rows: list[dict]) -> None:
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.open_button.setEnabled(bool(rows))
        if rows:
            self.table.selectRow(0)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.on_open(self.model.index(index.row(), 0).data(ReportsModel.ReportIdRole))


class ReportEditor(QWidget):
    """One visit report: sections, evidence and its paragraphs, Preview and Finalise."""

    def __init__(self, feature: "Reports", report_id: str):
        super().__init__(feature.window, Qt.WindowType.Window)
        self.feature = feature
        self.store = feature.window.store
        self.records = ReportRecords(self.store)
        self.report_id = report_id
        self.setObjectName("reportEditor")
        self.resize(1200, 780)
        self._loading = False
        self.preview_dialog = None  # the open preview, if any

        self.heading = QLabel()
        self.heading.setObjectName("reportHeading")
        text_size(self.heading, 1.2)
        self.saved = QLabel()
        self.saved.setObjectName("reportSaved")
        self.saved.setStyleSheet("color: #4b5563;")

        self.sections: dict[str, QPlainTextEdit] = {}
        left = QWidget()
        left_layout = QVBoxLayout(left)
        for key, title in SECTIONS:
            label = QLabel(f"<b>{title}</b>")
            edit = QPlainTextEdit()
            edit.setObjectName(f"section-{key}")
            edit.setPlaceholderText(PLACEHOLDERS.get(key, ""))
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(90)
            label.setBuddy(edit)
            edit.textChanged.connect(lambda key=key: self._section_changed(key))
            edit.installEventFilter(self)  # remembers the section last typed in
            left_layout.addWidget(label)
            left_layout.addWidget(edit)
            self.sections[key] = edit
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)

        self.evidence_model = EvidenceModel(self)
        self.evidence_model.ticked.connect(self._evidence_changed)
        self.evidence = QListView()
        self.evidence.setObjectName("reportEvidence")
        self.evidence.setAccessibleName("Evidence to include: observations and assessments")
        self.evidence.setModel(self.evidence_model)
        self.paragraphs_box = QWidget()
        self.paragraphs_layout = QVBoxLayout(self.paragraphs_box)
        self.paragraph_edits: dict[str, tuple[QCheckBox, QPlainTextEdit]] = {}
        para_scroll = QScrollArea()
        para_scroll.setWidgetResizable(True)
        para_scroll.setWidget(self.paragraphs_box)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(QLabel("<b>Evidence to include</b> (tick to pull it in)"))
        right_layout.addWidget(self.evidence, 1)
        right_layout.addWidget(QLabel("<b>Paragraphs drafted from the figures</b> — keep, edit or untick"))
        right_layout.addWidget(para_scroll, 2)

        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(right)
        split.setSizes([700, 500])

        self.last_section = "recommendations"
        self.strategy_button = QPushButton("Insert strategy…")
        self.strategy_button.setObjectName("insertStrategy")
        self.strategy_button.setToolTip(
            f"{STRATEGY_SHORTCUT}: search the strategy bank and add one to "
            "the section you were writing (Recommendations by default)"
        )
        self.strategy_button.clicked.connect(self.insert_strategy)
        QShortcut(QKeySequence(STRATEGY_SHORTCUT), self, self.insert_strategy)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setObjectName("reportPreview")
        self.preview_button.setToolTip(PREVIEW_SHORTCUT)
        self.preview_button.clicked.connect(self.preview)
        QShortcut(QKeySequence(PREVIEW_SHORTCUT), self, self.preview)
        self.finalise_button = QPushButton("Finalise and issue…")
        self.finalise_button.setObjectName("reportFinalise")
        self.finalise_button.clicked.connect(self.finalise)
        self.correct_button = QPushButton("Make a correction")
        self.correct_button.setObjectName("reportCorrect")
        self.correct_button.clicked.connect(self.correct)
        buttons = QHBoxLayout()
        buttons.addWidget(self.saved, 1)
        for b in (self.strategy_button, self.preview_button, self.finalise_button, self.correct_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.load()

    # -- loading -------------------------------------------------------------------------------
    def load(self) -> None:
        self._loading = True
        try:
            row = self.records.get(self.report_id)
            self.row = row
            referral = self.store.get("referral", row["referral_id"])
            pupil = self.store.get("pupil", referral["pupil_id"]) or {}
            name = f"{pupil.get('first_name', '')} {pupil.get('last_name', '')}".strip()
            final = row["status"] == "final"
            self.setWindowTitle(f"Visit report — {name}")
            self.heading.setText(
                f"<b>Visit report: {name}</b> · {to_uk(row['report_date'])} · "
                + ("finalised and issued to the case's Documents" if final else "draft")
            )
            for key, edit in self.sections.items():
                if edit.toPlainText() != row["sections"].get(key, ""):
                    edit.setPlainText(row["sections"].get(key, ""))
                edit.setReadOnly(final)
            self._load_evidence(row, final)
            self.finalise_button.setVisible(not final)
            self.strategy_button.setVisible(not final)
            self.correct_button.setVisible(final)
            self.saved.setText(
                "Finalised: it cannot change; a correction is a new version."
                if final
                else "Every change is saved as you type."
            )
        finally:
            self._loading = False
        self._load_paragraphs()

    def _load_evidence(self, row: dict, final: bool) -> None:
        def pack_title(pack_id: str) -> str:
            return self.feature.form_records().pack(pack_id).title

        self.evidence_model.set_choices(
            evidence_choices(self.store, row["referral_id"], row["evidence"], pack_title), final
        )

    def _load_paragraphs(self) -> None:
        while self.paragraphs_layout.count():
            w = self.paragraphs_layout.takeAt(0).widget()
            if w is not None:
                w.hide()  # deleted later, at the next turn of the event loop: out of sight now
                w.deleteLater()
        self.paragraph_edits.clear()
        report = self.records.build(self.report_id)
        if report.missing:
            n = len(report.missing)
            self.saved.setText(
                f"{n} chosen record{'s are' if n != 1 else ' is'} no longer on this laptop and left out of the report."
            )
        drafts = report.drafts()
        kept = self.records.get(self.report_id)["evidence"].get("text", {})
        final = self.row["status"] == "final"
        titles = {o.key: f"Observation: {o.lesson or 'lesson'}" for o in report.observations}
        titles |= {b.key: b.info.pack_title for b in report.boxall}
        titles |= {
            s.key: f"SDQ ({s.info.informant}), {TIME_POINTS.get(s.info.time_point, s.info.time_point)}"
            for s in report.sdq
        }
        self._loading = True
        try:
            for key, draft in drafts.items():
                box = QGroupBox(titles.get(key, key))
                include = QCheckBox("Include this paragraph")
                include.setObjectName(f"include-{key}")
                edit = QPlainTextEdit(kept.get(key) if kept.get(key) is not None else draft)
                edit.setObjectName(f"paragraph-{key}")
                edit.setMinimumHeight(80)
                include.setChecked(not (key in kept and kept[key] is None))
                include.setEnabled(not final)
                edit.setReadOnly(final)
                edit.setEnabled(include.isChecked())
                include.toggled.connect(lambda _on, key=key: self._paragraph_changed(key))
                edit.textChanged.connect(lambda key=key: self._paragraph_changed(key))
                box_layout = QVBoxLayout(box)
                box_layout.addWidget(include)
                box_layout.addWidget(edit)
                self.paragraphs_layout.addWidget(box)
                self.paragraph_edits[key] = (include, edit)
            self.paragraphs_layout.addStretch(1)
        finally:
            self._loading = False

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for key, edit in self.sections.items():
                if edit is watched:
                    self.last_section = key
        return super().eventFilter(watched, event)

    def insert_strategy(self) -> None:
        """Choose a strategy from the bank and add it, as a list item, to the last section used."""
        if self.row["status"] == "final":
            return
        strategy = self.feature.pick_strategy(self, self.feature.strategy_bank())
        if strategy is None:
            return
        edit = self.sections[self.last_section]
        text = edit.toPlainText()
        addition = ("" if not text or text.endswith("\n") else "\n") + strategy.for_report()
        cursor = edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(addition)  # one edit: saved at once like typing, undoable with Ctrl+Z
        edit.setTextCursor(cursor)
        edit.setFocus()

    # -- saving as you type ----------------------------------------------------------------------
    def _section_changed(self, key: str) -> None:
        if self._loading:
            return
        self.records.set_section(self.report_id, key, self.sections[key].toPlainText())
        self.saved.setText("Saved.")

    def _evidence_changed(self) -> None:
        if self._loading:
            return
        self.records.choose_evidence(self.report_id, *chosen_ids(self.evidence_model.choices))
        self.row = self.records.get(self.report_id)
        self.saved.setText("Saved.")
        self._load_paragraphs()

    def _paragraph_changed(self, key: str) -> None:
        if self._loading:
            return
        include, edit = self.paragraph_edits[key]
        edit.setEnabled(include.isChecked())
        self.records.set_evidence_text(self.report_id, key, edit.toPlainText() if include.isChecked() else None)
        self.saved.setText("Saved.")

    # -- preview, finalise, correct ------------------------------------------------------------
    def _letterhead(self) -> Letterhead:
        return Letterhead.from_settings(self.feature.window.settings)

    def preview(self) -> None:
        """Render the report as it stands, and its pages, off the GUI thread; then show the
        pages in the preview (``desktop.ui.report_preview``). A preview changes nothing."""
        from desktop.reports.pages import render_pages

        report_id, letterhead = self.report_id, self._letterhead()
        self.saved.setText("Making the preview…")
        self.preview_button.setEnabled(False)

        def work(store, progress):
            pdf = render_visit(ReportRecords(store).build(report_id), letterhead)
            return pdf, render_pages(pdf, progress=progress)

        def progress(done, total):
            self.saved.setText(f"Making the preview… (page {done} of {total})")

        def done(result, error):
            self.preview_button.setEnabled(True)
            if error is not None:
                self.saved.setText("")
                self.feature.tell(self, "Preview", f"The preview could not be made: {error}")
                return
            self.saved.setText("Every change is saved as you type.")
            self.show_preview(*result)

        self.feature.window.tasks.read(work, done, progress)

    def show_preview(self, pdf: bytes, pages) -> PreviewDialog:
        """The rendered pages in a window of their own, with Finalise and issue while a draft."""
        if self.preview_dialog is not None:
            self.preview_dialog.close()
        draft = self.row["status"] != "final"
        actions = [("previewFinalise", "Finalise and issue…", self.finalise)] if draft else []
        dialog = self.feature.show_preview(self, "Visit report" + (" (preview)" if draft else ""), pdf, pages, actions)
        dialog.destroyed.connect(lambda _=None: setattr(self, "preview_dialog", None))
        self.preview_dialog = dialog
        return dialog

    def finalise(self) -> None:
        if not self.feature.ask(
            self,
            "Finalise and issue",
            (
                "Finalise this report? It is attached to the case's Documents as a PDF and "
                "cannot change afterwards; a correction makes a new version."
            ),
        ):
            return
        report_id, letterhead = self.report_id, self._letterhead()
        initials = self.feature.window.settings.initials_in_file_names
        self.finalise_button.setEnabled(False)
        self.saved.setText("Finalising…")

        def work(store):
            attachment_id, _pdf = ReportRecords(store).finalise(report_id, letterhead, initials)
            return attachment_id

        def done(_attachment_id, error):
            self.finalise_button.setEnabled(True)
            if error is not None:
                self.saved.setText("")
                self.feature.tell(self, "Finalise", f"The report was not finalised: {error}. Nothing was changed.")
                return
            self.load()
            self.feature.after_change(self.row["referral_id"])

        self.feature.run(work, done)

    def correct(self) -> None:
        new_id = self.records.correct(self.report_id)
        self.feature.after_change(self.row["referral_id"])
        self.feature.open_report(new_id)


class Reports(QObject):
    """The reports feature of one main window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ask, self.tell = _ask, _tell
        self.open_url = QDesktopServices.openUrl
        self.opened_root = Path(window.store.path).parent / OPENED_FOLDER
        self.editors: dict[str, ReportEditor] = {}
        self.opened: list[Path] = []  # PDFs this feature wrote for viewing
        self.preview_dialog = None  # the Reports menu's open preview, if any
        self._form_records = None
        self.tab = ReportsTab()
        self.tab.on_new = self.new_visit_report
        self.tab.on_open = self.open_report
        view = window.case_view
        self.tab_index = window.add_case_tab(self.tab, "Reports")
        view.case_changed.connect(lambda _case: self.reload())
        self.new_action = window.add_action(
            "case", "New visit &report", self.new_visit_report, NEW_SHORTCUT, "newVisitReport", new_group=True
        )
        # The Reports menu: every report the laptop makes, each rendered off the GUI thread.
        self.menu = window.menu("reports")
        self.menu.addAction(self.new_action)
        self.progress_action = window.add_action(
            "reports", "&Progress report for this case", self.progress_report, None, "progressReport"
        )
        self.psp_action = window.add_action(
            "reports", "Pastoral &Support Plan for this case", self.psp_document, None, "pspDocument"
        )
        self.review_action = window.add_action("reports", "Record a PSP &review…", self.psp_review, None, "pspReview")
        self.record_review = None  # tests put (parent, store, plan_id, today) -> id or None here
        self.exclusion_action = window.add_action(
            "reports", "Record an &exclusion…", self.record_exclusion, None, "recordExclusion"
        )
        self.service_action = window.add_action(
            "reports", "Ser&vice report…", self.service_report, None, "serviceReport", new_group=True
        )
        self.ask_service = _ask_service  # (parent, today) -> (start, end, csv, path) or None
        self.pick_strategy = _pick_strategy  # (parent, bank) -> Strategy or None
        self._bank = None
        window.pages.currentChanged.connect(self._page_changed)
        self.reload()

    def strategy_bank(self):
        """The strategy bank, read afresh each time the picker opens (a few small files), so a
        bank installed by a sync is offered at once. Tests may set ``_bank`` to fix it."""
        if self._bank is not None:
            return self._bank
        from desktop.reports.strategies import load_bank

        return load_bank()

    def form_records(self):
        if self._form_records is None:
            from desktop.forms.records import FormRecords

            self._form_records = getattr(getattr(self.window, "assessments", None), "records", None) or FormRecords(
                self.window.store
            )
        return self._form_records

    def _case_id(self) -> str | None:
        case = self.window.case_view.case
        return case["referral"]["id"] if case else None

    def reload(self) -> None:
        referral_id = self._case_id()
        self.tab.show_rows(ReportRecords(self.window.store).for_case(referral_id) if referral_id else [])

    def new_visit_report(self) -> ReportEditor | None:
        referral_id = self._case_id()
        if referral_id is None:
            self.window.statusBar().showMessage("Select a case first.", 4000)
            return None
        report_id = ReportRecords(self.window.store).start_visit(
            referral_id, getattr(self.window.caseload, "today", None)
        )
        self.reload()
        self.window.case_view.tabs.setCurrentWidget(self.tab)
        return self.open_report(report_id)

    def open_report(self, report_id: str) -> ReportEditor:
        editor = self.editors.get(report_id)
        if editor is None:
            editor = self.editors[report_id] = ReportEditor(self, report_id)
            editor.destroyed.connect(lambda _=None, rid=report_id: self.editors.pop(rid, None))
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.show()
        editor.raise_()
        return editor

    # -- the Reports menu ------------------------------------------------------------------
    def _letterhead(self) -> Letterhead:
        return Letterhead.from_settings(self.window.settings)

    def _render_and_preview(self, make, name: str) -> None:
        """``make(store) -> bytes`` and its page images off the GUI thread; then the pages in
        the app's preview, with Open in system viewer."""
        from desktop.reports.pages import render_pages

        self.window.statusBar().showMessage(f"Making the {name}…")

        def work(store, progress):
            pdf = make(store)
            return pdf, render_pages(pdf, progress=progress)

        def progress(done_pages, total):
            self.window.statusBar().showMessage(f"Making the {name}… (page {done_pages} of {total})")

        def done(result, error):
            self.window.statusBar().clearMessage()
            if error is not None:
                self.tell(self.window, "Report", f"The {name} could not be made: {error}")
                return
            pdf, pages = result
            title = f"{name[0].upper()}{name[1:]}"
            self.show_preview(self.window, title, pdf, pages)

        self.window.tasks.read(work, done, progress)

    def show_preview(self, parent, title: str, pdf: bytes, pages, actions=()) -> PreviewDialog:
        """The rendered pages in the app (``desktop.ui.report_preview``); Open in system
        viewer writes a private copy named ``title``.pdf and opens it."""
        if self.preview_dialog is not None and parent is self.window:
            self.preview_dialog.close()
        dialog = PreviewDialog(
            title, pages, parent, actions=actions, open_externally=lambda: self.open_pdf(pdf, title, parent)
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if parent is self.window:
            self.preview_dialog = dialog
            dialog.destroyed.connect(lambda _=None: setattr(self, "preview_dialog", None))
        dialog.show()
        return dialog

    def open_pdf(self, pdf: bytes, title: str, parent=None) -> Path:
        """``pdf`` in the laptop's PDF app: a private copy in the opened-documents folder
        (emptied when Fieldnote starts and quits)."""
        from desktop.opened_copies import write_private_bytes  # owner-only folder and file

        path = write_private_bytes(self.opened_root / uuid.uuid4().hex[:12], f"{title}.pdf", pdf)
        self.opened.append(path)
        if not self.open_url(QUrl.fromLocalFile(str(path))):
            self.tell(
                parent or self.window,
                "No app to open it",
                f"No app on this laptop opens PDF files; the {title} is at {path}.",
            )
        return path

    def progress_report(self) -> None:
        from desktop.reports.progress import build_progress_report, render_progress

        referral_id = self._case_id()
        if referral_id is None:
            self.window.statusBar().showMessage("Select a case first.", 4000)
            return
        letterhead, author = self._letterhead(), self.window.settings.practitioner_name
        self._render_and_preview(
            lambda store: render_progress(build_progress_report(store, referral_id, author=author), letterhead),
            "progress report",
        )

    def _case_plan(self, title: str) -> str | None:
        """The selected case's latest Pastoral Support Plan; None (having said why) if there
        is no case selected or it has no plan."""
        from desktop.reports.psp import latest_plan

        referral_id = self._case_id()
        if referral_id is None:
            self.window.statusBar().showMessage("Select a case first.", 4000)
            return None
        plan_id = latest_plan(self.window.store, referral_id)
        if plan_id is None:
            self.tell(self.window, title, "This case has no Pastoral Support Plan yet: New PSP… on the case adds one.")
        return plan_id

    def psp_document(self) -> None:
        from desktop.reports.psp import build_psp, render_psp

        plan_id = self._case_plan("Pastoral Support Plan")
        if plan_id is None:
            return
        letterhead, author = self._letterhead(), self.window.settings.practitioner_name
        self._render_and_preview(
            lambda store: render_psp(build_psp(store, plan_id, author=author), letterhead), "Pastoral Support Plan"
        )

    def psp_review(self) -> None:
        """Rate each target of the case's plan; the PSP document then shows the progress."""
        from desktop.ui.plan_review import record_review

        plan_id = self._case_plan("PSP review")
        if plan_id is None:
            return
        today = getattr(self.window.caseload, "today", None) or date.today()
        saved = (self.record_review or record_review)(self.window, self.window.store, plan_id, today)
        if saved:
            self.window.statusBar().showMessage(
                "Review saved: the Pastoral Support Plan now shows each target's progress.", 8000
            )

    def record_exclusion(self):
        """A dated exclusion of the case's pupil (the service report's exclusion figures)."""
        from desktop.caseload.reviews import EXCLUSION_KINDS, PlanReviews
        from desktop.ui.dialogs import RecordDialog

        referral_id = self._case_id()
        if referral_id is None:
            self.window.statusBar().showMessage("Select a case first.", 4000)
            return None
        referral = self.window.store.get("referral", referral_id)
        today = getattr(self.window.caseload, "today", None) or date.today()
        reviews = PlanReviews(self.window.store, today=today)

        def save(v):
            return reviews.add_exclusion(
                referral["pupil_id"],
                v["exclusion_date"],
                v["kind"],
                referral_id=referral_id,
                notes=v.get("notes") or "",
            )

        dialog = RecordDialog("Record an exclusion", save, self.window, today=today)
        dialog.add_date("exclusion_date", "Date of the exclusion")
        dialog.add_choice("kind", "Type", EXCLUSION_KINDS)
        dialog.add_notes("notes", "Notes", "e.g. the number of days, the reason the school gave")
        saved = self.window.run_dialog(dialog)
        if saved:
            self.window.statusBar().showMessage("Exclusion recorded.", 6000)
        return saved

    def offer_satisfaction_survey(self, referral_id: str):
        """After a case is closed: offer the school's satisfaction survey (the built-in
        ``school-satisfaction`` pack, rated 1-5), opened as a form to fill in with the school.
        Its answers feed the service report's "out of 5" figures. Returns the form or None."""
        from desktop.forms.records import FormRecords
        from desktop.reports.service import SATISFACTION_PACK

        store = self.window.store
        referral = store.get("referral", referral_id)
        if referral is None or referral["status"] != "closed":
            return None
        records = FormRecords(store)
        if records.case_has(referral_id, SATISFACTION_PACK):
            return None  # one survey a case
        try:
            pack = records.pack(SATISFACTION_PACK)
        except KeyError:
            return None
        if not self.ask(
            self.window,
            "School satisfaction survey",
            (
                "The case is closed. Record the school's satisfaction survey now? Five questions, "
                "each rated from 1 (poor) to 5 (excellent), answered by the school; the service "
                "report counts them."
            ),
        ):
            return None
        completion_id = records.start(
            pupil_id=referral["pupil_id"],
            pack_id=pack.id,
            informant=pack.informants[0],
            age_band=pack.age_bands[0],
            completed_by="teacher",
            respondent="School",
            completed_on=min(date.fromisoformat(referral["closed_on"]), date.today()),
            time_point="other",
            referral_id=referral_id,
        )
        assessments = getattr(self.window, "assessments", None)
        if assessments is None:
            return None
        assessments.tab.reload()
        return assessments.open_form(completion_id)

    def service_report(self) -> None:
        from desktop.reports.service import render_service, service_csv, service_figures

        today = getattr(self.window.caseload, "today", None) or date.today()
        choice = self.ask_service(self.window, today)
        if not choice:
            return
        start, end, as_csv, path = choice
        letterhead, author = self._letterhead(), self.window.settings.practitioner_name
        self.window.statusBar().showMessage("Making the service report…")

        def work(store, progress):
            figures = service_figures(store, start, end, progress=progress)
            data = service_csv(figures).encode("utf-8") if as_csv else render_service(figures, letterhead, author)
            tmp = Path(path).with_name(Path(path).name + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)
            store.log("export", "referral", None, f"service figures {start} to {end} to a file")
            return Path(path)

        def done(result, error):
            self.window.statusBar().clearMessage()
            if error is not None:
                self.tell(
                    self.window,
                    "Service report",
                    f"The service report could not be made: {error}. Nothing was written.",
                )
                return
            self.window.statusBar().showMessage(f"Saved {result.name}.", 8000)
            if not as_csv:
                self.open_url(QUrl.fromLocalFile(str(result)))

        def progress(done_steps, total):
            self.window.statusBar().showMessage(f"Making the service report… ({done_steps} of {total})")

        self.run(work, done, progress)

    def after_change(self, referral_id: str) -> None:
        self.reload()
        documents = getattr(self.window, "documents", None)
        if documents is not None and self._case_id() == referral_id:
            documents.tab.reload()

    def run(self, work, done, on_progress=None) -> None:
        """``work(store)`` on the window's store worker; ``done`` after, on the GUI thread.
        With ``on_progress``, ``work(store, progress)`` reports ``progress(done, total)``."""
        self.window.tasks.write(work, done, on_progress)

    def _page_changed(self, _index: int) -> None:
        # Editors show pupil data: they close when the app locks (everything is already saved).
        if getattr(self.window, "locked", False):
            if self.preview_dialog is not None:
                self.preview_dialog.close()
            for editor in list(self.editors.values()):
                editor.close()


def install(window) -> None:
    """Add the Reports tab and New visit report to ``window``; kept as ``window.reports``."""
    window.reports = Reports(window)
