"""``fieldnote audit``: school audits from the command line (list, export, summary).

Exit status: 0 success; 1 the work could not be done (no such audit, the store would
not open); 2 bad arguments. Dates are read as DD/MM/YYYY (or ISO) and shown UK-style.
"""

from __future__ import annotations

import csv
import json
import sys

from desktop.dates import parse_uk, to_uk

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    audit = subparsers.add_parser(
        "audit",
        help="school audits: list, export, cross-school summary",
        description="School audits (behaviour audits, SEND reviews...): list them, export one, "
        "or summarise many across schools. The local activity log is 'fieldnote activity'.",
    )
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    audit.set_defaults(func=lambda args: (audit.print_help(), EXIT_USAGE)[1])

    ls = sub.add_parser(
        "list",
        help="list audits on this laptop, newest first",
        description="List the school audits and reviews on this laptop, newest "
        "first: id, school, template, date, who conducted it, status.",
    )
    ls.add_argument("--school", help="only schools whose name contains this")
    ls.set_defaults(func=_list)

    ex = sub.add_parser(
        "export",
        help="export one audit as JSON or CSV",
        description="Export an audit: every criterion's rating, evidence note and "
        "good-practice flag, the section judgements, action points and "
        "feedback meeting (JSON), or one row per criterion (CSV).",
    )
    ex.add_argument("id", metavar="ID", help="the audit's id (or its first 8 characters)")
    ex.add_argument("--format", choices=("json", "csv"), default="json")
    ex.add_argument("--output", "-o", help="write to this file instead of standard output")
    ex.set_defaults(func=_export)

    sm = sub.add_parser(
        "summary",
        help="how many schools were rated at each level, per criterion",
        description="The commissioner's summary: each school's latest finalised audit or "
        "review in the date range; schools at each rating per criterion "
        "('not seen' and 'not applicable' counted apart, never in the "
        "denominator); most frequent areas for development (lowest rating) "
        "and good practice; movement between audits and their reviews.",
    )
    sm.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    sm.add_argument("--to", dest="date_to", required=True, metavar="DATE")
    sm.add_argument("--template", default="behaviour-audit", help="template id (default behaviour-audit)")
    sm.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sm.add_argument(
        "--output", "-o", metavar="FILE", help="write the commissioner summary PDF to FILE (no pupil data in it)"
    )
    sm.set_defaults(func=_summary)

    rp = sub.add_parser(
        "report",
        help="the school's audit summary report as a PDF",
        description="The school's audit summary report: good practice first, the "
        "ratings by area (colour and word), judgements, the action plan, "
        "the feedback meeting and, for a review, the movement.",
    )
    rp.add_argument("id", metavar="ID", help="the audit's id (or its first 8 characters)")
    rp.add_argument("--output", "-o", required=True, metavar="FILE", help="the PDF to write")
    rp.set_defaults(func=_report)


def _fail(message: str, status: int = EXIT_FAILED) -> int:
    print(f"fieldnote audit: {message}", file=sys.stderr)
    return status


class _NoSuchAudit(LookupError):
    pass


def _find(records, ident: str) -> str:
    """The audit ``ident`` names: its whole id, or a unique prefix of 6 or more characters."""
    ident = ident.strip().lower()
    if len(ident) >= 6:
        rows = [
            r["id"]
            for r in records.store.db.query(
                "SELECT id FROM audit WHERE deleted = 0 AND id LIKE ? || '%' LIMIT 2", [ident]
            )
        ]
        if ident in rows or len(rows) == 1:
            return ident if ident in rows else rows[0]
    raise _NoSuchAudit(f"no audit {ident!r} on this laptop (see 'fieldnote audit list').")


def _list(args) -> int:
    from desktop.audits.records import AuditRecords
    from desktop.store import StoreError, opened

    try:
        with opened() as store:
            records = AuditRecords(store)
            rows = records.list()
            if args.school:
                rows = [r for r in rows if args.school.lower() in (r["school_name"] or "").lower()]
            for r in rows:
                kind = "review" if r["review_of"] else "audit"
                print(
                    f"{r['id'][:8]}  {to_uk(r['conducted_on'])}  {r['status']:<5}  {kind:<6}  "
                    f"{r['template_id']:<22}  {r['school_name']}"
                )
            if not rows:
                print("No audits on this laptop.", file=sys.stderr)
    except StoreError as exc:
        return _fail(str(exc))
    return EXIT_OK


