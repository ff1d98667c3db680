"""Charts as plain descriptions, drawn once for the PDF and the window (no Qt).

A chart is a frozen data object — ``BarChart``, ``LineChart``, ``Histogram`` or
``IntervalStrip`` — holding the numbers, labels, ranges and colours. It is not
a widget and knows nothing of pages: ``to_drawing(chart, width)`` draws it as a
``reportlab.graphics`` ``Drawing`` (vector, a flowable in a PDF) and
``to_svg(chart, width)`` renders that same drawing to SVG, which the window
shows with QtSvg (``desktop/ui/chart_view.py``). One engine, two outputs: what
a practitioner sees on screen is what the school reads on paper.

Colour never carries meaning alone: every bar and point prints its value,
series differ by fill pattern as well as colour (solid or striped; solid or
dashed lines), interval-strip cells carry their code's mark, and the legend
spells each out. Colours default to the Okabe–Ito set, distinguishable with
the common colour-vision deficiencies and in greyscale by their lightness.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence, Union

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from desktop.reports.fonts import BOLD, FAMILY, register_fonts

#: Okabe–Ito, yellow dropped for contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
TARGET_COLOUR = "#0072B2"
PEER_COLOUR = "#9ca3af"
TIME_POINT_COLOURS = {"T1": "#93c5fd", "T2": "#2563eb", "T3": "#1e3a8a"}
RANGE_FILL = "#16a34a"
INK = "#111827"
MUTED = "#4b5563"
GRID = "#e5e7eb"
EXCLUDED_FILL = "#e5e7eb"
SMALL = 7.5
LABEL = 8.5


@dataclass(frozen=True)
class Series:
    """One set of values (aligned with the chart's categories); None is a missing value.

    ``striped`` is the second signal besides colour (a light fill with stripes for
    bars, a dashed line for lines)."""

    name: str
    values: tuple[float | None, ...]
    colour: str = PALETTE[0]
    striped: bool = False


@dataclass(frozen=True)
class BarChart:
    """Grouped bars per category; ``ranges`` shade a band (e.g. a competence range)
    behind a category's group. ``short_labels`` replace labels too long to fit."""

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    y_max: float | None = None
    y_label: str = ""
    value_suffix: str = ""
    value_decimals: int = 0
    ranges: tuple[tuple[float, float] | None, ...] = ()
    range_label: str = ""
    short_labels: tuple[str, ...] = ()
    height: float = 210.0
    #: One bar per category with the series on top of each other (e.g. schools at
    #: Red, Amber, Green per criterion); each segment prints its value when it fits.
    stacked: bool = False


@dataclass(frozen=True)
class LineChart:
    """Lines across ordered points (e.g. means at T1/T2/T3); ``notes`` print under each
    x label (e.g. the number of pupils a mean rests on)."""

    title: str
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]
    y_max: float | None = None
    y_label: str = ""
    value_suffix: str = ""
    value_decimals: int = 1
    notes: tuple[str, ...] = ()
    height: float = 220.0


@dataclass(frozen=True)
class Histogram:
    """Counts of values in bins ``[edges[i], edges[i+1])`` (the last bin closed)."""

    title: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    x_label: str = ""
    y_label: str = "Count"
    colour: str = PALETTE[0]
    height: float = 200.0

    @classmethod
    def of(cls, title: str, values: Sequence[float], edges: Sequence[float], **kw) -> "Histogram":
        counts = [0] * (len(edges) - 1)
        for v in values:
            for i in range(len(counts)):
                last = i == len(counts) - 1
                if edges[i] <= v < edges[i + 1] or (last and v == edges[i + 1]):
                    counts[i] += 1
                    break
        return cls(title, tuple(edges), tuple(counts), **kw)


@dataclass(frozen=True)
class StripCell:
    """One interval: its mark (the code's legend number, '' for none), colour, subject."""

    mark: str
    colour: str
    peer: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class IntervalStrip:
    """One cell per interval in order, coloured and marked by its behaviour code."""

    title: str
    cells: tuple[StripCell, ...]
    legend: tuple[tuple[str, str, str], ...] = ()  # (mark, label, colour)
    per_row: int = 30
    height: float = 0.0  # computed from rows when 0
    #: Cells to lay out (at least): a live observation's planned intervals, drawn as empty
    #: outlines until they are recorded, so the cells keep their size as the lesson goes on.
    slots: int = 0


