"""``fieldnote observation ...``: export, import, summary, agreement, list.

The commands talk only to an ``ObservationRepository`` made by
``repository_factory`` (the encrypted store). ``summary`` and ``agreement`` also accept a
path to an existing ``.json`` interchange file instead of an id.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from .agreement import compare
from .errors import ObservationError
from .interchange import read_file, to_csv, to_json
from .observation import Observation
from .repository import ObservationRepository
from .summary import ATTRIBUTION, summarise


def store_repository() -> ObservationRepository:
    """The observations in the encrypted store (the passphrase may come from
    FIELDNOTE_PASSPHRASE where there is no OS keyring)."""
    from desktop.store import StoreError, open_store
    from desktop.store.db import print_notice

    from .store_repository import StoreObservationRepository

    try:
        return StoreObservationRepository(open_store(on_notice=print_notice))
    except StoreError as exc:
        raise ObservationError(str(exc)) from None


repository_factory: Callable[[], ObservationRepository] = store_repository


def register(subparsers) -> None:
    """Add the ``observation`` command and its subcommands."""
    parser = subparsers.add_parser(
        "observation",
        help="classroom observations: export, import, summary, agreement",
        description="Work with stored classroom observations without opening the app.",
    )
    sub = parser.add_subparsers(dest="observation_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _help(parser))

    p = sub.add_parser(
        "export",
        help="write an observation as JSON or CSV",
        description="Export one observation. "
        "JSON is lossless (docs/observation-format.md); CSV has one row per interval.",
    )
    p.add_argument("id", metavar="ID", help="observation id")
    p.add_argument("--format", choices=("json", "csv"), default="json", help="output format (default json)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=_export)

    p = sub.add_parser(
        "import",
        help="import an observation JSON file",
        description="Validate an observation JSON file and store it. Nothing is stored if the file is rejected.",
    )
    p.add_argument("file", metavar="FILE", help="a fieldnote-observation JSON file")
    p.set_defaults(func=_import)

    p = sub.add_parser(
        "summary",
        help="percentages, on-task, rates, phases and time bins",
        description="Summarise one observation (target and peer separately; uncoded, skipped, "
        "gap and incomplete intervals are left out of the interval percentages).",
    )
    p.add_argument("source", metavar="ID_OR_FILE", help="observation id, or path to a .json export")
    p.add_argument("--json", action="store_true", help="print the full summary as JSON")
    p.add_argument("--bin-seconds", type=int, default=300, help="time-bin length in seconds (default 300)")
    p.set_defaults(func=_summary)

    p = sub.add_parser(
        "agreement",
        help="inter-observer agreement between two observations",
        description="Compare two observations of the same lesson on the same interval grid: "
        "interval-by-interval, scored- and unscored-interval agreement, kappa with its table, "
        "and total-count agreement for events.",
    )
    p.add_argument("a", metavar="ID_A", help="observer A: observation id or .json path")
    p.add_argument("b", metavar="ID_B", help="observer B: observation id or .json path")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=_agreement)

    p = sub.add_parser("list", help="list stored observation ids", description="List stored observation ids.")
    p.set_defaults(func=_list)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(command: str, exc: Exception) -> int:
    print(f"fieldnote observation {command}: error: {exc}", file=sys.stderr)
    return 1


def _load(source: str, repo: ObservationRepository) -> Observation:
    path = Path(source)
    if source.lower().endswith(".json") and path.is_file():
        return read_file(path)
    return repo.get(source)


def _export(args) -> int:
    try:
        obs = repository_factory().get(args.id)
        text = to_json(obs) if args.format == "json" else to_csv(obs)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8", newline="")
        else:
            sys.stdout.write(text)
    except (ObservationError, OSError) as exc:
        return _fail("export", exc)
    return 0


def _import(args) -> int:
    try:
        obs = read_file(args.file)
        repository_factory().add(obs)
    except ObservationError as exc:
        return _fail("import", exc)
    print(f"imported {obs.id} ({len(obs.intervals)} intervals, {obs.status})")
    return 0


def _summary(args) -> int:
    try:
        obs = _load(args.source, repository_factory())
        result = summarise(obs, bin_seconds=args.bin_seconds)
    except (ObservationError, ValueError) as exc:
        return _fail("summary", exc)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(
        f"Observation {obs.id}: {result.intervals} intervals of {result.interval_seconds} s, "
        f"{result.observed_seconds / 60:.1f} observed minutes"
    )
    print("Statuses: " + ", ".join(f"{k} {v}" for k, v in result.statuses.items() if v))
    for subject in filter(None, (result.overall.target, result.overall.peer)):
        print(f"{subject.subject.capitalize()} ({subject.included} coded intervals):")
        print(f"  on task: {subject.on_task}")
        for code, r in subject.codes.items():
            print(f"  {code}: {r}")
    subjects = [s for s in (result.overall.target, result.overall.peer) if s is not None]
    for code, e in result.events.items():
        parts = [f"{s.subject} {_rate(s.events[code])}" for s in subjects] if len(subjects) > 1 else []
        print(f"Event {code}: {_rate(e)}" + (f" ({'; '.join(parts)})" if parts else ""))
    for code, st in result.states.items():
        print(f"State {code}: {st.seconds:.0f} s in {st.bouts} bouts; {st.percent} of coded time")
    print("Rates count coded and incomplete intervals only; " + ATTRIBUTION)
    return 0


def _rate(e) -> str:
    rate = "undefined" if e.rate_per_minute is None else f"{e.rate_per_minute:.2f}/min"
    return f"{e.count} ({rate})"


def _agreement(args) -> int:
    try:
        repo = repository_factory()
        report = compare(_load(args.a, repo), _load(args.b, repo))
    except ObservationError as exc:
        return _fail("agreement", exc)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(
        f"{report.observation_a} vs {report.observation_b}: {len(report.compared_intervals)} of "
        f"{report.grid_intervals} intervals compared"
    )
    for code, c in report.codes.items():
        k = "undefined" if c.kappa.kappa is None else f"{c.kappa.kappa:.2f}"
        print(
            f"  {code}: interval-by-interval {c.interval_by_interval}; scored {c.scored_interval}; "
            f"unscored {c.unscored_interval}; kappa {k}"
        )
    for group, k in report.groups.items():
        value = f"{k.kappa:.2f}" if k.kappa is not None else f"undefined ({k.reason})"
        print(f"  group {group}: kappa {value}")
        if not k.categories:
            continue
        print("    " + " | ".join(["A \\ B"] + list(k.categories)))
        for cat, row in zip(k.categories, k.table):
            print("    " + " | ".join([cat] + [str(x) for x in row]))
    for code, e in report.events.items():
        print(f"  {code} total count ({e.counted}): {e.agreement}")
    return 0


def _list(args) -> int:
    try:
        ids = repository_factory().list()
    except ObservationError as exc:
        return _fail("list", exc)
    for oid in ids:
        print(oid)
    return 0
