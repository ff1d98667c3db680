"""Prompt timing under load: does the observation engine fire on time for a whole lesson?

A scheduler thread runs ``ObservationEngine`` on the real monotonic clock: it
waits with ``threading.Event.wait(timeout)`` until ``next_prompt_due()``, polls,
and records how late each prompt fired. Every engine event is committed to a
SQLite file as it happens (the design the store will use). Meanwhile:

* a writer thread commits small rows to another SQLite file in a loop (WAL,
  synchronous=FULL: an fsync per commit);
* a burner thread does pure-Python work (JSON round trips and arithmetic), so
  it holds the GIL. CPython hands the GIL over every ``sys.getswitchinterval()``
  (5 ms by default), which bounds how long a woken scheduler can wait for it;
  expect errors of that order, not microseconds.

Usage: ``python bench/observation.py`` (600 prompts at 1 s: 10 minutes) or
``python bench/observation.py --seconds 60 --interval 1`` for a quick check.
The last line printed is one JSON object with the results.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.observation import ObservationEngine, ObservationSetup, SystemClock, minute_intervals  # noqa: E402
from desktop.observation.events import event_to_dict  # noqa: E402


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=True)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


class SqliteEventSink:
    """Commits each observation event at once: one row, one transaction."""

    def __init__(self, path: Path) -> None:
        self.db = _connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS observation_event (observation_id TEXT, seq INTEGER, body TEXT, "
            "PRIMARY KEY (observation_id, seq))"
        )
        self.db.commit()

    def __call__(self, event) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO observation_event VALUES (?, ?, ?)",
                (event.observation_id, event.seq, json.dumps(event_to_dict(event))),
            )


def writer(path: Path, stop: threading.Event, counter: list[int]) -> None:
    db = _connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS load (id INTEGER PRIMARY KEY, body TEXT)")
    db.commit()
    payload = "x" * 200
    while not stop.is_set():
        with db:
            db.execute("INSERT INTO load (body) VALUES (?)", (payload,))
        counter[0] += 1
    db.close()


def burner(stop: threading.Event, counter: list[int]) -> None:
    record = {"interval": 1, "codes": ["AET", "OFT-M"], "note": "x" * 100, "t": 12.5}
    while not stop.is_set():
        total = 0
        for i in range(2000):
            total += (i * i) % 7
        record = json.loads(json.dumps(record))
        counter[0] += 1


def scheduler(setup: ObservationSetup, db_path: Path, stop: threading.Event, errors_ms: list[float],
              stored: list[int]) -> None:
    """Own the engine and its SQLite sink on one thread, as the app's worker will."""
    sink = SqliteEventSink(db_path)
    engine = ObservationEngine.start(setup, minute_intervals(), sink=sink, clock=SystemClock())
    try:
        _run(engine, stop, errors_ms)
    finally:
        stored[0] = sink.db.execute("SELECT count(*) FROM observation_event").fetchone()[0]
        sink.db.close()


def _run(engine: ObservationEngine, stop: threading.Event, errors_ms: list[float]) -> None:
    wake = threading.Event()  # never set: used only for its timed wait
    while not stop.is_set():
        due = engine.next_prompt_due()
        if due is None:
            return
        remaining = due - time.monotonic()
        if remaining > 0:
            wake.wait(remaining)
            continue  # re-check: a timed wait may end a hair early
        now = time.monotonic()
        for prompt in engine.poll(now):
            errors_ms.append((now - prompt.due) * 1000)
        if engine.observation.is_recording:
            engine.press("1" if len(errors_ms) % 3 else "2")  # the observer keys a state


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=600, help="number of prompts (default 600)")
    parser.add_argument("--seconds", type=int, help="run this long instead (prompts = seconds / interval)")
    parser.add_argument("--interval", type=int, default=1, help="interval in whole seconds (default 1)")
    parser.add_argument("--switch-interval-ms", type=float,
                        help="set sys.setswitchinterval (CPython default 5 ms) to see the GIL's share of the error")
    args = parser.parse_args(argv)
    if args.switch_interval_ms:
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    prompts = args.seconds // args.interval if args.seconds else args.prompts
    if prompts < 1 or args.interval < 1:
        parser.error("need at least one prompt of at least 1 s")

    with tempfile.TemporaryDirectory(prefix="fieldnote-bench-") as tmp:
        tmp_path = Path(tmp)
        setup = ObservationSetup(
            case_id="BENCH", interval_seconds=args.interval, planned_duration_seconds=prompts * args.interval
        )
        stop = threading.Event()
        errors_ms: list[float] = []
        commits, burns = [0], [0]
        load = [
            threading.Thread(target=writer, args=(tmp_path / "load.db", stop, commits), daemon=True),
            threading.Thread(target=burner, args=(stop, burns), daemon=True),
        ]
        for t in load:
            t.start()
        time.sleep(0.2)  # let the load get going before the first prompt is scheduled
        stored = [0]
        started = time.monotonic()
        sched = threading.Thread(target=scheduler, args=(setup, tmp_path / "events.db", stop, errors_ms, stored))
        sched.start()
        sched.join()
        stop.set()
        for t in load:
            t.join(timeout=5)
        elapsed = time.monotonic() - started
    if not errors_ms:
        print("no prompt fired", file=sys.stderr)
        return 1

    result = {
        "prompts": len(errors_ms),
        "interval_s": float(args.interval),
        "error_p50_ms": round(percentile(errors_ms, 50), 3),
        "error_p99_ms": round(percentile(errors_ms, 99), 3),
        "error_max_ms": round(max(errors_ms), 3),
        "last_error_ms": round(errors_ms[-1], 3),
        "elapsed_s": round(elapsed, 3),
        "gil_switch_interval_ms": sys.getswitchinterval() * 1000,
        "load_sqlite_commits": commits[0],
        "load_burn_iterations": burns[0],
        "events_committed": stored[0],
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    print(f"{len(errors_ms)} prompts every {args.interval} s over {elapsed:.1f} s, with a SQLite writer "
          f"({commits[0]} fsynced commits) and a pure-Python CPU burner ({burns[0]} iterations) running.")
    print(f"Prompt lateness: p50 {result['error_p50_ms']} ms, p99 {result['error_p99_ms']} ms, "
          f"max {result['error_max_ms']} ms, last {result['last_error_ms']} ms "
          f"(GIL switch interval {result['gil_switch_interval_ms']:.0f} ms).")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
