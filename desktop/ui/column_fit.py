"""Columns that fit the width a table is given, with every heading whole.

``FittedTableView.fit_columns(elide=…, hide=…)`` sizes the view's columns whenever the view or
its contents change:

- with room, each column is as wide as its heading and its widest cell (the spare width goes
  to the columns that may elide, so no cell is cut that need not be);
- with less room, a heading of several words goes onto two lines (the header grows a line)
  before a cell is cut; with less still, the columns in ``elide`` give way, down to their
  heading's width: their cells elide (the model gives the full text as a tooltip). No heading
  is ever cut;
- with too little room even for that, the columns in ``hide`` are hidden, in that order, until
  the rest fit (they come back when there is room again).

No column is wider than the view needs, so no horizontal scroll bar appears. A model that
shows the headings must take them back from ``setHeaderData`` (``ColumnsModel`` and
``TextTableModel`` do): that is how a heading gets its line break.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHeaderView, QStyle, QTableView

_H = Qt.Orientation.Horizontal
USEFUL_CHARS = 9  # an eliding column shows at least this many characters while others are wider


def two_lines(title: str) -> str:
    """``title`` broken at the space that makes its longer line shortest ("Target % of\\nintervals")."""
    words = title.split()
    if len(words) < 2:
        return title
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    first, second = min(splits, key=lambda s: max(len(s[0]), len(s[1])))
    return f"{first}\n{second}"


class FittedTableView(QTableView):
    """A table view whose columns fit its width once ``fit_columns`` is called."""

    column_fit: "ColumnFit | None" = None

    def fit_columns(self, elide=(), hide=(), first=()) -> "ColumnFit":
        self.column_fit = ColumnFit(self, elide, hide, first)
        return self.column_fit

    def viewportEvent(self, event) -> bool:
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize and self.column_fit is not None:
            self.column_fit.fit()  # the view's width changed, or a scroll bar came or went
        return handled


class ColumnFit:
    """Keeps ``view``'s columns fitted (see the module's docstring)."""

    def __init__(self, view: QTableView, elide=(), hide=(), first=()):
        # ``first``: eliding columns whose cells are made whole before the others grow (names)
        self.view, self.elide, self.hide, self.first = view, tuple(elide), tuple(hide), tuple(first)
        self.titles: dict[int, str] = {}  # each column's heading on one line
        self._fitting = False
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(8)
        header.setTextElideMode(Qt.TextElideMode.ElideNone)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setWordWrap(False)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        model = view.model()
        model.modelReset.connect(self._reset)  # new rows, perhaps new headings
        for signal in (model.layoutChanged, model.rowsInserted, model.rowsRemoved, model.dataChanged):
            signal.connect(lambda *_: self.fit())
        self.fit()

    def _reset(self) -> None:
        self.titles.clear()
        self.fit()

    def _title(self, column: int) -> str:
        model = self.view.model()
        if column not in self.titles:
            self.titles[column] = str(model.headerData(column, _H) or "").replace("\n", " ")
        return self.titles[column]

    def fit(self) -> None:
        if self._fitting:
            return
        self._fitting = True
        try:
            self._fit()
        finally:
            self._fitting = False

    def _fit(self) -> None:
        view = self.view
        model, header = view.model(), view.horizontalHeader()
        count = model.columnCount()
        if not count:
            return
        style, fm = header.style(), header.fontMetrics()
        margin = 2 * style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header) + 6
        if header.isSortIndicatorShown():
            margin += style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
        char = view.fontMetrics().averageCharWidth()
        one, two, want, floor, useful, cells = {}, {}, {}, {}, {}, {}
        for c in range(count):
            title = self._title(c)
            one[c] = fm.horizontalAdvance(title) + margin
            two[c] = max(fm.horizontalAdvance(line) for line in two_lines(title).split("\n")) + margin
            cells[c] = view.sizeHintForColumn(c) if model.rowCount() else 0
            want[c] = max(one[c], cells[c])
            floor[c] = two[c] if c in self.elide else max(two[c], cells[c])
            # an eliding column is of use with a few words showing
            useful[c] = max(floor[c], min(want[c], USEFUL_CHARS * char)) if c in self.elide else floor[c]
        # what each column gets, from least to most: its heading on two lines (and, unless it
        # elides, its cells); a few words of its cells; its cells whole; its heading on one line
        # too (a heading on two lines costs a line of height, a cell elided costs its words)
        tiers = [floor, useful, {c: max(useful[c], cells[c]) for c in range(count)}, want]
        room = view.viewport().width()
        hidden = set()
        for c in self.hide:  # the least needed go first, before the others elide to nothing
            if sum(useful[k] for k in range(count) if k not in hidden) <= room:
                break
            hidden.add(c)
        shown = [c for c in range(count) if c not in hidden]
        fitting = [t for t in tiers if sum(t[c] for c in shown) <= room]
        widths = dict(fitting[-1] if fitting else floor)
        spare = room - sum(widths[c] for c in shown)
        if spare > 0:
            following = tiers[len(fitting)] if len(fitting) < len(tiers) else None
            if following is not None:  # towards the next tier, in proportion to what each lacks
                lacking = {c: following[c] - widths[c] for c in shown if following[c] > widths[c]}
                for c in self.first:  # these first, whole if the room allows
                    if c in lacking:
                        given = min(spare, lacking.pop(c))
                        widths[c] += given
                        spare -= given
                total = sum(lacking.values())
                for c, short in lacking.items():
                    widths[c] += spare * short // total
            else:  # all they want: the eliding columns (else the last) take the rest
                takers = [c for c in shown if c in self.elide] or shown[-1:]
                for i, c in enumerate(takers):
                    widths[c] += spare // len(takers) + (1 if i < spare % len(takers) else 0)
        for c in range(count):
            header.setSectionHidden(c, c in hidden)
            title = self._title(c)
            shown_title = title if c in hidden or widths[c] >= one[c] else two_lines(title)
            if model.headerData(c, _H) != shown_title:
                model.setHeaderData(c, _H, shown_title)
            if c not in hidden and header.sectionSize(c) != widths[c]:
                header.resizeSection(c, widths[c])
