"""The live engine on a fake clock: schedule, pause, skip, end, sampling, toggling."""

from __future__ import annotations

import random

import pytest

from desktop.observation import (
    Code,
    CodingScheme,
    ObservationEngine,
    ObservationSetup,
    RecordingMethod,
    boss,
    minute_intervals,
)
from tests.observation.fakes import FakeClock, MemorySink
from desktop.observation.errors import ObservationFinalised, ObservationStateError, SchemeError

from .conftest import run_for, start


def test_no_drift_after_600_prompts_with_jittered_polls():
    """Prompt k is due at start + k x interval exactly, however late each poll is."""
    clock = FakeClock(monotonic=12345.678)
    engine = start(clock=clock, interval_seconds=1)
    t0 = 12345.678
    rng = random.Random(20250304)
    for k in range(1, 601):
        early = t0 + k - rng.uniform(0.001, 0.05)
        clock.set(max(clock.monotonic(), early))
        assert engine.poll() == []  # not due yet
        jitter = rng.uniform(0.0, 0.9)
        clock.set(t0 + k + jitter)
        [prompt] = engine.poll()
        assert prompt.interval == k and not prompt.missed
        assert prompt.due == t0 + k * 1
        assert prompt.late_by == pytest.approx(jitter, abs=1e-9)
    assert engine.next_prompt_due() == t0 + 601
    assert len(engine.observation.intervals) == 600
    # Nothing was keyed: every interval is uncoded, none "coded with nothing".
    assert {i.status for i in engine.observation.intervals} == {"uncoded"}


def test_a_late_prompt_does_not_delay_later_ones(clock):
    engine = start(clock=clock)
    t0 = clock.monotonic()
    clock.advance(100)  # 40 s late for prompt 1
    [p1] = engine.poll()
    assert (p1.interval, p1.late_by) == (1, 40)
    assert engine.next_prompt_due() == t0 + 120
    clock.set(t0 + 120)
    [p2] = engine.poll()
    assert (p2.interval, p2.late_by) == (2, 0)


def test_prompts_due_at_one_poll_collapse_and_unseen_intervals_are_gaps(clock):
    """A frozen app: one alert for the newest prompt; intervals nobody saw are gaps."""
    engine = start(clock=clock)
    clock.advance(30)
    engine.set_code("ON", True)
    clock.advance(180)  # now 210 s: prompts 1-3 are due, intervals 2-3 were never seen
    prompts = engine.poll()
    assert [(p.interval, p.missed) for p in prompts] == [(1, True), (2, True), (3, False)]
    assert [(i.status, i.codes) for i in engine.observation.intervals] == [("coded", ("ON",)), ("gap", ()), ("gap", ())]


def test_pause_is_left_out_of_interval_time(clock):
    engine = start(clock=clock)
    t0 = clock.monotonic()
    clock.advance(30)
    engine.pause()
    assert engine.next_prompt_due() is None
    clock.advance(300)  # fire drill
    assert engine.poll() == []
    with pytest.raises(ObservationStateError, match="paused"):
        engine.toggle("ON")
    engine.set_note("fire drill")  # notes are fine while paused
    assert engine.resume_after_pause() == 300
    assert engine.next_prompt_due() == t0 + 360
    clock.advance(29.9)
    assert engine.poll() == []
    clock.advance(0.1)
    [p] = engine.poll()
    assert p.interval == 1 and p.due == t0 + 360
    obs = engine.observation
    assert obs.intervals[0].end_s == 60 and obs.intervals[0].note == "fire drill"
    assert [(p.t, p.duration_s) for p in obs.pauses] == [(30, 300)]
    assert engine.observed_seconds() == 60


