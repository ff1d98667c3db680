"""Qt models over what ``desktop.audits.views`` shapes for the audit windows: the areas,
a section's criteria, the action points, the list of audits and the summary grid. Each
hands out the core's words and colours (colour always beside words); each row's id is
on a named role."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListView, QStyledItemDelegate, QTableView

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
            del self.rows[len(rows) :]
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
            self.COLUMNS = CRITERIA_COLUMNS[:COL_PREVIOUS] + ("",) + CRITERIA_COLUMNS[COL_PREVIOUS + 1 :]

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


class IdRowsModel(RowsModel):
    """Rows shown as their ``cells``, each row's id (its ``ID_FIELD``) on ``RowIdRole``."""

    RowIdRole = Qt.ItemDataRole.UserRole + 1
    ID_FIELD = ""

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        if role == DISPLAY:
            return self.rows[index.row()].cells[index.column()]
        if role == self.RowIdRole:
            return getattr(self.rows[index.row()], self.ID_FIELD)
        return None


class ActionsModel(IdRowsModel):
    """The audit's action points (``ActionRow``s)."""

    ActionIdRole = IdRowsModel.RowIdRole
    ID_FIELD = "action_id"
    COLUMNS = ACTION_COLUMNS


class AuditsModel(IdRowsModel):
    """The audits on this laptop (``AuditRow``s)."""

    AuditIdRole = IdRowsModel.RowIdRole
    ID_FIELD = "audit_id"
    COLUMNS = AUDIT_COLUMNS


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


class OneLineDelegate(QStyledItemDelegate):
    """For a column of short single-line cells (a number, a rating, a star): a text's size
    is measured once, not asked of the model role by role at every row and every fitting."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._sizes: dict[str, object] = {}

    def sizeHint(self, option, index):
        text = index.data()
        size = self._sizes.get(text)
        if size is None:
            size = self._sizes[text] = super().sizeHint(option, index)
        return size


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
        self.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.currentRowChanged.emit(current.row())
        )

    def currentRow(self) -> int:
        return self.currentIndex().row()

    def setCurrentRow(self, row: int) -> None:
        self.setCurrentIndex(self.model().index(row, 0))

    def count(self) -> int:
        return self.model().rowCount()


# -- the template editor ------------------------------------------------------------------
SELECTABLE = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
EDITABLE = SELECTABLE | Qt.ItemFlag.ItemIsEditable
EDIT = Qt.ItemDataRole.EditRole


class EntriesModel(QAbstractListModel):
    """A list of ``Entry``s (text shown, id on ``IdRole``), e.g. the templates or a
    draft's areas."""

    IdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def reset_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_of(self, entry_id) -> int:
        return next((r for r, e in enumerate(self.rows) if e.id == entry_id), -1)

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        if role == DISPLAY:
            return self.rows[index.row()].text
        if role == self.IdRole:
            return self.rows[index.row()].id
        return None


class DraftCriteriaModel(RowsModel):
    """A draft area's criteria (``DraftCriterion``s); the wording is edited in place when
    the draft is ``editable`` (``text_edited(criterion_id, text)``), its id as the tooltip."""

    CriterionIdRole = Qt.ItemDataRole.UserRole + 1
    COLUMNS = ("No.", "Criterion", "Kind", "Unit")
    text_edited = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.editable = False

    def flags(self, index):
        return EDITABLE if self.editable and index.column() == 1 else SELECTABLE

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role in (DISPLAY, EDIT):
            return row.cells[col]
        if role == self.CriterionIdRole:
            return row.criterion_id
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return f"id: {row.criterion_id}"
        return None

    def setData(self, index, value, role=EDIT):
        if role != EDIT or not index.isValid() or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        row = self.rows[index.row()]
        self.rows[index.row()] = type(row)(row.criterion_id, (*row.cells[:1], str(value), *row.cells[2:]))
        self.dataChanged.emit(index, index)
        self.text_edited.emit(row.criterion_id, str(value))
        return True


class GuidanceModel(RowsModel):
    """A criterion's descriptor for each rating (``GuidanceRow``s): the level's name shown,
    its value on ``LevelValueRole``; the descriptor edited in place when ``editable``
    (``descriptor_edited(value, text)``)."""

    LevelValueRole = Qt.ItemDataRole.UserRole + 1
    COLUMNS = ("Rating", "Descriptor")
    descriptor_edited = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.editable = False

    def flags(self, index):
        return EDITABLE if self.editable and index.column() == 1 else SELECTABLE

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (DISPLAY, EDIT):
            return row.cells[index.column()]
        if role == self.LevelValueRole:
            return row.value
        return None

    def setData(self, index, value, role=EDIT):
        if role != EDIT or not index.isValid() or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        row = self.rows[index.row()]
        self.rows[index.row()] = type(row)(row.value, (row.cells[0], str(value)))
        self.dataChanged.emit(index, index)
        self.descriptor_edited.emit(row.value, str(value))
        return True


class LevelsModel(RowsModel):
    """A scale's levels in order (``Level``s), one ``fields`` attribute a column, edited in
    place when ``editable`` (``edited``); a colour painted behind itself; with ``shown``
    (``rates_with``), a last column of the keys that rate with each level, in its colour."""

    edited = Signal()

    def __init__(self, columns: tuple[str, ...], fields: tuple[str, ...], parent=None):
        super().__init__(parent)
        self.COLUMNS, self.fields = columns, fields
        self.editable = False
        self.shown: tuple = ()

    def show_levels(self, levels, editable: bool, shown=()) -> None:
        self.editable, self.shown = editable, tuple(shown)
        self.reset_rows(levels)

    def flags(self, index):
        return EDITABLE if self.editable and index.column() < len(self.fields) else SELECTABLE

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        r, col = index.row(), index.column()
        lv = self.rows[r]
        if col >= len(self.fields):  # the keys that rate with it, in the colour it is shown in
            if r >= len(self.shown):
                return None
            if role == DISPLAY:
                return self.shown[r][0]
            if role == BACKGROUND:
                return brush(lv.colour if QColor.isValidColorName(lv.colour) else self.shown[r][1])
            return None
        name = self.fields[col]
        if role in (DISPLAY, EDIT):
            return getattr(lv, name)
        if role == BACKGROUND and name == "colour" and QColor.isValidColorName(lv.colour):
            return brush(lv.colour)
        return None

    def setData(self, index, value, role=EDIT):
        if role != EDIT or not index.isValid() or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        self.rows[index.row()] = replace(self.rows[index.row()], **{self.fields[index.column()]: str(value)})
        self.dataChanged.emit(index, self.index(index.row(), len(self.COLUMNS) - 1))
        self.edited.emit()
        return True

    def add(self, level) -> None:
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(level)
        self.endInsertRows()

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.rows[row]
        self.endRemoveRows()
