"""Reports in the store: text saved as it is typed, finalised once, corrected by a new version.

A ``report`` row holds the practitioner's sections (JSON: section key → text)
and the evidence chosen (JSON: observation and completion ids, and the
paragraph kept for each evidence block). Every edit is one committed update
(with its outbox and audit entries), so a report survives a flat battery and
syncs like any record.

``finalise`` renders the PDF from the stored content, attaches it to the case
(so the file syncs as a document) and, in the same transaction, marks the
report final with the PDF's SHA-256. After that the database refuses any
change; ``correct`` starts a new draft that ``supersedes`` it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Iterable

from desktop.reports.document import Letterhead
from desktop.reports.visit import SECTIONS, VisitReport, build_visit_report, render_visit
from desktop.store import ValidationError, utc_now
from desktop.store.attachments import add_attachment, sha256_hex

SECTION_KEYS = tuple(key for key, _ in SECTIONS)


def report_file_name(kind: str, pupil_name: str, on: date, initials_only: bool = False) -> str:
    """``Visit report Zoë Nguyễn 2026-11-23.pdf``, or with ``initials_only`` (a setting for
    services that keep names out of file names) ``Visit report ZN 2026-11-23.pdf``."""
    who = "".join(part[0].upper() for part in pupil_name.split() if part) if initials_only else pupil_name
    return f"{kind} {who} {on.isoformat()}.pdf" if who else f"{kind} {on.isoformat()}.pdf"


class ReportRecords:
    """Writing, finalising and correcting reports on one store."""

    def __init__(self, store, records=None):
        self.store = store
        self.records = records  # FormRecords, for its pack registry (built on first use)

    # -- reading ---------------------------------------------------------------------------
    def get(self, report_id: str) -> dict:
        """The report row with ``sections`` and ``evidence`` decoded."""
        row = self.store.get("report", report_id)
        if row is None:
            raise ValidationError({"report": "That report is not on this laptop."})
        return dict(row, sections=json.loads(row["sections"]), evidence=json.loads(row["evidence"]))

    def for_case(self, referral_id: str) -> list[dict]:
        return list(
            self.store.db.query(
                "SELECT * FROM report WHERE referral_id = ? AND deleted = 0 ORDER BY report_date DESC, "
                "modified_at DESC",
                [referral_id],
            )
        )

    # -- writing a draft ------------------------------------------------------------------
    def start_visit(
        self, referral_id: str, report_date: date | None = None, sections: dict[str, str] | None = None
    ) -> str:
        if self.store.get("referral", referral_id) is None:
            raise ValidationError({"referral_id": "Choose the case this report is about."})
        values = {
            "referral_id": referral_id,
            "kind": "visit",
            "report_date": (report_date or date.today()).isoformat(),
            "sections": json.dumps(self._check_sections(sections or {}), ensure_ascii=False),
        }
        return self.store.create("report", values)

    def set_section(self, report_id: str, key: str, text: str) -> None:
        """Save one section's text (called as the practitioner types)."""
        row = self._draft(report_id)
        sections = json.loads(row["sections"])
        sections.update(self._check_sections({key: text}))
        self.store.update("report", report_id, {"sections": json.dumps(sections, ensure_ascii=False)})

    def choose_evidence(
        self, report_id: str, observations: Iterable[str] = (), completions: Iterable[str] = ()
    ) -> None:
        row = self._draft(report_id)
        evidence = json.loads(row["evidence"])
        evidence.update(observations=list(observations), completions=list(completions))
        self.store.update("report", report_id, {"evidence": json.dumps(evidence, ensure_ascii=False)})

    def set_evidence_text(self, report_id: str, key: str, text: str | None) -> None:
        """Keep ``text`` as the paragraph for one evidence block; None leaves the paragraph out.

        A block with nothing kept is offered its drafted paragraph (``build``)."""
        row = self._draft(report_id)
        evidence = json.loads(row["evidence"])
        evidence.setdefault("text", {})[key] = text
        self.store.update("report", report_id, {"evidence": json.dumps(evidence, ensure_ascii=False)})

    # -- building, finalising, correcting --------------------------------------------------
    def build(self, report_id: str) -> VisitReport:
        """The report's content as it stands: each evidence block's kept paragraph, its
        drafted one where nothing was kept, none where the practitioner left it out."""
        row = self.get(report_id)
        evidence = row["evidence"]
        report = build_visit_report(
            self.store,
            row["referral_id"],
            sections=row["sections"],
            observation_ids=evidence.get("observations", []),
            completion_ids=evidence.get("completions", []),
            records=self.records,
            report_date=date.fromisoformat(row["report_date"]),
            evidence_text=None,
        )
        kept = evidence.get("text", {})
        texts = {key: kept.get(key, draft) for key, draft in report.evidence_text.items()}
        return VisitReport(**{**report.__dict__, "evidence_text": {k: v for k, v in texts.items() if v is not None}})

    def finalise(
        self, report_id: str, letterhead: Letterhead | None = None, initials_only: bool = False
    ) -> tuple[str, bytes]:
        """Render, attach the PDF to the case and mark the report final with its SHA-256.

        Returns (attachment id, PDF bytes). All or nothing: one transaction."""
        row = self._draft(report_id)
        report = self.build(report_id)
        pdf = render_visit(report, letterhead)
        digest = sha256_hex(pdf)
        name = report_file_name("Visit report", report.pupil_name, report.report_date, initials_only)
        with self.store.transaction():
            attachment = add_attachment(
                self.store,
                pdf,
                referral_id=row["referral_id"],
                title=report.title,
                media_type="application/pdf",
                filename=name,
            )
            self.store.update(
                "report",
                report_id,
                {"status": "final", "finalised_at": utc_now(), "issued_sha256": digest, "attachment_id": attachment},
            )
        return attachment, pdf

    def correct(self, report_id: str) -> str:
        """A new draft with the final report's content, superseding it."""
        old = self.get(report_id)
        if old["status"] != "final":
            raise ValidationError({"status": "Only a finalised report needs a correction; edit the draft."})
        return self.store.create(
            "report",
            {
                "referral_id": old["referral_id"],
                "kind": old["kind"],
                "report_date": date.today().isoformat(),
                "sections": json.dumps(old["sections"], ensure_ascii=False),
                "evidence": json.dumps(old["evidence"], ensure_ascii=False),
                "supersedes": report_id,
            },
        )

    # -- helpers ---------------------------------------------------------------------------
    def _draft(self, report_id: str) -> dict:
        row = self.store.get("report", report_id)
        if row is None:
            raise ValidationError({"report": "That report is not on this laptop."})
        if row["status"] == "final":
            raise ValidationError({"status": "This report is finalised and cannot change; make a correction instead."})
        return row

    @staticmethod
    def _check_sections(sections: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(sections) - set(SECTION_KEYS))
        if unknown:
            raise ValidationError({"sections": f"A visit report has no section {unknown[0]!r}."})
        bad = [k for k, v in sections.items() if not isinstance(v, str)]
        if bad:
            raise ValidationError({bad[0]: "A section holds text."})
        return dict(sections)
