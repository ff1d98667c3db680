"""One attribution rule: every breakdown adds up to its total, and agrees with the CSV (issue 14)."""

from __future__ import annotations

import copy
import csv
import io
import json
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.observation.interchange import from_document, to_csv
from desktop.observation.summary import NO_PHASE, summarise

from .test_interchange import _run, action

DOC = pathlib.Path(__file__).parents[2] / "docs" / "observation-format.md"


def doc_example() -> dict:
    text = DOC.read_text(encoding="utf-8")
    return json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))


def moved_example():
    """The issue's case: the first phase at 7.5 s, the call-out and its ABC record at 5.0 s (interval 1)."""
    doc = copy.deepcopy(doc_example())
    for e in doc["events"]:
        if e["type"] == "phase" and e["label"] == "Teacher input":
            e["t"] = 7.5
        if e["type"] in ("event", "abc"):
            e["t"], e["interval"] = 5.0, 1
    return from_document(doc)


def _figures(s):
    """Every additive figure of one subject summary."""
    out = {
        "intervals": s.intervals,
        "included": s.included,
        "minutes": s.minutes,
        "timed_minutes": s.timed_minutes,
    }
    out.update({f"status:{k}": v for k, v in s.statuses.items()})
    out.update({f"code:{k}": r.numerator for k, r in s.codes.items()})
    out["on_task"] = s.on_task.numerator
    for k, e in s.events.items():
        out[f"event:{k}"] = e.count
        out[f"event_in_rate:{k}"] = e.counted_in_rate
    for k, st_ in s.states.items():
        out[f"state:{k}"] = st_.seconds
        out[f"state_timed:{k}"] = st_.timed_seconds
        out[f"bouts:{k}"] = st_.bouts
    return out


def _assert_sums(parts, whole):
    total = {}
    for p in parts:
        for k, v in _figures(p).items():
            total[k] = total.get(k, 0) + v
    for k, v in _figures(whole).items():
        assert total.get(k, 0) == pytest.approx(v), k


def _check_every_breakdown(obs, bin_seconds):
    s = summarise(obs, bin_seconds=bin_seconds)
    for block in [s.overall] + s.by_phase + s.by_time_bin:
        _assert_sums([block.target] + ([block.peer] if block.peer else []), block.total)
    for breakdown in (s.by_phase, s.by_time_bin):
        for who in ("target", "peer", "total"):
            parts = [getattr(b, who) for b in breakdown if getattr(b, who) is not None]
            if getattr(s.overall, who) is not None:
                _assert_sums(parts, getattr(s.overall, who))
    # Nothing is lost: every event and interval of an ended observation is in the totals.
    assert s.overall.total.intervals == len(obs.intervals)
    assert sum(e.count for e in s.events.values()) == len(obs.counts)
    assert s.observed_seconds == pytest.approx(obs.observed_s)
    # The CSV's rows, grouped by their phase column, give the same counts as by_phase.
    rows = list(csv.DictReader(io.StringIO(to_csv(obs))))
    for block in s.by_phase:
        mine = [r for r in rows if r["phase"].removeprefix("'") == block.label]  # as _uncell: exactly one
        assert len(mine) == block.total.intervals
        for code, e in block.total.events.items():
            assert sum(int(r[f"count:{code}"]) for r in mine) == e.count
        for code, r_ in block.total.codes.items():
            assert sum(int(r[f"code:{code}"]) for r in mine if r["status"] == "coded") == r_.numerator
    return s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(action, max_size=40), st.sampled_from([None, 60, 200]), st.sampled_from([7, 15, 60, 300]), st.booleans()
)
def test_every_breakdown_sums_to_its_total_for_random_observations(actions, planned, bin_seconds, carry_over):
    _check_every_breakdown(_run(actions, planned, carry_over), bin_seconds)


