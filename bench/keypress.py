"""Key press to committed row, on the encrypted store (target p99 ≤ 10 ms).

Each press goes through the observation engine to the store's sink, which commits
the event (with its outbox and audit entries, synchronous=FULL) before returning.
Baseline, in the same run: one plain INSERT and COMMIT per press into an
unencrypted SQLite file with the same WAL/FULL settings.
"""
from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PRESSES = 2000


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    from desktop.observation.engine import ObservationEngine, SystemClock
    from desktop.observation.records import ObservationSetup
    from desktop.observation.scheme import minute_intervals
    from desktop.observation.store_repository import StoreObservationRepository
    from desktop.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "store", "benchmark passphrase")
        repo = StoreObservationRepository(store)
        setup = ObservationSetup(case_id="bench", interval_seconds=3600)
        engine = ObservationEngine.start(setup, minute_intervals(), sink=repo.sink, clock=SystemClock())
        rng = random.Random(1)
        keys = "12345qwer"
        press_ms = []
        for _ in range(PRESSES):
            started = time.perf_counter()
            engine.press(rng.choice(keys))
            press_ms.append((time.perf_counter() - started) * 1000)
        events = store.db["observation_event"].count
        store.close()

        plain = sqlite3.connect(Path(tmp) / "plain.db", isolation_level=None)
        plain.execute("PRAGMA journal_mode = WAL")
        plain.execute("PRAGMA synchronous = FULL")
        plain.execute("CREATE TABLE e (id TEXT PRIMARY KEY, seq INTEGER, payload TEXT)")
        base_ms = []
        for i in range(PRESSES):
            started = time.perf_counter()
            plain.execute("BEGIN")
            plain.execute("INSERT INTO e VALUES (?, ?, ?)", (f"id-{i}", i, '{"type": "code_toggled"}'))
            plain.execute("COMMIT")
            base_ms.append((time.perf_counter() - started) * 1000)
        plain.close()

    print(json.dumps({
        "presses": PRESSES,
        "events_committed": events,
        "press_to_commit_p50_ms": round(statistics.median(press_ms), 3),
        "press_to_commit_p99_ms": round(percentile(press_ms, 99), 3),
        "press_to_commit_max_ms": round(max(press_ms), 3),
        "baseline_plain_insert_p50_ms": round(statistics.median(base_ms), 3),
        "baseline_plain_insert_p99_ms": round(percentile(base_ms, 99), 3),
        "ratio_p50_to_baseline": round(statistics.median(press_ms) / statistics.median(base_ms), 2),
        "target_p99_ms": 10,
    }))


if __name__ == "__main__":
    main()
