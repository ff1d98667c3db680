"""Form completions in the store: answers committed as they are given (no Qt).

A completion is one filling-in of an instrument for a pupil: who completed it,
when, at which time point (T1 baseline, T2 post-intervention, T3 follow-up).
Each answer is its own syncable row, committed the moment it is entered, so a
form left half-done survives anything and merges item by item. A finalised
completion is immutable (the database refuses changes); a correction is a new
draft that ``supersedes`` it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from statistics import mean
from typing import Any

from desktop.forms.pack import InstrumentPack
from desktop.forms.registry import PackRegistry, load_registry
from desktop.forms.scoring import ScoreResult, plan_for
from desktop.store import Store, ValidationError, utc_now

TIME_POINTS = {"T1": "T1 baseline", "T2": "T2 post-intervention", "T3": "T3 follow-up", "other": "Other"}
COMPLETED_BY = {"teacher": "Teacher", "parent": "Parent / carer", "pupil": "Pupil", "practitioner": "Practitioner"}
_ANSWER_NS = uuid.UUID("6f1d9a52-2f3e-4c59-a8f5-6d0c8e3b7a10")


def _encode(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(str(value) if isinstance(value, Decimal) else value)


def _decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class Progress:
    """One pupil's scores on one instrument at each time point, with change since T1."""

    pack_id: str
    score_ids: tuple[str, ...]
    by_time_point: dict[str, ScoreResult]  # the latest final completion at each point

    def change(self, score_id: str, to: str = "T2", since: str = "T1"):
        a, b = self.by_time_point.get(since), self.by_time_point.get(to)
        if a is None or b is None or a.scores[score_id] is None or b.scores[score_id] is None:
            return None
        return b.scores[score_id] - a.scores[score_id]


