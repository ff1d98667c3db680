"""Coding schemes: see the presets, copy one, and edit the copy's codes."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
)

from desktop.observation.errors import ObservationError
from desktop.observation.library import SchemeLibrary
from desktop.observation.scheme import CodingScheme
from desktop.ui.models import ColumnsModel
from sync.client.permissions import refusal

COLUMNS = ("id", "key", "label", "colour", "method", "group")
HEADERS = ("Code", "Key", "Label", "Colour (#RRGGBB)", "Method", "Group")
SchemeIdRole = Qt.ItemDataRole.UserRole + 1
COLOUR = COLUMNS.index("colour")


class SchemesModel(QAbstractListModel):
    """Every coding scheme in the library, presets marked "(built-in)"; ``SchemeIdRole``
    gives a row's scheme id."""

    def __init__(self, library: SchemeLibrary, parent=None):
        super().__init__(parent)
        self.library = library
        self.rows: list[tuple[str, str]] = []  # (scheme id, text shown)

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = [
            (scheme.id, scheme.name + (" (built-in)" if self.library.is_preset(scheme.id) else ""))
            for scheme in self.library.all()
        ]
        self.endResetModel()

    def row_of(self, scheme_id: str | None) -> int | None:
        return next((r for r, (sid, _) in enumerate(self.rows) if sid == scheme_id), None)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][1]
        if role == SchemeIdRole:
            return self.rows[index.row()][0]
        return None


class CodesModel(ColumnsModel):
    """The shown scheme's codes as text cells (``COLUMNS``), editable in place unless the
    scheme may not be changed; the colour column is painted in its colour."""

    COLUMNS = HEADERS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict[str, str]] = []
        self.editable = False

    def set_codes(self, scheme: CodingScheme, editable: bool) -> None:
        self.beginResetModel()
        self.editable = editable
        self.rows = [
            dict(zip(COLUMNS, (code.id, code.key, code.label, code.colour, code.method.value, code.group or "")))
            for code in scheme.codes
        ]
        self.endResetModel()

    def add_row(self, cells: dict[str, str]) -> None:
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(dict(cells))
        self.endInsertRows()

    def remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.rows[row]
        self.endRemoveRows()

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.rows[index.row()][COLUMNS[index.column()]]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return value
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == COLOUR and QColor.isValidColorName(value):
            return QColor(value)
        return None

    def flags(self, index):
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsEditable if self.editable else flags & ~Qt.ItemFlag.ItemIsEditable

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or not self.editable:
            return False
        self.rows[index.row()][COLUMNS[index.column()]] = str(value)
        self.dataChanged.emit(index, index, [role, Qt.ItemDataRole.DisplayRole])
        return True


