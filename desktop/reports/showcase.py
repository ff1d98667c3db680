"""The reports made from the demo data, as PDFs: what docs/images/ shows.

    python -m desktop.reports.showcase OUTDIR

Fills a throwaway store (its own data folder under OUTDIR) with the demo data, adds an
observation, a Boxall and two SDQs to one demo case (the demo has none), writes a short
visit report with two strategies from the bank, and renders the visit report, the
case's Pastoral Support Plan, its progress report and the last academic year's service
report (the demo's closed cases, dated exclusions and schools' surveys fill its exclusion and
satisfaction sections). Then ``pdftoppm -png -r 70`` (or ``desktop.reports.pages.render_pages(pdf,
dpi=70)``) turns pages into images.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

VISIT_SECTIONS = {
    "background": (
        "The class teacher reports that {first} often leaves lessons without permission and "
        "refuses to start written work, but settles well in practical lessons and with the "
        "teaching assistant.\n\n"
        "The school shared:\n"
        "- a move of school in Year 2\n"
        "- two fixed-term exclusions last year\n"
        "- good attendance (96%)"
    ),
    "strengths": "- {first} is kind to younger pupils.\n- Enjoys practical work and responds to specific praise.",
    "communicates": (
        "The behaviour rises when tasks are open-ended and adult attention moves elsewhere: it may "
        "be a way of avoiding work that feels too hard to start."
    ),
    "recommendations": "Agreed with the class teacher and SENCo:",
    "next_steps": "A follow-up visit in four weeks to review the Pastoral Support Plan with the school "
    "and {first}'s family.",
}


def make_showcase(store, outdir: Path, today: date) -> dict[str, Path]:
    from desktop.caseload import Caseload
    from desktop.demo import fill_demo
    from desktop.reports.progress import build_progress_report, render_progress
    from desktop.caseload.reviews import PlanReviews
    from desktop.reports.psp import build_psp, render_psp
    from desktop.reports.records import ReportRecords
    from desktop.reports.sample import add_evidence
    from desktop.reports.service import render_service, service_figures
    from desktop.reports.strategies import load_bank
    from desktop.reports.visit import render_visit

    caseload = Caseload(store, today=today)
    fill_demo(caseload, pupils=120, seed=7)
    case = next(
        r
        for r in caseload.caseload()
        if r.status == "active"
        and (r.year_group or 99) <= 6
        and r.referral_date <= (today - timedelta(days=60)).isoformat()
    )
    evidence = add_evidence(
        store,
        case.referral_id,
        observed_on=today.replace(day=10).isoformat(),
        sdqs=(today.replace(month=9, day=20).isoformat(), today.replace(day=16).isoformat()),
    )
    first = store.get("pupil", case.pupil_id)["first_name"]
    targets = [
        f"{first} will start written tasks within 2 minutes of the instruction.",
        f"{first} will stay in class for whole lessons, using the agreed signal to take a break.",
        f"{first} will play a structured game at lunchtime without an incident.",
    ]
    plan = caseload.add_support_plan(
        case.referral_id,
        today - timedelta(days=49),
        targets="\n".join(f"{n}. {t}" for n, t in enumerate(targets, 1)),
        strategies=(
            "- Class teacher: a 'now and next' card and a 2-minute warning before transitions.\n"
            "- Teaching assistant: a check-in after each chunk of written work.\n"
            "- Lunchtime supervisor: a structured game club on Tuesdays and Thursdays."
        ),
        parent_involvement=f"{first}'s parents keep a home-school book and praise the days with a green card.",
        review_dates=[today - timedelta(days=28), today - timedelta(days=2), today + timedelta(days=26)],
    )
    reviews = PlanReviews(store, today=today)
    reviews.add_review(
        plan,
        today - timedelta(days=28),
        [(targets[0], 2, "Starts with a timer on most days."), (targets[1], 2, ""), (targets[2], 3, "")],
    )
    reviews.add_review(
        plan,
        today - timedelta(days=2),
        [
            (targets[0], 4, "Starts within 2 minutes in four lessons out of five."),
            (targets[1], 3, "Left the room twice in two weeks, both times using the signal."),
            (targets[2], 3, ""),
        ],
        notes="Attended by the class teacher, the SENCo and both parents.",
    )
    reports = ReportRecords(store)
    report_id = reports.start_visit(
        case.referral_id, today, {k: v.format(first=first) for k, v in VISIT_SECTIONS.items()}
    )
    bank = load_bank(outdir / "no-installed-banks", outdir / "no-own-bank.json")
    picked = [bank.search("now next")[0], bank.search("chunk")[0]]
    reports.set_section(
        report_id,
        "recommendations",
        VISIT_SECTIONS["recommendations"] + "\n" + "\n".join(s.for_report() for s in picked),
    )
    reports.choose_evidence(report_id, [evidence["observation"]], [evidence["boxall"]])
    out = {}
    outdir.mkdir(parents=True, exist_ok=True)
    out["visit"] = outdir / "visit-report.pdf"
    out["visit"].write_bytes(render_visit(reports.build(report_id)))
    out["psp"] = outdir / "psp.pdf"
    out["psp"].write_bytes(render_psp(build_psp(store, plan, report_date=today)))
    out["progress"] = outdir / "progress-report.pdf"
    out["progress"].write_bytes(render_progress(build_progress_report(store, case.referral_id, report_date=today)))
    # the last full academic year: the report a team lead sends the commissioner in the autumn,
    # with closures that have had 12 months' follow-up (exclusions after support)
    year = today.year if today.month >= 9 else today.year - 1
    figures = service_figures(store, date(year - 1, 9, 1), date(year, 8, 31), as_of=today)
    out["service"] = outdir / "service-report.pdf"
    out["service"].write_bytes(render_service(figures, report_date=today))
    return out


def main(argv: list[str] | None = None) -> int:
    import os

    args = argv if argv is not None else sys.argv[1:]
    outdir = Path(args[0] if args else "showcase").resolve()
    home = outdir / "store"
    os.environ["FIELDNOTE_HOME"] = str(home)
    os.environ.setdefault("FIELDNOTE_PASSPHRASE", "showcase passphrase, not a secret")
    from desktop.store import open_store

    store = open_store(home, os.environ["FIELDNOTE_PASSPHRASE"], actor="showcase")
    try:
        for kind, path in make_showcase(store, outdir, date(2026, 11, 23)).items():
            print(f"{kind}: {path}")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
