"""A widget that shows a chart description (``desktop.reports.charts``) with QtSvg.

The chart is drawn by the same reportlab code that puts it in a PDF, rendered
to SVG at the widget's width, so the window and the printed report cannot
disagree. Re-rendered only when the chart or the width changes.

The Assessments tab's progress bars and the outcomes means plot are built by
``desktop.forms.presentation`` (``progress_chart``, ``means_chart``); the
observation window's interval strip by ``desktop.reports.visit.observation_strip``,
the description the visit report prints (``StripView`` in the observation window).
Setting an equal description again draws nothing, so a window may rebuild its
description on every refresh and pay only when something changed.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPalette,
    QPen,
    QTransform,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.reports import charts
from desktop.reports.fonts import BOLD, FACES, font_dir

_fonts_loaded = False


def load_report_fonts() -> None:
    """Make the bundled DejaVu Sans faces available to Qt (SVG text asks for them by name)."""
    global _fonts_loaded
    if _fonts_loaded:
        return
    for filename in FACES.values():
        QFontDatabase.addApplicationFont(str(font_dir() / filename))
    _fonts_loaded = True


class ChartView(QWidget):
    """Shows one chart; ``set_chart(None)`` shows ``empty_text`` instead."""

    def __init__(self, parent=None, empty_text: str = "Nothing to show yet."):
        super().__init__(parent)
        load_report_fonts()
        self.chart: charts.Chart | None = None
        self.empty_text = empty_text
        self.svg = ""
        self._svg_width = 0
        self.renderer = QSvgRenderer(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor("white"))  # the chart's colours assume paper
        self.setPalette(pal)
        self.setMinimumHeight(120)

    def set_chart(self, chart: charts.Chart | None) -> None:
        if chart == self.chart and (chart is None or self._svg_width):
            return  # the same description (frozen data): nothing to draw again
        self.chart = chart
        self._svg_width = 0
        self._render()
        self.updateGeometry()
        self.update()

    def _render(self) -> None:
        width = max(200, self.width())
        if self.chart is None or width == self._svg_width:
            return
        self.svg = charts.to_svg(self.chart, float(width))
        self.renderer.load(QByteArray(self.svg.encode("utf-8")))
        self._svg_width = width

    def sizeHint(self) -> QSize:
        size = self.renderer.defaultSize() if self.chart is not None else QSize(480, 160)
        return QSize(max(480, size.width()), max(160, size.height()))

    def resizeEvent(self, event) -> None:
        self._render()
        super().resizeEvent(event)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        if self.chart is None or not self.renderer.isValid():
            painter.setPen(QColor("#4b5563"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        self._render()
        size = self.renderer.defaultSize()
        scale = min(self.width() / max(1, size.width()), self.height() / max(1, size.height()))
        self.renderer.render(painter, QRectF(0, 0, size.width() * scale, size.height() * scale))


# -- painting a drawing with Qt ----------------------------------------------------------------
def _qcolor(colour, opacity: float | None = None) -> QColor | None:
    if colour is None:
        return None
    c = QColor.fromRgbF(colour.red, colour.green, colour.blue, getattr(colour, "alpha", 1.0))
    if opacity is not None:
        c.setAlphaF(c.alphaF() * opacity)
    return c


def _pen(shape) -> QPen:
    colour = _qcolor(getattr(shape, "strokeColor", None), getattr(shape, "strokeOpacity", None))
    if colour is None:
        return QPen(Qt.PenStyle.NoPen)
    pen = QPen(colour, float(getattr(shape, "strokeWidth", 1) or 0.0001))
    dashes = getattr(shape, "strokeDashArray", None)
    if dashes:
        width = pen.widthF() or 1.0
        pen.setDashPattern([max(0.1, float(d) / width) for d in dashes])
    return pen


def _brush(shape) -> QBrush:
    colour = _qcolor(getattr(shape, "fillColor", None), getattr(shape, "fillOpacity", None))
    return QBrush(colour) if colour is not None else QBrush(Qt.BrushStyle.NoBrush)


_font_cache: dict[tuple[str, float], QFont] = {}


def _font(name: str, size: float) -> QFont:
    key = (name, size)
    font = _font_cache.get(key)
    if font is None:
        font = QFont("DejaVu Sans")
        font.setPixelSize(max(1, round(size)))  # a drawing's points are the widget's pixels
        font.setBold(name == BOLD)
        _font_cache[key] = font
    return font


def paint_drawing(painter: QPainter, drawing) -> None:
    """Paint a ``reportlab.graphics`` ``Drawing`` (from ``charts.to_drawing``) with Qt, one
    drawing unit to a pixel: the very shapes the PDF prints, without the SVG round trip.

    Covers the shapes ``desktop.reports.charts`` draws (groups with their transforms,
    rectangles, lines, polylines, circles and strings). Used where a chart changes often
    and must redraw in a few milliseconds (the observation window's live interval strip);
    other charts go through QtSvg (``ChartView``)."""
    from reportlab.graphics.shapes import Circle, Group, Line, PolyLine, Rect, String

    load_report_fonts()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    # reportlab's y runs upwards from the bottom; Qt's downwards from the top
    painter.translate(0, drawing.height)
    painter.scale(1, -1)

    def walk(node) -> None:
        if isinstance(node, Group) or hasattr(node, "contents"):
            a, b, c, d, e, f = getattr(node, "transform", (1, 0, 0, 1, 0, 0))
            painter.save()
            painter.setTransform(QTransform(a, b, c, d, e, f), True)
            for child in node.contents:
                walk(child)
            painter.restore()
        elif isinstance(node, Rect):
            painter.setPen(_pen(node))
            painter.setBrush(_brush(node))
            painter.drawRect(QRectF(node.x, node.y, node.width, node.height))
        elif isinstance(node, Line):
            painter.setPen(_pen(node))
            painter.drawLine(QPointF(node.x1, node.y1), QPointF(node.x2, node.y2))
        elif isinstance(node, PolyLine):
            painter.setPen(_pen(node))
            pts = node.points
            painter.drawPolyline([QPointF(pts[i], pts[i + 1]) for i in range(0, len(pts) - 1, 2)])
        elif isinstance(node, Circle):
            painter.setPen(_pen(node))
            painter.setBrush(_brush(node))
            painter.drawEllipse(QPointF(node.cx, node.cy), node.r, node.r)
        elif isinstance(node, String) and node.text:
            font = _font(node.fontName, node.fontSize)
            advance = QFontMetricsF(font).horizontalAdvance(node.text)
            x = node.x - {"middle": advance / 2, "end": advance}.get(node.textAnchor, 0.0)
            painter.save()
            painter.translate(x, node.y)
            painter.scale(1, -1)  # text upright again, its baseline at the point
            painter.setFont(font)
            painter.setPen(_qcolor(node.fillColor) or QColor("black"))
            painter.drawText(QPointF(0, 0), node.text)
            painter.restore()

    walk(drawing)
    painter.restore()
