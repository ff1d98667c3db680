"""Assessments in the main window: the case's Assessments tab, starting and opening forms,
and the cohort means plot.

``install(window)`` wires it all into a ``MainWindow``: the tab beside Timeline and
History (kept in step with the case shown), Case ▸ New assessment… (Ctrl+Shift+N)
and View ▸ Outcomes (means plot)…
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.dates import academic_year_label
from desktop.forms.pack import InstrumentPack
from desktop.forms.presentation import (
    POINTS,
    ScoreDescriber,
    ScoreRow,
    closed_referrals_by_year,
    completion_cells,
    format_change,
    format_score,
    instrument_packs,
    means_chart,
    means_rows,
    pack_label,
    progress_chart,
)
from desktop.forms.records import FormRecords, Progress
from desktop.ui.chart_view import ChartView
from desktop.ui.form_entry import FormEntryWindow, start_dialog, tone_role
from desktop.ui.models import ColumnsModel
from desktop.ui.style import text_size

EMPTY_TEXT = "No assessments yet — New assessment… (Ctrl+Shift+N)"


# -- the pupil's completions -------------------------------------------------------------------------
class CompletionsModel(ColumnsModel):
    """A pupil's completions, newest first. A completion whose pack is no longer installed
    still lists (marked), rather than breaking the tab."""

    COLUMNS = ("Date", "Instrument", "Informant", "Time point", "Status", "Note")
    CompletionIdRole = Qt.ItemDataRole.UserRole + 1
    PackIdRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, records: FormRecords, parent=None):
        super().__init__(parent)
        self.records = records
        self.completions: list[dict] = []
        self._cells: list[tuple[str, ...]] = []

    def reload(self, pupil_id: str | None) -> None:
        self.beginResetModel()
        self.completions = self.records.completions(pupil_id) if pupil_id else []
        self._cells = completion_cells(self.records, self.completions)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self._cells)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.completions[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cells[index.row()][index.column()] or None
        if role == self.CompletionIdRole:
            return row["id"]
        if role == self.PackIdRole:
            return row["pack_id"]
        if role == Qt.ItemDataRole.ForegroundRole and row["status"] != "final" and index.column() == 4:
            return QBrush(QColor("#92400e"))
        return None


# -- progress at T1/T2/T3 -----------------------------------------------------------------------------
class ProgressModel(ColumnsModel):
    """One instrument's scores at T1, T2 and T3 side by side, with bands and change since T1."""

    COLUMNS = ("Score", "T1", "T2", "T3", "Change T1→T2", "Change T1→T3")
    ScoreIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.progress: Progress | None = None
        self.labels: dict[str, str] = {}
        self.cells: dict[str, dict[str, ScoreRow]] = {}  # time point → score id → row

    def set_progress(self, pack: InstrumentPack | None, progress: Progress | None) -> None:
        self.beginResetModel()
        self.progress = progress
        self.cells = {}
        self.labels = {}
        if pack is not None and progress is not None:
            self.labels = {s.id: s.label for s in pack.scales} | {d.id: d.label for d in pack.derived}
            for point, result in progress.by_time_point.items():
                rows = ScoreDescriber(pack, result.informant, result.age_band).rows(result.scores)
                self.cells[point] = {r.score_id: r for r in rows}
        self.endResetModel()

    def row_count(self) -> int:
        return 0 if self.progress is None else len(self.progress.score_ids)

    def _cell(self, index) -> ScoreRow | None:
        if 1 <= index.column() <= 3:
            sid = self.progress.score_ids[index.row()]
            return self.cells.get(POINTS[index.column() - 1], {}).get(sid)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.progress is None:
            return None
        sid = self.progress.score_ids[index.row()]
        col = index.column()
        cell = self._cell(index)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return self.labels.get(sid, sid)
            if col <= 3:
                if cell is None or cell.score is None:
                    return "—"
                return f"{format_score(cell.score)} · {cell.band}" if cell.band else format_score(cell.score)
            return format_change(self.progress.change(sid, to="T2" if col == 4 else "T3"))
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and cell is not None:
            return tone_role(cell.tone, role)
        if role == Qt.ItemDataRole.ToolTipRole and cell is not None:
            return cell.detail or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 4:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == self.ScoreIdRole:
            return sid
        return None


