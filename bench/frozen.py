"""Frozen build vs source: onedir size, and start to a populated window in the same run.

Both go through the same code (``fieldnote --startup-probe``: the app's real bootstrap,
unlock with the passphrase, open the store, build the window, load the caseload, paint,
print READY) on the same store (5,000 pupils, 10,000 referrals, bench/_stores.py), runs
alternating so that both see the same machine load. Budgets: ratio (frozen / source
median) ≤ 1.5, onedir folder ≤ 200 MB. With no build in dist/Fieldnote it prints a JSON
note and exits 0 (`make package` makes one). Last line JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _stores import ROOT, big_store_home, environment

BUILD = ROOT / "dist" / "Fieldnote"
EXE = BUILD / ("Fieldnote.exe" if os.name == "nt" else "Fieldnote")


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def time_to_ready(cmd: list[str], env: dict) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    for line in proc.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - started
            rows = int(line.split()[1])
            break
    else:
        raise SystemExit(f"{cmd[0]} did not start: exit {proc.wait()}")
    proc.wait()
    return elapsed, rows


def main(runs: int = 5) -> None:
    if not EXE.is_file():
        print(json.dumps({"skipped": "no frozen build in dist/Fieldnote: run `make package`"}))
        return
    env = environment(big_store_home())
    source = [sys.executable, "-m", "desktop.cli", "--startup-probe"]
    frozen = [str(EXE), "--startup-probe"]
    for cmd in (source, frozen):  # warm the OS file cache once each
        time_to_ready(cmd, env)
    source_times, frozen_times = [], []
    for _ in range(runs):
        t, source_rows = time_to_ready(source, env)
        source_times.append(t)
        t, frozen_rows = time_to_ready(frozen, env)
        frozen_times.append(t)
    assert source_rows == frozen_rows > 0, (source_rows, frozen_rows)
    size = folder_mb(BUILD)
    ratio = statistics.median(frozen_times) / statistics.median(source_times)
    print(
        json.dumps(
            {
                "referrals_shown": frozen_rows,
                "runs": runs,
                "onedir_mb": round(size, 1),
                "source_start_median_s": round(statistics.median(source_times), 3),
                "frozen_start_median_s": round(statistics.median(frozen_times), 3),
                "frozen_start_max_s": round(max(frozen_times), 3),
                "ratio_frozen_to_source": round(ratio, 2),
                "budget_ratio": 1.5,
                "budget_onedir_mb": 200,
                "within_budget": ratio <= 1.5 and size <= 200,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
