"""The window shows the same chart description the PDF prints, through QtSvg."""

from __future__ import annotations

from PySide6.QtGui import QColor

from desktop.reports.charts import BarChart, Series
from desktop.ui.chart_view import ChartView

CHART = BarChart(
    "On task by code",
    ("On task", "Off task: verbal"),
    (Series("Zoë", (62.0, 21.0), "#0072B2"), Series("Peer", (80.0, 5.0), "#9ca3af", striped=True)),
    y_max=100,
    value_suffix="%",
)


def coloured_pixels(image, colour: str, tolerance: int = 8) -> int:
    """Pixels within ``tolerance`` of ``colour`` (SVG colours are written as whole percentages)."""
    t = QColor(colour)
    count = 0
    for x in range(0, image.width(), 2):
        for y in range(0, image.height(), 2):
            c = QColor(image.pixel(x, y))
            if max(abs(c.red() - t.red()), abs(c.green() - t.green()), abs(c.blue() - t.blue())) <= tolerance:
                count += 1
    return count


def test_the_chart_is_drawn_from_its_svg(qtbot):
    view = ChartView()
    qtbot.addWidget(view)
    view.resize(600, 260)
    view.set_chart(CHART)
    view.show()
    qtbot.waitExposed(view)
    assert view.renderer.isValid()
    assert "62%" in view.svg and "Zoë" in view.svg
    image = view.grab().toImage()
    assert coloured_pixels(image, "#0072B2") > 50  # the pupil's bars are painted
    assert coloured_pixels(image, "#000000", 0) < 200  # on white paper, not a black box


def test_a_new_width_draws_the_chart_again_at_that_width(qtbot):
    view = ChartView()
    qtbot.addWidget(view)
    view.resize(500, 240)
    view.set_chart(CHART)
    first = view.svg
    view.resize(800, 240)
    view.show()
    qtbot.waitExposed(view)
    assert view.svg != first and 'width="800.0"' in view.svg


def test_no_chart_shows_the_empty_text(qtbot):
    view = ChartView(empty_text="No observation chosen.")
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.set_chart(None)
    view.show()
    qtbot.waitExposed(view)
    image = view.grab().toImage()
    assert coloured_pixels(image, "#0072B2") == 0
    assert view.svg == ""


def test_painting_the_drawing_with_qt_matches_its_svg(qtbot):
    """``paint_drawing`` (the live interval strip's fast path) paints the same drawing the PDF
    and the SVG get: the two images agree pixel for pixel but for anti-aliased edges."""
    from PySide6.QtCore import QByteArray, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from desktop.reports.charts import IntervalStrip, StripCell, to_drawing, to_svg
    from desktop.ui.chart_view import load_report_fonts, paint_drawing

    load_report_fonts()
    strip = IntervalStrip(
        "Interval by interval",
        tuple(
            StripCell("1" if i % 3 else "2", "#009E73" if i % 3 else "#D55E00", peer=i % 5 == 4, excluded=i == 7)
            for i in range(40)
        ),
        (("1", "On task", "#009E73"), ("2", "Off task", "#D55E00")),
        slots=45,
    )
    for chart in (strip, CHART):
        drawing = to_drawing(chart, 600.0)
        w, h = int(drawing.width), int(drawing.height)
        painted, from_svg = (QImage(w, h, QImage.Format.Format_RGB32) for _ in range(2))
        for image in (painted, from_svg):
            image.fill(QColor("white"))
        p = QPainter(painted)
        paint_drawing(p, drawing)
        p.end()
        p = QPainter(from_svg)
        QSvgRenderer(QByteArray(to_svg(chart, 600.0).encode())).render(p, QRectF(0, 0, w, h))
        p.end()
        same = sum(
            1
            for x in range(0, w, 2)
            for y in range(0, h, 2)
            if max(
                abs(a - b)
                for a, b in zip(QColor(painted.pixel(x, y)).getRgb()[:3], QColor(from_svg.pixel(x, y)).getRgb()[:3])
            )
            <= 60
        )
        assert same / ((w + 1) // 2 * ((h + 1) // 2)) > 0.9  # edges differ by a part of a pixel
        for colour in ("#009E73", "#D55E00") if chart is strip else ("#0072B2",):
            ours, theirs = coloured_pixels(painted, colour), coloured_pixels(from_svg, colour)
            assert ours > 50 and abs(ours - theirs) <= 0.25 * theirs  # anti-aliased edges aside