def snapshot_dict(snap) -> dict:
    t = snap.template
    sections = []
    for section in t.sections:
        j = snap.judgements.get(section.id) or {}
        sections.append(
            {
                "id": section.id,
                "label": section.label,
                "judgement": j.get("value"),
                "strengths": j.get("strengths"),
                "development": j.get("development"),
                "criteria": [
                    {
                        "id": c.id,
                        "text": c.text,
                        "kind": c.kind,
                        "value": (snap.ratings.get(c.id) or {}).get("value"),
                        "label": t.level_label((snap.ratings.get(c.id) or {}).get("value"))
                        if c.kind == "rated"
                        else None,
                        "evidence": (snap.ratings.get(c.id) or {}).get("evidence"),
                        "evidence_at": (snap.ratings.get(c.id) or {}).get("evidence_at"),
                        "good_practice": bool((snap.ratings.get(c.id) or {}).get("good_practice")),
                    }
                    for c in section.criteria
                ],
            }
        )
    a = snap.audit
    meeting = snap.meeting
    return {
        "id": a["id"],
        "school": snap.school_name,
        "school_id": a["school_id"],
        "template": {"id": a["template_id"], "version": a["template_version"], "title": t.title},
        "conducted_on": a["conducted_on"],
        "conducted_by": a["conducted_by"],
        "status": a["status"],
        "finalised_at": a["finalised_at"],
        "supersedes": a["supersedes"],
        "review_of": a["review_of"],
        "good_practice": a["good_practice"],
        "sections": sections,
        "action_points": [
            {
                "id": x["id"],
                "action": x["action"],
                "owner": x["owner"],
                "due_on": x["due_on"],
                "status": x["status"],
                "criteria": json.loads(x["criteria"]),
                "progress": x["progress"],
                "carried_from": x["carried_from"],
            }
            for x in snap.actions
        ],
        "feedback_meeting": None
        if not meeting
        else {
            "held_on": meeting["held_on"],
            "attendees": json.loads(meeting["attendees"] or "[]"),
            "agreed": meeting["agreed"],
        },
        "attachments": [
            {"id": x["id"], "criterion": x["criterion_id"], "title": x["title"], "filename": x["filename"]}
            for x in snap.attachments
        ],
    }


CSV_COLUMNS = [
    "section",
    "criterion",
    "text",
    "kind",
    "value",
    "label",
    "evidence",
    "evidence_at",
    "good_practice",
    "section_judgement",
]


def _export(args) -> int:
    from desktop.audits.records import AuditRecords
    from desktop.store import StoreError, opened

    try:
        with opened() as store:
            records = AuditRecords(store)
            audit_id = _find(records, args.id)
            data = snapshot_dict(records.snapshot(audit_id))
            out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
            try:
                if args.format == "json":
                    json.dump(data, out, indent=2, ensure_ascii=False)
                    out.write("\n")
                else:
                    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
                    writer.writeheader()
                    for s in data["sections"]:
                        for c in s["criteria"]:
                            writer.writerow(
                                {
                                    "section": s["label"],
                                    "criterion": c["id"],
                                    "text": c["text"],
                                    "kind": c["kind"],
                                    "value": c["value"],
                                    "label": c["label"],
                                    "evidence": c["evidence"],
                                    "evidence_at": c["evidence_at"],
                                    "good_practice": int(c["good_practice"]),
                                    "section_judgement": s["judgement"],
                                }
                            )
            finally:
                if args.output:
                    out.close()
            store.log("export", "audit", audit_id, f"{args.format} to {'a file' if args.output else 'standard output'}")
    except (StoreError, OSError, _NoSuchAudit) as exc:
        return _fail(str(exc))
    return EXIT_OK


def _summary(args) -> int:
    from desktop.audits.records import AuditRecords
    from desktop.audits.summary import load_summary
    from desktop.store import StoreError, opened

    try:
        date_from, date_to = parse_uk(args.date_from), parse_uk(args.date_to)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if date_from > date_to:
        return _fail("--from is after --to.", EXIT_USAGE)
    try:
        with opened() as store:
            records = AuditRecords(store)
            try:
                template = records.template(args.template)
            except KeyError:
                return _fail(f"no audit template {args.template!r}.", EXIT_USAGE)
            s = load_summary(records, template.id, date_from.isoformat(), date_to.isoformat())
    except StoreError as exc:
        return _fail(str(exc))
    if args.output:
        from desktop.audits.report import commissioner_data, render_commissioner

        try:
            _write(args.output, render_commissioner(commissioner_data(s, template), _letterhead()))
        except OSError as exc:
            return _fail(f"could not write {args.output}: {exc.strerror or exc}.")
        print(f"Wrote {args.output}.", file=sys.stderr)
    if args.json:
        print(json.dumps(s.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    if args.output:
        return EXIT_OK
    levels = [str(o.value) for o in template.levels]
    print(f"{template.title}: {s.schools} school(s), {to_uk(s.date_from)} to {to_uk(s.date_to)}; {s.reviews} review(s)")
    print(
        f"{'criterion':<28}"
        + "".join(f"{template.level_label(v):>12}" for v in levels)
        + f"{'not seen':>10}{'n/a':>6}{'rated':>7}"
    )
    for c in s.criteria:
        print(
            f"{c.criterion_id:<28}"
            + "".join(f"{c.schools_by_level[v]:>12}" for v in levels)
            + f"{c.not_seen:>10}{c.not_applicable:>6}{c.rated:>7}"
        )
    return EXIT_OK


def _letterhead():
    from desktop.reports.document import Letterhead

    try:
        from desktop.config import load_settings

        return Letterhead.from_settings(load_settings())
    except Exception:  # no settings yet: the default letterhead
        return Letterhead()


def _write(path: str, data: bytes) -> None:
    """Write whole or not at all (a .part file renamed into place)."""
    from pathlib import Path

    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)


def _report(args) -> int:
    from desktop.audits.records import AuditRecords
    from desktop.audits.report import load_report_data, render_audit_report
    from desktop.store import StoreError, opened

    try:
        with opened() as store:
            records = AuditRecords(store)
            audit_id = _find(records, args.id)
            _write(args.output, render_audit_report(load_report_data(records, audit_id), _letterhead()))
            store.log("export", "audit", audit_id, "summary report to a file")
    except (StoreError, _NoSuchAudit) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"could not write {args.output}: {exc.strerror or exc}.")
    print(f"Wrote {args.output}.", file=sys.stderr)
    return EXIT_OK