def test_skip_marks_the_current_interval_and_keys_after_it_land_in_the_next(clock):
    engine = start(clock=clock)
    clock.advance(10)
    engine.toggle("ON")
    assert engine.observation.coding_interval == 1
    assert engine.skip_interval() == 1
    assert engine.observation.coding_interval == 2 and engine.observation.shown_codes() == frozenset()
    with pytest.raises(ObservationStateError, match="already marked skipped"):
        engine.skip_interval()
    clock.advance(5)
    engine.toggle("DIS")  # after Tab, in interval 1's time: lands in interval 2
    assert engine.observation.shown_codes() == {"DIS"}
    clock.advance(55)
    engine.poll()
    assert engine.observation.shown_codes() == {"DIS"} and engine.observation.judged
    clock.advance(50)
    engine.poll()
    assert [(i.status, i.codes) for i in engine.observation.intervals] == [("skipped", ()), ("coded", ("DIS",))]


def test_end_early_closes_the_part_interval_as_incomplete(clock):
    engine = start(clock=clock, planned_duration_seconds=600)
    engine.set_code("ON", True)
    run_for(engine, clock, 150)
    engine.end()
    obs = engine.observation
    assert [(i.index, i.status, i.start_s, i.end_s) for i in obs.intervals] == [
        (1, "coded", 0, 60),
        (2, "uncoded", 60, 120),
        (3, "incomplete", 120, 150),
    ]
    assert (obs.end_reason, obs.observed_s) == ("ended_early", 150)
    with pytest.raises(ObservationStateError, match="ended"):
        engine.toggle("ON")
    assert engine.next_prompt_due() is None


def test_planned_duration_ends_the_observation(clock):
    engine = start(clock=clock, planned_duration_seconds=300)
    clock.advance(299)
    engine.poll()
    assert engine.observation.is_recording
    clock.advance(1)
    prompts = engine.poll()
    assert prompts[-1].interval == 5 and prompts[-1].next_subject is None
    assert engine.observation.end_reason == "completed" and engine.observation.observed_s == 300


def test_momentary_end_sample_records_the_selection_at_the_prompt(clock):
    """Minute intervals sample at the interval end: the state selected at the prompt counts."""
    engine = start(clock=clock)
    clock.advance(10)
    engine.toggle("ON")
    clock.advance(49)
    engine.toggle("OFF-P")  # exclusive: replaces ON at 59 s
    clock.advance(1)  # exactly 60 s, no poll yet
    engine.toggle("DIS")  # happens at the prompt instant: belongs to interval 2
    clock.advance(59.999)
    engine.toggle("ON")
    clock.advance(0.001)
    engine.poll()
    obs = engine.observation
    assert [i.codes for i in obs.intervals] == [("OFF-P",), ("ON",)]


def test_momentary_start_sample_with_grace(clock):
    """BOSS samples at the interval start; a key within 3 s is the sample, a later one is refused."""
    engine = start(boss(), clock=clock)
    clock.advance(2)
    assert engine.grace_left() == pytest.approx(1.0)
    engine.press("a")  # AET within the grace period of interval 1
    clock.advance(8)
    assert engine.grace_left() == 0
    with pytest.raises(ObservationStateError, match="too late for interval 1's sample"):
        engine.press("s")  # PET at 10 s: too late, and not shown or carried anywhere
    assert engine.observation.shown_codes() == {"AET"}
    clock.advance(7)  # 17 s: 2 s into interval 2, which starts uncoded
    engine.poll()
    assert engine.observation.shown_codes() == frozenset()
    engine.press("s")
    clock.advance(13)  # 30 s
    engine.poll()
    clock.advance(15)
    engine.poll()
    assert [(i.status, i.codes) for i in engine.observation.intervals] == [
        ("coded", ("AET",)),
        ("coded", ("PET",)),
        ("uncoded", ()),
    ]


