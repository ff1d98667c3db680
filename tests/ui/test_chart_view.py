"""The window shows the same chart description the PDF prints, through QtSvg."""
from __future__ import annotations

from PySide6.QtGui import QColor

from desktop.reports.charts import BarChart, Series
from desktop.ui.chart_view import ChartView

CHART = BarChart("On task by code", ("On task", "Off task: verbal"),
                 (Series("Zoë", (62.0, 21.0), "#0072B2"), Series("Peer", (80.0, 5.0), "#9ca3af", striped=True)),
                 y_max=100, value_suffix="%")


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
