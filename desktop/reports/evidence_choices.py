"""The records a visit report can cite as evidence for a case (no Qt): its finished
observations and its final assessment forms, oldest first, as the report editor lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping

from desktop.dates import to_uk
from desktop.forms.records import TIME_POINTS
from desktop.store import Store

OBSERVATION, COMPLETION = "observation", "completion"


def observations_to_cite(store: Store, referral_id: str) -> list[dict]:
    """The case's observations that have stopped recording: id, lesson, started_at."""
    return list(
        store.db.query(
            "SELECT id, lesson, started_at FROM observation WHERE referral_id = ? AND deleted = 0 "
            "AND status != 'recording' ORDER BY started_at",
            [referral_id],
        )
    )


def completions_to_cite(store: Store, referral_id: str) -> list[dict]:
    """The case's final form completions: id, pack_id, completed_on, time_point."""
    return list(
        store.db.query(
            "SELECT id, pack_id, completed_on, time_point FROM form_completion WHERE referral_id = ? "
            "AND deleted = 0 AND status = 'final' ORDER BY completed_on",
            [referral_id],
        )
    )


@dataclass(frozen=True)
class EvidenceChoice:
    """One record the report editor offers to cite, and whether the report cites it."""

    kind: str  # OBSERVATION or COMPLETION
    record_id: str
    label: str  # as the editor lists it, e.g. "SDQ (teacher): 10/11/2026 (Baseline (T1))"
    chosen: bool

    def ticked(self, chosen: bool) -> "EvidenceChoice":
        return replace(self, chosen=chosen)


def evidence_choices(
    store: Store, referral_id: str, evidence: Mapping, pack_title: Callable[[str], str]
) -> list[EvidenceChoice]:
    """What the editor lists for a report on the case: its observations, then its final
    forms, each oldest first, ticked when the report's ``evidence`` (its stored choice:
    ``observations`` and ``completions`` ids) cites them. ``pack_title(pack_id)`` names a
    form's instrument; a pack not installed on this laptop (KeyError) is named by its id."""
    observations = set(evidence.get("observations", []))
    completions = set(evidence.get("completions", []))
    choices = [
        EvidenceChoice(
            OBSERVATION,
            o["id"],
            f"Observation: {o['lesson'] or 'lesson'}, {to_uk(o['started_at'])}",
            o["id"] in observations,
        )
        for o in observations_to_cite(store, referral_id)
    ]
    titles: dict[str, str] = {}
    for c in completions_to_cite(store, referral_id):
        if c["pack_id"] not in titles:
            try:
                titles[c["pack_id"]] = pack_title(c["pack_id"])
            except KeyError:
                titles[c["pack_id"]] = c["pack_id"]
        when = TIME_POINTS.get(c["time_point"], c["time_point"])
        choices.append(
            EvidenceChoice(
                COMPLETION,
                c["id"],
                f"{titles[c['pack_id']]}: {to_uk(c['completed_on'])} ({when})",
                c["id"] in completions,
            )
        )
    return choices


def chosen_ids(choices: Iterable[EvidenceChoice]) -> tuple[list[str], list[str]]:
    """The ticked observations' ids and the ticked forms' ids, in list order
    (``ReportRecords.choose_evidence``'s arguments)."""
    choices = list(choices)
    return (
        [c.record_id for c in choices if c.chosen and c.kind == OBSERVATION],
        [c.record_id for c in choices if c.chosen and c.kind == COMPLETION],
    )