Chart = Union[BarChart, LineChart, Histogram, IntervalStrip]


# -- helpers -----------------------------------------------------------------------------------
def nice_max(value: float) -> tuple[float, float]:
    """An axis maximum at or above ``value`` and a tick step (1, 2, 2.5 or 5 × 10^k)."""
    if value <= 0:
        return 1.0, 0.2
    raw = value / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if step >= raw:
            break
    return math.ceil(value / step - 1e-9) * step, step


def _num(v: float, decimals: int = 0) -> str:
    if decimals == 0 or abs(v - round(v)) < 1e-9:
        return str(int(round(v))) if decimals == 0 else f"{v:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{v:.{decimals}f}"


def _c(hex_colour: str):
    return colors.HexColor(hex_colour)


def _tint(hex_colour: str, amount: float = 0.75):
    c = _c(hex_colour)
    return colors.Color(c.red + (1 - c.red) * amount, c.green + (1 - c.green) * amount, c.blue + (1 - c.blue) * amount)


def _text(x, y, text, size=SMALL, anchor="start", colour=INK, bold=False) -> String:
    return String(x, y, text, fontName=BOLD if bold else FAMILY, fontSize=size, fillColor=_c(colour), textAnchor=anchor)


def _bar(group: Group, x: float, y: float, w: float, h: float, colour: str, striped: bool) -> None:
    if h <= 0:
        group.add(Line(x, y, x + w, y, strokeColor=_c(colour), strokeWidth=1.2))
        return
    if not striped:
        group.add(Rect(x, y, w, h, fillColor=_c(colour), strokeColor=None))
        return
    group.add(Rect(x, y, w, h, fillColor=_tint(colour), strokeColor=_c(colour), strokeWidth=0.8))
    yy = y + 2.5
    while yy < y + h - 0.5:
        group.add(Line(x, yy, x + w, yy, strokeColor=_c(colour), strokeWidth=0.6))
        yy += 3.0


def _legend(group: Group, entries, x: float, y: float, width: float) -> float:
    """Swatch + label entries wrapped over lines from (x, y) downwards; returns height used."""
    cx, cy, line_h = x, y, LABEL + 5
    for kind, label, colour, striped in entries:
        w = 14 + stringWidth(label, FAMILY, LABEL) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy - line_h
        if kind == "bar":
            _bar(group, cx, cy - 1, 10, 9, colour, striped)
        elif kind == "range":
            group.add(
                Rect(
                    cx,
                    cy - 1,
                    10,
                    9,
                    fillColor=_c(colour),
                    fillOpacity=0.18,
                    strokeColor=_c(colour),
                    strokeWidth=0.6,
                    strokeDashArray=[2, 1],
                )
            )
        else:  # line
            group.add(
                Line(
                    cx,
                    cy + 3.5,
                    cx + 10,
                    cy + 3.5,
                    strokeColor=_c(colour),
                    strokeWidth=2,
                    strokeDashArray=[3, 2] if striped else None,
                )
            )
        group.add(_text(cx + 14, cy, label, LABEL))
        cx += w
    return y - cy + line_h


def _y_axis(
    group: Group,
    left: float,
    bottom: float,
    right: float,
    top: float,
    y_max: float,
    step: float,
    suffix: str,
    label: str,
) -> None:
    v = 0.0
    while v <= y_max + 1e-9:
        y = bottom + v / y_max * (top - bottom)
        group.add(Line(left, y, right, y, strokeColor=_c(GRID), strokeWidth=0.5))
        group.add(_text(left - 3, y - 2.5, _num(v, 1 if step < 1 else 0) + suffix, SMALL, "end", MUTED))
        v += step
    group.add(Line(left, bottom, right, bottom, strokeColor=_c(INK), strokeWidth=0.8))
    if label:
        g = Group(_text(0, 0, label, SMALL, "middle", MUTED))
        g.translate(8, (bottom + top) / 2)
        g.rotate(90)
        group.add(g)


