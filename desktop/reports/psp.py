"""The Pastoral Support Plan document, from the case's ``support_plan`` record.

What the school, the family and the service agreed: the targets, the strategies
and who does what, how parents and carers are involved, the review dates, and a
signatures block for everyone who signs up to the plan. The record's text is
printed as typed (lines starting "- " or "1. " become lists).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from desktop.caseload import vocab
from desktop.caseload.reviews import RATINGS, PlanReviews, Review, ReviewProgress
from desktop.dates import to_uk, year_group_label
from desktop.reports.document import Document, Letterhead, ReportRenderer, Section, Subheading, TableBlock, Text
from desktop.reports.figures import signed_text

SIGNATORIES = ("Pupil", "Parent / carer", "Class teacher", "SENCo or senior leader", "Behaviour support practitioner")


@dataclass(frozen=True)
class PspReport:
    report_date: date
    author: str
    pupil_name: str
    date_of_birth: str
    year_group: str
    school_name: str
    caseworker: str
    start_date: str
    status: str
    targets: str
    strategies: str
    parent_involvement: str
    review_dates: tuple[str, ...]  # DD/MM/YYYY, in order
    progress: ReviewProgress = field(default_factory=lambda: ReviewProgress((), ()))
    reviews: tuple[Review, ...] = ()

    @property
    def title(self) -> str:
        return f"Pastoral Support Plan: {self.pupil_name}"


def latest_plan(store, referral_id: str) -> str | None:
    """The case's most recent plan (open ones first)."""
    row = store.conn.execute(
        "SELECT id FROM support_plan WHERE referral_id = ? AND deleted = 0 "
        "ORDER BY status = 'open' DESC, start_date DESC LIMIT 1",
        (referral_id,),
    ).fetchone()
    return row[0] if row else None


def build_psp(store, plan_id: str, *, author: str = "", report_date: date | None = None) -> PspReport:
    plan = store.get("support_plan", plan_id)
    if plan is None:
        raise KeyError(f"no Pastoral Support Plan {plan_id!r}")
    referral = store.get("referral", plan["referral_id"]) or {}
    pupil = store.get("pupil", referral.get("pupil_id")) or {} if referral else {}
    school = store.get("school", referral.get("school_id")) or {} if referral else {}
    worker = store.get("caseworker", referral["caseworker_id"]) if referral.get("caseworker_id") else None
    reviews = tuple(to_uk(d) for d in sorted(json.loads(plan["review_dates"] or "[]")))
    return PspReport(
        report_date=report_date or date.today(),
        author=author or (worker or {}).get("name", ""),
        pupil_name=f"{pupil.get('first_name', '')} {pupil.get('last_name', '')}".strip(),
        date_of_birth=to_uk(pupil.get("date_of_birth")),
        year_group=year_group_label(pupil.get("year_group")),
        school_name=school.get("name", ""),
        caseworker=(worker or {}).get("name", ""),
        start_date=to_uk(plan["start_date"]),
        status=vocab.PLAN_STATUSES.get(plan["status"], plan["status"]),
        targets=plan["targets"] or "",
        strategies=plan["strategies"] or "",
        parent_involvement=plan["parent_involvement"] or "",
        review_dates=reviews,
        progress=PlanReviews(store).progress(plan_id),
        reviews=tuple(PlanReviews(store).reviews(plan_id)),
    )


MAX_REVIEW_COLUMNS = 3  # the latest reviews shown side by side (the table stays readable)


def review_blocks(report: PspReport) -> tuple:
    """The review table (target, rating at each review, change since the last review), the
    key to the ratings, and each review's notes."""
    progress = report.progress
    if not progress.review_dates:
        return ()
    shown = progress.review_dates[-MAX_REVIEW_COLUMNS:]
    skip = len(progress.review_dates) - len(shown)
    date_w, change_w = 0.16, 0.14  # a date fits on one line, in the bold header too
    rows = [
        [row.target]
        + ["—" if r is None else str(r) for r in row.ratings[skip:]]
        + ["—" if row.change is None else signed_text(row.change)]
        for row in progress.rows
    ]
    key = ", ".join(f"{n} {label.lower()}" for n, label in RATINGS.items())
    blocks = [
        TableBlock(
            ["Target"] + [to_uk(d) for d in shown] + ["Change since last review"],
            rows,
            widths=[1 - date_w * len(shown) - change_w] + [date_w] * len(shown) + [change_w],
            align_right=tuple(range(1, len(shown) + 2)),
            caption=f"Ratings at each review: {key}. The change is the latest review's "
            "rating minus the one before (a dash: not rated at both)."
            + (f" The {skip} earliest review(s) are not shown." if skip else ""),
        )
    ]
    for review in report.reviews:
        lines = [f"- {e.target.rstrip('.')}: {e.note}" for e in review.ratings if e.note]
        text = "\n".join(([review.notes, ""] if review.notes else []) + lines).strip()
        if text:
            blocks.append(Subheading(f"Review of {to_uk(review.review_date)}"))
            blocks.append(Text(text))
    return tuple(blocks)


def psp_document(report: PspReport) -> Document:
    sections = (
        Section("Targets", (Text(report.targets),)),
        Section("Strategies and who does what", (Text(report.strategies),)),
        Section("Parent and carer involvement", (Text(report.parent_involvement),)),
        Section("Progress at reviews", review_blocks(report)),
        Section(
            "Reviews",
            (
                TableBlock(
                    ["Review", "Date", "Notes"],
                    [[str(n), d, ""] for n, d in enumerate(report.review_dates, start=1)],
                    widths=[0.12, 0.2, 0.68],
                    row_height=30,
                ),
            ),
        ),
        Section(
            "Signatures",
            (
                Text("By signing, everyone agrees to the targets and strategies above and to meet at each review."),
                TableBlock(
                    ["Role", "Name", "Signature", "Date"],
                    [[r, "", "", ""] for r in SIGNATORIES],
                    widths=[0.3, 0.27, 0.28, 0.15],
                    row_height=30,
                ),
            ),
            keep_together=True,
        ),
    )
    facts = [
        ("Pupil", report.pupil_name),
        ("Date of birth", report.date_of_birth),
        ("Year group", report.year_group),
        ("School", report.school_name),
        ("Plan started", report.start_date),
        ("Status", report.status),
        ("Caseworker", report.caseworker),
    ]
    return Document(
        title=report.title,
        subject=f"Pastoral Support Plan for {report.school_name}",
        author=report.author,
        report_date=report.report_date,
        facts=[(k, v) for k, v in facts if v],
        sections=sections,
    )


def render_psp(report: PspReport, letterhead: Letterhead | None = None) -> bytes:
    return ReportRenderer(letterhead).generate(psp_document(report))
