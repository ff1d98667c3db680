"""The team lead's weekly allocation screen: new referrals on the left, caseworkers on the right.

Team leads "review new referrals every week and allocate each to a caseworker on the nature of
the concern and specialist knowledge of the practitioner as well as geographical location", and
the service reports that all are "allocated within 2 weeks". The screen shows the queue of new
referrals oldest first with how long each has waited, the caseworkers with their open caseload,
and a hint of who fits the selected referral. Allocating is an ordinary, undoable edit: it goes
through ``Caseload.allocate`` (so the outbox carries it to the caseworker's laptop at their next
sync) and onto the main window's undo stack.

``install(window)`` adds Team ▸ Weekly allocation… (Ctrl+Shift+W) to a ``MainWindow``; the
feature object is kept as ``window.allocation``.

The board (queue, counts, match rule) is ``desktop.caseload.allocation``: plain Python,
tested without widgets.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.caseload import vocab
from desktop.caseload.allocation import (
    AMBER_DAYS,
    AllocationBoard,
    CaseworkerLoad,
    Match,
    QueuedReferral,
    RED_DAYS,
    waiting_text,
)
from desktop.dates import to_uk, year_group_label
from desktop.store import StoreError
from desktop.ui.column_fit import FittedTableView
from desktop.ui.models import ColumnsModel
from desktop.ui.undo import CaseCommand, FieldEdit, field_diff
from desktop.ui.style import text_size

EMPTY_TEXT = "No new referrals — everything is allocated"
KEYS_TEXT = "↑↓ choose a referral · Tab or Enter to the caseworkers · Enter or Ctrl+Return allocates · Ctrl+Z undoes"

AMBER = (QColor("#fef3c7"), QColor("#92400e"))  # (background, text)
RED = (QColor("#fee2e2"), QColor("#991b1b"))
MUTED = QColor("#6b7280")
MATCH_RULE_TEXT = (
    "Listed best match first: the school's area, then specialisms sharing a word with "
    "the referral's reason or the pupil's phase, then the lighter caseload."
)
GOOD = QColor("#15803d")


class QueueModel(ColumnsModel):
    """The new referrals, oldest first; the Waiting cell turns amber at ``AMBER_DAYS`` and red at
    ``RED_DAYS``."""

    COLUMNS = ("Waiting", "Pupil", "Year", "School", "Area", "Reason")  # referral date: tooltip
    ReferralIdRole = Qt.ItemDataRole.UserRole + 1
    DaysWaitingRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: tuple[QueuedReferral, ...] = ()

    def set_items(self, items: tuple[QueuedReferral, ...]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def row_for(self, referral_id: str) -> int | None:
        return next((i for i, q in enumerate(self.items) if q.referral_id == referral_id), None)

    def row_count(self) -> int:
        return len(self.items)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        q, col = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                waiting_text(q.days_waiting),
                q.pupil_name,
                year_group_label(q.year_group),
                q.school_name,
                q.school_area or "—",
                vocab.REFERRAL_REASONS.get(q.reason, q.reason),
            )[col]
        if role == self.ReferralIdRole:
            return q.referral_id
        if role == self.DaysWaitingRole:
            return q.days_waiting
        tone = RED if q.days_waiting >= RED_DAYS else AMBER if q.days_waiting >= AMBER_DAYS else None
        if col == 0:
            if role == Qt.ItemDataRole.ToolTipRole:
                target = (
                    "past the 2-week allocation target"
                    if tone is RED
                    else f"{RED_DAYS - q.days_waiting} days left to meet the 2-week target"
                    if tone
                    else ""
                )
                return f"Referred {to_uk(q.referral_date)}" + (f": {target}" if target else "")
            if tone and role == Qt.ItemDataRole.BackgroundRole:
                return tone[0]
            if tone and role == Qt.ItemDataRole.ForegroundRole:
                return tone[1]
            if tone and role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
        if role == Qt.ItemDataRole.ForegroundRole and col == 4 and not q.school_area:
            return MUTED
        if role == Qt.ItemDataRole.ToolTipRole and col in (1, 3, 4, 5):  # the columns that elide
            return (q.pupil_name, q.school_name, q.school_area or None, vocab.REFERRAL_REASONS.get(q.reason, q.reason))[
                (1, 3, 4, 5).index(col)
            ]
        return None


class CaseworkerModel(ColumnsModel):
    """The caseworkers with their open caseload; with a referral set, best match first."""

    # the hint sits by the name: it is what the list is ordered by
    COLUMNS = ("Caseworker", "Match", "Open cases", "Area", "Specialisms")
    CaseworkerIdRole = Qt.ItemDataRole.UserRole + 1
    OpenCasesRole = Qt.ItemDataRole.UserRole + 2
    MatchRole = Qt.ItemDataRole.UserRole + 3  # the ``Match`` for the current referral

    def __init__(self, parent=None):
        super().__init__(parent)
        self.workers: tuple[CaseworkerLoad, ...] = ()
        self.referral: QueuedReferral | None = None
        self.rows: list[tuple[CaseworkerLoad, Match]] = []

    def set_data(self, workers: tuple[CaseworkerLoad, ...], referral: QueuedReferral | None) -> None:
        self.beginResetModel()
        self.workers, self.referral = workers, referral
        matched = [(w, w.match(referral) if referral else Match()) for w in workers]
        self.rows = sorted(
            matched, key=lambda wm: (tuple(-n for n in wm[1].rank), wm[0].open_cases, wm[0].name.lower())
        )
        self.endResetModel()

    def row_for(self, caseworker_id: str) -> int | None:
        return next((i for i, (w, _) in enumerate(self.rows) if w.caseworker_id == caseworker_id), None)

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        w, m = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                w.name,
                m.hint if self.referral else "",
                str(w.open_cases),
                w.area or "—",
                ", ".join(w.specialisms) or "—",
            )[col]
        if role == self.CaseworkerIdRole:
            return w.caseworker_id
        if role == self.OpenCasesRole:
            return w.open_cases
        if role == self.MatchRole:
            return m
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 1 and m.same_area:
                return GOOD
            if col in (3, 4) and not (w.area if col == 3 else w.specialisms):
                return MUTED
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return (f"{m.hint}\n\n" if m.hint else "") + MATCH_RULE_TEXT
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return ", ".join(w.specialisms)
        if role == Qt.ItemDataRole.ToolTipRole and col in (0, 3):  # they elide when narrow
            return w.name if col == 0 else w.area or None
        return None


# -- the screen ------------------------------------------------------------------------------------
class _ListView(FittedTableView):
    """A read-only row list where Enter is a command (``entered``), Tab leaves the list, and
    gaining focus from the keyboard selects a row so arrows and Enter act at once."""

    entered = Signal()

    def __init__(self, model: ColumnsModel, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(24)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self.entered.emit()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        if event.reason() != Qt.FocusReason.MouseFocusReason:
            self.ensure_current()

    def ensure_current(self) -> None:
        if self.model().rowCount() and not self.selectionModel().hasSelection():
            self.select_row(max(self.currentIndex().row(), 0))

    def select_row(self, row: int) -> None:
        index = self.model().index(row, 0)
        self.setCurrentIndex(index)  # selects the row too (SelectRows, SingleSelection)
        self.scrollTo(index)

    def current_value(self, role: int):
        rows = self.selectionModel().selectedRows()
        return rows[0].data(role) if rows else None


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; padding: 2px 0;")
    return label


class AllocationScreen(QDialog):
    """The non-modal screen; ``feature`` (a ``WeeklyAllocation``) does the allocating."""

    def __init__(self, feature: "WeeklyAllocation", parent=None):
        super().__init__(parent)
        self.feature = feature
        self.setObjectName("allocationScreen")
        self.setWindowTitle("Weekly allocation — Fieldnote")
        self.setModal(False)
        from desktop.ui import window_state

        window_state.fit(self, 1280, 660)  # within the screen it opens on
        self.board: AllocationBoard | None = None

        self.summary = QLabel()
        self.summary.setObjectName("allocationSummary")
        self.summary.setStyleSheet("font-weight: 600; padding: 2px 0 6px 0;")
        text_size(self.summary, 1.15)

        self.queue_model = QueueModel(self)
        self.queue = _ListView(self.queue_model, "allocationQueue")
        self.queue.setAccessibleName("New referrals to allocate")
        # the school, reason, pupil and area elide (in full in their tooltips), the pupil's name
        # last (two Dylans: which one?); the area goes when even their headings leave no room
        self.queue.fit_columns(elide=(3, 5, 1, 4), hide=(4,), first=(1,))
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("allocationEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #4b5563; padding: 24px;")
        text_size(self.empty, 1.15)
        self.queue_pages = QStackedWidget()
        self.queue_pages.addWidget(self.queue)
        self.queue_pages.addWidget(self.empty)

        self.worker_model = CaseworkerModel(self)
        self.caseworkers = _ListView(self.worker_model, "allocationCaseworkers")
        self.caseworkers.setAccessibleName("Caseworkers and their caseloads")
        # names whole where the room allows, as the queue's pupils
        self.caseworkers.fit_columns(elide=(4, 1, 3, 0), hide=(3, 4), first=(0,))
        self.no_workers = QLabel("No caseworkers yet: they arrive with the team's accounts at sync.")
        self.no_workers.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_workers.setWordWrap(True)
        self.no_workers.setStyleSheet("color: #4b5563; padding: 24px;")
        self.worker_pages = QStackedWidget()
        self.worker_pages.addWidget(self.caseworkers)
        self.worker_pages.addWidget(self.no_workers)

        self.date = QDateEdit()
        self.date.setObjectName("allocatedOn")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd/MM/yyyy")
        self.preview = QLabel()
        self.preview.setObjectName("allocationPreview")
        self.preview.setStyleSheet("color: #374151;")
        self.allocate_button = QPushButton("Allocate")
        self.allocate_button.setObjectName("allocate")
        self.allocate_button.setToolTip("Ctrl+Return (or Enter in the caseworker list)")
        self.allocate_button.setDefault(True)  # Enter on the date allocates too
        self.allocate_button.clicked.connect(lambda: self.allocate())
        self.status = QLabel()
        self.status.setObjectName("allocationStatus")
        self.status.setWordWrap(True)
        keys = QLabel(KEYS_TEXT)
        keys.setStyleSheet("color: #6b7280;")

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 4, 0)
        ll.addWidget(_heading("New referrals, oldest first"))
        ll.addWidget(self.queue_pages, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(4, 0, 0, 0)
        rl.addWidget(_heading("Caseworkers"))
        rl.addWidget(self.worker_pages, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([700, 580])
        splitter.setChildrenCollapsible(False)

        bottom = QHBoxLayout()
        bottom.addWidget(self.preview, 1)
        on_label = QLabel("Allocated on")
        on_label.setBuddy(self.date)
        bottom.addWidget(on_label)
        bottom.addWidget(self.date)
        bottom.addWidget(self.allocate_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.status)
        layout.addWidget(keys)
        QWidget.setTabOrder(self.queue, self.caseworkers)
        QWidget.setTabOrder(self.caseworkers, self.date)
        QWidget.setTabOrder(self.date, self.allocate_button)

        self.queue.selectionModel().selectionChanged.connect(lambda *_: self._referral_changed())
        self.caseworkers.selectionModel().selectionChanged.connect(lambda *_: self._update_preview())
        self.queue.entered.connect(self.focus_caseworkers)
        self.caseworkers.entered.connect(lambda: self.allocate())
        self.caseworkers.doubleClicked.connect(lambda _i: self.allocate())

        # The dialog is its own window, so the main window's shortcuts do not reach it.
        undo = feature.window.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = feature.window.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        allocate = QAction("Allocate", self)
        allocate.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        allocate.triggered.connect(lambda _=False: self.allocate())
        refresh = QAction("Refresh", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(lambda _=False: self.reload())
        self.addActions([undo, redo, allocate, refresh])

    # -- state -------------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Read the board again, keeping the selected referral (or ``select``), else its row."""
        keep = select or self.current_referral_id()
        row = self.queue.currentIndex().row()
        self.board = AllocationBoard.load(self.feature.window.caseload)
        self.date.setMaximumDate(QDate(self.board.today))
        self.queue_model.set_items(self.board.queue)
        self.summary.setText(self.board.summary())
        self.queue_pages.setCurrentWidget(self.queue if self.board.queue else self.empty)
        self.worker_pages.setCurrentWidget(self.caseworkers if self.board.caseworkers else self.no_workers)
        found = self.queue_model.row_for(keep) if keep else None
        if found is not None:
            self.queue.select_row(found)
        elif self.board.queue:
            self.queue.select_row(min(max(row, 0), len(self.board.queue) - 1))
        self._referral_changed()

    def current_referral(self) -> QueuedReferral | None:
        rows = self.queue.selectionModel().selectedRows()
        return self.queue_model.items[rows[0].row()] if rows else None

    def current_referral_id(self) -> str | None:
        return self.queue.current_value(QueueModel.ReferralIdRole)

    def current_caseworker_id(self) -> str | None:
        return self.caseworkers.current_value(CaseworkerModel.CaseworkerIdRole)

    def _referral_changed(self) -> None:
        referral, previous = self.current_referral(), self.worker_model.referral
        if referral is previous and self.board.caseworkers is self.worker_model.workers:
            return self._update_preview()
        # Another referral re-orders the caseworkers and its choice is a fresh decision; the same
        # referral read again (after a refused date, say) keeps the caseworker chosen.
        same = bool(referral and previous and referral.referral_id == previous.referral_id)
        keep = self.current_caseworker_id() if same else None
        self.worker_model.set_data(self.board.caseworkers, referral)
        row = self.worker_model.row_for(keep) if keep else None
        if row is not None:
            self.caseworkers.select_row(row)
        self._update_preview()

    def _update_preview(self) -> None:
        referral, worker = self.current_referral(), self.current_caseworker_id()
        row = self.worker_model.row_for(worker) if worker else None
        name = self.worker_model.rows[row][0].name if row is not None else None
        self.allocate_button.setEnabled(bool(referral and name))
        if referral is None:
            self.preview.setText("")
        elif name is None:
            self.preview.setText(
                f"<b>{_esc(referral.pupil_name)}</b> ({_esc(referral.school_name)}) → choose a caseworker"
            )
        else:
            self.preview.setText(
                f"<b>{_esc(referral.pupil_name)}</b> ({_esc(referral.school_name)}) → <b>{_esc(name)}</b>"
            )

    def focus_caseworkers(self) -> None:
        self.caseworkers.setFocus(Qt.FocusReason.TabFocusReason)
        self.caseworkers.ensure_current()

    def say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b91c1c;" if error else "color: #15803d; font-weight: 600;")
        self.status.setText(text)

    # -- allocating ----------------------------------------------------------------------------------
    def allocate(self) -> bool:
        """Allocate the selected referral to the selected caseworker on the chosen date."""
        referral_id, worker_id = self.current_referral_id(), self.current_caseworker_id()
        if referral_id is None:
            self.say("Choose a referral in the queue first.", error=True)
            return False
        if worker_id is None:
            self.say("Choose a caseworker for this referral (Tab to the caseworker list).", error=True)
            self.focus_caseworkers()
            return False
        if not self.feature.window.ensure_user_name():  # who allocates it, for the history
            return False
        try:
            self.feature.allocate(referral_id, worker_id, self.date.date().toPython())
        except StoreError as exc:  # ValidationError included: a date before the referral, say
            problems = getattr(exc, "problems", None)
            self.say(" ".join(problems.values()) if problems else str(exc), error=True)
            self.reload()
            return False
        self.queue.setFocus(Qt.FocusReason.OtherFocusReason)  # on to the next referral
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.queue.setFocus(Qt.FocusReason.OtherFocusReason)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WeeklyAllocation(QObject):
    """The weekly allocation feature of one main window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.screen: AllocationScreen | None = None
        self.action = window.add_action("team", "Weekly &allocation…", self.open, "Ctrl+Shift+W", "weeklyAllocation")
        # The screen lists pupils: it closes when the app locks.
        window.pages.currentChanged.connect(self._page_changed)

    def open(self) -> AllocationScreen:
        """Show the screen (one per window), read afresh with today's date."""
        if self.screen is None:
            self.screen = AllocationScreen(self, self.window)
        self.screen.date.setDate(QDate(self.window.caseload.today))
        self.screen.status.clear()
        self.screen.reload()
        self.screen.show()
        self.screen.raise_()
        self.screen.activateWindow()
        return self.screen

    def allocate(self, referral_id: str, caseworker_id: str, on: date) -> None:
        """Allocate a new referral as one undoable edit; raises ``StoreError`` if it cannot be.

        Only a referral still new is allocated here: one allocated meanwhile (in the main
        window, or by another lead's laptop through sync) is not silently reallocated.
        """
        store, caseload = self.window.store, self.window.caseload
        before = store.get("referral", referral_id)
        if before is None or before["status"] != "new":
            raise StoreError(
                "That referral is no longer new (it was allocated or closed elsewhere); the queue has been read again."
            )
        caseload.allocate(referral_id, caseworker_id, on)
        old, new = field_diff(before, store.get("referral", referral_id))
        pupil = store.get("pupil", before["pupil_id"])
        pupil_name = f"{pupil['first_name']} {pupil['last_name']}" if pupil else "the pupil"
        worker_name = store.get("caseworker", caseworker_id)["name"]
        step = FieldEdit(store, "referral", referral_id, old, new)
        # push() calls redo(), which (already applied) only refreshes the views
        self.window.undo_stack.push(
            CaseCommand(
                f"Allocate {pupil_name} to {worker_name}",
                [step],
                lambda: self._changed(referral_id, pupil_name, worker_name),
            )
        )

    def _changed(self, referral_id: str, pupil_name: str, worker_name: str) -> None:
        """After an allocation, its undo or its redo: refresh both windows and say what happened."""
        self.window.refresh()
        if self.screen is None or not self.screen.isVisible():
            return
        self.screen.reload(select=referral_id)
        referral = self.window.store.get("referral", referral_id)
        if referral and referral["status"] == "new":
            self.screen.say(f"Allocation undone: {pupil_name} is back in the queue.")
        else:
            self.screen.say(f"Allocated {pupil_name} to {worker_name} — contact the school within 24 hours")

    def _page_changed(self, _index: int) -> None:
        if self.window.locked and self.screen is not None:
            self.screen.close()


def install(window) -> None:
    """Add Team ▸ Weekly allocation… (Ctrl+Shift+W) to ``window`` (a ``MainWindow``); the
    feature object is kept as ``window.allocation``."""
    window.allocation = WeeklyAllocation(window)
