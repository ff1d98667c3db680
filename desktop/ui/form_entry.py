"""Filling in a form: the start dialog, the keyboard-first item table and live scores.

Every answer goes through ``FormRecords.answer`` the moment it is given (one
small committed write), so a form can be closed at any point and reopened
where it stopped. Scores are recomputed after each answer from the answers
already held here with the pack's compiled ``ScoringPlan`` — the same code
``FormRecords.score`` runs, without re-reading the store — so the panel costs
well under a millisecond.
"""

from __future__ import annotations

import html
import time
from datetime import date
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.dates import age_on, to_uk
from desktop.forms.pack import InstrumentPack, Item
from desktop.forms.presentation import (
    DEFAULT_COMPLETED_BY,
    TONES,
    ScoreDescriber,
    ScoreRow,
    age_band_label,
    age_range_label,
    format_score,
    informant_label,
    instrument_packs,
    pack_label,
    packs_for_age,
)
from desktop.forms.records import COMPLETED_BY, TIME_POINTS, FormRecords
from desktop.forms.scoring import ScoreResult, plan_for
from desktop.store import ValidationError
from desktop.ui.dialogs import RecordDialog
from desktop.ui.models import ColumnsModel


def tone_role(tone: str | None, role: int):
    """The brush a band tone paints for a background or foreground role (None: no tone)."""
    if tone is None:
        return None
    bg, fg = TONES[tone]
    return QBrush(QColor(bg if role == Qt.ItemDataRole.BackgroundRole else fg))


class ScoresModel(ColumnsModel):
    """The live scores panel: score, value, band, coloured by band."""

    COLUMNS = ("Score", "Value", "Band")
    ScoreIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.score_rows: list[ScoreRow] = []

    def set_rows(self, rows: list[ScoreRow]) -> None:
        if len(rows) == len(self.score_rows):
            self.score_rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.score_rows = rows
            self.endResetModel()

    def row_count(self) -> int:
        return len(self.score_rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.score_rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.label, format_score(row.score), row.band)[col]
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and col > 0:
            return tone_role(row.tone, role)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.detail or None
        if role == self.ScoreIdRole:
            return row.score_id
        return None


