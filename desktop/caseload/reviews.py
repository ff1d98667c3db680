"""PSP reviews and dated exclusions (store migration 11).

A **PSP review** rates each of the plan's targets on a five-point scale (``RATINGS``) with a
note. A plan's targets are its ``targets`` text, one target a line (list markers such as
``- `` or ``1. `` dropped). A review keeps the target's text as it was reviewed, so a later
edit of the plan does not change what an earlier review rated. **Progress since the last
review** is a target's rating at a review minus its rating at the review before, when both
reviews rated it.

An **exclusion** is one dated fixed-term or permanent exclusion of a pupil, optionally
linked to the referral it was recorded on; the service report counts exclusions after
closure from these (``desktop.reports.service``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

from desktop.caseload.service import _as_date
from desktop.dates import to_uk
from desktop.store import Store, ValidationError

RATINGS = {1: "No progress", 2: "A little progress", 3: "Some progress", 4: "Good progress", 5: "Target met"}
EXCLUSION_KINDS = {"fixed": "Fixed-term (suspension)", "permanent": "Permanent"}
MAX_TARGETS = 50
MAX_TARGET_TEXT = 2000
MAX_NOTE = 4000
_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def plan_targets(text: str | None) -> list[str]:
    """The plan's targets: one a line, list markers dropped, blank lines skipped."""
    out = []
    for line in (text or "").splitlines():
        target = _MARKER.sub("", line).strip()
        if target:
            out.append(target)
    return out


@dataclass(frozen=True)
class TargetRating:
    """One target's rating (1-5) and note at one review."""

    target: str
    rating: int | None  # None: not rated at this review
    note: str = ""


@dataclass(frozen=True)
class Review:
    """One PSP review: its date and each target's rating."""

    id: str
    review_date: str  # ISO
    ratings: tuple[TargetRating, ...]
    notes: str = ""


@dataclass(frozen=True)
class ProgressRow:
    """One target across the reviews: its rating at each, and the latest change."""

    target: str
    ratings: tuple[int | None, ...]  # one per review, in review order
    change: int | None  # the last review's rating minus the one before (both rated), else None


@dataclass(frozen=True)
class ReviewProgress:
    """A plan's targets across its reviews (the PSP document's "Progress at reviews")."""

    review_dates: tuple[str, ...]  # ISO, in order
    rows: tuple[ProgressRow, ...]


