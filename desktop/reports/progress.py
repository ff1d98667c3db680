"""The progress report for one pupil: every instrument at T1, T2 and T3 side by side.

For each instrument (and informant) with finalised completions, the latest final
scores at each time point with their bands and the change from the first to the
last, as a table and the chart the Assessments tab shows. The figures are
``FormRecords.progress``'s; a synthetic pack says so on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from desktop.caseload import vocab
from desktop.dates import to_uk, year_group_label
from desktop.forms.records import FormRecords
from desktop.reports.document import Document, Letterhead, ReportRenderer, Section, Text
from desktop.reports.visit import ProgressEvidence, progress_blocks, progress_evidence

NOTHING_YET = "No finalised assessments at T1, T2 or T3 for this pupil yet."


@dataclass(frozen=True)
class ProgressReport:
    report_date: date
    author: str
    pupil_name: str
    date_of_birth: str
    year_group: str
    school_name: str
    referral_date: str
    reason: str
    instruments: tuple[ProgressEvidence, ...]

    @property
    def title(self) -> str:
        return f"Progress report: {self.pupil_name}"


def build_progress_report(
    store, referral_id: str, *, records: FormRecords | None = None, author: str = "", report_date: date | None = None
) -> ProgressReport:
    """Every instrument the case's pupil has finalised forms on, in the order first completed."""
    referral = store.get("referral", referral_id)
    if referral is None:
        raise KeyError(f"no case {referral_id!r}")
    pupil = store.get("pupil", referral["pupil_id"]) or {}
    school = store.get("school", referral["school_id"]) or {}
    worker = store.get("caseworker", referral["caseworker_id"]) if referral.get("caseworker_id") else None
    records = records or FormRecords(store)
    seen: list[tuple[str, str]] = []
    for row in store.db.query(
        "SELECT pack_id, informant FROM form_completion WHERE pupil_id = ? AND deleted = 0 "
        "AND status = 'final' ORDER BY completed_on, finalised_at",
        [referral["pupil_id"]],
    ):
        if (row["pack_id"], row["informant"]) not in seen:
            seen.append((row["pack_id"], row["informant"]))
    instruments = []
    for pack_id, informant in seen:
        try:
            pack = records.pack(pack_id)
        except KeyError:
            continue  # a pack not installed on this laptop cannot be scored here
        evidence = progress_evidence(records, referral["pupil_id"], pack, informant)
        if evidence is not None:
            instruments.append(evidence)
    return ProgressReport(
        report_date=report_date or date.today(),
        author=author or (worker or {}).get("name", ""),
        pupil_name=f"{pupil.get('first_name', '')} {pupil.get('last_name', '')}".strip(),
        date_of_birth=to_uk(pupil.get("date_of_birth")),
        year_group=year_group_label(pupil.get("year_group")),
        school_name=school.get("name", ""),
        referral_date=to_uk(referral["referral_date"]),
        reason=vocab.REFERRAL_REASONS.get(referral["reason"], referral["reason"]),
        instruments=tuple(instruments),
    )


def progress_document(report: ProgressReport) -> Document:
    sections = [
        Section(
            f"{ev.pack_title}" + (f" ({ev.informant})" if ev.informant else ""),
            tuple(progress_blocks(ev, always_chart=True)[1:]),
        )  # the heading is the section's
        for ev in report.instruments
    ]
    if not sections:
        sections = [Section("Assessments", (Text(NOTHING_YET),))]
    facts = [
        ("Pupil", report.pupil_name),
        ("Date of birth", report.date_of_birth),
        ("Year group", report.year_group),
        ("School", report.school_name),
        ("Referred", f"{report.referral_date}: {report.reason}"),
        ("Report date", to_uk(report.report_date)),
    ]
    return Document(
        title=report.title,
        subject=f"Progress report for {report.school_name}",
        author=report.author,
        report_date=report.report_date,
        facts=[(k, v) for k, v in facts if v],
        sections=tuple(sections),
    )


def render_progress(report: ProgressReport, letterhead: Letterhead | None = None) -> bytes:
    return ReportRenderer(letterhead).generate(progress_document(report))