class AssessmentsTab(QWidget):
    """The pupil's completions (a model), an empty state, and progress for one instrument.

    Reloads only while visible: selecting cases in the caseload costs nothing until
    the tab is looked at.
    """

    def __init__(self, records: FormRecords, parent=None):
        super().__init__(parent)
        self.setObjectName("assessmentsTab")
        self.records = records
        self.pupil_id: str | None = None
        self.pupil_name = ""
        self._dirty = True
        self.model = CompletionsModel(records, self)
        self.list = QTableView()
        self.list.setObjectName("completions")
        self.list.setAccessibleName("Assessments on this case")
        self.list.setModel(self.model)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setAlternatingRowColors(True)
        self.list.verticalHeader().hide()
        self.list.verticalHeader().setDefaultSectionSize(24)
        h = self.list.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # long titles elide, full in tooltip
        # but never so far that the heading itself is cut off ("Instrumer")
        h.setMinimumSectionSize(
            h.fontMetrics().horizontalAdvance("Instrument")
            + 4 * self.style().pixelMetric(self.style().PixelMetric.PM_HeaderMargin)
            + 4
        )
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)

        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("assessmentsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #4b5563; padding: 24px;")
        text_size(self.empty, 1.1)
        self.new_button = QPushButton("New assessment…")
        self.new_button.setObjectName("newAssessment")
        self.new_button.setToolTip("Ctrl+Shift+N")
        self.open_button = QPushButton("Open")
        self.open_button.setObjectName("openAssessment")
        self.open_button.setToolTip("Or double-click a form, or press Enter")
        self.open_button.clicked.connect(lambda: self.open_requested(self.list.currentIndex()))
        self.list.activated.connect(self.open_requested)  # double-click or Enter
        self.on_open = lambda completion_id: None
        self.on_new = lambda: None
        self.new_button.clicked.connect(lambda: self.on_new())

        self.instrument = QComboBox()
        self.instrument.setObjectName("progressInstrument")
        self.instrument.setAccessibleName("Instrument to show progress on")
        self.instrument.currentIndexChanged.connect(lambda _=0: self.update_progress())
        self.progress_model = ProgressModel(self)
        self.progress_table = QTableView()
        self.progress_table.setObjectName("progressTable")
        self.progress_table.setAccessibleName("Scores at each time point")
        self.progress_table.setModel(self.progress_model)
        self.progress_table.verticalHeader().hide()
        self.progress_table.verticalHeader().setDefaultSectionSize(22)
        self.progress_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        ph = self.progress_table.horizontalHeader()
        ph.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        ph.setStretchLastSection(False)  # stretched, the last column could shrink below its heading
        self.chart = ChartView(empty_text="No finalised scores to chart yet.")
        self.chart.setObjectName("progressChart")
        self.progress_note = QLabel()
        self.progress_note.setWordWrap(True)
        self.progress_note.setStyleSheet("color: #4b5563;")

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.open_button)
        row.addStretch()
        tl.addLayout(row)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.list)
        tl.addWidget(self.list_stack, 1)

        # The table at its full height and the chart under it, scrolled together: the
        # case pane is short, and two inner scroll bars would hide half of each.
        self.progress_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart.setMinimumHeight(230)
        self.progress_box = QWidget()
        bl = QVBoxLayout(self.progress_box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("<b>Progress</b> on"))
        bl.addWidget(self.instrument)  # the whole pane's width: a pack's long title, whole
        content = QWidget()
        cl = QVBoxLayout(content)
        cl.setContentsMargins(0, 0, 4, 0)
        cl.addWidget(self.progress_note)
        cl.addWidget(self.progress_table)
        cl.addWidget(self.chart, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        bl.addWidget(scroll, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.progress_box)
        split.setSizes([170, 430])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    def open_requested(self, index: QModelIndex) -> None:
        if index.isValid():
            self.on_open(index.data(CompletionsModel.CompletionIdRole))

    def set_pupil(self, pupil: dict | None) -> None:
        """Follow the case view; reload now if visible, else when next shown."""
        self.pupil_id = pupil["id"] if pupil else None
        self.pupil_name = f"{pupil['first_name']} {pupil['last_name']}" if pupil else ""
        self._dirty = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.reload()

    def reload(self) -> None:
        self._dirty = False
        current = self.list.currentIndex().data(CompletionsModel.CompletionIdRole)
        self.model.reload(self.pupil_id)
        has_rows = self.model.rowCount() > 0
        self.list_stack.setCurrentIndex(1 if has_rows else 0)
        self.open_button.setEnabled(has_rows)
        self.progress_box.setVisible(has_rows)
        # Keep the selected form, else the newest, so Enter opens something at once.
        rows = [r for r, c in enumerate(self.model.completions) if c["id"] == current] or [0]
        if has_rows:
            self.list.setCurrentIndex(self.model.index(rows[0], 0))
        # Instruments this pupil has forms on, the chosen one kept.
        chosen = self.instrument.currentData()
        seen: dict[str, str] = {}
        finals = {c["pack_id"] for c in self.model.completions if c["status"] == "final"}
        for c in sorted(self.model.completions, key=lambda c: c["pack_id"] not in finals):
            pack = self.records.registry.packs.get(c["pack_id"])
            if pack is not None and pack.id not in seen:
                seen[pack.id] = pack_label(pack)
        self.instrument.blockSignals(True)
        self.instrument.clear()
        for pid, title in seen.items():
            self.instrument.addItem(title, pid)
        self.instrument.setCurrentIndex(max(0, self.instrument.findData(chosen)))
        self.instrument.blockSignals(False)
        self.update_progress()

    def update_progress(self) -> None:
        pack_id = self.instrument.currentData()
        if not pack_id or not self.pupil_id:
            self.progress_model.set_progress(None, None)
            self.chart.set_chart(None)
            return
        pack = self.records.pack(pack_id)
        progress = self.records.progress(self.pupil_id, pack_id)
        self.progress_model.set_progress(pack, progress)
        table = self.progress_table
        table.setFixedHeight(
            table.horizontalHeader().sizeHint().height()
            + 2 * table.frameWidth()
            + self.progress_model.rowCount() * table.verticalHeader().defaultSectionSize()
        )
        self.chart.set_chart(progress_chart(pack, progress) if progress.by_time_point else None)
        if progress.by_time_point:
            self.progress_note.setText(
                "Latest finalised form at each time point; drafts are not counted. Change is later minus T1."
            )
        else:
            self.progress_note.setText(
                "No finalised form on this instrument yet: finalise a form to see its scores here."
            )


# -- the cohort means plot ----------------------------------------------------------------------------
class CohortMeansModel(ColumnsModel):
    """The means plot's numbers: each score's mean (n) at T1, T2 and T3."""

    COLUMNS = ("Score", "T1 mean (n)", "T2 mean (n)", "T3 mean (n)")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, dict[str, tuple[float | None, int]]]] = []

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        label, points = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return label
            mean, n = points.get(POINTS[index.column() - 1], (None, 0))
            return "—" if mean is None else f"{mean:.2f} ({n})"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class CohortMeansDialog(QDialog):
    """Choose an instrument and a cohort (referrals closed in a school year); see each
    scale's mean at T1/T2/T3. The means are computed off the GUI thread on a second
    store connection; ``means`` holds the last result (as ``cohort_means`` returns it)."""

    def __init__(self, window, records: FormRecords):
        super().__init__(window)
        self.setObjectName("cohortMeans")
        self.setWindowTitle("Outcomes: means plot")
        from desktop.ui import window_state

        window_state.fit(self, 900, 640)
        self.window_ = window
        self.records = records
        self.means: dict | None = None
        self.referral_ids: list[str] = []
        self._request = 0
        self.years = closed_referrals_by_year(window.store)

        self.instrument = QComboBox()
        self.instrument.setObjectName("meansInstrument")
        self.instrument.setAccessibleName("Instrument")
        for pack in instrument_packs(records):
            self.instrument.addItem(pack_label(pack), pack.id)
        self.year = QComboBox()
        self.year.setObjectName("meansYear")
        self.year.setAccessibleName("Cohort: closed in")
        for start in sorted(self.years, reverse=True):
            n = len(self.years[start])
            self.year.addItem(
                f"{academic_year_label(date(start, 9, 1))} — {n} closed referral{'s' if n != 1 else ''}", start
            )
        self.totals = QCheckBox("Include totals")
        self.totals.setObjectName("meansTotals")
        self.totals.setToolTip(
            "Totals (e.g. SDQ total difficulties) run on a larger scale "
            "than the scales, so they are left out unless asked for."
        )
        for w in (self.instrument, self.year):
            w.currentIndexChanged.connect(lambda _=0: self.compute())
        self.totals.toggled.connect(lambda _=False: self._show())
        self.summary = QLabel()
        self.summary.setObjectName("meansSummary")
        self.summary.setWordWrap(True)
        self.plot = ChartView(empty_text="No pupil in this cohort has finalised assessments on this instrument.")
        self.plot.setObjectName("meansPlot")
        self.plot.setMinimumHeight(260)
        self.table_model = CohortMeansModel(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setAccessibleName("Cohort means at T1, T2 and T3")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

        row = QGridLayout()  # two lines: a pack's long title and the cohort each have room
        row.addWidget(QLabel("Instrument"), 0, 0)
        row.addWidget(self.instrument, 0, 1, 1, 2)
        row.addWidget(QLabel("Cohort: closed in"), 1, 0)
        row.addWidget(self.year, 1, 1)
        row.addWidget(self.totals, 1, 2)
        row.setColumnStretch(1, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.compute()

    def compute(self) -> None:
        """Work out the cohort and its means in the background; stale answers are dropped."""
        pack_id, start = self.instrument.currentData(), self.year.currentData()
        self._request += 1
        request = self._request
        self.means = None
        if start is None:
            self.referral_ids = []
            self.summary.setText(
                "No closed referrals yet: the means plot shows a cohort of "
                "cases closed in one school year (1 September – 31 August)."
            )
            self.means = {}
            self._show()
            return
        self.referral_ids = ids = list(self.years[start])
        self.summary.setText("Working out the means…")
        registry = self.records.registry

        def work(store):
            return FormRecords(store, registry).cohort_means(pack_id, ids)

        def done(result, error):
            if request != self._request:
                return
            if error is not None:
                self.summary.setText(f"The means could not be worked out: {error}")
                self.means = {}
            else:
                self.means = result
            self._show(error is None)

        self.window_.tasks.read(work, done)  # reads only: never waits for a sync

    def _show(self, describe: bool = True) -> None:
        pack_id, start = self.instrument.currentData(), self.year.currentData()
        means = self.means or {}
        pack = self.records.pack(pack_id) if pack_id else None
        rows = means_rows(pack, means, self.totals.isChecked()) if pack is not None else []
        self.table_model.set_rows(rows)
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height()
            + 2 * self.table.frameWidth()
            + max(1, len(rows)) * self.table.verticalHeader().defaultSectionSize()
        )
        self.plot.set_chart(means_chart(rows))
        if describe and start is not None:
            pupils = max((n for tp in means.values() for _m, n in tp.values()), default=0)
            self.summary.setText(
                f"Cohort: {len(self.referral_ids)} referral{'s' if len(self.referral_ids) != 1 else ''} "
                f"closed 01/09/{start} – 31/08/{start + 1}. Means of each pupil's latest finalised "
                f"form at each time point; n is how many pupils a mean rests on (up to {pupils})."
            )


# -- wiring into the main window -------------------------------------------------------------------------
class Assessments(QObject):
    """The assessments feature of one main window."""

    def __init__(self, window, records: FormRecords | None = None):
        super().__init__(window)
        self.window = window
        self.records = records or FormRecords(window.store)
        self.forms: list[FormEntryWindow] = []
        self.means_dialog: CohortMeansDialog | None = None
        self.tab = AssessmentsTab(self.records)
        self.tab.on_open = self.open_form
        self.tab.on_new = self.new_assessment
        view = window.case_view
        self.tab_index = window.add_case_tab(self.tab, "Assessments")

        view.case_changed.connect(lambda case: self.tab.set_pupil(case["pupil"] if case else None))
        if view.case:
            self.tab.set_pupil(view.case["pupil"])

        self.new_action = window.add_action(
            "case", "New &assessment…", self.new_assessment, "Ctrl+Shift+N", "newAssessment", new_group=True
        )
        self.means_action = window.add_action(
            "view", "&Outcomes (means plot)…", self.show_means, None, "outcomesMeansPlot", new_group=True
        )
        # Forms show pupil data: they close when the app locks (answers are already saved).
        window.pages.currentChanged.connect(self._page_changed)

    def new_assessment(self) -> FormEntryWindow | None:
        case = self.window.case_view.case
        if case is None:
            self.window.statusBar().showMessage("Select a case first.", 4000)
            return None
        dialog = start_dialog(self.records, case, self.window, today=self.window.caseload.today)
        completion_id = self.window.run_dialog(dialog)
        if not completion_id:
            return None
        self.window.case_view.tabs.setCurrentWidget(self.tab)
        self.tab.reload()
        return self.open_form(completion_id)

    def open_form(self, completion_id: str) -> FormEntryWindow | None:
        """Open a completion (a draft continues where it stopped); an open one comes to the front."""
        for form in self.forms:
            if form.completion_id == completion_id:
                form.raise_()
                form.activateWindow()
                return form
        completion = self.records.completion(completion_id)
        if completion["pack_id"] not in self.records.registry.packs:
            self.window.statusBar().showMessage(
                f"The pack {completion['pack_id']} is not installed on this computer.", 6000
            )
            return None
        form = FormEntryWindow(self.records, completion_id, self.tab.pupil_name, self.window)
        form.changed.connect(self._form_changed)
        form.finished.connect(lambda _=0, f=form: self._form_closed(f))
        self.forms.append(form)
        form.show()
        return form

    def _form_changed(self, _completion_id: str) -> None:
        if self.tab.isVisible():
            self.tab.reload()
        else:
            self.tab._dirty = True

    def _form_closed(self, form: FormEntryWindow) -> None:
        if form in self.forms:
            self.forms.remove(form)
        form.deleteLater()

    def after_sync(self, report, _error) -> None:
        """Packs a sync installed or removed are offered from the next new assessment."""
        if report is not None and (report.packs_installed or report.packs_removed):
            self.records.reload_packs()

    def show_means(self) -> CohortMeansDialog:
        if self.means_dialog is not None:
            self.means_dialog.close()
            self.means_dialog.deleteLater()
        self.means_dialog = CohortMeansDialog(self.window, self.records)
        self.means_dialog.show()
        return self.means_dialog

    def _page_changed(self, _index: int) -> None:
        if self.window.locked:
            for form in list(self.forms):
                form.close()
            if self.means_dialog is not None:
                self.means_dialog.close()


def install(window) -> None:
    """Add the Assessments tab and commands to ``window`` (a ``MainWindow``); the feature
    object is kept as ``window.assessments``."""
    window.assessments = Assessments(window)