def _parse_ratings(raw: str | None) -> tuple[TargetRating, ...]:
    """Ratings as stored; entries that are not what a laptop writes are passed over (a
    record from the server is read, never trusted to be well formed)."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return ()
    out = []
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("target"), str):
            continue
        rating = entry.get("rating")
        if not (isinstance(rating, int) and not isinstance(rating, bool) and rating in RATINGS):
            rating = None
        note = entry.get("note") if isinstance(entry.get("note"), str) else ""
        out.append(TargetRating(entry["target"], rating, note))
    return tuple(out)


class PlanReviews:
    """Recording and reading PSP reviews and exclusions (validated; committed at once)."""

    def __init__(self, store: Store, today: date | None = None):
        self.store = store
        self.today = today or date.today()

    # -- PSP reviews -----------------------------------------------------------------------
    def add_review(
        self, plan_id: str, review_date: Any, ratings: Sequence[TargetRating | tuple], notes: str = ""
    ) -> str:
        """Record a review of plan ``plan_id``: each target's rating (1-5) and note; at
        least one target rated. Returns the review's id; ValidationError says what is wrong."""
        problems: dict[str, str] = {}
        plan = self.store.get("support_plan", plan_id)
        if plan is None:
            raise ValidationError({"plan_id": "Choose the Pastoral Support Plan being reviewed."})
        when = _as_date(review_date, "review_date", problems, "Review date")
        if when is None and "review_date" not in problems:
            problems["review_date"] = "The review date is required."
        elif when is not None and when < date.fromisoformat(plan["start_date"]):
            problems["review_date"] = (
                f"The review date {to_uk(when)} is before the plan started ({to_uk(plan['start_date'])})."
            )
        elif when is not None and when > self.today:
            problems["review_date"] = f"The review date {to_uk(when)} is in the future."
        entries = [r if isinstance(r, TargetRating) else TargetRating(*r) for r in ratings]
        if not entries:
            problems["ratings"] = "A review rates at least one target."
        elif len(entries) > MAX_TARGETS:
            problems["ratings"] = f"A review rates at most {MAX_TARGETS} targets."
        seen = set()
        for n, entry in enumerate(entries, start=1):
            if not entry.target.strip():
                problems["ratings"] = f"Target {n} has no text."
            elif len(entry.target) > MAX_TARGET_TEXT or len(entry.note or "") > MAX_NOTE:
                problems["ratings"] = f"Target {n}: the target or its note is too long."
            elif entry.rating is not None and entry.rating not in RATINGS:
                problems["ratings"] = f"Target {n}: rate it from 1 ({RATINGS[1]}) to 5 ({RATINGS[5]})."
            elif entry.target.strip() in seen:
                problems["ratings"] = f"Target {n} is listed twice."
            seen.add(entry.target.strip())
        if entries and all(e.rating is None for e in entries) and "ratings" not in problems:
            problems["ratings"] = "Rate at least one target."
        if problems:
            raise ValidationError(problems)
        return self.store.create(
            "plan_review",
            {
                "referral_id": plan["referral_id"],
                "plan_id": plan_id,
                "review_date": when.isoformat(),
                "ratings": json.dumps(
                    [{"target": e.target.strip(), "rating": e.rating, "note": (e.note or "").strip()} for e in entries],
                    ensure_ascii=False,
                ),
                "notes": notes.strip() or None,
            },
        )

    def reviews(self, plan_id: str) -> list[Review]:
        """The plan's reviews, oldest first."""
        rows = self.store.db.query(
            "SELECT id, review_date, ratings, notes FROM plan_review WHERE plan_id = ? AND deleted = 0 "
            "ORDER BY review_date, modified_at",
            [plan_id],
        )
        return [Review(r["id"], r["review_date"], _parse_ratings(r["ratings"]), r["notes"] or "") for r in rows]

    def progress(self, plan_id: str) -> ReviewProgress:
        """Each target's rating at every review and its change since the review before the last.

        Targets in the plan's order, then any a review rated that the plan no longer lists."""
        plan = self.store.get("support_plan", plan_id) or {}
        reviews = self.reviews(plan_id)
        order = plan_targets(plan.get("targets"))
        for review in reviews:
            for entry in review.ratings:
                if entry.target not in order:
                    order.append(entry.target)
        rows = []
        for target in order:
            ratings = tuple(next((e.rating for e in r.ratings if e.target == target), None) for r in reviews)
            change = None
            if len(ratings) >= 2 and ratings[-1] is not None and ratings[-2] is not None:
                change = ratings[-1] - ratings[-2]
            rows.append(ProgressRow(target, ratings, change))
        return ReviewProgress(tuple(r.review_date for r in reviews), tuple(rows))

    # -- exclusions ------------------------------------------------------------------------
    def add_exclusion(
        self,
        pupil_id: str,
        exclusion_date: Any,
        kind: str = "fixed",
        *,
        referral_id: str | None = None,
        notes: str = "",
    ) -> str:
        """Record a dated exclusion (``fixed`` or ``permanent``) of a pupil; its id."""
        problems: dict[str, str] = {}
        if self.store.get("pupil", pupil_id) is None:
            problems["pupil_id"] = "Choose the pupil who was excluded."
        if referral_id is not None:
            referral = self.store.get("referral", referral_id)
            if referral is None or referral["pupil_id"] != pupil_id:
                problems["referral_id"] = "That referral is not this pupil's."
        when = _as_date(exclusion_date, "exclusion_date", problems, "Date of the exclusion")
        if when is None and "exclusion_date" not in problems:
            problems["exclusion_date"] = "The date of the exclusion is required."
        elif when is not None and when > self.today:
            problems["exclusion_date"] = f"The exclusion date {to_uk(when)} is in the future."
        if kind not in EXCLUSION_KINDS:
            problems["kind"] = "Say whether the exclusion was fixed-term or permanent."
        if problems:
            raise ValidationError(problems)
        return self.store.create(
            "exclusion",
            {
                "pupil_id": pupil_id,
                "referral_id": referral_id,
                "exclusion_date": when.isoformat(),
                "kind": kind,
                "notes": notes.strip() or None,
            },
        )

    def exclusions(self, pupil_ids: Iterable[str] | None = None) -> list[dict]:
        """Exclusions on this laptop, oldest first (of ``pupil_ids`` only, if given)."""
        rows = self.store.db.query(
            "SELECT id, pupil_id, referral_id, exclusion_date, kind FROM exclusion WHERE deleted = 0 "
            "ORDER BY exclusion_date"
        )
        wanted = None if pupil_ids is None else set(pupil_ids)
        return [dict(r) for r in rows if wanted is None or r["pupil_id"] in wanted]


__all__ = [
    "EXCLUSION_KINDS",
    "PlanReviews",
    "ProgressRow",
    "RATINGS",
    "Review",
    "ReviewProgress",
    "TargetRating",
    "plan_targets",
]
