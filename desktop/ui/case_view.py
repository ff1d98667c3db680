"""The case view: the pupil, the referral and a timeline of everything on the case."""

from __future__ import annotations

import html

from typing import Callable

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.caseload import vocab
from desktop.caseload.case_words import history_text, timeline_text
from desktop.dates import age_on, to_uk, year_group_label
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.style import text_size

TimelineIdRole = Qt.ItemDataRole.UserRole + 1  # the record's id
TimelineKindRole = Qt.ItemDataRole.UserRole + 2  # "visit", "observation", "referral", …


class CaseListModel(QAbstractListModel):
    """A list over a case's entries (dicts from the core), each shown by ``text``; the
    timeline's entries also give their record id and kind by role."""

    def __init__(self, text: Callable[[dict], str], parent=None):
        super().__init__(parent)
        self.text = text
        self.items: list[dict] = []
        self._texts: list[str] = []

    def set_items(self, items: list[dict]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self._texts = [self.text(item) for item in self.items]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.row()]
        if role == TimelineIdRole:
            return self.items[index.row()].get("id")
        if role == TimelineKindRole:
            return self.items[index.row()].get("kind")
        return None


class CaseView(QWidget):
    """Shows one case; its buttons ask the main window to act (``action`` signal)."""

    # "visit", "allocate", "plan", "call", "close", "edit_referral", "edit_pupil", "edit_school"
    action = Signal(str)
    case_changed = Signal(object)  # the case dict now shown, or None
    TimelineIdRole, TimelineKindRole = TimelineIdRole, TimelineKindRole

    def __init__(self, parent=None):
        super().__init__(parent)
        self.case: dict | None = None
        self.stack = QStackedWidget()
        empty = QLabel("Select a case to see the pupil, the referral and its timeline.")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setWordWrap(True)
        empty.setStyleSheet("color: #6b7280;")
        text_size(empty, 1.1)
        self.stack.addWidget(empty)

        page = QWidget()
        self.header = QLabel()
        self.header.setObjectName("caseHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.referral = QLabel()
        self.referral.setObjectName("caseReferral")
        self.referral.setTextFormat(Qt.TextFormat.RichText)
        self.referral.setWordWrap(True)
        buttons = FlowLayout()  # wraps in a narrow pane or at a large text size
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            ("observe", "Observe…", "Ctrl+Shift+O"),
            ("visit", "Add visit…", "Ctrl+Shift+V"),
            ("allocate", "Allocate…", "Ctrl+Shift+A"),
            ("plan", "New PSP…", ""),
            ("call", "Log call…", ""),
            ("edit_referral", "Edit referral…", ""),
            ("edit_pupil", "Edit pupil…", ""),
            ("close", "Close case…", ""),
        ):
            b = QPushButton(text)
            b.setObjectName(f"case_{key}")
            if tip:
                b.setToolTip(tip)
            b.clicked.connect(lambda _=False, k=key: self.action.emit(k))
            buttons.addWidget(b)
            self.buttons[key] = b
        self.timeline_model = CaseListModel(timeline_text, self)
        self.timeline = QListView()
        self.timeline.setObjectName("timeline")
        self.timeline.setAccessibleName("Timeline of the case")
        self.timeline.setModel(self.timeline_model)
        self.timeline.setWordWrap(True)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(page)
        layout.addWidget(self.header)
        layout.addWidget(self.referral)
        layout.addLayout(buttons)
        self.history_model = CaseListModel(history_text, self)
        self.history = QListView()
        self.history.setObjectName("history")
        self.history.setAccessibleName("History of changes to the case")
        self.history.setModel(self.history_model)
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
        self.history.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.history, "History")
        layout.addWidget(self.tabs, 1)
        self.stack.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def clear(self) -> None:
        self.case = None
        self.stack.setCurrentIndex(0)
        self.case_changed.emit(None)

    def show_case(self, case: dict, today) -> None:
        self.case = case
        p, r, s, c = case["pupil"], case["referral"], case["school"], case["caseworker"]
        e = html.escape
        flags = [
            label
            for key, label in (
                ("fsm", "FSM"),
                ("pupil_premium", "Pupil premium"),
                ("eal", "EAL"),
                ("looked_after", "Looked after"),
            )
            if p[key]
        ]
        if p["sen"] != "none":
            flags.insert(0, vocab.SEN_STATUS[p["sen"]])
        born = ""
        if p["date_of_birth"]:
            from datetime import date

            dob = date.fromisoformat(p["date_of_birth"])
            born = f"born {to_uk(dob)} (age {age_on(dob, today)})"
        self.header.setText(
            f"<div style='font-size:x-large;font-weight:600'>{e(p['first_name'])} {e(p['last_name'])}</div>"
            f"<div>{e(year_group_label(p['year_group']))} · {e(s['name'])} · {born}</div>"
            + (f"<div style='color:#92400e'>{' · '.join(map(e, flags))}</div>" if flags else "")
        )
        status = vocab.REFERRAL_STATUSES[r["status"]]
        lines = [
            f"<b>{status}</b> · referred {to_uk(r['referral_date'])} for "
            f"{e(vocab.REFERRAL_REASONS.get(r['reason'], r['reason']))}",
            f"Caseworker: {e(c['name']) if c else '<i>not yet allocated</i>'}"
            + (f" (allocated {to_uk(r['allocated_on'])})" if r["allocated_on"] else ""),
        ]
        if r["concern"]:
            lines.append(f"Concern: {e(r['concern'])}")
        if r["status"] == "closed":
            lines.append(
                f"Closed {to_uk(r['closed_on'])}: {e(vocab.CLOSURE_OUTCOMES.get(r['outcome'], r['outcome'] or ''))}"
            )
        self.referral.setText("<br>".join(lines))
        closed = r["status"] == "closed"
        for key in ("observe", "visit", "allocate", "plan", "close"):
            self.buttons[key].setEnabled(not closed)
        self.timeline_model.set_items(case["timeline"])
        self.history_model.set_items(case.get("history", []))
        self.stack.setCurrentIndex(1)
        self.case_changed.emit(case)