def test_carry_over_is_explicit_and_keeps_the_old_start_sample_behaviour(clock):
    engine = start(boss().replace(carry_over=True), clock=clock)
    clock.advance(2)
    engine.press("a")
    clock.advance(8)
    engine.press("s")  # too late for interval 1: selected for the next sample
    assert engine.observation.shown_codes() == {"AET"}
    clock.advance(10)
    engine.press("a")
    clock.advance(10)
    engine.poll()
    clock.advance(15)
    engine.poll()
    assert [i.codes for i in engine.observation.intervals] == [("AET",), ("PET",), ("AET",)]


def test_partial_codes_toggle_within_the_interval_and_reset(clock):
    engine = start(boss(), clock=clock)
    clock.advance(4)
    assert engine.press("j") == "OFT-M"
    clock.advance(2)
    engine.press("j")  # off again
    engine.press("k")
    engine.press("l")
    assert engine.observation.partial_codes == {"OFT-V", "OFT-P"}
    clock.advance(9)
    engine.poll()
    assert engine.observation.partial_codes == frozenset()
    clock.advance(15)
    engine.poll()
    assert [i.codes for i in engine.observation.intervals] == [("OFT-V", "OFT-P"), ()]


def _with(scheme: CodingScheme, *codes: Code) -> CodingScheme:
    for c in codes:
        scheme = scheme.with_code(c)
    return scheme


def test_whole_interval_code_is_a_judgement_of_the_interval_it_is_keyed_in(clock):
    seat = Code("SEAT", "x", "In seat", "#00AA00", RecordingMethod.WHOLE)
    engine = start(_with(minute_intervals(), seat), clock=clock)
    clock.advance(30)
    engine.set_code("SEAT", True)  # "in seat all of this interval"
    clock.advance(60)  # 90 s: interval 2 starts uncoded
    engine.poll()
    engine.set_code("SEAT", True)
    engine.set_code("SEAT", False)  # changed their mind: judged, none scored
    clock.advance(60)
    engine.poll()
    assert [(i.status, i.codes) for i in engine.observation.intervals] == [("coded", ("SEAT",)), ("coded", ())]


def test_whole_interval_code_with_carry_over_needs_the_whole_interval(clock):
    seat = Code("SEAT", "x", "In seat", "#00AA00", RecordingMethod.WHOLE)
    engine = start(_with(minute_intervals(), seat).replace(carry_over=True), clock=clock)
    clock.advance(30)
    engine.set_code("SEAT", True)  # from 30 s: not the whole of interval 1
    clock.advance(60)  # 90 s: held since 60 s
    engine.poll()
    clock.advance(60)  # 150 s
    engine.set_code("SEAT", False)  # dropped during interval 3
    clock.advance(30)
    engine.poll()
    assert [i.codes for i in engine.observation.intervals] == [(), ("SEAT",), ()]


def test_events_abc_notes_and_phases_are_timestamped(clock):
    call = Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT)
    engine = start(_with(minute_intervals(), call), clock=clock)
    engine.mark_phase("starter")
    clock.advance(12.5)
    engine.press("c")
    engine.set_note("noisy start")
    clock.advance(60)
    engine.count("CALL")
    abc = engine.record_abc("asked to write", "threw pen", "sent out")
    engine.set_note("revised", interval=1)
    engine.mark_phase("main task")
    obs = engine.observation
    assert [(c.code, c.t, c.interval) for c in obs.counts] == [("CALL", 12.5, 1), ("CALL", 72.5, 2)]
    assert (abc.behaviour, abc.t, abc.interval) == ("threw pen", 72.5, 2)
    assert obs.intervals[0].note == "revised"
    assert [(p.label, p.t) for p in obs.phases] == [("starter", 0), ("main task", 72.5)]
    with pytest.raises(SchemeError):
        engine.toggle("CALL")
    with pytest.raises(SchemeError):
        engine.count("ON")
    with pytest.raises(ObservationStateError, match="10000"):
        engine.set_note("x" * 10_001)


