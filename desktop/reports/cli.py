"""``fieldnote report visit|progress|psp ID -o FILE.pdf`` and ``fieldnote report service``:
reports from the store, headless."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="make a report as a PDF",
        description="Make a report from the records on this laptop, as a PDF marked with the "
        "service's protective marking (Settings).",
    )
    sub = parser.add_subparsers(dest="report", metavar="REPORT")
    visit = sub.add_parser(
        "visit",
        help="the visit report for a case",
        description="The visit report for case ID: the case header, the practitioner's text "
        "(from --text, a JSON file of section → text) and the evidence — every "
        "ended observation and finalised form of the case unless --observation or "
        "--completion choose — with a drafted paragraph for each.",
    )
    visit.add_argument("case", metavar="ID", help="the case (referral) id")
    visit.add_argument("--output", "-o", required=True, help="the PDF file to write")
    visit.add_argument(
        "--text",
        help="a JSON file mapping section keys (background, observation, "
        "assessments, strengths, communicates, recommendations, "
        "next_steps) to plain text",
    )
    visit.add_argument(
        "--observation",
        action="append",
        default=None,
        metavar="OBS",
        help="an observation to include (repeat for more)",
    )
    visit.add_argument(
        "--completion",
        action="append",
        default=None,
        metavar="FORM",
        help="a finalised form completion to include (repeat for more)",
    )
    visit.add_argument("--date", help="the report's date, DD/MM/YYYY (default today)")
    visit.set_defaults(func=_visit)
    progress = sub.add_parser(
        "progress",
        help="the progress report for a case's pupil",
        description="Every instrument the case's pupil has finalised forms on, at T1, T2 and T3 "
        "side by side with bands and the change, as tables and charts.",
    )
    progress.add_argument("case", metavar="ID", help="the case (referral) id")
    progress.add_argument("--output", "-o", required=True, help="the PDF file to write")
    progress.add_argument("--date", help="the report's date, DD/MM/YYYY (default today)")
    progress.set_defaults(func=_progress)
    psp = sub.add_parser(
        "psp",
        help="the Pastoral Support Plan for a case",
        description="The case's Pastoral Support Plan (its open plan, else its latest; or --plan): "
        "targets, strategies and who does what, parent and carer involvement, review "
        "dates and a signatures block.",
    )
    psp.add_argument("case", metavar="ID", help="the case (referral) id")
    psp.add_argument("--output", "-o", required=True, help="the PDF file to write")
    psp.add_argument("--plan", help="a particular plan of the case")
    psp.add_argument("--date", help="the document's date, DD/MM/YYYY (default today)")
    psp.set_defaults(func=_psp)
    service = sub.add_parser(
        "service",
        help="the service's figures for a period",
        description="Referrals, schools and pupils supported, allocation times, visits, contacts, "
        "helpline calls, closures and outcome measures for a date range, over the "
        "records on this laptop; as a PDF, or with --csv as rows for a spreadsheet.",
    )
    service.add_argument("--from", dest="start", required=True, help="first day, DD/MM/YYYY")
    service.add_argument("--to", dest="end", required=True, help="last day, DD/MM/YYYY")
    service.add_argument("--output", "-o", required=True, help="the file to write")
    service.add_argument("--csv", action="store_true", help="write the figures as CSV instead of a PDF")
    service.set_defaults(func=_service)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _visit(args) -> int:
    from desktop.config import load_settings
    from desktop.dates import parse_uk
    from desktop.reports.document import Letterhead
    from desktop.reports.visit import SECTIONS, build_visit_report, render_visit
    from desktop.observation.errors import ObservationError
    from desktop.store import StoreError, opened

    try:
        sections = {}
        if args.text:
            sections = json.loads(Path(args.text).read_text(encoding="utf-8"))
            known = {key for key, _ in SECTIONS}
            if (
                not isinstance(sections, dict)
                or not set(sections) <= known
                or not all(isinstance(v, str) for v in sections.values())
            ):
                raise ValueError(f"{args.text} must map section names ({', '.join(sorted(known))}) to text")
        when = parse_uk(args.date) if args.date else date.today()
        settings = load_settings()
        with opened() as store:
            referral = store.get("referral", args.case)
            if referral is None:
                raise ValueError(f"there is no case {args.case!r} on this laptop")
            observations = (
                args.observation
                if args.observation is not None
                else [
                    r[0]
                    for r in store.conn.execute(
                        "SELECT id FROM observation WHERE referral_id = ? AND deleted = 0 "
                        "AND status != 'recording' ORDER BY started_at",
                        (args.case,),
                    )
                ]
            )
            completions = (
                args.completion
                if args.completion is not None
                else [
                    r[0]
                    for r in store.conn.execute(
                        "SELECT id FROM form_completion WHERE referral_id = ? AND deleted = 0 "
                        "AND status = 'final' ORDER BY completed_on",
                        (args.case,),
                    )
                ]
            )
            if not sections.get("background") and referral.get("concern"):
                sections.setdefault("background", referral["concern"])
            report = build_visit_report(
                store,
                args.case,
                sections=sections,
                observation_ids=observations,
                completion_ids=completions,
                report_date=when,
                author=settings.practitioner_name,
            )
            for key in report.missing:
                print(
                    f"fieldnote report visit: {key.split(':')[0]} {key.split(':', 1)[1]!r} is not on "
                    "this laptop; left out",
                    file=sys.stderr,
                )
            pdf = render_visit(report, Letterhead.from_settings(settings))
            _write(Path(args.output), pdf)
            store.log("export", "referral", args.case, "visit report to a PDF file")
    except (StoreError, ObservationError, OSError, ValueError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"fieldnote report visit: {message}", file=sys.stderr)
        return 1
    print(f"Wrote {args.output}")
    return 0


def _case_pdf(args, command: str, make) -> int:
    """Write one case's PDF: ``make(store, when, settings)`` gives (the PDF's bytes, and the
    entity, record id and words the activity log records for the export)."""
    from desktop.config import load_settings
    from desktop.dates import parse_uk
    from desktop.store import StoreError, opened

    try:
        when = parse_uk(args.date) if args.date else date.today()
        settings = load_settings()
        with opened() as store:
            if store.get("referral", args.case) is None:
                raise ValueError(f"there is no case {args.case!r} on this laptop")
            pdf, entity, record_id, what = make(store, when, settings)
            _write(Path(args.output), pdf)
            store.log("export", entity, record_id, what)
    except (StoreError, OSError, ValueError) as exc:
        print(f"fieldnote report {command}: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {args.output}")
    return 0


def _progress(args) -> int:
    from desktop.reports.document import Letterhead
    from desktop.reports.progress import build_progress_report, render_progress

    def make(store, when, settings):
        report = build_progress_report(store, args.case, report_date=when, author=settings.practitioner_name)
        return (
            render_progress(report, Letterhead.from_settings(settings)),
            "referral",
            args.case,
            "progress report to a PDF file",
        )

    return _case_pdf(args, "progress", make)


def _psp(args) -> int:
    from desktop.reports.document import Letterhead
    from desktop.reports.psp import build_psp, latest_plan, render_psp

    def make(store, when, settings):
        plan_id = args.plan or latest_plan(store, args.case)
        plan = store.get("support_plan", plan_id) if plan_id else None
        if plan is None or plan["referral_id"] != args.case:
            raise ValueError(
                "this case has no Pastoral Support Plan" if not args.plan else f"the case has no plan {args.plan!r}"
            )
        report = build_psp(store, plan_id, report_date=when, author=settings.practitioner_name)
        return (
            render_psp(report, Letterhead.from_settings(settings)),
            "support_plan",
            plan_id,
            "Pastoral Support Plan to a PDF file",
        )

    return _case_pdf(args, "psp", make)


def _service(args) -> int:
    from desktop.config import load_settings
    from desktop.dates import parse_uk
    from desktop.reports.document import Letterhead
    from desktop.reports.service import render_service, service_csv, service_figures
    from desktop.store import StoreError, opened

    try:
        start, end = parse_uk(args.start), parse_uk(args.end)
        if end < start:
            raise ValueError(f"the end, {args.end}, is before the start, {args.start}")
        settings = load_settings()
        with opened() as store:
            figures = service_figures(store, start, end)
            if args.csv:
                _write(Path(args.output), service_csv(figures).encode("utf-8"))
            else:
                _write(
                    Path(args.output),
                    render_service(figures, Letterhead.from_settings(settings), settings.practitioner_name),
                )
            store.log("export", "referral", None, f"service figures {args.start} to {args.end} to a file")
    except (StoreError, OSError, ValueError) as exc:
        print(f"fieldnote report service: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {args.output}")
    return 0


def _write(out: Path, data: bytes) -> None:
    """Write whole or not at all: a part file renamed into place."""
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
