"""Fieldnote's flat table models: a base with named columns, and a model for a table of text
the core has already shaped."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


class ColumnsModel(QAbstractTableModel):
    """A flat table with fixed, named ``COLUMNS``; a subclass says how many rows it has
    (``row_count``) and what each cell shows (``data``)."""

    COLUMNS: tuple[str, ...] = ()
    _headings: dict[int, str] | None = None  # a heading as the view shows it (on two lines)

    def row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self._headings or {}).get(section, self.COLUMNS[section])
        return None

    def setHeaderData(self, section, orientation, value, role=Qt.ItemDataRole.DisplayRole) -> bool:
        return _set_heading(self, section, orientation, value, role, len(self.COLUMNS))


class TextTableModel(QAbstractTableModel):
    """A read-only table whose columns and cell text the core has already decided (a
    ``TextTable``: ``columns`` and ``rows`` of strings, e.g. ``desktop.observation.tables``).
    A cell too narrow for its text shows the whole text as its tooltip."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: tuple[str, ...] = ()
        self.rows: tuple[tuple[str, ...], ...] = ()
        self._headings: dict[int, str] = {}

    def set_table(self, table) -> None:
        self.beginResetModel()
        self.columns, self.rows = tuple(table.columns), tuple(table.rows)
        self._headings = {}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self._headings or {}).get(section, self.columns[section])
        return None

    def setHeaderData(self, section, orientation, value, role=Qt.ItemDataRole.DisplayRole) -> bool:
        return _set_heading(self, section, orientation, value, role, len(self.columns))

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        text = self.rows[index.row()][index.column()]
        return text if role == Qt.ItemDataRole.DisplayRole or text else None


def _set_heading(model, section, orientation, value, role, count) -> bool:
    """A column heading as a view shows it (the same words, on two lines, say: ``column_fit``)."""
    if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole or not 0 <= section < count:
        return False
    if model._headings is None:
        model._headings = {}
    model._headings[section] = str(value)
    model.headerDataChanged.emit(orientation, section, section)
    return True
