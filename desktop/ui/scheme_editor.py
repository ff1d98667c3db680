"""Coding schemes: see the presets, copy one, and edit the copy's codes."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListView, QPushButton, QSpinBox,
    QTableView, QVBoxLayout,
)

from desktop.observation.errors import ObservationError
from desktop.observation.library import SchemeLibrary
from desktop.observation.scheme import CodingScheme
from sync.client.permissions import refusal

COLUMNS = ("id", "key", "label", "colour", "method", "group")
HEADERS = ("Code", "Key", "Label", "Colour (#RRGGBB)", "Method", "Group")
SchemeIdRole = Qt.ItemDataRole.UserRole + 1


class SchemeEditor(QDialog):
    """Left: every scheme; right: the chosen one's codes, editable unless it is a preset."""

    def __init__(self, library: SchemeLibrary, parent=None):
        super().__init__(parent)
        self.library = library
        self.setWindowTitle("Coding schemes")
        self.resize(1000, 560)
        self.schemes_model = QStandardItemModel(self)
        self.schemes = QListView()
        self.schemes.setObjectName("schemes")
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
            "Enter repeats the last interval. On: momentary and whole codes stay selected until changed.")
        self.codes_model = QStandardItemModel(self)
        self.codes = QTableView()
        self.codes.setObjectName("codes")
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
        self.schemes_model.clear()
        for scheme in self.library.all():
            mark = " (built-in)" if self.library.is_preset(scheme.id) else ""
            item = QStandardItem(scheme.name + mark)
            item.setData(scheme.id, SchemeIdRole)
            self.schemes_model.appendRow(item)
        rows = [self.schemes_model.item(r).data(SchemeIdRole) for r in range(self.schemes_model.rowCount())]
        row = rows.index(select) if select in rows else 0
        self.schemes.setCurrentIndex(self.schemes_model.index(row, 0))
        self.show_scheme(rows[row])

    def show_scheme(self, scheme_id: str | None) -> None:
        if not scheme_id:
            return
        self.current = scheme = self.library.get(scheme_id)
        preset = self.library.is_preset(scheme_id)
        # Who may change a service-wide scheme (sync.permissions): team leads, admins and
        # whoever made it; anyone may copy it.
        refused = None if preset else refusal(self.library.store, "coding_scheme", "update",
                                                  scheme_id)
        editable = not preset and refused is None
        self.name.setText(scheme.name)
        self.interval.setValue(scheme.interval_seconds)
        self.peer_every.setValue(scheme.peer_every or 0)
        self.carry_over.setChecked(scheme.carry_over)
        self.codes_model.clear()
        self.codes_model.setHorizontalHeaderLabels(HEADERS)
        for code in scheme.codes:
            cells = [QStandardItem(str(v)) for v in (code.id, code.key, code.label, code.colour,
                                                     code.method.value, code.group or "")]
            cells[3].setBackground(QColor(code.colour))
            for cell in cells:
                cell.setEditable(editable)
            self.codes_model.appendRow(cells)
        self.codes.resizeColumnsToContents()
        for w in (self.name, self.interval, self.peer_every, self.carry_over, self.add_button, self.remove_button,
                  self.save_button):
            w.setEnabled(editable)
            w.setToolTip(refused or "")
        self.codes.setToolTip(refused or "")
        self.message.setText("" if editable else refused or
                             "A built-in scheme cannot be changed. Copy it to make your own version.")
        self.message.setStyleSheet("color: #374151;")

    def copy_current(self) -> None:
        copy = self.library.copy(self.current.id)
        self.reload(select=copy.id)

    def add_code(self) -> None:
        n = self.codes_model.rowCount() + 1
        self.codes_model.appendRow([QStandardItem(v) for v in (
            f"CODE{n}", str(n % 10), "New code", "#6B7280", "partial", "")])

    def remove_code(self) -> None:
        index = self.codes.currentIndex()
        if index.isValid():
            self.codes_model.removeRow(index.row())

    def edited(self) -> dict:
        """The scheme as shown, as a dict for CodingScheme.from_dict."""
        data = self.current.to_dict()
        codes = []
        for r in range(self.codes_model.rowCount()):
            cell = {col: self.codes_model.item(r, c).text().strip() for c, col in enumerate(COLUMNS)}
            cell["group"] = cell["group"] or None
            codes.append(cell)
        ids = {c["id"] for c in codes}
        data.update(name=self.name.text().strip(), interval_seconds=self.interval.value(),
                    peer_every=self.peer_every.value() or None, codes=codes,
                    carry_over=self.carry_over.isChecked(),
                    on_task_codes=[c for c in data["on_task_codes"] if c in ids])
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