def test_events_before_the_first_phase_go_with_their_interval():
    """Worked by hand: interval 1 (midpoint 7.5 s) is in "Teacher input", so is its call-out."""
    obs = moved_example()
    s = _check_every_breakdown(obs, 60)
    assert [b.label for b in s.by_phase] == ["Teacher input", "Independent work"]  # no NO_PHASE row
    teacher, independent = s.by_phase
    assert teacher.events == {"CALL": 1} and independent.events == {"CALL": 0}
    assert s.events["CALL"].count == 1
    assert next(csv.DictReader(io.StringIO(to_csv(obs))))["phase"] == "Teacher input"
    # Intervals 1-3 (target, coded: PET, PET+OFT-V, AET) are Teacher input; 4-6 Independent work.
    t = teacher.target
    assert (t.included, t.codes["PET"].numerator, t.codes["AET"].numerator, t.on_task.percent) == (3, 2, 1, 100.0)
    assert t.events["CALL"].rate_per_minute == pytest.approx(1 / 0.75)  # 1 call in 45 coded seconds
    assert independent.peer.statuses["skipped"] == 1 and independent.peer.on_task.percent is None
    assert independent.peer.on_task.reason == "no coded peer intervals"
    # Per subject: the call is the target's; the peer has no coded time for a rate.
    assert s.overall.target.events["CALL"].count == 1 and s.overall.peer.events["CALL"].count == 0
    assert s.overall.peer.events["CALL"].rate_per_minute is None
    assert s.events["CALL"].rate_per_minute == pytest.approx(1 / 1.25)  # 5 coded intervals of 15 s
    # Out of seat 40-50 s: 5 s in interval 3 (Teacher input), 5 s in interval 4 (Independent work).
    assert teacher.total.states["OUT"].seconds == 5 and independent.total.states["OUT"].seconds == 5
    assert (teacher.total.states["OUT"].bouts, independent.total.states["OUT"].bouts) == (1, 0)
    assert s.states["OUT"].percent.percent == pytest.approx(10 / 75 * 100)  # skipped interval 5 left out
    assert independent.total.states["OUT"].percent.percent == pytest.approx(5 / 30 * 100)
    assert [(b.label, b.total.intervals, b.events["CALL"]) for b in s.by_time_bin] == [
        ("00:00-01:00", 4, 1),
        ("01:00-02:00", 2, 0),
    ]


def test_intervals_before_the_first_phase_get_their_own_row():
    doc = copy.deepcopy(doc_example())
    for e in doc["events"]:
        if e["type"] == "phase" and e["label"] == "Teacher input":
            e["t"] = 25.0  # interval 1's midpoint (7.5 s) and interval 2's (22.5 s) come before it
    s = _check_every_breakdown(from_document(doc), 300)
    assert [(b.label, b.total.intervals, b.events["CALL"]) for b in s.by_phase] == [
        (NO_PHASE, 2, 1),
        ("Teacher input", 1, 0),
        ("Independent work", 3, 0),
    ]


def test_a_bin_takes_an_interval_by_its_midpoint_with_its_events():
    """45 s intervals, 60 s bins: interval 2 (45-90 s, midpoint 67.5 s) and its event go to bin 2."""
    doc = copy.deepcopy(doc_example())
    doc["setup"]["interval_seconds"] = 45
    doc["intervals"] = doc["intervals"][:2]
    for k, iv in enumerate(doc["intervals"]):
        iv.update(start_s=45.0 * k, end_s=45.0 * (k + 1))
    doc["observation"]["observed_s"] = 90.0
    doc["events"] = [e for e in doc["events"] if e["type"] in ("event", "phase")]
    for e in doc["events"]:
        if e["type"] == "event":
            e["t"], e["interval"] = 50.0, 2
        else:
            e["t"] = 0.0 if e["label"] == "Teacher input" else 80.0
    s = _check_every_breakdown(from_document(doc), 60)
    assert [(b.label, b.total.intervals, b.events["CALL"]) for b in s.by_time_bin] == [
        ("00:00-01:00", 1, 0),
        ("01:00-02:00", 1, 1),
    ]


def test_a_scheme_with_no_on_task_codes_gives_on_task_undefined_with_a_reason():
    doc = doc_example()
    doc["scheme"]["on_task_codes"] = []
    s = summarise(from_document(doc)).overall.target
    assert s.included == 5 and s.on_task.percent is None
    assert s.on_task.reason == "the scheme has no on-task codes"
