"""Fieldnote's flat table models: a base with named columns, and a model for a table of text
the core has already shaped."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


class ColumnsModel(QAbstractTableModel):
    """A flat table with fixed, named ``COLUMNS``; a subclass says how many rows it has
    (``row_count``) and what each cell shows (``data``)."""

    COLUMNS: tuple[str, ...] = ()

    def row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class TextTableModel(QAbstractTableModel):
    """A read-only table whose columns and cell text the core has already decided (a
    ``TextTable``: ``columns`` and ``rows`` of strings, e.g. ``desktop.observation.tables``).
    A cell too narrow for its text shows the whole text as its tooltip."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: tuple[str, ...] = ()
        self.rows: tuple[tuple[str, ...], ...] = ()

    def set_table(self, table) -> None:
        self.beginResetModel()
        self.columns, self.rows = tuple(table.columns), tuple(table.rows)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        text = self.rows[index.row()][index.column()]
        return text if role == Qt.ItemDataRole.DisplayRole or text else None
