"""A widget that shows a chart description (``desktop.reports.charts``) with QtSvg.

The chart is drawn by the same reportlab code that puts it in a PDF, rendered
to SVG at the widget's width, so the window and the printed report cannot
disagree. Re-rendered only when the chart or the width changes.

The Assessments tab's progress bars and the outcomes means plot are built by
``desktop.forms.presentation`` (``progress_chart``, ``means_chart``); the
observation window's interval strip is still painted by that window.
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QPalette
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.reports import charts
from desktop.reports.fonts import FACES, font_dir

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
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)
            return
        self._render()
        size = self.renderer.defaultSize()
        scale = min(self.width() / max(1, size.width()), self.height() / max(1, size.height()))
        self.renderer.render(painter, QRectF(0, 0, size.width() * scale, size.height() * scale))
