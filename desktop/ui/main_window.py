"""The main window: the caseload list, the case view, and the app's commands."""

from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyleOptionComboBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
    QDialogButtonBox,
)

from desktop.caseload import Caseload
from desktop.caseload import vocab
from desktop.config import Settings, save_settings
from desktop.dates import to_uk_datetime
from desktop.security import Unlocker, UnlockPin
from desktop.store import Store
from desktop.store.keys import KeyManager
from desktop.ui import dialogs
from desktop.ui.case_view import CaseView
from desktop.ui.caseload_model import OPEN, CaseloadModel
from desktop.ui.caseload_table import CaseloadTable
from desktop.ui.lock import IdleWatcher, LockController, LockScreen, PinDialog
from desktop.ui.tasks import StoreTasks
from desktop.ui.undo import CaseCommand, Creation, FieldEdit, field_diff
from desktop.ui.style import install as install_style, text_size

PAGE_CASES, PAGE_EMPTY, PAGE_LOCKED = 0, 1, 2
MINE = "me"  # the caseworker filter's value for "My cases"


class ShownChoiceBox(QComboBox):
    """A filter's choice box, as wide as the choice it shows ("All caseworkers", a school's
    whole name), never elided and never squeezed narrower; not as wide as its longest choice,
    which would crowd the filters beside it off a small screen."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.currentIndexChanged.connect(lambda _i: self.updateGeometry())

    def sizeHint(self) -> QSize:
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        fm = self.fontMetrics()
        text = QSize(fm.horizontalAdvance(self.currentText() or "x") + 2, max(fm.height(), 14) + 2)
        size = self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt, text, self)
        return size

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class MainWindow(QMainWindow):
    """``open_worker_store`` opens another connection to the store: ``self.tasks`` (the one
    store worker, see ``desktop.ui.tasks``) uses it for background work; tests swap its pools
    with ``window.tasks.use_pool``."""

    def __init__(
        self,
        store: Store,
        keys: KeyManager,
        settings: Settings,
        open_worker_store: Callable[[], Store],
        today: date | None = None,
        save_config: Callable[[Settings], None] = save_settings,
    ):
        super().__init__()
        install_style()  # the keyboard focus visible on every control (desktop/ui/style.py)
        self.store, self.keys, self.settings = store, keys, settings
        self.open_worker_store = open_worker_store
        self.tasks = StoreTasks(self._open_worker_store)
        self.save_config = save_config
        self.caseload = Caseload(store, today)
        self.undo_stack = QUndoStack(self)
        # An undo or redo that had to leave a field (changed elsewhere since) says so.
        self.undo_stack.indexChanged.connect(self._show_undo_note)
        self.observation_windows: list = []
        self.setMinimumSize(1000, 600)  # shrunk to a smaller screen by window_state.fit

        self.model = CaseloadModel(self.caseload, self)
        self.my_caseworker_id: str | None = None  # who "My cases" means (refresh finds out)
        self._build_filters()
        self._build_pages()
        self._build_actions()
        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label)

        self.idle = IdleWatcher(settings.idle_lock_minutes, self)
        self.idle.idle.connect(self.lock)
        # One controller locks every window; the passphrase, or in keyring mode a PIN, opens it.
        self.unlock_pin = UnlockPin(store)
        self.lock_control = LockController(
            Unlocker(keys.needs_passphrase, keys.verify_passphrase, self.unlock_pin), self
        )
        self.lock_control.locked_changed.connect(self._lock_changed)
        from PySide6.QtWidgets import QApplication

        QApplication.instance().installEventFilter(self.idle)
        from desktop.ui import allocation, assessments, attention, audit_window, documents, sync_ui

        assessments.install(self)  # assessments tab, New assessment…, Outcomes (means plot)…
        from desktop.ui import reports

        reports.install(self)  # Reports tab and New visit report (the visit report editor)
        documents.install(self)  # Documents tab: files attached to the case
        allocation.install(self)  # Team ▸ Weekly allocation…
        audit_window.install(self)  # Schools ▸ New school audit…, Open audit…
        from desktop.ui import observation_files

        observation_files.install(self)  # Case ▸ Export observation…, Import observation file…
        self.sync = sync_ui.install(self)  # Sync menu and the status-bar indicator
        self.sync.finished.connect(self.assessments.after_sync)  # packs from the server
        attention.install(self)  # Sync ▸ Needs attention… (conflicts, rejected changes, review)
        from desktop.ui import backup_ui

        backup_ui.install(self)  # File ▸ Back up…, and the unsent-changes reminder
        from desktop.ui import import_dialog

        import_dialog.install(self)  # File ▸ Import… (CSV and GIAS, mapped, checked, then written)
        self.refresh()
        from desktop.ui import window_state

        window_state.restore_main(self)  # fits the screen; size, splitter and filters as left

    # -- building ----------------------------------------------------------------------------
    def _build_filters(self) -> None:
        bar = QToolBar("Filters")
        bar.setObjectName("filters")
        bar.setMovable(False)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search pupils and schools  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search pupils and schools")
        # room to type a name; it gives way to the filters beside it on a narrow screen
        self.search.setMinimumWidth(24 * self.search.fontMetrics().averageCharWidth())
        self.search.textChanged.connect(lambda t: self._filter(text=t))
        self.status_filter = ShownChoiceBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.addItem("All statuses", None)
        self.status_filter.addItem("Open cases", OPEN)  # new, allocated or active: the default
        for value, label in vocab.REFERRAL_STATUSES.items():
            self.status_filter.addItem(label, value)
        self.status_filter.currentIndexChanged.connect(lambda: self._filter(status=self.status_filter.currentData()))
        self.school_filter = ShownChoiceBox()
        self.school_filter.setObjectName("schoolFilter")
        self.school_filter.currentIndexChanged.connect(lambda: self._filter(school_id=self.school_filter.currentData()))
        self.worker_filter = ShownChoiceBox()
        self.worker_filter.setObjectName("caseworkerFilter")
        self.worker_filter.currentIndexChanged.connect(lambda: self._filter(caseworker_id=self._worker_wanted()))
        bar.addWidget(self.search)
        for label, w in (
            ("Status", self.status_filter),
            ("School", self.school_filter),
            ("Caseworker", self.worker_filter),
        ):
            caption = QLabel(f"  {label} ")
            caption.setBuddy(w)  # a screen reader names the filter by its caption
            bar.addWidget(caption)
            bar.addWidget(w)
        self.addToolBar(bar)

    def _build_pages(self) -> None:
        self.pages = QStackedWidget()
        self.table = CaseloadTable(self.model)
        self.table.follow_search(self.search)  # Down and Enter lead from the search into the list
        self.table.opened.connect(self.open_from_list)
        self.table.setAccessibleName("Caseload")
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.no_match = QLabel()
        self.no_match.setObjectName("noMatch")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setStyleSheet("color: #6b7280; padding: 24px;")
        self.no_match.hide()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.no_match)
        self.case_view = CaseView()
        self.case_view.action.connect(self.case_action)
        self.case_view.timeline.doubleClicked.connect(self._timeline_activated)
        splitter = self.splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.case_view)
        splitter.setSizes([810, 540])  # in proportion: the list three fifths
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.pages.addWidget(splitter)

        empty = QWidget()
        empty.setObjectName("emptyState")
        column = QWidget()  # a readable measure, centred; its text wraps and grows downwards
        column.setMaximumWidth(40 * column.fontMetrics().averageCharWidth() + 240)
        box = QVBoxLayout(column)
        title = QLabel("Your caseload is empty")
        text_size(title, 1.65, bold=True)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setWordWrap(True)
        text = QLabel(
            "Add a school, a pupil and their referral to start, or load demo data to "
            "look around: fictional schools and pupils in the invented borough of "
            "Ashbridge, never synced."
        )
        text.setObjectName("emptyExplanation")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        self.demo_button = QPushButton("Load demo data")
        self.demo_button.setObjectName("loadDemo")
        self.demo_button.clicked.connect(lambda: self.load_demo())
        start = QPushButton("Add a school…")
        start.clicked.connect(lambda: self.new_school())
        row.addStretch()
        row.addWidget(self.demo_button)
        row.addWidget(start)
        row.addStretch()
        box.addWidget(title)
        box.addWidget(text)
        box.addLayout(row)
        across = QHBoxLayout()
        across.addStretch(1)
        across.addWidget(column, 4)
        across.addStretch(1)
        outer = QVBoxLayout(empty)
        outer.addStretch()
        outer.addLayout(across)
        outer.addStretch()
        self.pages.addWidget(empty)

        locked_page = QWidget()  # under the lock's cover: nothing of the caseload
        locked_page.setObjectName("lockedPage")
        self.pages.addWidget(locked_page)
        self.setCentralWidget(self.pages)

    # -- the features' API: menus, commands and case tabs -------------------------------------
    #: The menu bar's menus by key, in the order they stand; their titles are written here once.
    MENUS = {
        "file": "&File",
        "edit": "&Edit",
        "case": "&Case",
        "schools": "Sc&hools",
        "view": "&View",
        "reports": "&Reports",
        "team": "&Team",
        "sync": "&Sync",
    }

    def menu(self, key: str) -> QMenu:
        """The menu bar's menu ``key`` (one of ``MENUS``), made in its place on first use."""
        if key not in self._menus:
            title = self.MENUS[key]  # an unknown key is a programming error: KeyError
            menu = QMenu(title, self)
            menu.setObjectName(f"{key}Menu")
            order = list(self.MENUS)
            later = [k for k in order[order.index(key) + 1 :] if k in self._menus]
            before = self._menus[later[0]] if later else None
            if before is None:
                self.menuBar().addMenu(menu)
            else:
                self.menuBar().insertMenu(before.menuAction(), menu)
            self._menus[key] = menu
        return self._menus[key]

    def add_action(
        self,
        menu: str,
        text: str,
        slot: Callable[[], object],
        shortcut=None,
        name: str | None = None,
        *,
        new_group: bool = False,
    ) -> QAction:
        """Add a command to menu ``menu`` (a ``MENUS`` key) and to the window, so its shortcut
        works anywhere in the window and the lock disables it with every other command.
        ``new_group`` puts a separator before it (a feature's first command in a shared menu)."""
        target = self.menu(menu)
        if new_group:
            target.addSeparator()
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        if name:
            action.setObjectName(name)
        target.addAction(action)
        self.addAction(action)
        return action

    def add_case_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab to the case view (beside Timeline and History); returns its index.
        Follow the case shown with ``case_view.case_changed``."""
        return self.case_view.tabs.addTab(widget, title)

    def run_dialog(self, dialog) -> object | None:
        """Show a record dialog modally; its ``result_value`` if saved, else None. The user's
        name is asked for first if not yet known (``ensure_user_name``).
        (Tests replace this to fill and save dialogs without ``exec()``.)"""
        if not self.ensure_user_name():
            return None
        return dialog.result_value if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ensure_user_name(self) -> bool:
        """Before an edit: the name the activity log records, from Settings, the signed-in
        account, or asked for (``desktop.ui.user_name``). False: none given, make no edit."""
        from desktop.ui.user_name import ensure_user_name

        return ensure_user_name(self)

    def _open_worker_store(self) -> Store:
        """The store worker's connection, recording the same person as this window's."""
        store = self.open_worker_store()
        store.actor, store.actor_named = self.store.actor, self.store.actor_named
        return store

    def _build_actions(self) -> None:
        self._menus: dict[str, QMenu] = {}
        add = self.add_action
        add("file", "New &referral…", self.new_referral, "Ctrl+N", "newReferral")
        add("file", "New &pupil…", self.new_pupil, "Ctrl+Shift+P", "newPupil")
        add("file", "New &school…", self.new_school, "Ctrl+Shift+S", "newSchool")
        add("file", "Log helpline &call…", self.log_call, "Ctrl+Shift+H")
        self.demo_action = add("file", "Load &demo data…", self.load_demo, new_group=True)
        # An explicit sequence: the platform Preferences sequence is empty on Linux and Windows.
        add("file", "Se&ttings…", self.open_settings, "Ctrl+,", "openSettings")
        add("file", "&Lock now", self.lock, "Ctrl+L", "lockNow")
        add("file", "&Quit", self.close, QKeySequence.StandardKey.Quit, new_group=True)
        edit = self.menu("edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addActions([undo, redo])
        self.addActions([undo, redo])
        add("edit", "&Find…", self.focus_search, QKeySequence.StandardKey.Find)
        add("case", "&Observe a lesson…", self.observe, "Ctrl+Shift+O", "observe")
        add("case", "Coding &schemes…", self.edit_schemes)
        add("case", "Add &visit…", lambda: self.case_action("visit"), "Ctrl+Shift+V")
        add("case", "&Allocate…", lambda: self.case_action("allocate"), "Ctrl+Shift+A")
        add("case", "New &Pastoral Support Plan…", lambda: self.case_action("plan"))
        add("case", "Edit &referral…", lambda: self.case_action("edit_referral"), "Ctrl+E")
        add("case", "Edit p&upil…", lambda: self.case_action("edit_pupil"))
        add("case", "Edit &school…", lambda: self.case_action("edit_school"))
        add("case", "&Close case…", lambda: self.case_action("close"))
        add("view", "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh)
        add("view", "Clear &filters", self.clear_filters, "Ctrl+Shift+F")

    # -- state -------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Reload the caseload from the store, keeping (or moving to) a selection."""
        select = select or self.current_referral_id()
        self.model.reload()
        self._fill_combo(self.school_filter, "All schools", [(s["id"], s["name"]) for s in self.caseload.schools()])
        self.my_caseworker_id = self._who_am_i()
        self._fill_combo(
            self.worker_filter,
            "All caseworkers",
            ([(MINE, "My cases")] if self.my_caseworker_id else [])
            + [(c["id"], c["name"]) for c in self.caseload.caseworkers()],
        )
        self.model.set_filter(
            school_id=self.school_filter.currentData(), caseworker_id=self._worker_wanted()
        )  # a choice that has gone
        demo = self.store.meta("demo") == "1"
        self.setWindowTitle(f"Fieldnote — {self.settings.service_name}" + ("  (demo data)" if demo else ""))
        if self.pages.currentIndex() != PAGE_LOCKED:
            self.pages.setCurrentIndex(PAGE_CASES if self.model.total else PAGE_EMPTY)
        self._after_filter()
        if select and self.select_referral(select):
            shown = self.case_view.case
            if shown and shown["referral"]["id"] == select:  # redraw what an edit changed
                self.show_case(select, record_view=False)
        elif self.case_view.case and self.model.row_for(self.case_view.case["referral"]["id"]) is None:
            # the case left this laptop (reallocated elsewhere) or the filters now hide it
            self.case_view.clear()
        self.update_sync_status()

    def _fill_combo(self, combo: QComboBox, all_label: str, items) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(all_label, None)
        for value, label in items:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)

    def _who_am_i(self) -> str | None:
        """The caseworker "My cases" means: the signed-in account's, else the one named as
        the user is in Settings; None if neither is known."""
        from sync.client.permissions import signed_in

        user = signed_in(self.store)
        if user is not None and user.caseworker_id:
            return user.caseworker_id
        return self.caseload.caseworker_named(self.settings.practitioner_name)

    def _worker_wanted(self) -> str | None:
        chosen = self.worker_filter.currentData()
        return self.my_caseworker_id if chosen == MINE else chosen

    def _filter(self, **kw) -> None:
        selected = self.current_referral_id() or (self.case_view.case or {}).get("referral", {}).get("id")
        self.model.set_filter(**kw)
        self._after_filter()
        if selected and not self.select_referral(selected):
            self.case_view.clear()  # the case shown is not in the list any more

    def open_from_list(self, referral_id: str) -> None:
        """Enter in the search box or on a row: the case in the case view."""
        shown = self.case_view.case
        if shown is None or shown["referral"]["id"] != referral_id:
            self.show_case(referral_id)

    def _after_filter(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(f"{shown:,} of {total:,} cases" if shown != total else f"{total:,} cases")
        if total and not shown:
            what = f"“{self.model.text}”" if self.model.text else "these filters"
            self.no_match.setText(f"No cases match {what}. Press Ctrl+Shift+F to clear the filters.")
            self.no_match.show()
        else:
            self.no_match.hide()

    def clear_filters(self) -> None:
        self.search.clear()
        for combo in (self.status_filter, self.school_filter, self.worker_filter):
            combo.setCurrentIndex(0)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def update_sync_status(self) -> None:
        if hasattr(self, "sync"):  # not yet while the window is being built
            self.sync.update_status()

    # -- selection -------------------------------------------------------------------------------
    def current_referral_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(CaseloadModel.ReferralIdRole) if index.isValid() else None

    def select_referral(self, referral_id: str) -> bool:
        row = self.model.row_for(referral_id)
        if row is None:
            return False
        self.table.setCurrentIndex(self.model.index(row, 0))
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _row_changed(self, current: QModelIndex, _previous=None) -> None:
        if not current.isValid():
            self.case_view.clear()
            return
        referral_id = current.data(CaseloadModel.ReferralIdRole)
        shown = self.case_view.case
        if shown is None or shown["referral"]["id"] != referral_id:  # not on re-selection after a filter
            self.show_case(referral_id)

    def show_case(self, referral_id: str, record_view: bool = True) -> None:
        self.case_view.show_case(self.caseload.open_case(referral_id, record_view=record_view), self.caseload.today)

    # -- commands --------------------------------------------------------------------------------
    def new_school(self) -> None:
        if self.run_dialog(dialogs.school_dialog(self.caseload, self)):
            self.refresh()

    def new_pupil(self) -> None:
        if not self.caseload.schools():
            QMessageBox.information(self, "Add a school first", "A pupil belongs to a school: add the school first.")
            return self.new_school()
        pupil_id = self.run_dialog(dialogs.pupil_dialog(self.caseload, self))
        if (
            pupil_id
            and QMessageBox.question(self, "New referral", "Add a referral for this pupil now?")
            == QMessageBox.StandardButton.Yes
        ):
            self.new_referral(pupil_id)

    def new_referral(self, pupil_id: str | None = None) -> None:
        if not self.caseload.pupils():
            QMessageBox.information(self, "Add a pupil first", "A referral is for a pupil: add the pupil first.")
            return self.new_pupil()
        referral_id = self.run_dialog(dialogs.referral_dialog(self.caseload, self, pupil_id))
        if referral_id:
            self.clear_filters()
            self.refresh(select=referral_id)

    def log_call(self) -> None:
        case = self.case_view.case
        if self.run_dialog(dialogs.call_dialog(self.caseload, self, case["referral"] if case else None)):
            self.refresh()

    def case_action(self, action: str) -> None:
        """Act on the selected case, recording what changed on the undo stack."""
        referral_id = self.current_referral_id()
        if referral_id is None:
            self.statusBar().showMessage("Select a case first.", 4000)
            return
        if action == "observe":
            return self.observe()
        before = self.store.get("referral", referral_id)
        pupil_before = self.store.get("pupil", before["pupil_id"])
        school_before = self.store.get("school", before["school_id"])
        makers = {
            "visit": ("Add visit", "visit", lambda: dialogs.visit_dialog(self.caseload, referral_id, self)),
            "allocate": ("Allocate", None, lambda: dialogs.allocate_dialog(self.caseload, referral_id, self)),
            "plan": ("New PSP", "support_plan", lambda: dialogs.support_plan_dialog(self.caseload, referral_id, self)),
            "call": ("Log call", "helpline_call", lambda: dialogs.call_dialog(self.caseload, self, before)),
            "close": ("Close case", None, lambda: dialogs.close_dialog(self.caseload, referral_id, self)),
            "edit_pupil": ("Edit pupil", None, lambda: dialogs.pupil_dialog(self.caseload, self, pupil=pupil_before)),
            "edit_referral": (
                "Edit referral",
                None,
                lambda: dialogs.edit_referral_dialog(self.caseload, referral_id, self),
            ),
            "edit_school": (
                "Edit school",
                None,
                lambda: dialogs.school_dialog(self.caseload, self, school=school_before),
            ),
        }
        text, created_entity, make = makers[action]
        result = self.run_dialog(make())
        if result is None:
            return
        steps: list = []
        for entity, record_id, old in (
            ("referral", referral_id, before),
            ("pupil", before["pupil_id"], pupil_before),
            ("school", before["school_id"], school_before),
        ):
            old_fields, new_fields = field_diff(old, self.store.get(entity, record_id))
            if new_fields:
                steps.append(FieldEdit(self.store, entity, record_id, old_fields, new_fields))
        if created_entity and isinstance(result, str):
            steps.append(Creation(self.store, created_entity, result))
        # push() calls redo(), which (already applied) only refreshes the view
        self.undo_stack.push(CaseCommand(text, steps, lambda: self.refresh(select=referral_id)))
        if action == "close" and hasattr(self, "reports"):
            self.reports.offer_satisfaction_survey(referral_id)  # the school's survey at closure

    def _show_undo_note(self, _index: int) -> None:
        from desktop.ui.undo import take_notes

        notes = take_notes()
        if notes:
            self.statusBar().showMessage(" ".join(notes), 20000)
            screen = getattr(getattr(self, "allocation", None), "screen", None)
            if screen is not None and screen.isVisible():  # Ctrl+Z pressed there
                screen.say(" ".join(notes))

    # -- classroom observation ----------------------------------------------------------------------
    def observe(self, clock=None):
        """Set up and start recording an observation of the selected case's pupil."""
        from desktop.ui.observation_window import start_observation

        referral_id = self.current_referral_id()
        if referral_id is None:
            self.statusBar().showMessage("Select a case first.", 4000)
            return None
        case = self.caseload.open_case(referral_id, record_view=False)
        if case["referral"]["status"] == "closed":
            self.statusBar().showMessage("This case is closed.", 4000)
            return None
        return start_observation(self, case, clock)

    def edit_schemes(self) -> None:
        from desktop.observation.library import SchemeLibrary
        from desktop.ui.scheme_editor import SchemeEditor

        SchemeEditor(SchemeLibrary(self.store), self).exec()

    def offer_resume(self, clock=None) -> list:
        """After a crash or kill: offer to carry on each observation left recording."""
        if not self.caseload.observations_left_recording():
            return []  # the usual start: nothing to import, nothing to reload
        from desktop.observation.store_repository import StoreObservationRepository
        from desktop.ui.observation_window import resume_observation

        resumed = []
        for row in StoreObservationRepository(self.store).unfinished():
            answer = QMessageBox.question(
                self,
                "Resume observation",
                f"An observation ({row['lesson'] or 'lesson'}, started "
                f"{to_uk_datetime(row['started_at'])}) was interrupted. Carry on recording? Every "
                "interval coded so far is kept; the time the app was closed is marked as a gap.\n\n"
                "Choose No to end it where it stopped.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                resumed.append(resume_observation(self, row["id"], clock))
            else:
                from desktop.observation.engine import ObservationEngine, SystemClock

                repo = StoreObservationRepository(self.store)
                engine = ObservationEngine.resume(repo.events(row["id"]), sink=repo.sink, clock=clock or SystemClock())
                engine.end()
        self.refresh()
        return resumed

    def _timeline_activated(self, index) -> None:
        if index.data(CaseView.TimelineKindRole) == "observation":
            from desktop.ui.observation_window import open_observation, resume_observation

            observation_id = index.data(CaseView.TimelineIdRole)
            row = self.store.get("observation", observation_id)
            if row["status"] == "recording":
                return resume_observation(self, observation_id)
            return open_observation(self, observation_id)
        if index.data(CaseView.TimelineKindRole) == "visit":
            visit = self.store.get("visit", index.data(CaseView.TimelineIdRole))
            referral_id = self.current_referral_id()
            old = dict(visit)
            if self.run_dialog(dialogs.visit_dialog(self.caseload, referral_id, self, visit=visit)):
                old_fields, new_fields = field_diff(old, self.store.get("visit", visit["id"]))
                step = FieldEdit(self.store, "visit", visit["id"], old_fields, new_fields)
                self.undo_stack.push(CaseCommand("Edit visit", [step], lambda: self.refresh(select=referral_id)))

    # -- demo data ----------------------------------------------------------------------------------
    def load_demo(self, pupils: int = 60) -> None:
        """Fill the store with demo data on a worker thread, with progress."""
        if self.model.total and self.store.meta("demo") != "1":
            QMessageBox.warning(
                self,
                "Demo data",
                "Demo data can only be added to an empty store or to a demo store, so it never mixes with real cases.",
            )
            return
        if not self.ensure_user_name():  # the demo records' history says who added them
            return
        progress = QProgressDialog("Adding demo data…", None, 0, 100, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        self.demo_button.setEnabled(False)
        today = self.caseload.today

        def work(store, report):
            from desktop.demo import fill_demo

            return fill_demo(Caseload(store, today), pupils, progress=lambda d, t: report(d, t))

        def done(counts, error):
            progress.close()
            self.demo_button.setEnabled(True)
            if error:
                QMessageBox.critical(self, "Demo data", f"Demo data could not be added: {error}")
            self.refresh()
            if counts:
                self.statusBar().showMessage(
                    f"Added {counts['pupil']} pupils and {counts['referral']} referrals (demo).", 6000
                )
            self.demo_done = counts or error

        self.demo_done = None
        self.tasks.write(work, done, lambda d, t: (progress.setMaximum(t), progress.setValue(d)))

    def check_store_in_background(self) -> None:
        """Verify every page of the store after start, without delaying it; warn if damaged."""

        def work(store):
            return store.damaged_pages()

        def done(damaged, error):
            self.store_check = damaged if error is None else error
            if damaged or error:
                QMessageBox.warning(
                    self,
                    "Your data may be damaged",
                    "Fieldnote found damage in its data file. Keep working only if you must, make "
                    "a copy of the data folder now, and contact your service's IT lead. Nothing "
                    f"has been changed.\n\n{error or f'{len(damaged)} damaged page(s)'}",
                )

        self.store_check = None
        self.tasks.read(work, done)  # reads every page; writes nothing

    def stop_background_work(self) -> None:
        """No new syncs; let running work finish (up to 30 s) and close the worker's store."""
        self.sync.stop()
        self.tasks.close(30_000)

    def closeEvent(self, event) -> None:
        from desktop.ui import window_state

        window_state.save_main(self)
        self.sync.stop()
        self.tasks.close()  # work under way finishes (as at quit); the worker's store closes
        self.idle.timer.stop()
        self.lock_control.stop()
        super().closeEvent(event)

    # -- settings and lock ------------------------------------------------------------------------------
    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            self,
            self.unlock_pin,
            pin_needed=not self.keys.needs_passphrase(),
            keys=self.keys,
            tasks=self.tasks,
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            moved = dialog.settings.data_dir != self.settings.data_dir
            self.settings = dialog.settings
            self.save_config(self.settings)
            self.idle.minutes = self.settings.idle_lock_minutes
            if self.settings.practitioner_name:
                from desktop.ui.user_name import set_user_name

                set_user_name(self, self.settings.practitioner_name)
            self.refresh()
            if moved:
                QMessageBox.information(
                    self,
                    "Data folder",
                    "Fieldnote will use the new data folder from its next start. Existing data stays where it is.",
                )

    def lock(self) -> None:
        """Lock every window (windows listing pupils close first, on the page change)."""
        if self.pages.currentIndex() == PAGE_LOCKED:
            return
        self.case_view.clear()
        self._set_commands_enabled(False)
        self.pages.setCurrentIndex(PAGE_LOCKED)
        self.lock_control.lock()

    @property
    def lock_screen(self) -> LockScreen | None:
        """The lock's cover over this window (None when unlocked)."""
        return self.lock_control.cover_of(self)

    def protect_at_start(self) -> None:
        """Keyring mode: the keyring opened the store without a question, so a PIN, if set,
        is asked for at once; with none set, offer (after start) to set one."""
        method = self.lock_control.unlocker.method()
        if method == "pin":
            self.lock()
        elif method == "none":
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, self.offer_pin)

    def offer_pin(self) -> bool:
        """Ask a keyring-mode user with no PIN to set one; True if they did."""
        if self.lock_control.unlocker.method() != "none" or self.locked:
            return False
        answer = QMessageBox.question(
            self,
            "Set an unlock PIN",
            "Fieldnote locks itself when this laptop is left idle. Here its data is opened by "
            "your computer account's keyring, which proves nothing on a laptop left logged in, "
            "so a PIN opens the lock (and is asked for each time Fieldnote starts). Without "
            "one, the lock can only be left by quitting.\n\nSet a PIN now? (Settings can do "
            "it later.)",
        )
        return answer == QMessageBox.StandardButton.Yes and self.set_pin()

    def set_pin(self) -> bool:
        """Set or change the unlock PIN; True if a new one was kept."""
        return PinDialog(self.unlock_pin, self).exec() == QDialog.DialogCode.Accepted

    def _set_commands_enabled(self, enabled: bool) -> None:
        """Menus, toolbars and every shortcut: none may reach the data while locked."""
        self.menuBar().setEnabled(enabled)
        for bar in self.findChildren(QToolBar):
            bar.setEnabled(enabled)
        for action in self.actions():
            action.setEnabled(enabled)

    def unlock(self) -> None:
        """Unlock every window at once (as the lock controller does when the passphrase or
        PIN typed on any window's lock screen is right)."""
        if self.lock_control.locked:
            self.lock_control.unlock()  # emits locked_changed(False): _lock_changed
        else:
            self._after_unlock()

    def _lock_changed(self, locked: bool) -> None:
        if not locked:
            self._after_unlock()

    def _after_unlock(self) -> None:
        self.idle.last_input = self.idle.clock()
        self._set_commands_enabled(True)
        self.pages.setCurrentIndex(PAGE_CASES if self.model.total else PAGE_EMPTY)
        self.refresh()

    @property
    def locked(self) -> bool:
        return self.pages.currentIndex() == PAGE_LOCKED


class SettingsDialog(QDialog):
    """Every setting; ``pin`` (with ``pin_needed`` in keyring mode) adds the unlock PIN row;
    ``keys`` the Data protection row, whose change runs on ``tasks`` (the window's)."""

    def __init__(
        self,
        settings: Settings,
        parent=None,
        pin: UnlockPin | None = None,
        pin_needed: bool = False,
        keys: KeyManager | None = None,
        tasks=None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self.settings = Settings(**{k: getattr(settings, k) for k in settings.__dataclass_fields__})
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # large text: under the label
        self.service = QLineEdit(settings.service_name)
        self.service.setObjectName("serviceName")
        self.name = QLineEdit(settings.practitioner_name)
        self.minutes = QSpinBox()
        self.minutes.setObjectName("idleMinutes")
        self.minutes.setRange(1, 120)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(settings.idle_lock_minutes)
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(settings.data_dir)
        self.folder.setPlaceholderText("the standard folder for your account")
        self.folder.setAccessibleName(Settings.TITLES["data_dir"])
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row.addWidget(self.folder)
        folder_row.addWidget(browse)
        logo_row = QHBoxLayout()
        self.logo = QLineEdit(settings.logo_path)
        self.logo.setObjectName("logoPath")
        self.logo.setAccessibleName(Settings.TITLES["logo_path"])
        self.logo.setPlaceholderText("none")
        logo_browse = QPushButton("Browse…")
        logo_browse.clicked.connect(self._browse_logo)
        logo_row.addWidget(self.logo)
        logo_row.addWidget(logo_browse)
        self.marking = QLineEdit(settings.protective_marking)
        self.marking.setObjectName("protectiveMarking")
        self.initials = QCheckBox()
        self.initials.setObjectName("initialsInFileNames")
        self.initials.setChecked(settings.initials_in_file_names)
        t = Settings.TITLES
        form.addRow(t["service_name"], self.service)
        form.addRow(t["practitioner_name"], self.name)
        form.addRow(t["idle_lock_minutes"], self.minutes)
        form.addRow(t["data_dir"], folder_row)
        form.addRow(t["logo_path"], logo_row)
        form.addRow(t["protective_marking"], self.marking)
        form.addRow(t["initials_in_file_names"], self.initials)
        self.keys, self.tasks = keys, tasks
        if keys is not None:  # how the store is protected (set at first run)
            from desktop.ui.protection import describe

            protection_row = QHBoxLayout()
            self.protection = QLabel(describe(keys))
            self.protection.setObjectName("protection")
            change = QPushButton("Change…")
            change.setObjectName("changeProtection")
            change.clicked.connect(self._change_protection)
            protection_row.addWidget(self.protection, 1)
            protection_row.addWidget(change)
            form.addRow("Data protection", protection_row)
        self.pin = pin
        if pin is not None:
            pin_row = QHBoxLayout()
            self.pin_state = QLabel()
            self.pin_state.setObjectName("pinState")
            self.pin_button = QPushButton()
            self.pin_button.setObjectName("setPin")
            self.pin_button.clicked.connect(self._set_pin)
            pin_row.addWidget(self.pin_state, 1)
            pin_row.addWidget(self.pin_button)
            form.addRow("Unlock PIN", pin_row)
            self.setMinimumWidth(640)  # room for the PIN's state beside its button
            self.pin_needed = pin_needed
            self._show_pin_state()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def showEvent(self, event) -> None:
        if not event.spontaneous():
            from desktop.ui import window_state

            window_state.grow_to_contents(self)
        super().showEvent(event)

    def _show_pin_state(self) -> None:
        is_set = self.pin.is_set()
        self.pin_button.setText("Change PIN…" if is_set else "Set PIN…")
        if is_set:
            text = "Set: it opens the lock, and is asked for at start."
        elif self.pin_needed:
            text = "Not set. Needed: without one the lock can only be quit."
        else:
            text = "Not needed: your passphrase opens the lock."
        self.pin_state.setText(text)
        self.pin_state.setToolTip(
            "Your computer account's keyring opens Fieldnote's data without a question, which "
            "proves nothing on a laptop left logged in: the PIN is what opens the idle lock."
            if self.pin_needed
            else ""
        )
        self.pin_button.setVisible(is_set or self.pin_needed)

    def _change_protection(self) -> None:
        from desktop.ui.protection import ProtectionDialog, describe

        ProtectionDialog(self.keys, self, (self.name.text(), self.service.text()), tasks=self.tasks).exec()
        self.protection.setText(describe(self.keys))
        if self.pin is not None:
            self.pin_needed = not self.keys.needs_passphrase()
            self._show_pin_state()

    def _set_pin(self) -> None:
        PinDialog(self.pin, self).exec()
        self._show_pin_state()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _browse_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Logo on reports", self.logo.text(), "Images (*.png *.jpg *.jpeg)")
        if path:
            self.logo.setText(path)

    def _save(self) -> None:
        self.settings.logo_path = self.logo.text().strip()
        self.settings.protective_marking = self.marking.text().strip() or Settings.protective_marking
        self.settings.initials_in_file_names = self.initials.isChecked()
        self.settings.service_name = self.service.text().strip() or Settings.service_name
        self.settings.practitioner_name = self.name.text().strip()
        self.settings.idle_lock_minutes = self.minutes.value()
        self.settings.data_dir = self.folder.text().strip()
        self.accept()