# -- the item table ----------------------------------------------------------------------------------
class FormEntryModel(ColumnsModel):
    """Items of one completion (with section heading rows) and their answers.

    ``answers`` maps item id → the stored value. ``commit(item_id, raw)`` is
    called for typed answers (numbers, text) and returns True once stored.
    """

    COLUMNS = ("#", "Item", "Answer")
    NUMBER, TEXT, ANSWER = range(3)
    ItemIdRole = Qt.ItemDataRole.UserRole + 1
    AnsweredRole = Qt.ItemDataRole.UserRole + 2

    def __init__(
        self,
        pack: InstrumentPack,
        answers: dict[str, Any],
        commit: Callable[[str, Any], bool] | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.pack = pack
        self.answers = answers
        self.commit = commit
        self.read_only = False
        labels = {s.id: s.label for s in pack.sections}
        self.rows: list[Item | str] = []
        section = object()
        for item in pack.items:
            if pack.sections and item.section != section:
                section = item.section
                self.rows.append(labels.get(section) or f"Section {section}")
            self.rows.append(item)
        self._row_of = {it.id: r for r, it in enumerate(self.rows) if isinstance(it, Item)}
        self._options_text = {
            rid: " · ".join(f"{o.value} {o.label}" for o in rs.options) for rid, rs in pack.response_sets.items()
        }

    # -- look-ups ------------------------------------------------------------------------------
    def is_section(self, row: int) -> bool:
        return 0 <= row < len(self.rows) and isinstance(self.rows[row], str)

    def item_at(self, row: int) -> Item | None:
        it = self.rows[row] if 0 <= row < len(self.rows) else None
        return it if isinstance(it, Item) else None

    def row_of(self, item_id: str) -> int:
        return self._row_of[item_id]

    def step(self, row: int, delta: int) -> int:
        """The nearest item row from ``row`` moving by ``delta`` (stays put at the ends)."""
        r = row + delta
        while 0 <= r < len(self.rows):
            if not self.is_section(r):
                return r
            r += 1 if delta > 0 else -1
        return row

    def first_item_row(self) -> int:
        return self.step(-1, 1)

    def next_unanswered(self, after: int) -> int | None:
        """The first unanswered item after ``after``, wrapping round; None when all are answered."""
        n = len(self.rows)
        for k in range(1, n + 1):
            r = (after + k) % n
            item = self.item_at(r)
            if item is not None and item.id not in self.answers:
                return r
        return None

    def unanswered_count(self) -> int:
        return sum(1 for it in self.pack.items if it.id not in self.answers)

    def options_hint(self, item: Item) -> str:
        rset = self.pack.response_sets[item.response_set]
        if rset.kind == "options":
            return self._options_text[rset.id]
        if rset.kind == "number":
            span = f"{rset.minimum} or more" if rset.maximum is None else f"{rset.minimum} to {rset.maximum}"
            return f"type a number ({span}), Enter to save"
        return "type the answer, Enter to save"

    def answer_text(self, item: Item) -> str:
        value = self.answers.get(item.id)
        if value is None:
            return "—"
        rset = self.pack.response_sets[item.response_set]
        if rset.kind == "options":
            opt = rset.option(value)
            return f"{value} · {opt.label}" if opt else str(value)
        return str(value)

    def set_answer(self, item_id: str, value: Any) -> None:
        if value is None:
            self.answers.pop(item_id, None)
        else:
            self.answers[item_id] = value
        row = self._row_of[item_id]
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.ANSWER))

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.ANSWER))

    # -- the model -------------------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self.rows)

    def flags(self, index):
        if not index.isValid() or self.is_section(index.row()):
            return Qt.ItemFlag.NoItemFlags  # headings: never current, never selected
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        item = self.rows[index.row()]
        if (
            index.column() == self.ANSWER
            and not self.read_only
            and self.pack.response_sets[item.response_set].kind != "options"
        ):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry, col = self.rows[index.row()], index.column()
        if isinstance(entry, str):
            if role == Qt.ItemDataRole.DisplayRole and col == 0:
                return entry
            if role == Qt.ItemDataRole.FontRole:
                f = QFont()
                f.setBold(True)
                return f
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor("#e5e7eb"))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#111827"))
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.NUMBER:
                return str(entry.number)
            if col == self.TEXT:
                return entry.display_text
            return self.answer_text(entry)
        if role == Qt.ItemDataRole.EditRole and col == self.ANSWER:
            value = self.answers.get(entry.id)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and col == self.ANSWER and entry.id not in self.answers:
            return QBrush(QColor("#6b7280"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.NUMBER:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.display_text}\n{self.options_hint(entry)}"
        if role == self.ItemIdRole:
            return entry.id
        if role == self.AnsweredRole:
            return entry.id in self.answers
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        item = self.item_at(index.row()) if index.isValid() else None
        if (
            item is None
            or index.column() != self.ANSWER
            or role != Qt.ItemDataRole.EditRole
            or self.read_only
            or self.commit is None
        ):
            return False
        return self.commit(item.id, value)  # commit updates ``answers`` and emits dataChanged


class FormTable(QTableView):
    """The item table's keys: digits answer, Backspace/Delete clear, N / Ctrl+J jump to the
    next unanswered item, arrows move between items, Ctrl+Enter finalises."""

    digit_pressed = Signal(int)
    clear_pressed = Signal()
    next_unanswered_pressed = Signal()
    finalise_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        model: FormEntryModel = self.model()
        editing = self.state() == QAbstractItemView.State.EditingState
        if ctrl and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finalise_pressed.emit()
        elif (ctrl and key == Qt.Key.Key_J) or (key == Qt.Key.Key_N and not ctrl and not editing):
            self.next_unanswered_pressed.emit()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not ctrl:
            row = self.currentIndex().row() if self.currentIndex().isValid() else -1
            self.go_to_row(model.step(row, -1 if key == Qt.Key.Key_Up else 1))
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete) and not editing:
            self.clear_pressed.emit()
        elif Qt.Key.Key_0 <= key <= Qt.Key.Key_9 and not ctrl and self._current_is_choice():
            self.digit_pressed.emit(key - Qt.Key.Key_0)
        else:
            if self.currentIndex().isValid() and self.currentIndex().column() != FormEntryModel.ANSWER:
                # Typed numbers go to the answer cell whichever cell was clicked.
                self.setCurrentIndex(self.currentIndex().siblingAtColumn(FormEntryModel.ANSWER))
            super().keyPressEvent(event)
            current = self.currentIndex()
            if current.isValid() and model.is_section(current.row()):
                self.go_to_row(model.step(current.row(), 1))

    #: Set by whoever commits a typed answer: whether to move on when the editor closes.
    advance_after_edit = False

    def closeEditor(self, editor, hint) -> None:
        """Enter (or Tab) in a typed answer stores it and moves to the next item, as digits do."""
        move = self.advance_after_edit and hint in (
            QAbstractItemDelegate.EndEditHint.SubmitModelCache,
            QAbstractItemDelegate.EndEditHint.EditNextItem,
        )
        self.advance_after_edit = False
        super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        if move and self.currentIndex().isValid():
            self.go_to_row(self.model().step(self.currentIndex().row(), 1))

    def _current_is_choice(self) -> bool:
        item = self.model().item_at(self.currentIndex().row()) if self.currentIndex().isValid() else None
        return item is not None and self.model().pack.response_sets[item.response_set].kind == "options"

    def go_to_row(self, row: int) -> None:
        if row < 0:
            return
        index = self.model().index(row, FormEntryModel.ANSWER)
        self.setCurrentIndex(index)
        self.scrollTo(index)


