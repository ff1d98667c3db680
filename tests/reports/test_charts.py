"""One chart description, drawn as a reportlab Drawing (PDF) and as SVG (window)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from reportlab.graphics.shapes import Line, PolyLine, Rect

from desktop.reports import charts
from desktop.reports.charts import (
    BarChart,
    Histogram,
    IntervalStrip,
    LineChart,
    Series,
    StripCell,
    chart_texts,
    nice_max,
    to_drawing,
    to_svg,
)


def shapes(drawing, kind):
    out = []

    def walk(node):
        if isinstance(node, kind):
            out.append(node)
        for child in getattr(node, "contents", []):
            walk(child)

    walk(drawing)
    return out


BARS = BarChart(
    "On task by code",
    ("On task", "Off task: verbal", "Disruptive"),
    (Series("Zoë", (62.0, 21.0, 8.0)), Series("Peer", (80.0, None, 0.0), "#9ca3af", striped=True)),
    y_max=100,
    value_suffix="%",
)


def test_every_bar_prints_its_value_and_every_series_is_in_the_legend():
    """Colour is never the only signal: values and names are text."""
    texts = chart_texts(BARS)
    for value in ("62%", "21%", "8%", "80%", "0%"):
        assert value in texts
    assert {"Zoë", "Peer", "On task by code", "On task", "Disruptive"} <= set(texts)
    assert "–" in texts  # the peer's missing value is marked, not drawn as 0


def test_striped_series_differ_by_pattern_not_only_colour():
    solid = BarChart("t", ("a",), (Series("s", (50.0,)),))
    striped = BarChart("t", ("a",), (Series("s", (50.0,), striped=True),))
    assert len(shapes(to_drawing(striped, 300), Line)) > len(shapes(to_drawing(solid, 300), Line)) + 5


def test_ranges_are_shaded_behind_their_category_and_named_in_the_legend():
    chart = BarChart(
        "Boxall",
        ("A", "B"),
        (Series("Score", (12.0, 4.0)),),
        ranges=((10.0, 16.0), None),
        range_label="competence range",
    )
    ranges = [r for r in shapes(to_drawing(chart, 400), Rect) if getattr(r, "fillOpacity", None)]
    assert len(ranges) == 2  # the band behind A and the legend swatch
    assert "competence range" in chart_texts(chart)


def test_long_labels_fall_back_to_short_ones_when_they_do_not_fit():
    ids = "ABCDEFGHIJQRSTUVWXYZ"
    wrapped = BarChart(
        "t",
        tuple(f"Cluster {c} (synthetic)" for c in ids[:10]),
        (Series("s", tuple(float(i) for i in range(10))),),
        short_labels=tuple(ids[:10]),
    )
    assert "(synthetic)" in chart_texts(wrapped)  # 10 fit over two lines each
    crowded = BarChart(
        "t",
        tuple(f"Cluster {c} (synthetic)" for c in ids),
        (Series("s", tuple(float(i) for i in range(20))),),
        short_labels=tuple(ids),
    )
    texts = chart_texts(crowded)
    assert set(ids) <= set(texts) and "Cluster" not in " ".join(texts)


def test_the_svg_is_well_formed_and_carries_the_same_texts():
    svg = to_svg(BARS, 480)
    root = ET.fromstring(svg.encode("utf-8"))
    found = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert sorted(found) == sorted(chart_texts(BARS))
    assert "DejaVu Sans" in svg and "DejaVuSans;" not in svg


def test_a_line_chart_leaves_a_gap_at_a_missing_point():
    chart = LineChart(
        "Means", ("T1", "T2", "T3", "T4"), (Series("Conduct", (5.0, 4.0, None, 3.0)),), notes=("n=4", "n=3", "", "n=2")
    )
    drawing = to_drawing(chart, 400)
    assert len(shapes(drawing, PolyLine)) == 1  # T1–T2 only; T4 stands alone
    assert {"5", "4", "3", "n=4", "n=2"} <= set(chart_texts(chart))


def test_histogram_counts_values_into_bins_the_last_closed():
    h = Histogram.of("Contacts per case", [0, 1, 1.5, 2, 5, 10], [0, 2, 4, 10])
    assert h.counts == (3, 1, 2)
    assert {"3", "1", "2"} <= set(chart_texts(h))


def test_the_interval_strip_marks_every_cell():
    cells = (StripCell("1", "#2CA02C"), StripCell("2", "#FF7F0E", peer=True), StripCell("", "#ffffff", excluded=True))
    chart = IntervalStrip("Intervals", cells, (("1", "On task", "#2CA02C"), ("2", "Off task", "#FF7F0E")))
    texts = chart_texts(chart)
    assert texts.count("1") >= 2 and texts.count("2") >= 2  # cell mark + legend swatch
    assert "·" in texts and "On task" in texts and "excluded (not coded)" in texts


@pytest.mark.parametrize(
    "value,expected", [(0, (1.0, 0.2)), (7, (8, 2)), (100, (100, 20)), (23, (25, 5)), (0.6, (0.6, 0.2))]
)
def test_nice_axis_maxima(value, expected):
    top, step = nice_max(value)
    assert (round(top, 6), round(step, 6)) == expected


def test_a_non_chart_is_refused():
    with pytest.raises(TypeError):
        charts.to_drawing("bars", 100)


def test_the_strip_layout_finds_the_cell_under_a_point():
    """The observation window's hover asks the drawing's own layout which cell is where."""
    from desktop.reports.charts import strip_cell_at, strip_layout

    cells = tuple(StripCell(str(i % 3), "#2CA02C", peer=i % 5 == 0) for i in range(47))
    chart = IntervalStrip("", cells, (("1", "On task", "#2CA02C"),), per_row=20, slots=60)
    layout = strip_layout(chart, 500)
    assert layout.height == to_drawing(chart, 500).height  # three rows for the 60 planned
    for i in range(len(cells)):
        x, y = layout.cell_box(i)
        assert strip_cell_at(chart, 500, x + layout.cell_w / 2, layout.height - y - 7) == i
    x, y = layout.cell_box(50)  # a planned interval not yet recorded
    assert strip_cell_at(chart, 500, x + 2, layout.height - y - 7) is None
    assert strip_cell_at(chart, 500, 2, 2) is None  # the legend