def test_every_fifth_interval_observes_the_peer_with_its_own_live_state(clock):
    engine = start(boss().replace(carry_over=True), clock=clock)
    clock.advance(1)
    engine.press("a")  # target AET
    subjects = []
    for _ in range(4):
        clock.advance(15)
        subjects += [p.next_subject for p in engine.poll()]
    assert subjects == ["target", "target", "target", "peer"]
    assert engine.observation.current_subject == "peer"
    clock.advance(15)  # interval 5 (peer) closes: the peer was never keyed
    engine.poll()
    clock.advance(15)
    engine.poll()
    obs = engine.observation
    assert [(i.subject, i.codes) for i in obs.intervals] == [("target", ("AET",))] * 4 + [
        ("peer", ()),
        ("target", ("AET",)),
    ]


def test_a_failing_sink_leaves_the_state_unchanged(clock):
    calls = []

    def flaky(event):
        calls.append(event)
        if len(calls) > 1:
            raise OSError("disk full")

    engine = ObservationEngine.start(ObservationSetup(case_id="C"), minute_intervals(), sink=flaky, clock=clock)
    with pytest.raises(OSError):
        engine.toggle("ON")
    assert engine.observation.selection == frozenset() and engine.observation.next_seq == 1


def test_finalised_observation_is_immutable_and_corrections_are_new_versions(clock):
    sink = MemorySink()
    engine = start(clock=clock, sink=sink)
    engine.set_code("ON", True)
    run_for(engine, clock, 120)
    engine.end()
    engine.finalise()
    for action in (
        lambda: engine.set_note("x", interval=1),
        engine.finalise,
        lambda: engine.recode_interval(1, ["DIS"]),
        engine.end,
    ):
        with pytest.raises(ObservationFinalised):
            action()
    old = engine.observation
    fix_sink = MemorySink()
    fix = ObservationEngine.correct(old, sink=fix_sink, clock=clock, observation_id="obs-fix")
    fix.recode_interval(2, ["DIS", "GRP"])
    fix.finalise()
    new = fix.observation
    assert (new.id, new.version, new.supersedes) == ("obs-fix", 2, "obs-test")
    assert [i.codes for i in new.intervals] == [("ON",), ("DIS", "GRP")]
    assert [i.codes for i in old.intervals] == [("ON",), ()]
    assert {e.observation_id for e in fix_sink.events} == {"obs-fix"}
    with pytest.raises(SchemeError, match="only one code"):
        ObservationEngine.correct(old, sink=MemorySink(), clock=clock).recode_interval(1, ["ON", "DIS"])


def test_an_observer_who_stops_keying_gets_uncoded_intervals_not_on_task(clock):
    """Issue 14: "1 On task" once, then nothing: interval 1 on task, every later one uncoded."""
    from desktop.observation.summary import summarise

    engine = start(clock=clock, planned_duration_seconds=300)
    clock.advance(5)
    engine.press("1")
    run_for(engine, clock, 295)
    obs = engine.observation
    assert [(i.status, i.codes) for i in obs.intervals] == [("coded", ("ON",))] + [("uncoded", ())] * 4
    s = summarise(obs).overall.target
    assert (s.included, s.on_task.percent) == (1, 100.0)  # 1 of 1 coded interval, not 5 of 5

    engine = start(clock=clock, planned_duration_seconds=300)
    run_for(engine, clock, 300)  # nothing keyed at all
    s = summarise(engine.observation).overall.target
    assert s.on_task.percent is None and s.on_task.reason == "no coded target intervals"
    assert s.excluded == {"uncoded": 5}


def test_boss_observer_who_stops_after_interval_6_gets_uncoded_not_93_percent(clock):
    from desktop.observation.summary import summarise

    engine = start(boss(), clock=clock, planned_duration_seconds=300)  # 20 intervals
    for k in range(1, 21):
        clock.advance(1)
        if k <= 6 and k % 5:
            engine.press("a")
        run_for(engine, clock, 14)
    statuses = [i.status for i in engine.observation.intervals]
    assert statuses[:6] == ["coded"] * 4 + ["uncoded", "coded"] and statuses[6:] == ["uncoded"] * 14
    target = summarise(engine.observation).overall.target  # 16 target intervals, 5 coded
    assert (target.included, target.codes["AET"].percent, target.excluded) == (5, 100.0, {"uncoded": 11})


