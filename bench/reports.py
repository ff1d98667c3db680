"""Benchmark: rendering a visit report to PDF.

The report: two classroom observations (60 intervals each, with phases and ABC
notes), a Boxall Profile, three SDQs (T1, T2, T3, so a progress table and
chart) and about three pages of the practitioner's text, built from an
encrypted store through ``build_visit_report`` and rendered by
``render_visit``. Compared with rendering the same text alone (no evidence),
so the cost of the evidence shows as a ratio. Target: ≤ 1 s for the whole
report (gathering from the store included).

Each figure is the median of 5 runs after one warm-up run (the warm-up also
loads the fonts, once per process); the first, cold run is reported too.

Then the service report over the demo data scaled to 5,000 pupils and 10,000
referrals (the shared benchmark store, built once under out/bench/): figures and
PDF for the last two academic years, median of 3 runs. Target: ≤ 3 s.
The last line printed is one JSON object with the results.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # _stores

RUNS = 5
PARAGRAPH = (
    "During the visit the class teacher described how the morning usually goes for the pupil: "
    "arriving calmly with a parent, settling to the register, and then finding the first task "
    "hard to start without an adult close by. Staff have tried a visual timetable, which helps "
    "on most days, and a reward chart, which has lost its appeal since half term. "
)


def three_pages_of_text() -> dict[str, str]:
    from desktop.reports.sample import SAMPLE_SECTIONS

    sections = dict(SAMPLE_SECTIONS)
    sections["background"] += "\n\n" + "\n\n".join(PARAGRAPH * 2 for _ in range(5))
    sections["communicates"] += "\n\n" + "\n\n".join(PARAGRAPH * 2 for _ in range(4))
    sections["recommendations"] += "\n" + "\n".join(
        f"{n}. {PARAGRAPH.split(':')[0]} — try one change at a time and review it after two weeks."
        for n in range(4, 14)
    )
    return sections


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["FIELDNOTE_HOME"] = str(home)
        from pypdf import PdfReader
        import io

        from desktop.reports.document import Letterhead
        from desktop.reports.sample import make_sample_case
        from desktop.reports.visit import build_visit_report, render_visit
        from desktop.store import open_store

        store = open_store(home, "benchmark passphrase", actor="bench")
        ids = make_sample_case(store)
        sections = three_pages_of_text()
        letterhead = Letterhead(service_name="Ashbridge Behaviour Support Service")

        def whole():
            report = build_visit_report(
                store,
                ids["referral"],
                sections=sections,
                observation_ids=ids["observations"],
                completion_ids=ids["completions"],
            )
            return render_visit(report, letterhead)

        def text_alone():
            report = build_visit_report(store, ids["referral"], sections=sections)
            return render_visit(report, letterhead)

        cold, pdf = timed(whole)
        whole_runs = [timed(whole)[0] for _ in range(RUNS)]
        timed(text_alone)
        text_runs = [timed(text_alone)[0] for _ in range(RUNS)]
        text_pdf = text_alone()
        store.close()

        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        text_pages = len(PdfReader(io.BytesIO(text_pdf)).pages)
        median_whole = statistics.median(whole_runs)
        median_text = statistics.median(text_runs)
        result = {
            "benchmark": "reports",
            "visit_report_seconds": round(median_whole, 3),
            "text_alone_seconds": round(median_text, 3),
            "ratio_to_text_alone": round(median_whole / median_text, 2),
            "first_render_seconds": round(cold, 3),
            "pages": pages,
            "text_alone_pages": text_pages,
            "pdf_bytes": len(pdf),
            "target_seconds": 1.0,
            "ok": median_whole <= 1.0,
        }
        print(
            f"visit report: {median_whole:.3f} s for {pages} pages (text alone {median_text:.3f} s, "
            f"{text_pages} pages); first run {cold:.3f} s"
        )
    result.update(service_report())
    print(json.dumps(result))


def service_report() -> dict:
    from datetime import date

    from _stores import PASSPHRASE, big_store_home
    from desktop.reports.service import render_service, service_figures
    from desktop.store import open_store

    home = big_store_home(5000, 10000)
    os.environ["FIELDNOTE_HOME"] = str(home)
    store = open_store(home, PASSPHRASE, actor="bench")
    today = date.today()
    start = date(today.year - 2 if today.month >= 9 else today.year - 3, 9, 1)
    runs, figures = [], None
    for _ in range(3):
        began = time.perf_counter()
        figures = service_figures(store, start, today)
        pdf = render_service(figures)
        runs.append(time.perf_counter() - began)
    store.close()
    seconds = statistics.median(runs)
    print(f"service report: {seconds:.3f} s for {figures.referrals} referrals ({len(pdf)} bytes)")
    return {
        "service_report_seconds": round(seconds, 3),
        "service_referrals": figures.referrals,
        "service_target_seconds": 3.0,
        "service_ok": seconds <= 3.0,
    }


if __name__ == "__main__":
    main()
