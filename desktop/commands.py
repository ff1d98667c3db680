"""Core headless commands: demo data and the activity log (``fieldnote activity``).

The activity log was called the audit trail; "audit" now means a school audit
(``fieldnote audit``, ``desktop.audits``). Its table is still ``audit_log``."""

from __future__ import annotations

import csv
import sys


def register(subparsers) -> None:
    from desktop import demo

    demo.register(subparsers)
    activity = subparsers.add_parser(
        "activity",
        help="export the activity log as CSV",
        description="Write the append-only activity log (who created, changed, viewed or "
        "exported what, and when) as CSV. The export itself is recorded.",
    )
    activity.add_argument("--record", help="only entries for this record id")
    activity.add_argument("--output", "-o", help="write to this file instead of standard output")
    activity.set_defaults(func=_activity)


def _activity(args) -> int:
    from desktop.store import StoreError, opened

    try:
        with opened() as store:
            rows = [r for r in store.audit_trail() if not args.record or r["record_id"] == args.record]
            out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
            try:
                writer = csv.DictWriter(
                    out, fieldnames=["seq", "at", "actor", "action", "entity", "record_id", "detail"]
                )
                writer.writeheader()
                writer.writerows(rows)
            finally:
                if args.output:
                    out.close()
            store.log(
                "export",
                "audit_log",
                args.record,
                f"{len(rows)} entries to {'a file' if args.output else 'standard output'}",
            )
    except (StoreError, OSError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    return 0