def test_same_as_last_copies_exactly_the_previous_intervals_codes(clock):
    engine = start(boss(), clock=clock)
    clock.advance(1)
    engine.press("s")  # PET (momentary, in the grace period)
    engine.press("j")  # OFT-M and OFT-V (partial)
    engine.press("k")
    clock.advance(14)
    engine.poll()
    clock.advance(10)  # 10 s into interval 2: past the grace, Enter still codes it
    assert engine.same_as_last() == ("PET", "OFT-M", "OFT-V")
    assert engine.observation.shown_codes() == {"PET", "OFT-M", "OFT-V"}
    engine.press("k")  # and it can be changed after: OFT-V off
    clock.advance(5)
    engine.poll()
    clock.advance(1)
    engine.none_seen()  # interval 3: looked, saw none of these
    clock.advance(14)
    engine.poll()
    clock.advance(1)
    engine.skip_interval()  # Tab in interval 4: keys now go to interval 5, the peer's
    with pytest.raises(ObservationStateError, match="no earlier peer interval to repeat"):
        engine.same_as_last()
    clock.advance(14)
    engine.poll()
    clock.advance(15)
    engine.poll()  # interval 6 (target): the target's last interval, 4, was skipped
    with pytest.raises(ObservationStateError, match="interval 4 was skipped: there are no codes to repeat"):
        engine.same_as_last()
    obs = engine.observation
    assert [(i.status, i.codes) for i in obs.intervals] == [
        ("coded", ("PET", "OFT-M", "OFT-V")),
        ("coded", ("PET", "OFT-M")),
        ("coded", ()),
        ("skipped", ()),
        ("uncoded", ()),
    ]
    events = [e for e in engine._sink.events if e.TYPE == "interval_coded"]
    assert [(e.interval, e.codes, e.from_interval) for e in events] == [
        (2, ("PET", "OFT-M", "OFT-V"), 1),
        (3, (), None),
    ]


def test_a_scheme_with_only_event_codes_has_nothing_to_leave_uncoded(clock):
    calls = CodingScheme(
        id="calls",
        name="Calls",
        interval_seconds=60,
        codes=(Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT),),
    )
    engine = start(calls, clock=clock, planned_duration_seconds=120)
    run_for(engine, clock, 120)
    assert [i.status for i in engine.observation.intervals] == ["coded", "coded"]


def test_a_start_sample_without_grace_or_carry_over_cannot_be_recorded_with(clock):
    from desktop.observation.errors import SetupError

    no_grace = boss().replace(momentary_grace_seconds=0.0)
    with pytest.raises(SetupError, match="no key press could ever reach a sample"):
        start(no_grace, clock=clock)
    start(no_grace.replace(carry_over=True), clock=clock)  # with carry-over the selection is sampled
    with pytest.raises(SetupError, match="3 s grace period for keying the sample must be shorter than the 3 s"):
        start(boss(), clock=clock, interval_seconds=3)
    start(boss().replace(interval_seconds=3), clock=clock, interval_seconds=15)  # the set-up's interval counts


def test_tab_in_the_last_planned_interval_leaves_nowhere_for_keys_to_go(clock):
    engine = start(clock=clock, planned_duration_seconds=120)
    run_for(engine, clock, 70)
    engine.skip_interval()
    assert engine.observation.coding_interval == 2  # not a third interval the plan does not have
    with pytest.raises(ObservationStateError, match="it is the last one"):
        engine.press("1")
    run_for(engine, clock, 50)
    assert [i.status for i in engine.observation.intervals] == ["uncoded", "skipped"]