def _title(group: Group, chart, width: float, height: float) -> float:
    if not chart.title:
        return height
    group.add(_text(0, height - 11, chart.title, 10, bold=True))
    return height - 16


# -- bar charts --------------------------------------------------------------------------------
def _draw_bars(chart: BarChart, width: float) -> Drawing:
    register_fonts()
    height = chart.height
    d = Drawing(width, height)
    g = Group()
    top = _title(g, chart, width, height)
    entries = [("bar", s.name, s.colour, s.striped) for s in chart.series]
    if chart.range_label and any(chart.ranges):
        entries.append(("range", chart.range_label, RANGE_FILL, False))
    top -= _legend(g, entries, 0, top - 9, width) + 4
    values = [v for s in chart.series for v in s.values if v is not None]
    if chart.stacked:
        values = [
            sum(s.values[i] or 0 for s in chart.series if i < len(s.values)) for i in range(len(chart.categories))
        ]
    highs = [r[1] for r in chart.ranges if r]
    y_max, step = nice_max(max(values + highs + [chart.y_max or 0, 1]))
    n = max(1, len(chart.categories))
    left = 34 if chart.y_label else 26
    plot_w = width - left - 4
    slot = plot_w / n
    labels = [lab for lab in chart.categories]

    # Long words break after a slash ("Hyperactivity/ inattention"); if a word still
    # does not fit or a label needs over 3 lines, the short labels (ids) are used.
    def split(label: str) -> list[str]:
        lines = simpleSplit(label, FAMILY, SMALL, slot - 2)
        if any(stringWidth(w, FAMILY, SMALL) > slot - 2 for w in lines) and "/" in label:
            lines = simpleSplit(label.replace("/", "/ "), FAMILY, SMALL, slot - 2)
        return lines

    lines = [split(lab) for lab in labels]
    if chart.short_labels and any(
        len(x) > 3 or any(stringWidth(w, FAMILY, SMALL) > slot - 2 for w in x) for x in lines
    ):
        lines = [[lab] for lab in chart.short_labels]
    bottom = 6 + (SMALL + 1.5) * max((len(x) for x in lines), default=1)
    plot_top = top - SMALL - 4  # room for value labels over the tallest bar
    _y_axis(g, left, bottom, left + plot_w, plot_top, y_max, step, chart.value_suffix, chart.y_label)

    def y_of(v: float) -> float:
        return bottom + min(v, y_max) / y_max * (plot_top - bottom)

    if chart.stacked:
        _stacks(g, chart, n, left, slot, bottom, y_of, lines)
        d.add(g)
        return d
    k = max(1, len(chart.series))
    bar_w = min(26.0, slot * 0.8 / k)
    show_values = bar_w >= stringWidth("100" + chart.value_suffix, FAMILY, SMALL - 1) - 2
    for i in range(n):
        x0 = left + i * slot
        rng = chart.ranges[i] if i < len(chart.ranges) else None
        if rng:
            g.add(
                Rect(
                    x0 + 1,
                    y_of(rng[0]),
                    slot - 2,
                    max(1.5, y_of(rng[1]) - y_of(rng[0])),
                    fillColor=_c(RANGE_FILL),
                    fillOpacity=0.18,
                    strokeColor=_c(RANGE_FILL),
                    strokeWidth=0.6,
                    strokeDashArray=[2, 1],
                )
            )
        start = x0 + slot / 2 - bar_w * k / 2
        for j, s in enumerate(chart.series):
            v = s.values[i] if i < len(s.values) else None
            bx = start + j * bar_w + 0.5
            if v is None:
                g.add(_text(bx + (bar_w - 1) / 2, bottom + 2, "–", SMALL, "middle", MUTED))
                continue
            _bar(g, bx, bottom, bar_w - 1, y_of(v) - bottom, s.colour, s.striped)
            if show_values:
                g.add(
                    _text(
                        bx + (bar_w - 1) / 2,
                        y_of(v) + 2,
                        _num(v, chart.value_decimals) + chart.value_suffix,
                        SMALL - 1,
                        "middle",
                    )
                )
        for li, text in enumerate(lines[i]):
            g.add(_text(x0 + slot / 2, bottom - 9 - li * (SMALL + 1.5), text, SMALL, "middle"))
    d.add(g)
    return d


