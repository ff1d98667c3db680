"""Follow-up reviews: re-rate the school's last finalised audit and show movement (no Qt).

A review is an audit whose ``review_of`` names the audit it follows up: the school's
latest *finalised* audit (a correction still in draft is never compared with). The
review starts with the previous audit's action points carried over (``carried_from``),
so each one's progress and status are recorded in the review while the finalised audit
stays as it was. Movement per criterion is the change of rank on the rating scale
(Red → Amber is +1); "not seen", "not applicable" and unrated criteria have none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from desktop.audits.records import AuditRecords, AuditSnapshot
from desktop.audits.template import AuditTemplate, RATED
from desktop.store import ValidationError

UP, DOWN, SAME = "up", "down", "same"


@dataclass(frozen=True)
class CriterionMovement:
    criterion_id: str
    section_id: str
    before: str | None
    after: str | None
    before_evidence: str | None
    change: int | None  # rank after − rank before; None when either is not a level

    @property
    def direction(self) -> str | None:
        if self.change is None:
            return None
        return UP if self.change > 0 else DOWN if self.change < 0 else SAME


@dataclass(frozen=True)
class SectionMovement:
    section_id: str
    up: int
    down: int
    same: int
    compared: int  # criteria rated on a level both times
    mean_before: float | None
    mean_after: float | None

    @property
    def change(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return self.mean_after - self.mean_before


def rank(template: AuditTemplate, value: str | None) -> int | None:
    """A rating's place on the scale from 0 (lowest), or None for unrated values."""
    return None if value is None else template.level_rank.get(value)


def start_review(
    records: AuditRecords,
    school_id: str,
    *,
    conducted_on: str | date,
    conducted_by: str | None = None,
    template_id: str | None = None,
) -> str:
    """A new review of the school's last finalised audit, its action points carried over."""
    previous = records.last_final(school_id, template_id)
    if previous is None:
        raise ValidationError({"review_of": "This school has no finalised audit to review yet."})
    prev = records.snapshot(previous["id"])
    with records.store.transaction():
        review_id = records.start(
            school_id=school_id,
            template_id=previous["template_id"],
            conducted_on=conducted_on,
            conducted_by=conducted_by,
            review_of=previous["id"],
        )
        for action in prev.actions:
            records.add_action(
                review_id,
                action["action"],
                owner=action["owner"],
                due_on=action["due_on"],
                criteria=json.loads(action["criteria"]),
                status=action["status"],
                carried_from=action["id"],
            )
    return review_id


def movement(before: AuditSnapshot, after: AuditSnapshot) -> list[CriterionMovement]:
    """Per rated criterion of the template, in template order."""
    template = after.template
    out = []
    for section in template.sections:
        for c in section.criteria:
            if c.kind != RATED:
                continue
            b, a = before.value(c.id), after.value(c.id)
            rb, ra = rank(template, b), rank(template, a)
            row = before.ratings.get(c.id)
            out.append(
                CriterionMovement(
                    c.id,
                    section.id,
                    b,
                    a,
                    row["evidence"] if row else None,
                    None if rb is None or ra is None else ra - rb,
                )
            )
    return out


def section_movement(before: AuditSnapshot, after: AuditSnapshot) -> dict[str, SectionMovement]:
    """Per section: how many criteria went up, down, stayed; mean rank before and after
    (over criteria rated on a level each time; "not seen" is left out)."""
    moves = movement(before, after)
    out = {}
    for section in after.template.sections:
        ms = [m for m in moves if m.section_id == section.id]
        if not any(c.kind == RATED for c in section.criteria):
            continue
        rb = [rank(after.template, m.before) for m in ms if rank(after.template, m.before) is not None]
        ra = [rank(after.template, m.after) for m in ms if rank(after.template, m.after) is not None]
        out[section.id] = SectionMovement(
            section.id,
            up=sum(m.direction == UP for m in ms),
            down=sum(m.direction == DOWN for m in ms),
            same=sum(m.direction == SAME for m in ms),
            compared=sum(m.change is not None for m in ms),
            mean_before=sum(rb) / len(rb) if rb else None,
            mean_after=sum(ra) / len(ra) if ra else None,
        )
    return out


def compare(records: AuditRecords, review_id: str) -> tuple[AuditSnapshot, AuditSnapshot]:
    """The reviewed (finalised) audit and the review, ready for ``movement``."""
    review = records.snapshot(review_id)
    if not review.audit["review_of"]:
        raise ValidationError({"review_of": "This audit is not a review."})
    return records.snapshot(review.audit["review_of"]), review