class SchemeEditor(QDialog):
    """Left: every scheme; right: the chosen one's codes, editable unless it is a preset."""

    def __init__(self, library: SchemeLibrary, parent=None):
        super().__init__(parent)
        self.library = library
        self.setWindowTitle("Coding schemes")
        self.resize(1000, 560)
        self.schemes_model = SchemesModel(library, self)
        self.schemes = QListView()
        self.schemes.setObjectName("schemes")
        self.schemes.setAccessibleName("Coding schemes")
        self.schemes.setModel(self.schemes_model)
        self.schemes.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.schemes.selectionModel().currentChanged.connect(lambda cur, _: self.show_scheme(cur.data(SchemeIdRole)))
        self.name = QLineEdit()
        self.name.setObjectName("schemeName")
        self.interval = QSpinBox()
        self.interval.setRange(1, 3600)
        self.interval.setSuffix(" s")
        self.peer_every = QSpinBox()
        self.peer_every.setRange(0, 50)
        self.peer_every.setSpecialValueText("no peer")
        self.carry_over = QCheckBox("Carry codes over into the next interval")
        self.carry_over.setObjectName("carryOver")
        self.carry_over.setToolTip(
            "Off (the usual way): every interval starts uncoded and the observer codes it afresh; "
            "Enter repeats the last interval. On: momentary and whole codes stay selected until changed."
        )
        self.codes_model = CodesModel(self)
        self.codes = QTableView()
        self.codes.setObjectName("codes")
        self.codes.setAccessibleName("Codes in this scheme")
        self.codes.setModel(self.codes_model)
        self.codes.verticalHeader().hide()
        self.codes.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setObjectName("schemeMessage")
        self.message.setWordWrap(True)
        self.copy_button = QPushButton("Copy to edit")
        self.copy_button.clicked.connect(self.copy_current)
        self.add_button = QPushButton("Add code")
        self.add_button.clicked.connect(self.add_code)
        self.remove_button = QPushButton("Remove code")
        self.remove_button.clicked.connect(self.remove_code)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveScheme")
        self.save_button.clicked.connect(self.save)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Interval", self.interval)
        form.addRow("Peer every Nth interval", self.peer_every)
        form.addRow("", self.carry_over)
        buttons = QHBoxLayout()
        for b in (self.copy_button, self.add_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch()
        buttons.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.codes, 1)
        right.addWidget(self.message)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.schemes, 1)
        layout.addLayout(right, 3)
        self.current: CodingScheme | None = None
        self.reload()

    def reload(self, select: str | None = None) -> None:
        self.schemes_model.reload()
        row = self.schemes_model.row_of(select) or 0
        self.schemes.setCurrentIndex(self.schemes_model.index(row, 0))
        self.show_scheme(self.schemes_model.rows[row][0])

    def show_scheme(self, scheme_id: str | None) -> None:
        if not scheme_id:
            return
        self.current = scheme = self.library.get(scheme_id)
        preset = self.library.is_preset(scheme_id)
        # Who may change a service-wide scheme (sync.permissions): team leads, admins and
        # whoever made it; anyone may copy it.
        refused = None if preset else refusal(self.library.store, "coding_scheme", "update", scheme_id)
        editable = not preset and refused is None
        self.name.setText(scheme.name)
        self.interval.setValue(scheme.interval_seconds)
        self.peer_every.setValue(scheme.peer_every or 0)
        self.carry_over.setChecked(scheme.carry_over)
        self.codes_model.set_codes(scheme, editable)
        self.codes.resizeColumnsToContents()
        for w in (
            self.name,
            self.interval,
            self.peer_every,
            self.carry_over,
            self.add_button,
            self.remove_button,
            self.save_button,
        ):
            w.setEnabled(editable)
            w.setToolTip(refused or "")
        self.codes.setToolTip(refused or "")
        self.message.setText(
            "" if editable else refused or "A built-in scheme cannot be changed. Copy it to make your own version."
        )
        self.message.setStyleSheet("color: #374151;")

    def copy_current(self) -> None:
        copy = self.library.copy(self.current.id)
        self.reload(select=copy.id)

    def add_code(self) -> None:
        n = self.codes_model.rowCount() + 1
        self.codes_model.add_row(dict(zip(COLUMNS, (f"CODE{n}", str(n % 10), "New code", "#6B7280", "partial", ""))))

    def remove_code(self) -> None:
        index = self.codes.currentIndex()
        if index.isValid():
            self.codes_model.remove_row(index.row())

    def edited(self) -> dict:
        """The scheme as shown, as a dict for CodingScheme.from_dict."""
        data = self.current.to_dict()
        codes = []
        for row in self.codes_model.rows:
            cell = {col: row[col].strip() for col in COLUMNS}
            cell["group"] = cell["group"] or None
            codes.append(cell)
        ids = {c["id"] for c in codes}
        data.update(
            name=self.name.text().strip(),
            interval_seconds=self.interval.value(),
            peer_every=self.peer_every.value() or None,
            codes=codes,
            carry_over=self.carry_over.isChecked(),
            on_task_codes=[c for c in data["on_task_codes"] if c in ids],
        )
        used_groups = {c["group"] for c in codes if c["group"]}
        known = {g["id"] for g in data["groups"]}
        data["groups"] += [{"id": g, "label": g.capitalize(), "exclusive": False} for g in sorted(used_groups - known)]
        return data

    def save(self) -> bool:
        try:
            saved = self.library.save(CodingScheme.from_dict(self.edited()))
        except ObservationError as exc:
            self.message.setText(str(exc))
            self.message.setStyleSheet("color: #b91c1c;")
            return False
        self.reload(select=saved.id)
        self.message.setText("Saved. Observations already recorded keep the scheme they used.")
        return True
