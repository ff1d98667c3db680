"""Record a PSP review: each of the plan's targets rated 1–5 with a note, and the review's notes.

A thin screen over ``desktop.caseload.reviews.PlanReviews``: the targets are the plan's lines
(``plan_targets``), each with its rating at the last review shown beside it so the change is
seen while rating; Save stores the review (one committed, synced record) or shows what is
wrong in the dialog's own words and keeps everything typed.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.caseload.reviews import RATINGS, PlanReviews, TargetRating, plan_targets
from desktop.dates import to_uk
from desktop.store import ValidationError

NOT_RATED = "Not rated"


class PlanReviewDialog(QDialog):
    def __init__(self, store, plan_id: str, today: date, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Record a PSP review")
        self.resize(760, 520)
        self.reviews = PlanReviews(store, today=today)
        self.plan_id = plan_id
        self.saved_id: str | None = None
        plan = store.get("support_plan", plan_id)
        progress = self.reviews.progress(plan_id)
        last = {row.target: row.ratings[-1] for row in progress.rows if row.ratings}
        self.targets = plan_targets(plan["targets"]) or [r.target for r in progress.rows]

        self.when = QDateEdit(QDate(today.year, today.month, today.day))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd/MM/yyyy")
        form = QFormLayout()
        form.addRow("Review date", self.when)
        if progress.review_dates:
            form.addRow("Last review", QLabel(to_uk(progress.review_dates[-1])))

        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        for col, title in enumerate(("Target", "Last time", "Rating now", "Note")):
            label = QLabel(f"<b>{title}</b>")
            grid.addWidget(label, 0, col)
        self.rating_boxes: list[QComboBox] = []
        self.note_edits: list[QLineEdit] = []
        for row, target in enumerate(self.targets, start=1):
            text = QLabel(target)
            text.setWordWrap(True)
            grid.addWidget(text, row, 0)
            before = last.get(target)
            grid.addWidget(QLabel("—" if before is None else f"{before} ({RATINGS[before]})"), row, 1)
            box = QComboBox()
            box.addItem(NOT_RATED, None)
            for value, label in RATINGS.items():
                box.addItem(f"{value} {label}", value)
            box.setAccessibleName(f"Rating now: {target}")
            note = QLineEdit()
            note.setPlaceholderText("What was seen, what helped")
            note.setAccessibleName(f"Note: {target}")
            grid.addWidget(box, row, 2)
            grid.addWidget(note, row, 3)
            self.rating_boxes.append(box)
            self.note_edits.append(note)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(3, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_host)

        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Who attended, what was agreed, the next review")
        self.notes.setMaximumHeight(90)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if not self.targets:
            layout.addWidget(QLabel("This plan has no targets to rate: add them to the plan first."))
        layout.addWidget(scroll, 1)
        layout.addWidget(QLabel("Notes"))
        layout.addWidget(self.notes)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def ratings(self) -> list[TargetRating]:
        return [
            TargetRating(t, box.currentData(), note.text())
            for t, box, note in zip(self.targets, self.rating_boxes, self.note_edits)
        ]

    def save(self) -> None:
        d = self.when.date()
        try:
            self.saved_id = self.reviews.add_review(
                self.plan_id, date(d.year(), d.month(), d.day()), self.ratings(), self.notes.toPlainText()
            )
        except ValidationError as exc:
            self.error.setText(" ".join(exc.problems.values()))
            self.error.show()
            return
        self.accept()


def record_review(parent, store, plan_id: str, today: date) -> str | None:
    dialog = PlanReviewDialog(store, plan_id, today, parent)
    return dialog.saved_id if dialog.exec() == QDialog.DialogCode.Accepted else None
