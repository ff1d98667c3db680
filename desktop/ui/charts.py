"""Small charts drawn with QPainter (QtCharts is not installed, and these need little).

``BarChart``: grouped bars, one group per scale, one bar per time point (T1/T2/T3),
with each scale's typical or competence range shaded behind its group.
``MeansPlot``: a cohort's mean score per scale at each time point, as lines with
point markers and the number of pupils (n) each mean rests on.

Both take plain numbers through ``set_data`` and keep them on the widget
(``categories``/``series``), so tests can check what is drawn without pixels.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Time point bar colours: light to dark, so they read in greyscale print too.
TIME_POINT_COLOURS = {"T1": QColor("#93c5fd"), "T2": QColor("#2563eb"), "T3": QColor("#1e3a8a"),
                      "other": QColor("#9ca3af")}
#: Okabe–Ito colours (distinguishable with colour-blindness), yellow dropped for contrast.
SERIES_COLOURS = [QColor(c) for c in ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                      "#56B4E9", "#000000", "#8c564b", "#7f7f7f", "#bcbd22")]
RANGE_FILL = QColor(22, 163, 74, 40)   # translucent green: the typical/competence range
GRID = QColor("#e5e7eb")
MUTED = QColor("#6b7280")


def nice_max(value: float) -> tuple[float, float]:
    """An axis maximum at or above ``value`` and a tick step (1, 2 or 5 × 10^k), ~4–6 ticks."""
    if value <= 0:
        return 1.0, 0.2
    raw = value / 5
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if step >= raw:
            break
    return math.ceil(value / step - 1e-9) * step, step


def _tick_text(v: float) -> str:
    return str(int(v)) if abs(v - round(v)) < 1e-9 else f"{v:g}"


class _Chart(QWidget):
    """Shared frame: margins, the y axis with grid lines, the empty-state text."""

    empty_text = "Nothing to show yet."

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(180)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, pal.color(QPalette.ColorRole.Base))
        self.setPalette(pal)
        self.y_max: float = 1.0
        self.title = ""

    def sizeHint(self) -> QSize:
        return QSize(520, 240)

    def _text_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Text)

    def _small_font(self) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.85))
        return f

    def _draw_empty(self, p: QPainter) -> None:
        p.setPen(MUTED)
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)

    def _draw_y_axis(self, p: QPainter, plot: QRectF, y_max: float, step: float) -> None:
        fm = QFontMetrics(self._small_font())
        p.setFont(self._small_font())
        v = 0.0
        while v <= y_max + 1e-9:
            y = plot.bottom() - v / y_max * plot.height()
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(MUTED)
            text = _tick_text(v)
            p.drawText(QRectF(0, y - fm.height() / 2, plot.left() - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
            v += step
        p.setPen(QPen(self._text_colour(), 1))
        p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))

    def _y(self, plot: QRectF, value: float) -> float:
        return plot.bottom() - min(value, self.y_max) / self.y_max * plot.height()


class BarChart(_Chart):
    """Grouped bars per category (scale) for each series (time point)."""

    empty_text = "No finalised assessments at T1, T2 or T3 on this instrument yet."

    def __init__(self, parent=None):
        super().__init__(parent)
        self.categories: list[tuple[str, str]] = []          # (id, label)
        self.series: list[tuple[str, dict[str, float | None]]] = []  # (time point, id → score)
        self.ranges: dict[str, tuple[float, float]] = {}
        self.range_label = ""

    def set_data(self, categories: Sequence[tuple[str, str]],
                 series: Sequence[tuple[str, Mapping[str, float | None]]],
                 y_max: float | None = None,
                 ranges: Mapping[str, tuple[float, float]] | None = None,
                 range_label: str = "typical range") -> None:
        """Draw ``series`` (name, {category id: value}) over ``categories``; ``ranges``
        shades a band per category; ``y_max`` is the scale's top (else from the data)."""
        self.categories = list(categories)
        ids = {cid for cid, _ in self.categories}
        self.series = [(name, {k: v for k, v in values.items() if k in ids}) for name, values in series]
        self.ranges = dict(ranges or {})
        self.range_label = range_label
        top = max([v for _, vals in self.series for v in vals.values() if v is not None]
                  + [hi for _, hi in self.ranges.values()] + [y_max or 0, 1])
        self.y_max, self._step = nice_max(float(top))
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        has_values = any(v is not None for _, vals in self.series for v in vals.values())
        if not self.categories or not has_values:
            self._draw_empty(p)
            return
        small = self._small_font()
        fm = QFontMetrics(small)
        legend_h = fm.height() + 8
        plot = QRectF(8 + fm.horizontalAdvance("0000"), legend_h + 6,
                      0, 0)
        plot.setRight(self.width() - 10)
        plot.setBottom(self.height() - 2 * fm.height() - 12)
        self._draw_legend(p, fm)
        self._draw_y_axis(p, plot, self.y_max, self._step)

        slot = plot.width() / len(self.categories)
        n = max(1, len(self.series))
        bar_w = min(28.0, slot * 0.8 / n)
        p.setFont(small)
        for i, (cid, label) in enumerate(self.categories):
            x0 = plot.left() + i * slot
            centre = x0 + slot / 2
            rng = self.ranges.get(cid)
            if rng:
                top, bottom = self._y(plot, rng[1]), self._y(plot, rng[0])
                p.fillRect(QRectF(x0 + 2, top, slot - 4, max(2.0, bottom - top)), RANGE_FILL)
            left = centre - bar_w * n / 2
            for j, (name, values) in enumerate(self.series):
                v = values.get(cid)
                if v is None:
                    continue
                y = self._y(plot, float(v))
                rect = QRectF(left + j * bar_w + 1, y, bar_w - 2, plot.bottom() - y)
                p.fillRect(rect, TIME_POINT_COLOURS.get(name, MUTED))
                if bar_w >= 16:
                    p.setPen(self._text_colour())
                    p.drawText(QRectF(rect.left() - 6, y - fm.height() - 1, rect.width() + 12, fm.height()),
                               Qt.AlignmentFlag.AlignCenter, _tick_text(float(v)))
            # The scale's name, wrapped over two lines, if it fits; else its short id
            # (Boxall's 20 clusters: A–J, Q–Z) with the name in the table above.
            box = QRectF(x0 + 1, plot.bottom() + 4, slot - 2, fm.height() * 2 + 2)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            fits = fm.boundingRect(box.toRect(), flags, label).height() <= box.height() and \
                max(fm.horizontalAdvance(w) for w in label.split()) <= box.width()
            p.setPen(self._text_colour())
            p.drawText(box, flags, label if fits else cid)

    def _draw_legend(self, p: QPainter, fm: QFontMetrics) -> None:
        x = 8.0
        p.setFont(self._small_font())
        entries = [(name, TIME_POINT_COLOURS.get(name, MUTED)) for name, _ in self.series]
        if self.ranges:
            entries.append((self.range_label, RANGE_FILL))
        for name, colour in entries:
            p.fillRect(QRectF(x, 6 + (fm.height() - 10) / 2, 10, 10), colour)
            p.setPen(self._text_colour())
            p.drawText(QPointF(x + 14, 6 + fm.ascent()), name)
            x += 14 + fm.horizontalAdvance(name) + 16