def _stacks(g: Group, chart: BarChart, n: int, left: float, slot: float, bottom: float, y_of, lines) -> None:
    """One bar per category, the series stacked bottom-up, each segment's value inside it."""
    bar_w = min(30.0, slot * 0.75)
    for i in range(n):
        x0 = left + i * slot
        bx = x0 + (slot - bar_w) / 2
        base = 0.0
        for s in chart.series:
            v = s.values[i] if i < len(s.values) else None
            if not v:
                continue
            y0, y1 = y_of(base), y_of(base + v)
            _bar(g, bx, y0, bar_w, y1 - y0, s.colour, s.striped)
            if y1 - y0 >= SMALL + 1 and bar_w >= stringWidth(_num(v), BOLD, SMALL):
                label = _num(v, chart.value_decimals)
                # white on a solid fill, ink on a striped (light) one
                g.add(
                    String(
                        bx + bar_w / 2,
                        (y0 + y1) / 2 - SMALL / 3,
                        label,
                        fontName=BOLD,
                        fontSize=SMALL,
                        textAnchor="middle",
                        fillColor=_c(INK) if s.striped else colors.white,
                    )
                )
            base += v
        if base:
            g.add(_text(bx + bar_w / 2, y_of(base) + 2, _num(base, chart.value_decimals), SMALL - 1, "middle", MUTED))
        for li, text in enumerate(lines[i]):
            g.add(_text(x0 + slot / 2, bottom - 9 - li * (SMALL + 1.5), text, SMALL, "middle"))


def _draw_histogram(chart: Histogram, width: float) -> Drawing:
    labels = tuple(f"{_num(a, 1)}–{_num(b, 1)}" for a, b in zip(chart.edges, chart.edges[1:]))
    bars = BarChart(
        chart.title,
        labels,
        (Series(chart.y_label or "Count", tuple(float(c) for c in chart.counts), chart.colour),),
        y_label=chart.y_label,
        height=chart.height,
    )
    d = _draw_bars(bars, width)
    if chart.x_label:
        d.add(_text(width / 2, 0, chart.x_label, SMALL, "middle", MUTED))
    return d


# -- line charts -------------------------------------------------------------------------------
def _draw_lines(chart: LineChart, width: float) -> Drawing:
    register_fonts()
    height = chart.height
    d = Drawing(width, height)
    g = Group()
    top = _title(g, chart, width, height)
    top -= _legend(g, [("line", s.name, s.colour, s.striped) for s in chart.series], 0, top - 9, width) + 4
    values = [v for s in chart.series for v in s.values if v is not None]
    y_max, step = nice_max(max(values + [chart.y_max or 0, 1]))
    left = 34 if chart.y_label else 26
    plot_w = width - left - 8
    bottom = 8 + (SMALL + 2) * (2 if chart.notes else 1)
    plot_top = top - SMALL - 2
    _y_axis(g, left, bottom, left + plot_w, plot_top, y_max, step, chart.value_suffix, chart.y_label)
    n = max(1, len(chart.x_labels))
    xs = [left + plot_w * (i + 0.5) / n for i in range(n)]
    for i, label in enumerate(chart.x_labels):
        g.add(_text(xs[i], bottom - 10, label, SMALL, "middle"))
        if i < len(chart.notes) and chart.notes[i]:
            g.add(_text(xs[i], bottom - 10 - SMALL - 2, chart.notes[i], SMALL, "middle", MUTED))

    def y_of(v):
        return bottom + min(v, y_max) / y_max * (plot_top - bottom)

    for s in chart.series:
        run: list[float] = []
        points = [(xs[i], y_of(v), v) for i, v in enumerate(s.values[:n]) if v is not None]
        for i, v in enumerate(s.values[:n]):
            if v is None:  # a gap rather than a line across a missing point
                if len(run) >= 4:
                    g.add(
                        PolyLine(
                            run,
                            strokeColor=_c(s.colour),
                            strokeWidth=1.8,
                            strokeDashArray=[4, 2] if s.striped else None,
                        )
                    )
                run = []
                continue
            run += [xs[i], y_of(v)]
        if len(run) >= 4:
            g.add(
                PolyLine(run, strokeColor=_c(s.colour), strokeWidth=1.8, strokeDashArray=[4, 2] if s.striped else None)
            )
        for x, y, v in points:
            g.add(Circle(x, y, 2.8, fillColor=_c(s.colour), strokeColor=colors.white, strokeWidth=0.8))
            g.add(_text(x + 4, y + 3, _num(v, chart.value_decimals) + chart.value_suffix, SMALL - 1))
    d.add(g)
    return d