class FormRecords:
    """Starting, answering, finalising and correcting completions; progress over time."""

    def __init__(self, store: Store, registry: PackRegistry | None = None):
        self.store = store
        self._registry = registry

    @property
    def registry(self) -> PackRegistry:
        """Packs are read and validated on first use, not at start-up."""
        if self._registry is None:
            self._registry = load_registry()
        return self._registry

    def reload_packs(self) -> None:
        """Read the packs again at next use (a sync installed or removed some)."""
        self._registry = None

    def pack(self, pack_id: str) -> InstrumentPack:
        return self.registry.get(pack_id)

    # -- a completion's life ------------------------------------------------------------------
    def start(
        self,
        *,
        pupil_id: str,
        pack_id: str,
        informant: str,
        age_band: str,
        completed_by: str,
        completed_on: str | date,
        time_point: str,
        referral_id: str | None = None,
        respondent: str | None = None,
    ) -> str:
        problems: dict[str, str] = {}
        try:
            pack = self.pack(pack_id)
        except KeyError as exc:
            raise ValidationError({"pack_id": str(exc).strip('"')}) from None
        if informant not in pack.informants:
            problems["informant"] = f"{pack.title} has no {informant!r} form."
        if age_band not in pack.age_bands:
            problems["age_band"] = f"{pack.title} has no age band {age_band!r}."
        if completed_by not in COMPLETED_BY:
            problems["completed_by"] = "Say who completed the form."
        if time_point not in TIME_POINTS:
            problems["time_point"] = "Choose the time point (T1, T2, T3 or other)."
        if not self.store.get("pupil", pupil_id):
            problems["pupil_id"] = "The pupil is not in the store."
        when = completed_on if isinstance(completed_on, date) else date.fromisoformat(completed_on)
        if when > date.today():
            problems["completed_on"] = "The completion date is in the future."
        if problems:
            raise ValidationError(problems)
        return self.store.create(
            "form_completion",
            {
                "pupil_id": pupil_id,
                "referral_id": referral_id,
                "pack_id": pack.id,
                "pack_version": pack.version,
                "informant": informant,
                "age_band": age_band,
                "completed_by": completed_by,
                "respondent": respondent,
                "completed_on": when.isoformat(),
                "time_point": time_point,
                "status": "draft",
            },
        )

    def completion(self, completion_id: str) -> dict:
        row = self.store.get("form_completion", completion_id)
        if row is None:
            raise ValidationError({"completion": "That form is not in the store."})
        return row

    def answer(self, completion_id: str, item_id: str, raw: Any) -> Any:
        """Record (or change, or clear with None) one answer at once; returns the value stored."""
        completion = self._draft(completion_id)
        plan = plan_for(self.pack(completion["pack_id"]), completion["informant"], completion["age_band"])
        position = plan.positions.get(item_id)
        if position is None:
            raise ValidationError({item_id: f"{completion['pack_id']} has no item {item_id!r}."})
        try:
            value = plan.parse_answer(position, raw)
        except ValueError as exc:
            raise ValidationError({item_id: str(exc)}) from None
        answer_id = str(uuid.uuid5(_ANSWER_NS, f"{completion_id}/{item_id}"))
        with self.store.transaction():
            if self.store.get("form_answer", answer_id, include_deleted=True) is None:
                self.store.create(
                    "form_answer",
                    {"completion_id": completion_id, "item_id": item_id, "value": _encode(value)},
                    record_id=answer_id,
                )
            else:
                self.store.update("form_answer", answer_id, {"value": _encode(value)})
        return value

    def answers(self, completion_id: str) -> dict[str, Any]:
        return {
            r["item_id"]: _decode(r["value"])
            for r in self.store.db.query(
                "SELECT item_id, value FROM form_answer WHERE completion_id = ? AND deleted = 0", [completion_id]
            )
            if r["value"] is not None
        }

    def score(self, completion_id: str) -> ScoreResult:
        completion = self.completion(completion_id)
        plan = plan_for(self.pack(completion["pack_id"]), completion["informant"], completion["age_band"])
        return plan.result(plan.answers_from_mapping(self.answers(completion_id)))

    def finalise(self, completion_id: str) -> dict:
        self._draft(completion_id)
        return self.store.update("form_completion", completion_id, {"status": "final", "finalised_at": utc_now()})

    def correct(self, completion_id: str) -> str:
        """A new draft carrying the final completion's answers, superseding it."""
        old = self.completion(completion_id)
        if old["status"] != "final":
            raise ValidationError({"status": "Only a finalised form needs a correction; edit the draft."})
        with self.store.transaction():
            new_id = self.start(
                pupil_id=old["pupil_id"],
                pack_id=old["pack_id"],
                informant=old["informant"],
                age_band=old["age_band"],
                completed_by=old["completed_by"],
                completed_on=old["completed_on"],
                time_point=old["time_point"],
                referral_id=old["referral_id"],
                respondent=old["respondent"],
            )
            self.store.update("form_completion", new_id, {"supersedes": completion_id})
            for item_id, value in self.answers(completion_id).items():
                self.answer(new_id, item_id, value)
        return new_id

    def _draft(self, completion_id: str) -> dict:
        completion = self.completion(completion_id)
        if completion["status"] == "final":
            raise ValidationError({"status": "This form is finalised and cannot change; make a correction instead."})
        return completion

    # -- reading ------------------------------------------------------------------------------------
    def completions(self, pupil_id: str) -> list[dict]:
        """The pupil's forms, newest first (two changed in the same instant: the one written
        here later first, so a correction stands above the form it supersedes)."""
        return list(
            self.store.db.query(
                "SELECT * FROM form_completion WHERE pupil_id = ? AND deleted = 0 "
                "ORDER BY completed_on DESC, modified_at DESC, rowid DESC",
                [pupil_id],
            )
        )

    def case_has(self, referral_id: str, pack_id: str) -> bool:
        """Whether the case already has a form of ``pack_id`` (draft or final, not deleted)."""
        return (
            self.store.conn.execute(
                "SELECT 1 FROM form_completion WHERE referral_id = ? AND pack_id = ? AND deleted = 0",
                (referral_id, pack_id),
            ).fetchone()
            is not None
        )

    def answered_counts(self, completion_ids: list[str]) -> dict[str, int]:
        """How many items each completion has an answer for (a draft's progress)."""
        if not completion_ids:
            return {}
        marks = ",".join("?" * len(completion_ids))
        return {
            r["completion_id"]: r["n"]
            for r in self.store.db.query(
                f"SELECT completion_id, COUNT(*) AS n FROM form_answer WHERE deleted = 0 "
                f"AND value IS NOT NULL AND completion_id IN ({marks}) GROUP BY completion_id",
                list(completion_ids),
            )
        }

    def _current_finals(self, where: str, params: list) -> list[dict]:
        """Final completions that no later final completion supersedes."""
        return list(
            self.store.db.query(
                "SELECT * FROM form_completion c WHERE c.deleted = 0 AND c.status = 'final' AND "
                + where
                + " AND NOT EXISTS (SELECT 1 FROM form_completion n WHERE n.supersedes = c.id"
                " AND n.status = 'final' AND n.deleted = 0) ORDER BY c.completed_on, c.finalised_at",
                params,
            )
        )

    def progress(self, pupil_id: str, pack_id: str, informant: str | None = None) -> Progress:
        """The pupil's latest final scores at T1, T2 and T3 side by side."""
        rows = self._current_finals("c.pupil_id = ? AND c.pack_id = ?", [pupil_id, pack_id])
        by_point = {}
        for row in rows:
            if informant and row["informant"] != informant:
                continue
            by_point[row["time_point"]] = self.score(row["id"])  # later rows replace earlier
        return Progress(pack_id, self.pack(pack_id).score_ids(), by_point)

    def cohort_means(
        self, pack_id: str, referral_ids: list[str], informant: str | None = None
    ) -> dict[str, dict[str, tuple[float | None, int]]]:
        """For a cohort of referrals (e.g. all closed in a year): each scale's mean at each
        time point and how many pupils it rests on — the data of a "means plot"."""
        scores: dict[str, dict[str, list]] = {}
        pupils = {r["pupil_id"] for r in (self.store.get("referral", i) for i in referral_ids) if r}
        for pupil_id in sorted(pupils):  # a pupil referred twice counts once
            progress = self.progress(pupil_id, pack_id, informant)
            for point, result in progress.by_time_point.items():
                for score_id, value in result.scores.items():
                    if value is not None:
                        scores.setdefault(point, {}).setdefault(score_id, []).append(float(value))
        return {
            point: {sid: (mean(vals) if vals else None, len(vals)) for sid, vals in by_score.items()}
            for point, by_score in scores.items()
        }
