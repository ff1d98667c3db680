"""Agreement against hand-worked examples, including the one in observation.md."""

from __future__ import annotations

from fractions import Fraction

import pytest

from desktop.observation import minute_intervals
from desktop.observation.agreement import (
    NONE_CATEGORY,
    code_agreement,
    cohen_kappa,
    compare,
    count_agreement,
)
from desktop.observation.errors import AgreementError

from .conftest import build


def _pair(a_flags, b_flags, code="DIS"):
    a = build([(code,) if x else () for x in a_flags], observation_id="obs-a")
    b = build([(code,) if x else () for x in b_flags], observation_id="obs-b")
    return compare(a, b).codes[code]


def test_worked_example_from_observation_md():
    """Reed & Azulay 2011: 7 intervals, 5 agree -> 71.4 %; 4 scored by either, 2 agree -> 50 %."""
    a = [1, 1, 1, 0, 0, 0, 0]
    b = [1, 1, 0, 1, 0, 0, 0]
    c = _pair(a, b)
    assert (c.both, c.only_a, c.only_b, c.neither) == (2, 1, 1, 3)
    assert round(c.interval_by_interval.percent, 1) == 71.4
    assert (c.interval_by_interval.numerator, c.interval_by_interval.denominator) == (5, 7)
    assert c.scored_interval.percent == 50.0 and c.scored_interval.denominator == 4
    assert c.unscored_interval.percent == pytest.approx(60.0)  # 3 of the 5 intervals either left unscored


