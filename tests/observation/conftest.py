"""Shared fixtures: a fake clock, an in-memory sink, and observation builders."""

from __future__ import annotations

from typing import Sequence

import pytest

from desktop.observation import (
    Observation,
    ObservationEngine,
    ObservationRecord,
    ObservationSetup,
    boss,
    minute_intervals,
    record_events,
)
from tests.observation.fakes import FakeClock, MemorySink
from desktop.observation.records import CODED, NO_CODES_STATUSES, Interval, subject_of

START_AT = "2025-03-04T09:00:00Z"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(monotonic=5000.0, wall=1_741_078_800.0)


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


def start(scheme=None, clock=None, sink=None, **setup) -> ObservationEngine:
    """An engine on a fake clock; set-up fields default to the scheme's."""
    scheme = scheme or minute_intervals()
    observation_id = setup.pop("observation_id", "obs-test")
    setup.setdefault("case_id", "CASE-1")
    setup.setdefault("interval_seconds", scheme.interval_seconds)
    setup.setdefault("peer_every", scheme.peer_every)
    return ObservationEngine.start(
        ObservationSetup(**setup),
        scheme,
        sink=sink if sink is not None else MemorySink(),
        clock=clock or FakeClock(),
        observation_id=observation_id,
    )


def run_for(engine: ObservationEngine, clock: FakeClock, seconds: float, step: float = 1.0) -> list:
    """Advance the fake clock, polling every ``step`` seconds as the UI timer would."""
    prompts = []
    end = clock.monotonic() + seconds
    while clock.monotonic() + step < end:
        clock.advance(step)
        prompts += engine.poll()
    clock.set(end)
    return prompts + engine.poll()


def build(
    interval_codes: Sequence[Sequence[str]],
    *,
    scheme=None,
    statuses: Sequence[str] | None = None,
    observation_id: str = "obs-a",
    peer_every: int | None = None,
    interval_seconds: int | None = None,
) -> Observation:
    """An ended observation with the given codes per interval (through the event path)."""
    scheme = scheme or minute_intervals()
    size = interval_seconds or scheme.interval_seconds
    setup = ObservationSetup(case_id="CASE-1", interval_seconds=size, peer_every=peer_every)
    statuses = statuses or [CODED] * len(interval_codes)
    intervals = tuple(
        Interval(
            k,
            subject_of(k, peer_every),
            status,
            tuple(c.id for c in scheme.codes if c.id in codes and status not in NO_CODES_STATUSES),
            float((k - 1) * size),
            float(k * size),
        )
        for k, (codes, status) in enumerate(zip(interval_codes, statuses), start=1)
    )
    record = ObservationRecord(
        id=observation_id,
        version=1,
        supersedes=None,
        state="ended",
        setup=setup,
        scheme=scheme,
        started_at=START_AT,
        ended_at="2025-03-04T10:00:00Z",
        end_reason="ended",
        observed_s=float(len(intervals) * size),
        intervals=intervals,
    )
    return Observation.replay(record_events(record))


@pytest.fixture
def boss_scheme():
    return boss()
