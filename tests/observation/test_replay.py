"""Replaying the event log rebuilds the observation; a restart after a crash marks gaps."""

from __future__ import annotations

import dataclasses
import json

import pytest

from desktop.observation import (
    Code,
    Observation,
    ObservationEngine,
    RecordingMethod,
    boss,
)
from tests.observation.fakes import FakeClock, MemorySink
from desktop.observation.errors import ObservationStateError, ReplayError
from desktop.observation.events import IntervalClosed, Restarted, event_from_dict, event_to_dict

from .conftest import run_for, start


def _busy_boss(clock: FakeClock, sink: MemorySink) -> ObservationEngine:
    scheme = (
        boss()
        .with_code(Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT))
        .with_code(Code("OUT", "o", "Out of seat", "#0000FF", RecordingMethod.STATE))
    )
    engine = start(scheme, clock=clock, sink=sink, planned_duration_seconds=600)
    engine.mark_phase("starter")
    clock.advance(1)
    engine.press("a")
    engine.press("o")
    run_for(engine, clock, 20)
    engine.press("j")
    engine.press("c")
    engine.record_abc("task set", "shouted", "ignored")
    engine.set_note("restless")
    run_for(engine, clock, 30)
    engine.pause()
    clock.advance(120)
    engine.resume_after_pause()
    engine.skip_interval()
    engine.press("o")
    engine.mark_phase("main")
    run_for(engine, clock, 45)
    return engine


def test_replay_rebuilds_identical_state_mid_observation(clock, sink):
    engine = _busy_boss(clock, sink)
    assert engine.observation.is_recording
    rebuilt = Observation.replay(sink.events)
    assert rebuilt == engine.observation
    assert rebuilt.shown_codes() == engine.observation.shown_codes()
    assert rebuilt.selection == frozenset()  # AET was keyed in interval 1; every interval starts uncoded
    assert len(rebuilt.intervals) == 6


def test_replay_from_stored_json_rows_after_the_end(clock, sink):
    """What a store does: one JSON row per event, read back and replayed."""
    engine = _busy_boss(clock, sink)
    engine.end()
    engine.finalise()
    rows = [json.dumps(event_to_dict(e)) for e in sink.events]
    rebuilt = Observation.replay(event_from_dict(json.loads(r)) for r in rows)
    assert rebuilt == engine.observation
    assert rebuilt.is_finalised
    assert [(s.code, s.start_s, s.end_s) for s in rebuilt.state_spans] == [("OUT", 1.0, 51.0)]


def test_replay_rejects_a_broken_log(clock, sink):
    engine = start(clock=clock, sink=sink)
    clock.advance(5)
    engine.toggle("ON")
    engine.toggle("GRP")
    events = sink.events
    with pytest.raises(ReplayError, match="empty"):
        Observation.replay([])
    with pytest.raises(ReplayError, match="out of order"):
        Observation.replay([events[0], events[2]])
    with pytest.raises(ReplayError, match="belongs to observation 'obs-other'"):
        Observation.replay([events[0], dataclasses.replace(events[1], observation_id="obs-other")])
    with pytest.raises(ReplayError, match=r"seq 1 out of order \(expected 0\)"):
        Observation.replay(events[1:])


def test_restart_after_a_crash_marks_the_missing_intervals_as_gaps(clock, sink):
    engine = start(clock=clock, sink=sink, planned_duration_seconds=1800)
    engine.set_code("ON", True)
    run_for(engine, clock, 70)
    engine.same_as_last()
    run_for(engine, clock, 80)  # intervals 1-2 closed, in interval 3 at 150 s
    engine.set_note("about to crash")
    # The app dies at 150 s; it is started again 200 s later, on a new monotonic clock.
    clock2 = FakeClock(monotonic=42.0, wall=clock.wall() + 200)
    engine2 = ObservationEngine.resume(list(sink.events), sink=sink, clock=clock2)
    obs = engine2.observation
    # Observed time is now 350 s: intervals 3, 4, 5 elapsed; 6 (300-360 s) is part-missed.
    assert [(i.index, i.status) for i in obs.intervals] == [
        (1, "coded"),
        (2, "coded"),
        (3, "gap"),
        (4, "gap"),
        (5, "gap"),
    ]
    assert obs.intervals[2].note == "about to crash"
    assert obs.current_exclusion == "gap" and obs.restarts == ((150.0, 350.0),)
    assert engine2.next_prompt_due() == pytest.approx(42.0 + 10)
    prompts = engine2.poll()
    assert [p.interval for p in prompts] == [3, 4, 5] and [p.missed for p in prompts] == [True, True, False]
    run_for(engine2, clock2, 10)
    engine2.set_code("DIS", True)
    run_for(engine2, clock2, 60)
    assert [(i.index, i.status, i.codes) for i in obs.intervals[5:]] == [(6, "gap", ()), (7, "coded", ("DIS",))]
    assert Observation.replay(sink.events) == obs
    assert sum(isinstance(e, Restarted) for e in sink.events) == 1


def test_restart_past_the_planned_end_completes_with_gaps(clock, sink):
    engine = start(clock=clock, sink=sink, planned_duration_seconds=300)
    run_for(engine, clock, 70)
    late = FakeClock(monotonic=1.0, wall=clock.wall() + 3600)
    engine2 = ObservationEngine.resume(sink.events, sink=sink, clock=late)
    obs = engine2.observation
    assert [i.status for i in obs.intervals] == ["uncoded", "gap", "gap", "gap", "gap"]
    assert obs.end_reason == "completed" and obs.observed_s == 300
    with pytest.raises(ObservationStateError, match="nothing to resume"):
        ObservationEngine.resume(sink.events, sink=MemorySink(), clock=late)


def test_a_pause_in_force_at_the_crash_stays_in_force(clock, sink):
    engine = start(clock=clock, sink=sink)
    run_for(engine, clock, 30)
    engine.pause()
    clock.advance(100)
    clock2 = FakeClock(monotonic=7.0, wall=clock.wall() + 50)
    engine2 = ObservationEngine.resume(sink.events, sink=sink, clock=clock2)
    assert engine2.observation.paused and engine2.next_prompt_due() is None
    clock2.advance(10)
    assert engine2.resume_after_pause() == pytest.approx(160)  # 100 before, 50 down, 10 after
    assert engine2.next_prompt_due() == pytest.approx(17.0 + 30)
    assert not any(isinstance(e, IntervalClosed) and e.status == "gap" for e in sink.events)