# -- the interval strip ------------------------------------------------------------------------
STRIP_LEFT = 24.0  # room for the row's first interval number
STRIP_CELL_H = 14.0
STRIP_ROW_H = STRIP_CELL_H + 16  # room for the numbers under a row and the peer bars above the next
PEER_LEGEND = "peer interval (bar above)"


@dataclass(frozen=True)
class StripLayout:
    """Where an interval strip's parts fall in a drawing ``width`` points wide (y upwards,
    as in reportlab): the drawing and the window's hover share it."""

    width: float
    height: float
    per_row: int
    cell_w: float
    cells_top: float  # the top of the first row's cells
    legend: tuple[tuple[float, float, str, str, str], ...]  # (x, y offset, mark, label, colour)
    legend_h: float
    title_h: float

    def cell_box(self, i: int) -> tuple[float, float]:
        """The lower-left corner of cell ``i`` (0-based)."""
        r, c = divmod(i, self.per_row)
        return STRIP_LEFT + c * self.cell_w, self.cells_top - r * STRIP_ROW_H - STRIP_CELL_H


def strip_layout(chart: IntervalStrip, width: float) -> StripLayout:
    per_row = max(1, chart.per_row)
    rows = max(1, math.ceil(max(len(chart.cells), chart.slots) / per_row))
    entries = [(mark, label, colour) for mark, label, colour in chart.legend]
    entries.append(("·", "excluded (not coded)", EXCLUDED_FILL))
    if any(cell.peer for cell in chart.cells):
        entries.append(("", PEER_LEGEND, "#ffffff"))
    # Legend: "1 On task" with its colour swatch carrying the same mark.
    lx, ly, line_h = 0.0, 0.0, LABEL + 6
    placed = []
    for mark, label, colour in entries:
        w = 16 + stringWidth(label, FAMILY, LABEL) + 12
        if lx + w > width and lx > 0:
            lx, ly = 0.0, ly - line_h
        placed.append((lx, ly, mark, label, colour))
        lx += w
    legend_h = -ly + line_h
    title_h = 16 if chart.title else 0
    height = chart.height or title_h + legend_h + rows * STRIP_ROW_H + 8
    cells_top = height - title_h - 4 - legend_h - 4
    return StripLayout(
        width, height, per_row, (width - STRIP_LEFT) / per_row, cells_top, tuple(placed), legend_h, title_h
    )


def strip_cell_at(chart: IntervalStrip, width: float, x: float, y_down: float) -> int | None:
    """The 0-based cell under the point ``x`` across, ``y_down`` down from the top (screen
    coordinates) of the chart drawn ``width`` wide; None between or beside the cells."""
    layout = strip_layout(chart, width)
    y = layout.height - y_down
    for i in range(len(chart.cells)):
        cx, cy = layout.cell_box(i)
        # a cell's row band includes the peer bar above it
        if cx <= x < cx + layout.cell_w and cy <= y <= cy + STRIP_CELL_H + 4:
            return i
    return None


