"""The observation window's tables, cell by cell, without a display (desktop.reports.observation_tables)."""

from __future__ import annotations

from desktop.observation import Code, RecordingMethod, minute_intervals
from desktop.observation.agreement import compare
from desktop.observation.summary import summarise
from desktop.reports.observation_tables import (
    AGREEMENT_COLUMNS,
    agreement_table,
    blocks_heading,
    blocks_table,
    code_labels,
    codes_table,
    notes_table,
)

from tests.observation.conftest import build, run_for, start
from tests.observation.fakes import FakeClock

CALLS = Code("CALL", "c", "Calls out", "#FF0000", RecordingMethod.EVENT)
OUT = Code("OUT", "o", "Out of seat", "#0000FF", RecordingMethod.STATE)
ZEROS = [
    ("Off task: motor", "0%"),
    ("Disruptive", "0%"),
    ("Teacher-directed, whole class", "0%"),
    ("Group work", "0%"),
    ("Independent work", "0%"),
    ("Transition", "0%"),
]


def _lesson_with_a_peer():
    """Four one-minute intervals, the even ones a peer's: two phases, a note, an ABC incident,
    a call-out in intervals 1 (target) and 2 (peer), out of seat from 1:30 to 3:00."""
    clock = FakeClock()
    engine = start(
        minute_intervals().with_code(CALLS).with_code(OUT), clock=clock, planned_duration_seconds=240, peer_every=2
    )
    engine.mark_phase("Starter")
    engine.press("1")
    run_for(engine, clock, 20)
    engine.count("CALL")
    engine.set_note("settled")
    run_for(engine, clock, 40)
    engine.press("1")
    engine.count("CALL")
    run_for(engine, clock, 30)
    engine.press("o")
    run_for(engine, clock, 30)
    engine.mark_phase("Main")
    engine.press("2")
    engine.record_abc("asked", "shouted", "reminded")
    run_for(engine, clock, 60)
    engine.press("1")
    engine.press("o")
    run_for(engine, clock, 60)
    assert engine.observation.status == "ended"
    return engine.observation


def test_codes_of_the_target_alone_with_skipped_intervals_left_out():
    """3 coded target intervals (2 on task, 1 off task verbal); the skipped fourth is left out."""
    obs = build([("ON",), ("OFF-V",), ("ON",), ()], statuses=["coded", "coded", "coded", "skipped"])
    table = codes_table(obs, summarise(obs))
    assert table.columns == ("Code", "Target % of intervals")
    assert list(table.rows) == [("On task", "67%"), ("Off task: passive", "0%"), ("Off task: verbal", "33%"), *ZEROS]


def test_codes_events_and_states_for_target_peer_and_the_whole_lesson():
    obs = _lesson_with_a_peer()
    table = codes_table(obs, summarise(obs))
    assert table.columns == ("Code", "Target % of intervals", "Peer % of intervals", "Total")
    assert list(table.rows) == [
        ("On task", "50%", "100%", ""),
        ("Off task: passive", "50%", "0%", ""),
        ("Off task: verbal", "0%", "0%", ""),
        *[(label, "0%", "0%", "") for label, _ in ZEROS],
        # one call-out each in 2 coded minutes; two in the lesson's 4
        ("Calls out (events)", "1 (0.50/min)", "1 (0.50/min)", "2 (0.50/min)"),
        # out of seat 60 s of the target's 120, 30 s of the peer's 120, 90 s of 240
        ("Out of seat (% of coded time)", "50%", "25%", "38%"),
    ]


def test_blocks_by_phase_and_the_notes_in_the_order_they_happened():
    obs = _lesson_with_a_peer()
    summary = summarise(obs)
    assert blocks_heading(summary) == "By lesson phase"
    assert blocks_table(obs, summary).rows == (
        ("Starter", "2", "100%", "100%", "Calls out 2"),
        ("Main", "2", "0%", "100%", "Calls out 0"),
    )
    notes = notes_table(obs)
    assert notes.columns == ("When", "Interval", "What", "Text")
    assert list(notes.rows) == [
        ("0:00", "", "Phase", "Starter"),
        ("0:00", "1", "Note", "settled"),
        ("2:00", "", "Phase", "Main"),
        ("2:00", "3", "ABC incident", "A: asked · B: shouted · C: reminded"),
    ]


def test_a_lesson_with_no_phase_marked_is_one_block_and_a_missing_peer_is_a_dash():
    obs = build([("ON",), ("OFF-V",), ("ON",), ()], statuses=["coded", "coded", "coded", "skipped"])
    summary = summarise(obs)
    assert blocks_heading(summary) == "By lesson phase"
    assert blocks_table(obs, summary).rows == (("(before any phase)", "4", "67%", "—", ""),)
    assert notes_table(obs).rows == ()


def test_agreement_rows_give_counts_percentages_to_one_decimal_and_kappa():
    """The worked example of observation.md: 7 intervals, 5 agree on "On task" -> 71.4 %."""
    a = build([("ON",), ("ON",), ("DIS",), ("ON",), (), (), ()], observation_id="obs-a")
    b = build([("ON",), ("DIS",), ("DIS",), ("ON",), ("ON",), (), ()], observation_id="obs-b")
    table = agreement_table(compare(a, b), code_labels(a))
    assert table.columns == AGREEMENT_COLUMNS
    rows = {row[0]: row for row in table.rows}
    assert rows["On task"] == ("On task", "2", "1", "1", "3", "71.4%", "50.0%", "60.0%", "0.42")
    # neither observer scored it: scored-interval agreement is undefined, so is kappa
    assert rows["Group work"] == ("Group work", "0", "0", "0", "7", "100.0%", "—", "100.0%", "undefined")
    assert all(len(row) == len(AGREEMENT_COLUMNS) for row in table.rows)


def test_agreement_on_event_codes_compares_total_counts():
    observations = []
    for observation_id, calls in (("obs-a", 4), ("obs-b", 5)):
        clock = FakeClock()
        engine = start(
            minute_intervals().with_code(CALLS),
            clock=clock,
            planned_duration_seconds=120,
            observation_id=observation_id,
        )
        engine.press("1")
        for _ in range(calls):
            engine.count("CALL")
        run_for(engine, clock, 60)
        engine.press("1")
        run_for(engine, clock, 60)
        observations.append(engine.observation)
    table = agreement_table(compare(*observations), code_labels(observations[0]))
    assert table.rows[-1] == ("Calls out (total count)", "", "4", "5", "", "80.0%", "", "", "")


def test_a_percentage_is_rounded_half_up_as_the_report_prints_it():
    """1 of 8 intervals is 12.5 %: "13%" in the window as on the page (a float's ``:.0f``
    would say "12%")."""
    from desktop.reports.figures import percent_text

    obs = build([("ON",)] * 7 + [("DIS",)])
    summary = summarise(obs)
    rows = dict(codes_table(obs, summary).rows)
    assert (rows["On task"], rows["Disruptive"]) == ("88%", "13%")
    assert rows["Disruptive"] == percent_text(summary.overall.target.codes["DIS"])
