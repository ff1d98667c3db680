"""Audit templates: copy one and edit the copy's wording (as the scheme editor does for
coding schemes). The copy is validated by the pack loader and saved as an installed pack
(``desktop.audits.editing``); built-in templates are shown read-only."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from desktop.audits.editing import apply_edits, save_template, template_copy
from desktop.forms.loader import PackError
from desktop.forms.registry import load_registry


class TemplateEditor(QDialog):
    """Left: every audit template; right: the chosen one's areas and criteria. "Make a
    copy" starts an editable copy; "Save copy" validates it and installs it."""

    def __init__(self, installed_dir: Path | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("auditTemplateEditor")
        self.setWindowTitle("Audit templates")
        self.resize(1100, 640)
        self.installed_dir = installed_dir
        self.copy: dict | None = None
        self.saved_id: str | None = None
        self.templates = QListWidget()
        self.templates.setObjectName("templateList")
        self.templates.setMaximumWidth(320)
        self.templates.currentRowChanged.connect(lambda _r: self.show_template())
        self.new_id = QLineEdit()
        self.new_id.setObjectName("copyId")
        self.new_id.setPlaceholderText("the copy's id, e.g. our-behaviour-audit")
        self.title = QLineEdit()
        self.title.setObjectName("copyTitle")
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("templateItems")
        self.table.setHorizontalHeaderLabels(["Kind", "Id", "Wording"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.copy_button = QPushButton("Make a copy")
        self.copy_button.setObjectName("copyTemplate")
        self.copy_button.clicked.connect(lambda _=False: self.make_copy())
        self.save_button = QPushButton("Save copy")
        self.save_button.setObjectName("saveTemplate")
        self.save_button.clicked.connect(lambda _=False: self.save())
        self.message = QLabel()
        self.message.setObjectName("templateMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Copy's id", self.new_id)
        form.addRow("Title", self.title)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.table, 1)
        right.addWidget(self.message)
        right.addLayout(buttons)
        lay = QHBoxLayout(self)
        lay.addWidget(self.templates)
        lay.addLayout(right, 1)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        self.registry = load_registry(self.installed_dir)
        origin = {e.id: e.origin for e in self.registry.entries if not e.note.startswith("not used")}
        self.templates.blockSignals(True)
        self.templates.clear()
        for p in sorted((p for p in self.registry.packs.values() if p.kind == "audit"),
                        key=lambda p: p.title.lower()):
            kind = "built-in" if origin.get(p.id) == "built-in" else origin.get(p.id, "installed")
            item = QListWidgetItem(f"{p.title}\n{p.id} · {kind}")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.templates.addItem(item)
            if p.id == select:
                self.templates.setCurrentItem(item)
        self.templates.blockSignals(False)
        if self.templates.currentRow() < 0 and self.templates.count():
            self.templates.setCurrentRow(0)
        self.show_template()

    def current_id(self) -> str | None:
        item = self.templates.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _editable(self, template_id: str) -> bool:
        return not any(e.id == template_id and e.origin == "built-in" for e in self.registry.entries)

    def show_template(self) -> None:
        tid = self.current_id()
        if tid is None:
            return
        editable = self._editable(tid)
        # An installed copy is edited in place; a built-in one only after "Make a copy".
        self.copy = template_copy(self.registry, tid, tid, self.registry.get(tid).title) if editable else None
        self._fill(self.copy or template_copy(self.registry, tid, tid, self.registry.get(tid).title), editable)
        self.new_id.setText(tid if editable else f"{tid}-copy")
        self.title.setText(self.registry.get(tid).title + ("" if editable else " (copy)"))
        self.message.setText("" if editable else "A built-in template: make a copy to change its wording.")

    def _fill(self, obj: dict, editable: bool) -> None:
        rows = [("Area", s["id"], s["label"]) for s in obj.get("sections", [])]
        rows += [("Criterion", i["id"], i.get("label", "")) for i in obj.get("items", [])]
        self.table.setRowCount(len(rows))
        for r, (kind, ident, text) in enumerate(rows):
            for c, value in enumerate((kind, ident, text)):
                item = QTableWidgetItem(value)
                flags = item.flags()
                if c != 2 or not editable:
                    flags &= ~Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags)
                self.table.setItem(r, c, item)
        self.save_button.setEnabled(editable)

    def make_copy(self) -> None:
        tid = self.current_id()
        if tid is None:
            return
        self.copy = template_copy(self.registry, tid, self.new_id.text().strip() or f"{tid}-copy",
                                  self.title.text().strip() or None)
        self._fill(self.copy, True)
        self.message.setText("A copy: change the wording, then Save copy.")

    def save(self) -> None:
        if self.copy is None:
            self.message.setText("Make a copy first.")
            return
        sections, criteria = {}, {}
        for r in range(self.table.rowCount()):
            kind, ident, text = (self.table.item(r, c).text() for c in range(3))
            (sections if kind == "Area" else criteria)[ident] = text
        obj = dict(self.copy)
        obj["id"] = self.new_id.text().strip()
        try:
            apply_edits(obj, title=self.title.text().strip(), sections=sections, criteria=criteria)
            pack = save_template(obj, self.registry, self.installed_dir)
        except PackError as exc:
            self.message.setText("Not saved — " + "; ".join(exc.problems) + ". Nothing was changed.")
            return
        self.saved_id = pack.id
        self.reload(select=pack.id)
        self.message.setText(f"Saved '{pack.title}' as installed template {pack.id}.")


def install(window) -> None:
    """Schools ▸ Audit templates…"""
    def open_editor() -> None:
        window.template_editor = TemplateEditor(parent=window)
        window.template_editor.finished.connect(lambda _r: _refresh(window))
        window.template_editor.show()

    window.add_action("schools", "Audit &templates…", open_editor, None, "auditTemplates")


def _refresh(window) -> None:
    records = getattr(window, "audit_records", None)
    if records is not None:  # new templates are offered at once
        records._registry = None
        records._templates.clear()
