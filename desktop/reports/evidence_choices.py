"""The records a visit report can cite as evidence for a case (no Qt): its finished
observations and its final assessment forms, oldest first, as the report editor lists them.
"""
from __future__ import annotations

from desktop.store import Store


def observations_to_cite(store: Store, referral_id: str) -> list[dict]:
    """The case's observations that have stopped recording: id, lesson, started_at."""
    return list(store.db.query(
        "SELECT id, lesson, started_at FROM observation WHERE referral_id = ? AND deleted = 0 "
        "AND status != 'recording' ORDER BY started_at", [referral_id]))


def completions_to_cite(store: Store, referral_id: str) -> list[dict]:
    """The case's final form completions: id, pack_id, completed_on, time_point."""
    return list(store.db.query(
        "SELECT id, pack_id, completed_on, time_point FROM form_completion WHERE referral_id = ? "
        "AND deleted = 0 AND status = 'final' ORDER BY completed_on", [referral_id]))
