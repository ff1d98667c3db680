"""Summaries against hand-worked figures."""

from __future__ import annotations

import pytest

from desktop.observation import Code, RecordingMethod, boss, minute_intervals
from desktop.observation.summary import summarise

from .conftest import build, run_for, start


def _boss_30():
    """30 BOSS intervals; peer intervals are 5, 10 ... 30."""
    codes = []
    for k in range(1, 31):
        if k % 5 == 0:  # peer: AET in 3 of 6 (5, 10, 15)
            codes.append(("AET",) if k <= 15 else ())
        else:  # target: AET in the first 12, PET in the next 6, OFT-M in 3 of them
            t = len([j for j in range(1, k + 1) if j % 5])
            row = ("AET",) if t <= 12 else ("PET",) if t <= 18 else ()
            codes.append(row + (("OFT-M",) if t in (3, 13, 20) else ()))
    return build(codes, scheme=boss(), peer_every=5)


def test_boss_arithmetic_separates_target_and_peer():
    s = summarise(_boss_30()).overall
    assert (s.target.included, s.peer.included) == (24, 6)  # N - floor(N/5), floor(N/5)
    assert s.target.codes["AET"].percent == pytest.approx(50.0)  # 12 / 24
    assert s.target.codes["PET"].percent == pytest.approx(25.0)  # 6 / 24
    assert s.target.on_task.percent == pytest.approx(75.0)  # AET + PET
    assert s.target.codes["OFT-M"].percent == pytest.approx(12.5)  # 3 / 24
    assert s.peer.codes["AET"].percent == pytest.approx(50.0)  # 3 / 6
    assert s.peer.on_task.percent == pytest.approx(50.0)


def test_boss_peer_count_is_floor_of_n_over_5():
    s = summarise(build([()] * 32, scheme=boss(), peer_every=5)).overall
    assert (s.target.intervals, s.peer.intervals) == (26, 6)


def test_skipped_and_gap_intervals_are_left_out_of_denominators():
    codes = [("ON",), ("ON",), (), ("ON",), (), ("ON",), (), (), (), ()]
    statuses = ["coded", "coded", "skipped", "coded", "gap", "coded", "coded", "coded", "skipped", "coded"]
    s = summarise(build(codes, statuses=statuses))
    t = s.overall.target
    assert (t.intervals, t.included, t.excluded) == (10, 7, {"skipped": 2, "gap": 1})
    assert t.on_task.numerator == 4 and t.on_task.percent == pytest.approx(400 / 7)
    assert s.statuses == {"coded": 7, "skipped": 2, "gap": 1, "incomplete": 0, "uncoded": 0}
    assert s.overall.peer is None


def test_an_empty_denominator_gives_none_and_a_reason_not_zero():
    s = summarise(build([(), ()], statuses=["skipped", "gap"])).overall.target
    assert s.on_task.percent is None and s.on_task.reason == "no coded target intervals"
    assert s.codes["DIS"].percent is None


def test_event_rate_excludes_pauses_and_skipped_time(clock):
    scheme = minute_intervals().with_code(Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT))
    engine = start(scheme, clock=clock, planned_duration_seconds=600)
    for minute in range(10):
        engine.press("1")  # the observer codes every interval (an uncoded one would not count)
        if minute == 3:
            engine.pause()
            clock.advance(300)  # 5 minutes of fire drill: not observed time
            engine.resume_after_pause()
        if minute == 6:
            engine.skip_interval()
        run_for(engine, clock, 30)
        if minute in (0, 2, 4, 6, 8, 9):
            engine.count("CALL")
        run_for(engine, clock, 30)
    s = summarise(engine.observation)
    call = s.events["CALL"]
    assert (call.count, call.counted_in_rate, call.rate_minutes) == (6, 5, 9)
    assert call.rate_per_minute == pytest.approx(5 / 9)
    assert s.observed_seconds == 600


def test_phase_and_time_bin_breakdowns(clock):
    engine = start(clock=clock, planned_duration_seconds=600)
    engine.mark_phase("starter")
    pattern = ["ON", "ON", "OFF-P", "ON", "DIS", "ON", "ON", "ON", "OFF-V", "ON"]
    for k, code in enumerate(pattern):
        if k == 4:
            run_for(engine, clock, 10)  # 250 s: phase starts early in interval 5
            engine.mark_phase("main task")
            run_for(engine, clock, 40)
        else:
            run_for(engine, clock, 50)
        engine.set_code(code, True)
        run_for(engine, clock, 10)
    s = summarise(engine.observation, bin_seconds=300)
    phases = {b.label: b.target for b in s.by_phase}
    assert list(phases) == ["starter", "main task"]
    assert phases["starter"].included == 4 and phases["starter"].on_task.percent == pytest.approx(75.0)
    assert phases["main task"].included == 6 and phases["main task"].on_task.percent == pytest.approx(400 / 6)
    assert [(b.label, b.target.included, b.target.on_task.numerator) for b in s.by_time_bin] == [
        ("00:00-05:00", 5, 3),
        ("05:00-10:00", 5, 4),
    ]


def test_state_durations(clock):
    scheme = minute_intervals().with_code(Code("OUT", "o", "Out of seat", "#0000FF", RecordingMethod.STATE))
    engine = start(scheme, clock=clock, planned_duration_seconds=300)
    for k in range(5):
        if k != 4:
            engine.press("1")  # interval 5 is left uncoded: its time is not in the percentage
        if k == 0:
            run_for(engine, clock, 20)
            engine.press("o")
            run_for(engine, clock, 40)
        elif k == 1:
            engine.press("o")  # back in seat at 60 s: a 40 s bout
            run_for(engine, clock, 60)
        elif k == 3:
            run_for(engine, clock, 30)
            engine.press("o")  # out from 210 s to the end (300 s): 90 s, 60 of them in uncoded interval 5
            run_for(engine, clock, 30)
        else:
            run_for(engine, clock, 60)
    out = summarise(engine.observation).states["OUT"]
    assert (out.seconds, out.bouts, out.timed_seconds) == (130, 2, 70)
    assert out.percent.percent == pytest.approx(70 / 240 * 100)  # of the 4 coded minutes
