"""Benchmark: redrawing the observation window's interval strip as intervals close.

The strip is the visit report's chart description (``desktop.reports.visit.observation_strip``)
shown by ``StripView``. While a lesson is recorded the window rebuilds the description at every
refresh (5 times a second) and draws only when it changed, i.e. once an interval closes. For
lessons of 30, 60, 120 and 240 intervals this times, median of 15 runs each:

* ``redraw_ms``: a changed description drawn and painted (reportlab Drawing, painted by Qt
  into a cached pixmap, then onto the widget);
* ``unchanged_ms``: a refresh whose description is equal (nothing drawn);
* ``svg_ms``: the same chart through ``to_svg`` alone, the SVG route ``ChartView`` takes, for
  comparison (before any QtSvg parsing or painting).

Target: a redraw under 50 ms at 60 intervals (it happens once a minute at minute intervals;
key presses wait at most that long). The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
RUNS = 15


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from desktop.reports import charts
    from desktop.reports.sample import sample_observation
    from desktop.reports.visit import observation_strip
    from desktop.ui.observation_window import STRIP_ROW_CELLS, STRIP_ZOOM, StripView

    results = {}
    for n in (30, 60, 120, 240):
        obs = sample_observation("bench", random.Random(3), intervals=n)
        view = StripView()
        view.resize(1300, 120)
        view.show()
        app.processEvents()
        per_row = min(STRIP_ROW_CELLS, max(30, n))
        changed, unchanged, svg = [], [], []
        for k in range(RUNS + 1):
            t0 = time.perf_counter()
            view.set_chart(observation_strip(obs, title="", per_row=per_row, slots=n + k % 2))
            view.repaint()
            t1 = time.perf_counter()
            view.set_chart(observation_strip(obs, title="", per_row=per_row, slots=n + k % 2))
            view.repaint()
            t2 = time.perf_counter()
            charts.to_svg(view.chart, 1300 / STRIP_ZOOM)
            t3 = time.perf_counter()
            if k:  # the first is a warm-up (fonts)
                changed.append(t1 - t0)
                unchanged.append(t2 - t1)
                svg.append(t3 - t2)
        view.close()
        results[n] = {
            "redraw_ms": round(statistics.median(changed) * 1000, 1),
            "unchanged_ms": round(statistics.median(unchanged) * 1000, 2),
            "svg_ms": round(statistics.median(svg) * 1000, 1),
        }
        print(
            f"{n} intervals: redraw {results[n]['redraw_ms']} ms, unchanged refresh "
            f"{results[n]['unchanged_ms']} ms (the SVG route: {results[n]['svg_ms']} ms)"
        )
    print(json.dumps({"strip": results, "target_ms_at_60": 50, "ok": results[60]["redraw_ms"] <= 50}))


if __name__ == "__main__":
    main()