class FormEntryWindow(QDialog):
    """One completion, open for entry (draft) or reading (final, with Correct…).

    Non-modal: several forms may be open beside the main window. ``changed``
    carries the completion id whenever its status changes or the window closes.
    ``confirm(title, text) -> bool`` asks before finalising an incomplete form;
    tests replace it.
    """

    changed = Signal(str)

    def __init__(self, records: FormRecords, completion_id: str, pupil_name: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("formEntry")
        self.records = records
        self.pupil_name = pupil_name
        self.confirm: Callable[[str, str], bool] = self._ask
        self.last_score_ms = 0.0
        from desktop.ui import window_state

        window_state.fit(self, 1080, 720)  # within the screen it opens on

        self.header = QLabel()
        self.header.setObjectName("formHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.synthetic_banner = QLabel(
            "<b>Synthetic pack — not the licensed content.</b> Its items, cluster key and ranges "
            "are invented for testing and demonstration: never use it for a child."
        )
        self.synthetic_banner.setObjectName("syntheticBanner")
        self.synthetic_banner.setWordWrap(True)
        self.synthetic_banner.setStyleSheet(
            "background: #fef3c7; color: #78350f; border: 1px solid #f59e0b; padding: 6px;"
        )
        self.status_banner = QLabel()
        self.status_banner.setObjectName("statusBanner")
        self.status_banner.setWordWrap(True)
        self.status_banner.setStyleSheet(
            "background: #e0e7ff; color: #1e1b4b; border: 1px solid #818cf8; padding: 6px;"
        )

        self.table = FormTable()
        self.table.setObjectName("formItems")
        self.table.setAccessibleName("Questions and answers")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.digit_pressed.connect(self.answer_digit)
        self.table.clear_pressed.connect(self.clear_current)
        self.table.next_unanswered_pressed.connect(self.go_to_next_unanswered)
        self.table.finalise_pressed.connect(self.finalise)

        self.scores_model = ScoresModel(self)
        self.scores = QTableView()
        self.scores.setObjectName("liveScores")
        self.scores.setAccessibleName("Live scores")
        self.scores.setModel(self.scores_model)
        self.scores.verticalHeader().hide()
        self.scores.verticalHeader().setDefaultSectionSize(22)
        self.scores.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # read by keyboard; clicks stay on the form
        self.scores.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        sh = self.scores.horizontalHeader()
        sh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        sh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        sh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        scores_box = QWidget()
        sl = QVBoxLayout(scores_box)
        sl.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Live scores</b>")
        sl.addWidget(title)
        sl.addWidget(self.scores, 1)
        self.scores_note = QLabel()
        self.scores_note.setWordWrap(True)
        self.scores_note.setStyleSheet("color: #4b5563;")
        sl.addWidget(self.scores_note)

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(scores_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([660, 400])

        self.hint = QLabel()
        self.hint.setObjectName("keyHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #374151;")
        self.message = QLabel()
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b91c1c;")
        self.count = QLabel()
        self.count.setObjectName("answeredCount")
        self.next_button = QPushButton("Next unanswered (N)")
        self.next_button.setObjectName("nextUnanswered")
        self.next_button.clicked.connect(self.go_to_next_unanswered)
        self.finalise_button = QPushButton("Finalise…  (Ctrl+Enter)")
        self.finalise_button.setObjectName("finalise")
        self.finalise_button.clicked.connect(self.finalise)
        self.correct_button = QPushButton("Correct…")
        self.correct_button.setObjectName("correct")
        self.correct_button.setToolTip(
            "Start a correction: a new draft with these answers, which replaces this form once finalised."
        )
        self.correct_button.clicked.connect(self.correct)
        close = QPushButton("Close")
        close.setToolTip("Answers are saved as you go; a draft reopens where you stopped.")
        close.clicked.connect(self.close)
        close.setAutoDefault(False)
        for b in (self.next_button, self.finalise_button, self.correct_button):
            b.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count)
        buttons.addSpacing(12)
        buttons.addWidget(self.message, 1)  # beside the count: no empty line while all is well
        for b in (self.next_button, self.finalise_button, self.correct_button, close):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.synthetic_banner)
        layout.addWidget(self.status_banner)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)

        # Ctrl+Enter from anywhere in the window (the table handles it itself when focused).
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self.finalise)
        QShortcut(QKeySequence("Ctrl+J"), self, self.go_to_next_unanswered)
        self.load(completion_id)

    # -- loading ------------------------------------------------------------------------------------
    def load(self, completion_id: str) -> None:
        """Show ``completion_id``: a draft continues at its first unanswered item."""
        self.completion_id = completion_id
        self.completion = c = self.records.completion(completion_id)
        self.pack = pack = self.records.pack(c["pack_id"])
        self.plan = plan_for(pack, c["informant"], c["age_band"])
        self.describer = ScoreDescriber(pack, c["informant"], c["age_band"])
        # Held as parsed values aligned with the plan (decimals are stored as text).
        self._values: list = [None] * len(self.plan.item_ids)
        answers = {}
        for item_id, raw in self.records.answers(completion_id).items():
            pos = self.plan.positions.get(item_id)
            if pos is not None:
                answers[item_id] = self._values[pos] = self.plan.parse_answer(pos, raw)
        self.model = FormEntryModel(pack, answers, self._commit_typed, self)
        self.model.set_read_only(self.read_only)
        self.model.dataChanged.connect(lambda *_: self._update_count())
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_hint())
        self.table.clearSpans()
        for r in range(len(self.model.rows)):
            if self.model.is_section(r):
                self.table.setSpan(r, 0, 1, len(FormEntryModel.COLUMNS))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(2, 210)

        e = html.escape
        who = COMPLETED_BY.get(c["completed_by"], c["completed_by"])
        if c["respondent"]:
            who += f" ({c['respondent']})"
        status = "Final" if self.read_only else "Draft"
        ages = "all ages" if c["age_band"] == "all" else f"age {age_band_label(c['age_band'])}"
        self.header.setText(
            f"<div style='font-size:large;font-weight:600'>{e(pack_label(pack))}"
            + (f" — {e(self.pupil_name)}" if self.pupil_name else "")
            + "</div>"
            f"<div>Informant: {e(informant_label(c['informant']))} · {e(ages)} · "
            f"{e(TIME_POINTS.get(c['time_point'], c['time_point']))} · completed by {e(who)} "
            f"on {to_uk(c['completed_on'])} · <b>{status}</b></div>"
        )
        self.setWindowTitle(f"{pack.title} — {self.pupil_name or 'form'} ({c['time_point']}, {status.lower()})")
        self.synthetic_banner.setVisible(pack.synthetic)
        self._update_status_banner()
        self.finalise_button.setVisible(not self.read_only)
        self.next_button.setVisible(not self.read_only)
        self.correct_button.setVisible(self.read_only)
        self.message.clear()
        scheme = pack.band_scheme()
        if scheme:
            self.scores_note.setText(f"Bands: {scheme.label}. “—”: not enough items answered to score.")
        elif pack.normative_ranges:
            self.scores_note.setText(
                "Green: within the range; orange: a concern. “—”: not enough items answered to score."
            )
        else:
            self.scores_note.setText("“—”: not yet answered.")
        self.update_scores()
        self._update_count()
        start = self.model.next_unanswered(-1) if not self.read_only else None
        self.table.go_to_row(start if start is not None else self.model.first_item_row())
        self.table.setFocus()

    @property
    def read_only(self) -> bool:
        return self.completion["status"] == "final"

    def _update_status_banner(self) -> None:
        c = self.completion
        text = ""
        if self.read_only:
            text = (
                f"Finalised {to_uk(c['finalised_at'])} — read only. To change an answer, "
                "press Correct…: a correction starts as a new draft and replaces this form "
                "once it is finalised."
            )
        if c.get("supersedes"):
            old = self.records.completion(c["supersedes"])
            text = (text + " " if text else "") + (
                f"This is a correction of the form finalised {to_uk(old['finalised_at'])}."
            )
        self.status_banner.setText(text)
        self.status_banner.setVisible(bool(text))

    # -- answering -----------------------------------------------------------------------------
    def current_item(self) -> Item | None:
        index = self.table.currentIndex()
        return self.model.item_at(index.row()) if index.isValid() else None

    def answer_digit(self, digit: int) -> None:
        """Answer the current item with the option this digit names, then move to the next item."""
        item = self.current_item()
        if item is None or self._refuse_if_final():
            return
        rset = self.pack.response_sets[item.response_set]
        numeric = any(isinstance(o.value, int) for o in rset.options)
        # Options with number values are chosen by value (SDQ 0/1/2, Boxall 0–4);
        # others by their position on the form, from 1.
        option = (
            next((o for o in rset.options if o.value == digit), None)
            if numeric
            else (rset.options[digit - 1] if 1 <= digit <= len(rset.options) else None)
        )
        if option is None:
            self.message.setText(f"{digit} is not an answer here: {self.model.options_hint(item)}.")
            return
        if self._commit(item.id, option.value):
            self.table.go_to_row(self.model.step(self.model.row_of(item.id), 1))

    def clear_current(self) -> None:
        item = self.current_item()
        if item is not None and not self._refuse_if_final():
            self._commit(item.id, None)

    def _commit_typed(self, item_id: str, raw: Any) -> bool:
        if self._refuse_if_final():
            return False
        self.table.advance_after_edit = ok = self._commit(item_id, raw)
        return ok

    def _commit(self, item_id: str, raw: Any) -> bool:
        """Store one answer at once (committed), then refresh the row and the scores."""
        try:
            value = self.records.answer(self.completion_id, item_id, raw)
        except ValidationError as exc:
            self.message.setText(" ".join(exc.problems.values()))
            return False
        self.message.clear()
        self._values[self.plan.positions[item_id]] = value
        self.model.set_answer(item_id, value)
        self.update_scores()
        return True

    def _refuse_if_final(self) -> bool:
        if self.read_only:
            self.message.setText("This form is finalised and cannot change. Press Correct… to make a correction.")
        return self.read_only

    def update_scores(self) -> ScoreResult:
        """Recompute and show the scores; ``last_score_ms`` keeps what it cost."""
        started = time.perf_counter()
        self.result = self.plan.result(self._values)
        self.scores_model.set_rows(self.describer.rows(self.result.scores))
        self.last_score_ms = (time.perf_counter() - started) * 1000
        return self.result

    def go_to_next_unanswered(self) -> None:
        index = self.table.currentIndex()
        row = self.model.next_unanswered(index.row() if index.isValid() else -1)
        if row is None:
            self.message.setText("Every item is answered. Press Ctrl+Enter to finalise.")
            return
        self.table.go_to_row(row)

    def _update_count(self) -> None:
        total = len(self.pack.items)
        done = total - self.model.unanswered_count()
        self.count.setText(f"{done} of {total} answered")

    def _update_hint(self) -> None:
        item = self.current_item()
        if item is None:
            self.hint.clear()
            return
        keys = self.model.options_hint(item)
        if self.read_only:
            self.hint.setText(f"Item {item.number}: {keys}")
        else:
            self.hint.setText(
                f"<b>Item {item.number}</b> — keys: {html.escape(keys)} · "
                "Backspace clear · N next unanswered · ↑↓ move · Ctrl+Enter finalise"
            )

    # -- finalising and correcting ----------------------------------------------------------------------
    def finalise(self) -> bool:
        """Make the form final (asking first, saying so when items are unanswered); it then
        reads only."""
        if self.read_only:
            return False
        missing = self.model.unanswered_count()
        if not self.confirm(
            *(
                (  # finalising cannot be undone: always ask
                    "Finalise with unanswered items?",
                    f"{missing} item{'s are' if missing != 1 else ' is'} unanswered. A finalised form "
                    "cannot change (only be corrected). Finalise anyway?",
                )
                if missing
                else (
                    "Finalise this form?",
                    "Every item is answered. A finalised form cannot change (only be corrected). Finalise it now?",
                )
            )
        ):
            return False
        try:
            self.records.finalise(self.completion_id)
        except ValidationError as exc:
            self.message.setText(" ".join(exc.problems.values()))
            return False
        self.load(self.completion_id)
        self.changed.emit(self.completion_id)
        return True

    def correct(self) -> str | None:
        """Start a correction of this final form and open it here (the new draft)."""
        if not self.read_only:
            return None
        new_id = self.records.correct(self.completion_id)
        self.load(new_id)
        self.changed.emit(new_id)
        return new_id

    def _ask(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def done(self, result: int) -> None:  # close, Esc or the Close button
        super().done(result)
        self.changed.emit(self.completion_id)


# -- the start dialog --------------------------------------------------------------------------------
def _age_band_for(bands: tuple[str, ...], age: int | None) -> str | None:
    for band in bands:
        lo, _, hi = band.partition("-")
        if age is not None and lo.isdigit() and hi.isdigit() and int(lo) <= age <= int(hi):
            return band
    return None


def start_dialog(records: FormRecords, case: dict, parent=None, today: date | None = None) -> RecordDialog:
    """A RecordDialog starting a completion for the case's pupil; its result is the new id.

    The Instrument list offers the forms for the pupil's age on the date completed (a pack's
    ``age_range``); "Show all forms" offers the others too, each saying the ages it is for."""
    pupil, referral = case["pupil"], case["referral"]
    today = today or date.today()
    born = date.fromisoformat(pupil["date_of_birth"]) if pupil.get("date_of_birth") else None
    packs = {p.id: p for p in instrument_packs(records)}
    taken = {(c["pack_id"], c["time_point"]) for c in records.completions(pupil["id"])}

    def save(v):
        return records.start(pupil_id=pupil["id"], referral_id=referral["id"], **v)

    d = RecordDialog("New assessment", save, parent, today=today)
    d.setMinimumWidth(560)
    who = f"{pupil['first_name']} {pupil['last_name']}"
    intro = QLabel()
    intro.setObjectName("assessmentFor")
    intro.setWordWrap(True)
    d.form.addRow(intro)
    pack_combo = d.add_choice("pack_id", "Instrument", {})
    show_all = QCheckBox("Show all forms")
    show_all.setObjectName("showAllForms")
    show_all.setToolTip("Also list the forms made for pupils of other ages")
    d.show_all = show_all
    d.form.addRow("", show_all)
    informant = d.add_choice("informant", "Informant", {})
    age_band = d.add_choice("age_band", "Age band", {})
    completed_by = d.add_choice("completed_by", "Completed by", COMPLETED_BY)
    d.add_text("respondent", "Respondent's name", "e.g. Mr Evans (class teacher)")
    completed_on = d.add_date("completed_on", "Date completed", default=today)
    point = d.add_choice("time_point", "Time point", TIME_POINTS)
    for combo in (pack_combo, informant, age_band, completed_by, point):
        # refilled as the instrument changes: as wide as the choice now ("Adult who knows the
        # child well"), not as the first instrument's were
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    note = QLabel()
    note.setObjectName("packNote")
    note.setWordWrap(True)
    d.form.addRow(note)

    def age() -> int | None:
        return age_on(born, completed_on.date().toPython()) if born else None

    def fill_packs(_=None):
        """The Instrument list for the pupil's age on the date completed, keeping the choice
        made if it is still offered."""
        chosen = pack_combo.currentData()
        fitting, others = packs_for_age(list(packs.values()), age())
        show_all.setEnabled(bool(others))
        offered = [(p, "") for p in fitting]
        if show_all.isChecked() or not fitting:
            offered += [(p, f" — for {age_range_label(p)}") for p in others]
        pack_combo.blockSignals(True)
        pack_combo.clear()
        for pack, suffix in offered:
            pack_combo.addItem(pack_label(pack) + suffix, pack.id)
        pack_combo.setCurrentIndex(max(0, pack_combo.findData(chosen)))
        pack_combo.blockSignals(False)
        years = age()
        aged = (
            f" (age {years} on {to_uk(completed_on.date().toPython())})"
            if years is not None
            else " (no date of birth recorded: every form is offered)"
        )
        hidden = (
            f" {len(others)} form{'s' if len(others) != 1 else ''} for other ages hidden."
            if others and not show_all.isChecked()
            else ""
        )
        intro.setText(f"For <b>{html.escape(who)}</b>{aged}. Answers are saved as they are entered.{hidden}")
        if pack_combo.currentData() != chosen:
            refill()

    def refill(_=None):
        pack = packs.get(pack_combo.currentData())
        if pack is None:
            return
        for combo, values, label in (
            (informant, pack.informants, informant_label),
            (age_band, pack.age_bands, age_band_label),
        ):
            combo.clear()
            for value in values:
                combo.addItem(label(value), value)
        age_band.setCurrentIndex(max(0, age_band.findData(_age_band_for(pack.age_bands, age()))))
        completed_by.setCurrentIndex(
            max(0, completed_by.findData(DEFAULT_COMPLETED_BY.get(pack.informants[0], "practitioner")))
        )
        # The first time point this pupil has no form at, on this instrument.
        free = next((tp for tp in ("T1", "T2", "T3") if (pack.id, tp) not in taken), "other")
        point.setCurrentIndex(point.findData(free))
        if pack.synthetic:
            note.setText(
                "⚠ This pack is synthetic — not the licensed content. Use it to try the app only, never for a child."
            )
            note.setStyleSheet("background: #fef3c7; color: #78350f; padding: 6px;")
        else:
            note.setText(pack.licence)
            note.setStyleSheet("color: #4b5563;")
        if d.isVisible():  # a longer note, longer choices: the dialog grows to show them whole
            from desktop.ui import window_state

            window_state.grow_to_contents(d)

    pack_combo.currentIndexChanged.connect(refill)
    show_all.toggled.connect(fill_packs)
    completed_on.dateChanged.connect(fill_packs)
    fill_packs()
    refill()
    return d
