"""The caseload list's view: columns that fit, that the user chooses and reorders, and a
search box whose Down and Enter keys lead into the results.

Columns fit the width they are given until the user drags one: short columns (dates, year,
status, UPN) get what their text needs in the current font, the long ones (pupil, school,
reason, caseworker) share what is left and elide, their full text in a tooltip; the last
column stretches. Right-click the header to show or hide a column or put them back as they
were; drag a header to move its column. ``state()`` and ``restore_state()`` carry all of it
between starts (``window_state``).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from desktop.caseload import vocab
from desktop.dates import year_group_label
from desktop.ui.caseload_model import (
    ALLOCATED,
    BORN,
    CASEWORKER,
    DEFAULT_HIDDEN,
    DEFAULT_ORDER,
    PUPIL,
    REASON,
    REFERRED,
    SCHOOL,
    STATUS,
    UPN,
    YEAR,
    CaseloadModel,
)

# what the short columns must show in full (their widest text; the year groups the caseload
# holds, too), and how the long ones share the rest: the width each would like, in average
# characters, and the least it gets
_SAMPLES = {
    BORN: ("00/00/0000",),
    REFERRED: ("00/00/0000",),
    ALLOCATED: ("00/00/0000",),
    YEAR: (year_group_label(10),),
    STATUS: tuple(vocab.REFERRAL_STATUSES.values()),
    UPN: ("W000000000000",),
}
_LONG = {PUPIL: (22, 14), SCHOOL: (28, 10), REASON: (26, 10), CASEWORKER: (20, 8)}


class CaseloadTable(QTableView):
    """``opened`` carries the referral id Enter in the search box (or on a row) opens."""

    opened = Signal(str)

    def __init__(self, model: CaseloadModel, parent=None):
        super().__init__(parent)
        self.sized_by_user = False  # a column dragged: the widths are theirs from then on
        self._fitting = False
        self.setObjectName("caseloadTable")
        self.setModel(model)
        self.setItemDelegate(_Cells(self))
        # a reload may bring a longer year group (fit_columns does nothing when nothing it
        # depends on changed: a keystroke in the search box resets the model too)
        model.modelReset.connect(self.fit_columns)
        self._fitted_for = None  # what the widths were last fitted to
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSortingEnabled(True)
        self.sortByColumn(REFERRED, Qt.SortOrder.DescendingOrder)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(max(24, self.fontMetrics().height() + 8))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.columns_menu().popup(header.mapToGlobal(pos)))
        header.sectionResized.connect(self._resized)
        self._header_pressed = False
        header.viewport().installEventFilter(self)
        header.sortIndicatorChanged.connect(lambda *_: self.fit_columns())  # room for the arrow
        self.reset_columns()

    # -- columns ---------------------------------------------------------------------------
    def reset_columns(self) -> None:
        """The columns as a new user sees them: default order, default ones shown, fitted."""
        header = self.horizontalHeader()
        for position, logical in enumerate(DEFAULT_ORDER):
            header.moveSection(header.visualIndex(logical), position)
        for logical in range(self.model().columnCount()):
            header.setSectionHidden(logical, logical in DEFAULT_HIDDEN)
        self.sized_by_user = False
        self._fitted_for = None
        self.fit_columns()

    def shown_columns(self) -> list[int]:
        """The logical numbers of the columns shown, left to right."""
        header = self.horizontalHeader()
        return [
            header.logicalIndex(v) for v in range(header.count()) if not header.isSectionHidden(header.logicalIndex(v))
        ]

    def set_column_shown(self, column: int, shown: bool) -> None:
        if column == PUPIL:
            return  # a list of cases names its pupils
        self.horizontalHeader().setSectionHidden(column, not shown)
        self.fit_columns()

    def columns_menu(self) -> QMenu:
        """The header's context menu: a tick for each column, and Reset columns."""
        menu = QMenu(self)
        menu.setObjectName("caseloadColumns")
        header, model = self.horizontalHeader(), self.model()
        for v in range(header.count()):  # in the order they stand
            column = header.logicalIndex(v)
            action = QAction(model.COLUMNS[column], menu)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(column != PUPIL)
            action.setData(column)
            action.toggled.connect(lambda on, c=column: self.set_column_shown(c, on))
            menu.addAction(action)
        menu.addSeparator()
        reset = menu.addAction("Reset columns")
        reset.setObjectName("resetColumns")
        reset.triggered.connect(lambda _=False: self.reset_columns())
        return menu

    def fit_columns(self) -> None:
        """Size the shown columns to the width there is (unless the user has sized them)."""
        if self.sized_by_user:
            return
        header, fm = self.horizontalHeader(), self.fontMetrics()
        shown = self.shown_columns()
        if not shown:
            return
        inputs = (
            self.viewport().width(),
            tuple(shown),
            header.sortIndicatorSection(),
            frozenset(self.model().year_labels()),
            self.font().key(),
            header.font().key(),
        )
        if inputs == self._fitted_for:
            return
        self._fitted_for = inputs
        style = self.style()
        pad = 2 * style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, self) + 8
        # a header's text, its margins and, on the column sorted by, the arrow beside it
        margin = 2 * style.pixelMetric(style.PixelMetric.PM_HeaderMargin, None, self) + 8
        arrow = style.pixelMetric(style.PixelMetric.PM_HeaderMarkSize, None, self) + 4
        titles = {
            c: header.fontMetrics().horizontalAdvance(self.model().COLUMNS[c])
            + margin
            + (arrow if c == header.sortIndicatorSection() else 0)
            for c in shown
        }
        samples = dict(_SAMPLES)
        samples[YEAR] = (*_SAMPLES[YEAR], *self.model().year_labels())
        widths = {
            c: max(titles[c], max(fm.horizontalAdvance(t) for t in samples[c]) + pad) for c in shown if c in samples
        }
        room = self.viewport().width() - sum(widths.values())
        char = fm.averageCharWidth()
        wanted = {c: max(titles[c], _LONG[c][0] * char) for c in shown if c in _LONG}
        least = {c: max(titles[c], _LONG[c][1] * char) for c in wanted}
        # the long columns share the room in proportion to what they want; one that would get
        # less than its least gets its least, and the others share what is left
        sharing = dict(wanted)
        while sharing:
            total = sum(sharing.values())
            share = {c: w if total <= room else w * room // total for c, w in sharing.items()}
            short = [c for c in sharing if share[c] < least[c]]
            if not short:
                widths.update(share)
                break
            for c in short:
                widths[c] = least[c]
                room -= least[c]
                del sharing[c]
        self._fitting = True
        try:
            for c, w in widths.items():
                header.resizeSection(c, w)
        finally:
            self._fitting = False

    def _resized(self, _logical: int, _old: int, _new: int) -> None:
        # only a drag on the header is the user's doing (Qt resizes the stretched last column
        # whenever the view changes size, a splitter's drag included)
        if self._header_pressed and not self._fitting:
            self.sized_by_user = True
            self._fitted_for = None

    def eventFilter(self, watched, event) -> bool:
        if watched is self.horizontalHeader().viewport():
            if event.type() == QEvent.Type.MouseButtonPress:
                self._header_pressed = True
            elif event.type() == QEvent.Type.MouseButtonRelease:
                self._header_pressed = False
        return super().eventFilter(watched, event)

    def viewportEvent(self, event) -> bool:
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize:  # the view's, or a scroll bar came or went
            self.fit_columns()
        return handled

    def state(self) -> str:
        """What to keep between starts, as text: the columns' order, which are hidden, their
        widths (if the user set them) and the sort."""
        header = self.horizontalHeader()
        return json.dumps(
            {
                "order": [header.logicalIndex(v) for v in range(header.count())],
                "hidden": [c for c in range(header.count()) if header.isSectionHidden(c)],
                "widths": [header.sectionSize(c) for c in range(header.count())] if self.sized_by_user else None,
                "sort": [header.sortIndicatorSection(), header.sortIndicatorOrder().value],
            }
        )

    def restore_state(self, saved) -> None:
        """Put back what ``state()`` gave; anything unreadable leaves the columns as they are."""
        try:
            state = json.loads(saved) if isinstance(saved, str) and saved else {}
        except ValueError:
            state = {}
        header, count = self.horizontalHeader(), self.model().columnCount()
        order = state.get("order") if isinstance(state, dict) else None
        if isinstance(order, list) and sorted(order) == list(range(count)):
            for position, logical in enumerate(order):
                header.moveSection(header.visualIndex(logical), position)
            hidden = {c for c in state.get("hidden") or [] if isinstance(c, int)}
            for c in range(count):
                header.setSectionHidden(c, c in hidden and c != PUPIL)
            widths = state.get("widths")
            if isinstance(widths, list) and len(widths) == count and all(isinstance(w, int) for w in widths):
                self.sized_by_user = True
                self._fitted_for = None
                self._fitting = True
                try:
                    for c, w in enumerate(widths):
                        if not header.isSectionHidden(c) and w > 0:
                            header.resizeSection(c, w)
                finally:
                    self._fitting = False
            sort = state.get("sort")
            if isinstance(sort, list) and len(sort) == 2 and 0 <= sort[0] < count and sort[1] in (0, 1):
                self.sortByColumn(sort[0], Qt.SortOrder(sort[1]))
        self.fit_columns()

    # -- keys ------------------------------------------------------------------------------
    def follow_search(self, search: QLineEdit) -> None:
        """Down in ``search`` moves into the results; Enter opens the selected case (or the
        first, when none is selected)."""
        self._search_keys = _SearchKeys(self, search)
        search.returnPressed.connect(lambda: self.enter_results(open_case=True))

    def enter_results(self, open_case: bool = False) -> str | None:
        """Focus the list, on the selected row or else the first; returns its referral id."""
        model = self.model()
        if not model.rowCount():
            return None
        index = self.currentIndex()
        if not index.isValid():
            index = model.index(0, self.horizontalHeader().logicalIndex(0))
            self.setCurrentIndex(index)
        self.scrollTo(index)
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        referral_id = index.data(CaseloadModel.ReferralIdRole)
        if open_case:
            self.opened.emit(referral_id)
        return referral_id

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.opened.emit(self.currentIndex().data(CaseloadModel.ReferralIdRole))
            return
        super().keyPressEvent(event)


class _Cells(QStyledItemDelegate):
    """Qt's own painting of the caseload's cells, told what each shows in one call to the
    model (``CaseloadModel.cell``) rather than one call for each of the seven roles Qt asks
    about: the list repaints on every keystroke of a search, and those calls were a third of a
    repaint. What it sets is what ``QStyledItemDelegate`` would take from ``data()``: the text
    and its colour (the caseload's cells have no font, alignment, icon, check or background of
    their own); tests/ui/test_caseload_view.py checks the pixels are the same."""

    def initStyleOption(self, option, index) -> None:
        text, colour = index.model().cell(index.row(), index.column())
        option.index = index
        if colour is not None:
            palette = option.palette
            palette.setBrush(QPalette.ColorRole.Text, colour)
            option.palette = palette
        if text:
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
            option.text = text


class _SearchKeys(QObject):
    def __init__(self, table: CaseloadTable, search: QLineEdit):
        super().__init__(search)
        self.table = table
        search.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            return self.table.enter_results() is not None
        return False
