"""``fieldnote import``: a service's existing records from CSV (issue 12, item 7)."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import schools, pupils, referrals or caseworkers from CSV",
        description="Import a service's existing records. Every row is checked first; a file "
        "with rows that cannot be imported is refused as a whole (nothing "
        "half-imported) unless --leave-out-refused. Importing the same file again "
        "changes nothing.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    schools = kinds.add_parser(
        "schools",
        help="schools from a DfE Get Information about Schools extract",
        description="Import the open schools of one local authority from a GIAS CSV extract "
        "(Windows-1252), matched to the store's schools by URN.",
    )
    schools.add_argument("file", help="the GIAS extract (CSV)")
    schools.add_argument(
        "--la", required=True, metavar="CODE", help="the local authority's code (the 'LA (code)' column)"
    )
    _common(schools)
    for kind, entity in (("pupils", "pupil"), ("referrals", "referral"), ("caseworkers", "caseworker")):
        from desktop.caseload.importer import TARGETS

        p = kinds.add_parser(
            kind,
            help=f"{kind} from CSV through a column mapping",
            description=f"Import {kind} from a CSV file. The mapping is a "
            "JSON object: field -> the file's column heading. "
            f"Fields: {', '.join(TARGETS[entity])}.",
        )
        p.add_argument("file", help="the CSV file")
        p.add_argument("--map", required=True, metavar="MAP.json", help="the column mapping")
        p.set_defaults(entity=entity)
        _common(p)


def _common(p) -> None:
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be imported and every row that would be refused, and write nothing",
    )
    p.add_argument(
        "--leave-out-refused", action="store_true", help="import the rows that can be, leaving out those refused"
    )
    p.set_defaults(func=_run)


def _run(args) -> int:
    from desktop.caseload import importer
    from desktop.store import StoreError, opened

    try:
        with opened() as store:
            if args.kind == "schools":
                plan = importer.plan_schools(store, args.file, args.la)
            else:
                plan = importer.plan_mapped(store, args.entity, args.file, args.map)
            refusals = importer.describe_refusals(plan)
            for line in refusals:
                print(f"refused {line}")
            print(f"{args.kind}: {plan.summary()}")
            if args.dry_run:
                print("Dry run: nothing has been imported.")
                return 1 if refusals else 0
            done = importer.apply_plan(store, plan, leave_out_refused=args.leave_out_refused)
            print(f"Imported: {done['created']} created, {done['updated']} updated.")
    except (StoreError, OSError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    return 0