class MeansPlot(_Chart):
    """Lines of means across time points, one per scale, with n beside each point."""

    empty_text = "No pupil in this cohort has finalised assessments on this instrument."

    def __init__(self, parent=None):
        super().__init__(parent)
        self.time_points: list[str] = []
        self.series: list[tuple[str, dict[str, tuple[float | None, int]]]] = []  # (label, tp → (mean, n))
        self.setMinimumHeight(260)

    def sizeHint(self) -> QSize:
        return QSize(640, 340)

    def set_data(self, time_points: Sequence[str],
                 series: Sequence[tuple[str, Mapping[str, tuple[float | None, int]]]],
                 y_max: float | None = None) -> None:
        self.time_points = list(time_points)
        self.series = [(label, dict(points)) for label, points in series]
        top = max([m for _, pts in self.series for m, _n in pts.values() if m is not None] + [y_max or 0, 1])
        self.y_max, self._step = nice_max(float(top))
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.time_points or not any(m is not None for _, pts in self.series for m, _ in pts.values()):
            self._draw_empty(p)
            return
        small = self._small_font()
        fm = QFontMetrics(small)
        legend_w = min(220, max(fm.horizontalAdvance(label) for label, _ in self.series) + 34)
        plot = QRectF(8 + fm.horizontalAdvance("0000"), 12, 0, 0)
        plot.setRight(self.width() - legend_w - 16)
        plot.setBottom(self.height() - fm.height() - 12)
        self._draw_y_axis(p, plot, self.y_max, self._step)
        step_x = plot.width() / len(self.time_points)
        xs = {tp: plot.left() + step_x * (i + 0.5) for i, tp in enumerate(self.time_points)}
        p.setFont(small)
        p.setPen(self._text_colour())
        # Where every line rests on the same n at a time point, say it once under the axis
        # (labels beside close points would overlap); otherwise beside each point.
        shared_n = {}
        for tp in self.time_points:
            ns = {pts[tp][1] for _, pts in self.series if pts.get(tp, (None, 0))[0] is not None}
            if len(ns) == 1:
                shared_n[tp] = ns.pop()
        for tp, x in xs.items():
            text = f"{tp}  (n={shared_n[tp]})" if tp in shared_n else tp
            p.drawText(QRectF(x - step_x / 2, plot.bottom() + 4, step_x, fm.height()),
                       Qt.AlignmentFlag.AlignHCenter, text)
        for i, (label, points) in enumerate(self.series):
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            path = QPainterPath()
            started = False
            for tp in self.time_points:
                mean, _n = points.get(tp, (None, 0))
                if mean is None:
                    started = False  # a gap rather than a line across a missing point
                    continue
                pt = QPointF(xs[tp], self._y(plot, mean))
                path.lineTo(pt) if started else path.moveTo(pt)
                started = True
            p.setPen(QPen(colour, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            p.setBrush(colour)
            for tp in self.time_points:
                mean, n = points.get(tp, (None, 0))
                if mean is None:
                    continue
                pt = QPointF(xs[tp], self._y(plot, mean))
                p.setPen(QPen(QColor("white"), 1))
                p.drawEllipse(pt, 4.5, 4.5)
                if tp not in shared_n:
                    p.setPen(colour)
                    p.drawText(QPointF(pt.x() + 7, pt.y() - 4), f"n={n}")
            # Legend entry on the right.
            ly = 14 + i * (fm.height() + 6)
            lx = plot.right() + 22
            p.setPen(QPen(colour, 2))
            p.drawLine(QPointF(lx, ly + fm.height() / 2), QPointF(lx + 18, ly + fm.height() / 2))
            p.setPen(self._text_colour())
            p.drawText(QRectF(lx + 24, ly, legend_w - 24, fm.height()), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, legend_w - 24))
