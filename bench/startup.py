"""Start to main window shown with the caseload populated (5,000 pupils, 10,000 referrals).

Each run is a fresh process going through the app's real bootstrap (unlock with the
passphrase, open and check the store, build the window, load the caseload, paint).
Baseline, in the same run: a process that only imports Qt and shows an empty window.
Targets: median ≤ 1.5 s, resident memory ≤ 300 MB.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from _stores import big_store_home, environment

APP = r"""
import sys
from desktop.app import start_app
app, window, store = start_app([])
app.processEvents()
window.repaint()
import psutil
assert window.model.rowCount() > 0
print("READY", window.model.rowCount(), psutil.Process().memory_info().rss, flush=True)
window.stop_background_work()
"""
BASELINE = r"""
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1280, 780); w.show(); app.processEvents(); w.repaint()
import psutil
print("READY", 0, psutil.Process().memory_info().rss, flush=True)
"""


def time_to_ready(code: str, env: dict) -> tuple[float, int, int]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - started
            _, rows, rss = line.split()
            break
    else:
        raise SystemExit(f"the app did not start: exit {proc.wait()}")
    proc.wait()
    return elapsed, int(rows), int(rss)


def main(runs: int = 7) -> None:
    env = environment(big_store_home())
    app_times, base_times, rss = [], [], []
    time_to_ready(APP, env)  # warm the OS file cache once
    for _ in range(runs):
        t, rows, r = time_to_ready(APP, env)
        app_times.append(t)
        rss.append(r)
        base_times.append(time_to_ready(BASELINE, env)[0])
    result = {
        "referrals_shown": rows,
        "runs": runs,
        "startup_median_s": round(statistics.median(app_times), 3),
        "startup_max_s": round(max(app_times), 3),
        "baseline_empty_window_median_s": round(statistics.median(base_times), 3),
        "ratio_to_baseline": round(statistics.median(app_times) / statistics.median(base_times), 2),
        "rss_max_mb": round(max(rss) / 2**20, 1),
        "target_median_s": 1.5,
        "target_rss_mb": 300,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
