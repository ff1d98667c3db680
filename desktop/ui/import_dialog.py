"""File ▸ Import…: a service's existing records from CSV (issue 12, item 7).

Choose the file and what it holds (schools from a GIAS extract, pupils, open referrals or
caseworkers); for a GIAS extract, the local authority whose open schools to take; for the
others, which of the file's columns holds each field (a first guess is made from the
headings). *Check* is the dry run: what would be created, updated, left and refused, every
refused row with its line and reason. *Import* writes it in one transaction on the store
worker (nothing half-imported; the same file again changes nothing). The rules are the
core's (``desktop.caseload.importer``); this module holds widgets only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.caseload import importer
from desktop.store import StoreError

NOT_IN_FILE = "(not in the file)"


class ImportDialog(QDialog):
    """Choose, map, check (dry run), import. ``result_value``: the counts written, once."""

    def __init__(self, window, parent=None):
        super().__init__(parent or window)
        self.window_ = window
        self.setWindowTitle("Import records")
        self.setObjectName("importDialog")
        self.result_value = None
        self.heading: list[str] = []
        self.plan: importer.Plan | None = None
        self.checked: tuple | None = None  # what the shown dry run was made for
        self.running = False
        self.combos: dict[str, QComboBox] = {}

        self.kind = QComboBox()
        self.kind.setObjectName("importKind")
        for key, label in importer.KINDS.items():
            self.kind.addItem(label, key)
        self.path = QLineEdit()
        self.path.setObjectName("importFile")
        self.path.setPlaceholderText("A CSV file")
        self.path.editingFinished.connect(self.load_file)
        choose = QPushButton("&Choose…")
        choose.setObjectName("chooseFile")
        choose.clicked.connect(lambda: self.choose_file())
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(choose)
        self.authority = QComboBox()
        self.authority.setObjectName("importAuthority")
        self.authority.setEditable(True)  # a code typed in, should the extract not say
        self.authority.setMinimumWidth(280)
        self.authority.currentIndexChanged.connect(self._changed)
        self.authority.editTextChanged.connect(self._changed)
        top = QFormLayout()
        top.addRow("&What", self.kind)
        file_label = QLabel("&File")
        file_label.setBuddy(self.path)
        top.addRow(file_label, file_row)
        top.addRow("Local &authority", self.authority)
        self.authority_label = top.labelForField(self.authority)
        self.gias_note = QLabel(
            "A “Get Information about Schools” extract from the Department for Education "
            "(CSV, as downloaded). The open schools of the chosen local authority are "
            "imported and matched to the schools already here by URN; closed schools and "
            "other authorities' are skipped."
        )
        self.gias_note.setObjectName("giasNote")
        self.gias_note.setWordWrap(True)
        self.gias_note.setStyleSheet("color: #4b5563;")

        self.columns_box = QGroupBox("Columns of the file")
        self.columns_form = QFormLayout()
        self.columns_note = QLabel()
        self.columns_note.setWordWrap(True)
        self.columns_note.setStyleSheet("color: #4b5563;")
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(self.columns_note)
        inner_layout.addLayout(self.columns_form)
        inner_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        box_layout = QVBoxLayout(self.columns_box)
        box_layout.setContentsMargins(6, 6, 6, 6)
        box_layout.addWidget(scroll)

        self.summary = QLabel("Choose a file, then Check to see what importing it would do.")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refusals = QListWidget()
        self.refusals.setObjectName("importRefusals")
        self.refusals.setAlternatingRowColors(True)
        self.refusals.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setVisible(False)
        self.leave_out = QCheckBox("Import the other rows, leaving out those refused")
        self.leave_out.setObjectName("leaveOutRefused")
        self.leave_out.setVisible(False)
        self.leave_out.toggled.connect(self._update_buttons)

        self.check_button = QPushButton("C&heck (dry run)")
        self.check_button.setObjectName("dryRun")
        self.check_button.clicked.connect(lambda: self.dry_run())
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(lambda: self.do_import())
        close = QPushButton("Close")
        close.setObjectName("closeImport")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.gias_note)
        layout.addWidget(self.columns_box, 3)
        layout.addWidget(self.summary)
        layout.addWidget(self.refusals, 2)
        layout.addWidget(self.leave_out)
        layout.addStretch(0)  # takes the room when neither the columns nor a list are shown
        layout.addLayout(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.resize(640, 620)
        self._kind_changed()

    # -- what is chosen ----------------------------------------------------------------------
    def current_kind(self) -> str:
        return self.kind.currentData()

    def set_kind(self, kind: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def la_code(self) -> str:
        index = self.authority.currentIndex()
        if index >= 0 and self.authority.itemText(index) == self.authority.currentText():
            return self.authority.itemData(index) or ""
        return self.authority.currentText().strip()  # typed in

    def mapping(self) -> dict[str, str]:
        """The field -> column mapping as the combos show it."""
        return {target: combo.currentText() for target, combo in self.combos.items() if combo.currentIndex() > 0}

    def set_mapping(self, mapping: dict[str, str]) -> None:
        for target, combo in self.combos.items():
            index = combo.findText(mapping[target]) if target in mapping else 0
            combo.setCurrentIndex(max(0, index))

    def _key(self) -> tuple:
        return (self.current_kind(), self.path.text().strip(), self.la_code(), tuple(sorted(self.mapping().items())))

    # -- the file ----------------------------------------------------------------------------
    def choose_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import records from", str(Path.home()), "CSV files (*.csv);;All files (*)"
            )
            if not path:
                return
        self.path.setText(path)
        self.load_file()

    def load_file(self) -> None:
        """Read the file's headings (and a GIAS extract's authorities) to offer them."""
        path = self.path.text().strip()
        self.heading = []
        self.authority.clear()
        self._clear_result()
        if not path:
            self._build_columns()
            return
        try:
            self.heading, _rows = importer.read_csv(path)
            if self.current_kind() == "school":
                for code, name, count in importer.gias_authorities(path):
                    self.authority.addItem(f"{name} ({code}): {count:,} open schools", code)
        except (importer.ImportRefused, OSError) as exc:
            self._say(str(exc), error=True)
        self._build_columns()

    def _kind_changed(self) -> None:
        school = self.current_kind() == "school"
        self.authority.setVisible(school)
        self.authority_label.setVisible(school)
        self.gias_note.setVisible(school)
        self.columns_box.setVisible(not school)
        if self.path.text().strip():
            self.load_file()
        else:
            self._build_columns()
            self._clear_result()

    def _build_columns(self) -> None:
        while self.columns_form.rowCount():
            self.columns_form.removeRow(0)
        self.combos = {}
        kind = self.current_kind()
        if kind == "school":
            return
        required = importer.required_fields(kind)
        guess = importer.guess_mapping(kind, self.heading)
        note = (
            "Fields marked * must come from a column. A first guess is made from the file's headings: check each one."
        )
        if kind == "referral":
            note += (
                " The pupil is found by UPN, or else by first name, last name and date of "
                "birth; the school is the pupil's unless a column gives its URN."
            )
        if not self.heading:
            note = "Choose a file to match its columns to the record's fields."
        self.columns_note.setText(note)
        for target in importer.TARGETS[kind]:
            combo = QComboBox()
            combo.setObjectName(f"column_{target}")
            combo.addItem(NOT_IN_FILE)
            combo.addItems(self.heading)
            if target in guess:
                combo.setCurrentIndex(combo.findText(guess[target]))
            combo.currentIndexChanged.connect(self._changed)
            label = importer.FIELD_LABELS.get(target, target)
            self.columns_form.addRow(f"{label}{' *' if target in required else ''}", combo)
            self.combos[target] = combo
        self._update_buttons()

    # -- the dry run and the import ----------------------------------------------------------
    def _problem(self) -> str | None:
        """Why nothing can be checked yet, in words (or None)."""
        path = self.path.text().strip()
        if not path:
            return "Choose the file to import."
        kind = self.current_kind()
        if kind == "school":
            return None if self.la_code() else "Choose the local authority whose schools to import."
        if not self.heading:
            return "The file has no headings to match to fields."
        try:
            importer.load_mapping(kind, self.mapping(), self.heading)
        except importer.ImportRefused as exc:
            return str(exc).replace(" Nothing has been imported.", "")
        return None

    def dry_run(self) -> None:
        """Plan the import on a read-only connection (writes nothing) and show it."""
        problem = self._problem()
        if problem:
            self._say(problem, error=True)
            return
        key = self._key()
        kind, path, la_code, mapping = key[0], key[1], key[2], dict(key[3])

        def work(store, progress):
            return importer.plan_file(store, kind, path, la_code=la_code, mapping=mapping, progress=progress)

        def done(plan, error):
            self._finished()
            if error is not None:
                self._say(_words(error), error=True)
                return
            self.plan, self.checked = plan, key
            self._show_plan(plan)

        self._start("Checking every row…")
        self.window_.tasks.read(work, done, self._progress)

    def do_import(self) -> None:
        """Write the checked import on the store worker, in one transaction."""
        if self.plan is None or self.checked != self._key():
            self._say("Check the file first (the dry run), then import.", error=True)
            return
        kind, path, la_code, mapping = self.checked[0], self.checked[1], self.checked[2], dict(self.checked[3])
        leave_out = self.leave_out.isChecked()

        def work(store, progress):
            return importer.import_file(
                store, kind, path, la_code=la_code, mapping=mapping, leave_out_refused=leave_out, progress=progress
            )

        def done(result, error):
            self._finished()
            if error is not None:
                self._say(_words(error), error=True)
                return
            plan, counts = result
            self.result_value = counts
            self.plan, self.checked = None, None
            if counts["created"] or counts["updated"]:
                text = f"Imported: {counts['created']:,} created, {counts['updated']:,} updated."
            else:
                text = "Nothing to import: every row is already in the store as the file has it."
            left = len(plan.refused) if leave_out else 0
            if left:
                text += f" {left:,} refused row(s) left out."
            self._say(text)
            self.refusals.setVisible(False)
            self.leave_out.setVisible(False)
            self._update_buttons()
            self.window_.refresh()
            self.window_.statusBar().showMessage(text, 8000)

        self._start("Importing…")
        self.window_.tasks.write(work, done, self._progress)

    def _show_plan(self, plan: importer.Plan) -> None:
        refused = importer.describe_refusals(plan)
        text = f"Dry run ({_NOUNS[plan.entity]}, nothing written): {plan.summary()}."
        if refused:
            text += (
                f" The {len(refused):,} refused row(s) are listed below, each with why; "
                "correct the file and check again, or import the rest without them."
            )
        self._say(text, error=bool(refused))
        self.refusals.clear()
        self.refusals.addItems(refused)
        self.refusals.setVisible(bool(refused))
        self.leave_out.setVisible(bool(refused))
        self.leave_out.setChecked(False)
        self._update_buttons()

    # -- state -------------------------------------------------------------------------------
    def _changed(self, *_args) -> None:
        if self.checked is not None and self.checked != self._key():
            self._clear_result()
        self._update_buttons()

    def _clear_result(self) -> None:
        self.plan, self.checked = None, None
        self.refusals.clear()
        self.refusals.setVisible(False)
        self.leave_out.setVisible(False)
        self.leave_out.setChecked(False)
        self._say("Check the file to see what importing it would do.")
        self._update_buttons()

    def _update_buttons(self, *_args) -> None:
        checked = self.plan is not None and self.checked == self._key()
        writable = checked and (not self.plan.refused or self.leave_out.isChecked())
        self.check_button.setEnabled(not self.running)
        self.import_button.setEnabled(bool(writable) and not self.running)

    def _start(self, text: str) -> None:
        self.running = True
        self._say(text)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._update_buttons()

    def _finished(self) -> None:
        self.running = False
        self.progress.setVisible(False)
        self._update_buttons()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #b91c1c;" if error else "")


_NOUNS = {"school": "schools", "pupil": "pupils", "referral": "open referrals", "caseworker": "caseworkers"}


def _words(error: BaseException) -> str:
    if isinstance(error, (StoreError, OSError)):
        return str(error)
    return f"The import could not be made: {error}"


class ImportFeature(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.action = window.add_action("file", "&Import…", self.open, "Ctrl+Shift+I", "importRecords")
        # Beside Load demo data… (the other way records arrive), not after Quit.
        menu = window.menu("file")
        actions = menu.actions()
        demo = getattr(window, "demo_action", None)
        if demo in actions and actions.index(demo) + 1 < len(actions) - 1:
            menu.removeAction(self.action)
            menu.insertAction(actions[actions.index(demo) + 1], self.action)

    def open(self) -> object | None:
        dialog = ImportDialog(self.window)
        result = self.window.run_dialog(dialog)
        if not dialog.running:  # a check or import still under way reports to it when done
            dialog.deleteLater()
        return result


def install(window) -> ImportFeature:
    window.importer = ImportFeature(window)
    return window.importer