def _draw_strip(chart: IntervalStrip, width: float) -> Drawing:
    register_fonts()
    layout = strip_layout(chart, width)
    cell_w, height = layout.cell_w, layout.height
    g = Group()
    d = Drawing(width, height)
    if chart.title:
        g.add(_text(0, height - 11, chart.title, 10, bold=True))
    top = height - layout.title_h - 4
    for x, y, mark, label, colour in layout.legend:
        yy = top - 10 + y
        if label == PEER_LEGEND:
            g.add(Rect(x, yy + 10, 12, 2.5, fillColor=_c(INK), strokeColor=None))
            g.add(Rect(x, yy - 2, 12, 11, fillColor=colors.white, strokeColor=_c(MUTED), strokeWidth=0.3))
        else:
            g.add(Rect(x, yy - 2, 12, 11, fillColor=_c(colour), strokeColor=_c(MUTED), strokeWidth=0.3))
            g.add(_text(x + 6, yy + 0.5, mark, SMALL - 1, "middle", _mark_colour(colour)))
        g.add(_text(x + 16, yy, label, LABEL))
    for i in range(len(chart.cells), chart.slots):  # the planned intervals still to come
        x, y = layout.cell_box(i)
        g.add(Rect(x, y, cell_w - 1, STRIP_CELL_H, fillColor=None, strokeColor=_c(GRID), strokeWidth=0.6))
    for i, cell in enumerate(chart.cells):
        x, y = layout.cell_box(i)
        c = i % layout.per_row
        fill = EXCLUDED_FILL if cell.excluded else cell.colour
        g.add(Rect(x, y, cell_w - 1, STRIP_CELL_H, fillColor=_c(fill), strokeColor=None))
        mark = "·" if cell.excluded else cell.mark
        if mark and cell_w >= 7:
            g.add(_text(x + (cell_w - 1) / 2, y + 4, mark, SMALL - 1.5, "middle", _mark_colour(fill)))
        if cell.peer:  # peer intervals: a bar above the cell
            g.add(Rect(x, y + STRIP_CELL_H + 1.5, cell_w - 1, 2.5, fillColor=_c(INK), strokeColor=None))
        if c == 0:
            g.add(_text(STRIP_LEFT - 4, y + 4, str(i + 1), SMALL - 1, "end", MUTED))
        if (i + 1) % 10 == 0 or i == len(chart.cells) - 1:
            g.add(_text(x + (cell_w - 1) / 2, y - 8, str(i + 1), SMALL - 1.5, "middle", MUTED))
    d.add(g)
    return d


def _mark_colour(fill_hex: str) -> str:
    """Black or white text, whichever reads better on ``fill_hex``."""
    c = _c(fill_hex)
    luminance = 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue
    return "#000000" if luminance > 0.5 else "#ffffff"


# -- entry points ------------------------------------------------------------------------------
def to_drawing(chart: Chart, width: float) -> Drawing:
    """The chart as a vector ``Drawing`` ``width`` points wide (a PDF flowable)."""
    if isinstance(chart, BarChart):
        return _draw_bars(chart, width)
    if isinstance(chart, LineChart):
        return _draw_lines(chart, width)
    if isinstance(chart, Histogram):
        return _draw_histogram(chart, width)
    if isinstance(chart, IntervalStrip):
        return _draw_strip(chart, width)
    raise TypeError(f"not a chart: {type(chart).__name__}")


def to_svg(chart: Chart, width: float = 480.0) -> str:
    """The same drawing as SVG text, for the window (QtSvg)."""
    svg = renderSVG.drawToString(to_drawing(chart, width))
    # The whole-drawing clip path adds nothing (shapes lie inside the drawing) and
    # SVG Tiny renderers such as QtSvg paint its rectangle black instead of clipping.
    svg = re.sub(r"\s*<clipPath id=\"clip\">.*?</clipPath>", "", svg, flags=re.S)
    svg = svg.replace(' style="clip-path: url(#clip)"', "")
    # reportlab writes its face names; name the family and weight so any SVG
    # renderer (and Qt with the bundled font registered) picks the right face.
    svg = svg.replace(f"font-family: {BOLD};", "font-family: 'DejaVu Sans'; font-weight: bold;")
    return svg.replace(f"font-family: {FAMILY};", "font-family: 'DejaVu Sans';")


def chart_texts(chart: Chart) -> list[str]:
    """Every text the chart prints (titles, labels, legend, values): for tests and checks."""
    drawing = to_drawing(chart, 480)
    out: list[str] = []

    def walk(node):
        if isinstance(node, String):
            out.append(node.text)
        for child in getattr(node, "contents", []):
            walk(child)

    walk(drawing)
    return out


__all__ = [
    "BarChart",
    "Chart",
    "Histogram",
    "IntervalStrip",
    "LineChart",
    "Series",
    "StripCell",
    "StripLayout",
    "chart_texts",
    "nice_max",
    "strip_cell_at",
    "strip_layout",
    "to_drawing",
    "to_svg",
]
