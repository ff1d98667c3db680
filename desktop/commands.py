"""Core headless commands: demo data and the audit trail."""
from __future__ import annotations

import csv
import sys


def register(subparsers) -> None:
    from desktop import demo

    demo.register(subparsers)
    audit = subparsers.add_parser(
        "audit", help="export the audit trail as CSV",
        description="Write the append-only audit trail (who created, changed, viewed or "
                    "exported what, and when) as CSV. The export itself is recorded.")
    audit.add_argument("--record", help="only entries for this record id")
    audit.add_argument("--output", "-o", help="write to this file instead of standard output")
    audit.set_defaults(func=_audit)


def _audit(args) -> int:
    from desktop.store import StoreError, opened

    try:
        with opened() as store:
            rows = [r for r in store.audit_trail() if not args.record or r["record_id"] == args.record]
            out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
            try:
                writer = csv.DictWriter(out, fieldnames=["seq", "at", "actor", "action", "entity",
                                                         "record_id", "detail"])
                writer.writeheader()
                writer.writerows(rows)
            finally:
                if args.output:
                    out.close()
            store.log("export", "audit_log", args.record,
                      f"{len(rows)} entries to {'a file' if args.output else 'standard output'}")
    except (StoreError, OSError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    return 0
