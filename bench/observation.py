"""Prompt timing under load: does the observation engine fire on time for a whole lesson?

A scheduler thread runs ``ObservationEngine`` on the real monotonic clock: it
waits with ``threading.Event.wait(timeout)`` until ``next_prompt_due()``, polls,
and records how late each prompt fired. Every engine event is committed to a
SQLite file as it happens (the design the store will use). Meanwhile:

* a writer commits small rows to another SQLite file in a loop (WAL,
  synchronous=FULL: an fsync per commit): ``--writer thread`` (the default)
  in this interpreter, ``--writer process`` in another one (disk load that
  does not share the GIL), ``--writer none``;
* ``--load sync`` (the default): a sync-like thread does what a background
  sync does with each page it pulls: decodes a JSON page of records (one C
  call that holds the GIL throughout), checks and hashes each record in
  Python, and applies the page to SQLite in one transaction. With
  ``--hold-sync`` it waits until the observation has ended, as the app's
  sync controller does while an observation records (desktop/ui/sync_ui.py);
* ``--load burner``: pure-Python work (JSON round trips and arithmetic).

CPython hands the GIL over every ``sys.getswitchinterval()`` (5 ms by default)
but cannot interrupt one long C call such as decoding a page, so a woken
scheduler waits for the GIL for up to that long.

Usage: ``python bench/observation.py`` runs the lesson twice, with the sync
running beside it and with it held, 600 prompts at 1 s each (10 minutes each);
``--scenarios running`` or ``--scenarios held`` runs one; ``--seconds 60`` for
a quick check. The last line printed is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
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


def _writer_process(path: Path, stop, counter) -> None:
    db = _connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS load (id INTEGER PRIMARY KEY, body TEXT)")
    db.commit()
    while not stop.is_set():
        with db:
            db.execute("INSERT INTO load (body) VALUES (?)", ("x" * 200,))
        counter.value += 1
    db.close()


def burner(stop: threading.Event, counter: list[int]) -> None:
    record = {"interval": 1, "codes": ["AET", "OFT-M"], "note": "x" * 100, "t": 12.5}
    while not stop.is_set():
        total = 0
        for i in range(2000):
            total += (i * i) % 7
        record = json.loads(json.dumps(record))
        counter[0] += 1


def _page(n: int, records: int = 400) -> str:
    """A page of sync records as the server sends it (about 300 KB of JSON)."""
    return json.dumps(
        {
            "page": n,
            "records": [
                {
                    "entity": "observation_event",
                    "id": f"rec-{n}-{i}",
                    "version": 3,
                    "payload": {
                        "type": "code_toggled",
                        "code": "ON",
                        "seq": i,
                        "t": i * 0.5,
                        "note": "x" * 400,
                        "answers": {f"q{j}": j for j in range(20)},
                    },
                }
                for i in range(records)
            ],
        }
    )


def sync_like(path: Path, stop: threading.Event, go: threading.Event, counter: list[int]) -> None:
    """Pull, decode, check and apply pages in a loop, once ``go`` is set (held until then)."""
    go.wait()
    db = _connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS record (id TEXT PRIMARY KEY, version INTEGER, digest TEXT, body TEXT)")
    db.commit()
    n = 0
    while not stop.is_set():
        text = _page(n)  # what the transport hands over
        page = json.loads(text)  # decode: one C call holding the GIL
        rows = []
        for r in page["records"]:
            if not isinstance(r.get("payload"), dict) or r["version"] < 1:
                continue
            body = json.dumps(r["payload"], sort_keys=True)
            rows.append((r["id"], r["version"], hashlib.sha256(body.encode()).hexdigest(), body))
        with db:
            db.executemany("INSERT OR REPLACE INTO record VALUES (?, ?, ?, ?)", rows)
        n += 1
        counter[0] += 1
    db.close()


def scheduler(
    setup: ObservationSetup, db_path: Path, stop: threading.Event, errors_ms: list[float], stored: list[int]
) -> None:
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
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        help="set sys.setswitchinterval (CPython default 5 ms) to see the GIL's share of the error",
    )
    parser.add_argument(
        "--load",
        choices=("sync", "burner"),
        default="sync",
        help="the CPU-bound work beside the lesson (default: a sync-like page applier)",
    )
    parser.add_argument(
        "--writer",
        choices=("thread", "process", "none"),
        default="thread",
        help="where the SQLite writer runs (default: a thread in this interpreter)",
    )
    parser.add_argument(
        "--scenarios",
        default="running,held",
        help="comma-separated: running (sync beside the lesson), held (sync held until the lesson ends); default both",
    )
    args = parser.parse_args(argv)
    if args.switch_interval_ms:
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    prompts = args.seconds // args.interval if args.seconds else args.prompts
    if prompts < 1 or args.interval < 1:
        parser.error("need at least one prompt of at least 1 s")
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if not scenarios or any(s not in ("running", "held") for s in scenarios):
        parser.error("--scenarios takes running, held or both")
    results = {}
    for name in scenarios:
        result = run(args, prompts, hold=(name == "held"))
        if result is None:
            print("no prompt fired", file=sys.stderr)
            return 1
        results[name] = result
        print(
            f"[{name}] {result['prompts']} prompts every {args.interval} s over {result['elapsed_s']:.1f} s "
            f"with a SQLite writer ({result['load_sqlite_commits']} fsynced commits) and "
            f"{args.load} load ({result['load_iterations']} pages/iterations, "
            f"{'held until the lesson ended' if name == 'held' else 'running beside it'}): "
            f"lateness p50 {result['error_p50_ms']} ms, p99 {result['error_p99_ms']} ms, "
            f"max {result['error_max_ms']} ms."
        )
    print(
        json.dumps(
            {
                "load": args.load,
                "interval_s": float(args.interval),
                "target_p99_ms": 10,
                "gil_switch_interval_ms": sys.getswitchinterval() * 1000,
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                **{f"{name}_p99_ms": r["error_p99_ms"] for name, r in results.items()},
                "scenarios": results,
            }
        )
    )
    return 0


def run(args, prompts: int, hold: bool) -> dict | None:
    """One lesson with the load beside it; ``hold``: the sync-like load waits until it ends."""
    with tempfile.TemporaryDirectory(prefix="fieldnote-bench-") as tmp:
        tmp_path = Path(tmp)
        setup = ObservationSetup(
            case_id="BENCH", interval_seconds=args.interval, planned_duration_seconds=prompts * args.interval
        )
        stop = threading.Event()
        go = threading.Event()  # the sync may run: at once, or once the lesson ended (held)
        if not hold:
            go.set()
        errors_ms: list[float] = []
        commits, burns = [0], [0]
        heavy = (
            threading.Thread(target=sync_like, args=(tmp_path / "sync.db", stop, go, burns), daemon=True)
            if args.load == "sync"
            else threading.Thread(target=burner, args=(stop, burns), daemon=True)
        )
        load = [heavy]
        mp_stop = mp_commits = proc = None
        if args.writer == "thread":
            load.append(threading.Thread(target=writer, args=(tmp_path / "load.db", stop, commits), daemon=True))
        elif args.writer == "process":
            mp_stop, mp_commits = multiprocessing.Event(), multiprocessing.Value("q", 0)
            proc = multiprocessing.Process(
                target=_writer_process, args=(tmp_path / "load.db", mp_stop, mp_commits), daemon=True
            )
            proc.start()
        for t in load:
            t.start()
        time.sleep(0.2)  # let the load get going before the first prompt is scheduled
        stored = [0]
        started = time.monotonic()
        sched = threading.Thread(target=scheduler, args=(setup, tmp_path / "events.db", stop, errors_ms, stored))
        sched.start()
        sched.join()
        go.set()  # the lesson ended: a held sync runs now
        stop.set()
        for t in load:
            t.join(timeout=5)
        if proc is not None:
            mp_stop.set()
            proc.join(timeout=10)
            commits[0] = mp_commits.value
        elapsed = time.monotonic() - started
    if not errors_ms:
        return None
    return {
        "prompts": len(errors_ms),
        "interval_s": float(args.interval),
        "error_p50_ms": round(percentile(errors_ms, 50), 3),
        "error_p99_ms": round(percentile(errors_ms, 99), 3),
        "error_max_ms": round(max(errors_ms), 3),
        "worst5_ms": [round(x, 3) for x in sorted(errors_ms)[-5:]],
        "over_10ms": sum(1 for x in errors_ms if x > 10),
        "last_error_ms": round(errors_ms[-1], 3),
        "elapsed_s": round(elapsed, 3),
        "gil_switch_interval_ms": sys.getswitchinterval() * 1000,
        "load_sqlite_commits": commits[0],
        "load_iterations": burns[0],
        "events_committed": stored[0],
        "held": hold,
        "writer": args.writer,
    }


if __name__ == "__main__":
    sys.exit(main())
