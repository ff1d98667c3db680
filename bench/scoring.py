"""Benchmark: SDQ batch scoring (CSV in → CSV out) and single live scores.

Batch: 100,000 random parent SDQ rows (about 5% blanks, so prorating and
missing scales are exercised) are written to a temp CSV, then scored through
the real CLI entry point, ``desktop.cli.main(["score", "sdq", ...])``, in
process, with standard output sent to a null sink. Target: ≤ 5 s.

Live: one ``score(pack, answers, ...)`` call, as the form-entry screen makes
on each change. Target: ≤ 5 ms at p99.

The last line printed is one JSON object with the results.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROWS = 100_000
LIVE_CALLS = 2_000


class _NullSink(io.TextIOBase):
    """Accepts and discards text (stdout for the timed run)."""

    def write(self, s: str) -> int:
        return len(s)


def _write_rows(path: Path, columns: list[str], rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(columns) + "\n")
        answers = ["0", "1", "2"]
        impact = ["0", "1", "2", "3"]
        for _ in range(ROWS):
            cells = []
            for col in columns:
                if rng.random() < 0.05:
                    cells.append("")
                elif col in ("ebddiff", "distres", "imphome", "impfrie", "impclas", "impleis"):
                    cells.append(rng.choice(impact))
                else:
                    cells.append(rng.choice(answers))
            fh.write(",".join(cells) + "\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # Keep the user's real installed packs out of the measurement.
        os.environ["FIELDNOTE_HOME"] = str(Path(tmp) / "home")
        from desktop.cli import main as cli_main
        from desktop.forms import sdq
        from desktop.forms.registry import load_registry
        from desktop.forms.scoring import score

        pack = load_registry().get("sdq-parent-4-17")
        columns = list(sdq.input_columns(pack))
        rng = random.Random(20240601)
        csv_path = Path(tmp) / "sdq.csv"
        _write_rows(csv_path, columns, rng)

        sink = _NullSink()
        start = time.perf_counter()
        with contextlib.redirect_stdout(sink):
            status = cli_main(["score", "sdq", "--informant", "parent", str(csv_path)])
        elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"scoring run failed with exit status {status}")

        samples = []
        for _ in range(LIVE_CALLS):
            answers = {c: (None if rng.random() < 0.05 else rng.choice((0, 1, 2))) for c in columns[:25]}
            answers.update({"ebddiff": rng.choice((0, 1, 2, 3)), "distres": rng.choice((0, 1, 2, 3))})
            t0 = time.perf_counter()
            score(pack, answers, "parent", "4-17")
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]

    result = {
        "rows": ROWS,
        "score_csv_s": round(elapsed, 3),
        "rows_per_s": round(ROWS / elapsed),
        "live_score_p50_ms": round(statistics.median(samples), 4),
        "live_score_p99_ms": round(p99, 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