def test_kappa_on_a_hand_computed_2x2_table():
    """Table [[20, 5], [10, 15]]: Po = 0.7, Pe = (25*30 + 25*20)/2500 = 0.5, kappa = 0.4."""
    c = _pair([1] * 20 + [1] * 5 + [0] * 10 + [0] * 15, [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    assert c.kappa.table == ((20, 5), (10, 15))
    assert (c.kappa.po, c.kappa.pe) == (pytest.approx(0.7), pytest.approx(0.5))
    assert c.kappa.kappa == pytest.approx(0.4)


def test_kappa_on_a_hand_computed_3_category_table():
    """Rows A, columns B: [[10,2,3],[1,8,1],[2,1,12]], N = 40.

    Po = 30/40 = 0.75; rows 15,10,15; columns 13,11,16;
    Pe = (15*13 + 10*11 + 15*16)/1600 = 545/1600; kappa = (1200-545)/(1600-545) = 655/1055 = 131/211.
    """
    table = [[10, 2, 3], [1, 8, 1], [2, 1, 12]]
    k = cohen_kappa(table, ("ON", "OFF-P", "DIS"))
    assert k.pe == pytest.approx(545 / 1600)
    assert k.kappa == pytest.approx(float(Fraction(131, 211)))

    cats = ["ON", "OFF-P", "DIS"]
    a_codes, b_codes = [], []
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            a_codes += [(cats[i],)] * n
            b_codes += [(cats[j],)] * n
    report = compare(build(a_codes, observation_id="obs-a"), build(b_codes, observation_id="obs-b"))
    group = report.groups["behaviour"]
    assert group.categories == ("ON", "OFF-P", "OFF-V", "OFF-M", "DIS", NONE_CATEGORY)
    index = [group.categories.index(c) for c in cats]
    assert [[group.table[r][c] for c in index] for r in index] == table
    assert group.kappa == pytest.approx(131 / 211)


def test_kappa_is_undefined_when_pe_is_1():
    c = _pair([1] * 6, [1] * 6)
    assert c.kappa.kappa is None and "Pe = 1" in c.kappa.reason
    assert c.interval_by_interval.percent == 100.0 and c.scored_interval.percent == 100.0
    assert c.unscored_interval.percent is None
    assert c.unscored_interval.reason == "both observers scored DIS in every interval"


def test_undefined_percentages_say_why():
    c = code_agreement("DIS", [False] * 4, [False] * 4)
    assert (
        c.scored_interval.percent is None and c.scored_interval.reason == "neither observer scored DIS in any interval"
    )
    empty = code_agreement("DIS", [], [])
    assert empty.interval_by_interval.percent is None and empty.kappa.reason == "no intervals to compare"


def test_total_count_agreement():
    assert count_agreement("CALL", 8, 10).agreement.percent == 80.0
    assert count_agreement("CALL", 10, 8).agreement.percent == 80.0
    none = count_agreement("CALL", 0, 0).agreement
    assert none.percent is None and none.reason == "neither observer counted CALL"


def test_intervals_not_coded_by_both_are_left_out():
    a = build([("ON",), ("ON",), ("DIS",)], statuses=["coded", "skipped", "coded"], observation_id="obs-a")
    b = build([("ON",), ("DIS",), ("ON",)], observation_id="obs-b")
    report = compare(a, b)
    assert report.compared_intervals == (1, 3) and report.excluded_intervals == (2,)
    assert report.codes["ON"].interval_by_interval.percent == 50.0


@pytest.mark.parametrize(
    "b_kwargs, message",
    [
        ({"interval_seconds": 30}, "uses 60 s intervals, obs-b uses 30 s"),
        ({"peer_every": 3}, "peer rule differs"),
        ({"n": 4}, "obs-a has 3 intervals, obs-b has 4"),
    ],
)
def test_mismatched_grids_are_a_clear_error(b_kwargs, message):
    a = build([()] * 3, observation_id="obs-a")
    n = b_kwargs.pop("n", 3)
    b = build([()] * n, observation_id="obs-b", **b_kwargs)
    with pytest.raises(AgreementError, match=message):
        compare(a, b)


def test_a_trailing_incomplete_interval_does_not_break_the_grid():
    a = build([("ON",), ("ON",), ()], statuses=["coded", "coded", "incomplete"], observation_id="obs-a")
    b = build([("ON",), ("ON",)], observation_id="obs-b", scheme=minute_intervals())
    assert compare(a, b).grid_intervals == 2


def test_an_exclusive_group_neither_observer_used_is_listed_with_kappa_undefined():
    a = build([("ON",), ("DIS",), ("ON",)], observation_id="obs-a")
    b = build([("ON",), ("ON",), ("ON",)], observation_id="obs-b")
    report = compare(a, b)
    context = report.groups["context"]  # TWC/GRP/IND/TRN: nobody scored any
    assert context.kappa is None and context.n == 3
    assert context.reason == (
        "kappa is undefined (Pe = 1): neither observer scored any code of group context in the compared intervals"
    )
    assert report.to_dict()["groups"]["context"]["kappa"] is None
    assert report.groups["behaviour"].table[0][0] == 2  # ON by both in intervals 1 and 3


def test_total_count_agreement_says_which_events_it_counts():
    from desktop.observation import Code, RecordingMethod, minute_intervals
    from desktop.observation.observation import ObservationRecord, record_events
    from desktop.observation.records import EventCount

    scheme = minute_intervals().with_code(Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT))

    def with_calls(oid, statuses, calls):
        base = build([("ON",)] * 3, statuses=statuses, scheme=scheme, observation_id=oid)
        rec = base.record()
        counts = tuple(EventCount("CALL", (k - 1) * 60 + 1.0, k) for k in calls)
        return Observation.replay(record_events(ObservationRecord(**{**rec.__dict__, "counts": counts})))

    from desktop.observation import Observation

    a = with_calls("obs-a", ["coded", "coded", "skipped"], [1, 2, 3, 3])
    b = with_calls("obs-b", ["coded", "coded", "coded"], [1, 3])
    e = compare(a, b).events["CALL"]
    assert (e.count_a, e.count_b, e.agreement.percent) == (2, 1, 50.0)  # interval 3's calls left out
    assert e.counted == "events in the 2 intervals both observers coded"
    assert compare(a, b).to_dict()["events"]["CALL"]["counted"] == e.counted
