"""Qt models over what ``desktop.audits.views`` shapes for the audit windows: the areas,
a section's criteria, the action points, the list of audits and the summary grid. Each
hands out the core's words and colours (colour always beside words); each row's id is
on a named role."""
from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListView, QTableView

from desktop.audits.views import ACTION_COLUMNS, AUDIT_COLUMNS, COL_PREVIOUS, COL_RATING, CRITERIA_COLUMNS, DONE
from desktop.ui.models import ColumnsModel

DISPLAY = Qt.ItemDataRole.DisplayRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
CENTRED = int(Qt.AlignmentFlag.AlignCenter)
_brushes: dict[tuple[str, int], QBrush] = {}


def brush(colour: str, alpha: int = 255) -> QBrush:
    """One brush per colour and depth, made once."""
    key = (colour, alpha)
    if key not in _brushes:
        c = QColor(colour)
        c.setAlpha(alpha)
        _brushes[key] = QBrush(c)
    return _brushes[key]


class RowsModel(ColumnsModel):
    """Rows of the core's records (each with ``cells``); ``set_rows`` keeps the rows that
    stay in place (the cursor does not move), adding or removing at the end."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows) -> None:
        rows, old = list(rows), len(self.rows)
        if len(rows) < old:
            self.beginRemoveRows(QModelIndex(), len(rows), old - 1)
            del self.rows[len(rows):]
            self.endRemoveRows()
        elif len(rows) > old:
            self.beginInsertRows(QModelIndex(), old, len(rows) - 1)
            self.rows.extend(rows[old:])
            self.endInsertRows()
        self.rows = rows
        if rows and old:
            self.dataChanged.emit(self.index(0, 0), self.index(min(old, len(rows)) - 1, len(self.COLUMNS) - 1))

    def reset_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def set_row(self, row: int, record) -> None:
        self.rows[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def row_of(self, role: int, value) -> int:
        return next((r for r in range(len(self.rows)) if self.index(r, 0).data(role) == value), -1)


class CriteriaModel(RowsModel):
    """A section's criteria (``CriterionRow``s): the rating in words on its colour, centred
    on a rated criterion; "Last time" with its arrow on last time's colour."""

    CriterionIdRole = Qt.ItemDataRole.UserRole + 1
    COLUMNS = CRITERIA_COLUMNS

    def __init__(self, review: bool, parent=None):
        super().__init__(parent)
        if not review:
            self.COLUMNS = CRITERIA_COLUMNS[:COL_PREVIOUS] + ("",) + CRITERIA_COLUMNS[COL_PREVIOUS + 1:]

    def data(self, index, role=DISPLAY):
        # asked for every role of every cell as columns size to their contents: the rest at once
        if role not in _CRITERIA_ROLES or not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role == DISPLAY:
            return row.cells[col]
        if role == self.CriterionIdRole:
            return row.criterion_id
        if role == BACKGROUND:
            colour = row.rating_colour if col == COL_RATING else row.previous_colour if col == COL_PREVIOUS else None
            return brush(colour) if colour else None
        if role == ALIGNMENT and col == COL_RATING and row.centred:
            return CENTRED
        return None


_CRITERIA_ROLES = frozenset({DISPLAY, BACKGROUND, ALIGNMENT, CriteriaModel.CriterionIdRole})


class ActionsModel(RowsModel):
    """The audit's action points (``ActionRow``s)."""

    ActionIdRole = Qt.ItemDataRole.UserRole + 1
    COLUMNS = ACTION_COLUMNS

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        if role == DISPLAY:
            return self.rows[index.row()].cells[index.column()]
        if role == self.ActionIdRole:
            return self.rows[index.row()].action_id
        return None


class AuditsModel(RowsModel):
    """The audits on this laptop (``AuditRow``s)."""

    AuditIdRole = Qt.ItemDataRole.UserRole + 1
    COLUMNS = AUDIT_COLUMNS

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        if role == DISPLAY:
            return self.rows[index.row()].cells[index.column()]
        if role == self.AuditIdRole:
            return self.rows[index.row()].audit_id
        return None


class SummaryGridModel(ColumnsModel):
    """The cross-school grid (a ``SummaryGrid``): counts per level on the level's colour,
    deeper for a larger share, centred; each row headed by its criterion reference."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = None

    def set_grid(self, grid) -> None:
        self.beginResetModel()
        self.grid = grid
        self.COLUMNS = tuple(grid.columns)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.grid.rows) if self.grid else 0

    def headerData(self, section, orientation, role=DISPLAY):
        if orientation == Qt.Orientation.Vertical:
            return self.grid.refs[section] if role == DISPLAY and self.grid else None
        return super().headerData(section, orientation, role)

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == DISPLAY:
            return self.grid.rows[r][c]
        if role in (BACKGROUND, ALIGNMENT):
            shade = self.grid.shades[r][c]
            if shade is None:
                return None
            return brush(*shade) if role == BACKGROUND else CENTRED
        return None


class AreasModel(QAbstractListModel):
    """The audit's areas with their progress (``AreaRow``s); a finished area in green."""

    SectionIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def set_rows(self, rows) -> None:
        rows = list(rows)
        if len(rows) != len(self.rows):
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()
            return
        changed = [r for r, (old, new) in enumerate(zip(self.rows, rows)) if old != new]
        self.rows = rows
        if changed:
            self.dataChanged.emit(self.index(changed[0]), self.index(changed[-1]))

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == DISPLAY:
            return row.text
        if role == self.SectionIdRole:
            return row.section_id
        if role == Qt.ItemDataRole.ForegroundRole and row.complete:
            return brush(DONE)
        return None


class RowsView(QTableView):
    """A table view of whole rows, with the cursor by row and column."""

    def currentRow(self) -> int:
        return self.currentIndex().row()

    def rowCount(self) -> int:
        return self.model().rowCount() if self.model() is not None else 0

    def setCurrentCell(self, row: int, column: int) -> None:
        self.setCurrentIndex(self.model().index(row, column))


class AreaList(QListView):
    """A list with a current row; ``currentRowChanged`` tells when it moves."""

    currentRowChanged = Signal(int)

    def setModel(self, model) -> None:
        super().setModel(model)
        self.selectionModel().currentRowChanged.connect(lambda current, _previous:
                                                        self.currentRowChanged.emit(current.row()))

    def currentRow(self) -> int:
        return self.currentIndex().row()

    def setCurrentRow(self, row: int) -> None:
        self.setCurrentIndex(self.model().index(row, 0))

    def count(self) -> int:
        return self.model().rowCount()
