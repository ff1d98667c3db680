"""The observation window: keys code into the store at once, prompts advance, resume after a crash."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.observation import events as ev
from desktop.observation.store_repository import StoreObservationRepository
from tests.observation.fakes import FakeClock

SETUP = {
    "scheme": "preset.minute-intervals",
    "lesson": "Year 5 maths",
    "teacher": "Mr Evans",
    "interval_seconds": 60,
    "planned_minutes": 10,
    "peer_every": 0,
}


@pytest.fixture(autouse=True)
def yes(monkeypatch):
    """Every question (end the observation? resume it?) is answered Yes, so none blocks."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


def start(qtbot, make_window, store, case, fill_dialogs, clock, **setup):
    queue, _ = fill_dialogs
    window = make_window(store)
    window.select_referral(case["referral"])
    queue.append({**SETUP, **setup})
    recording = window.observe(clock=clock)
    qtbot.addWidget(recording)
    return window, recording


def cells(model) -> list[list[str]]:
    """A table model's rows as the window shows them: the text of every cell."""
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_keys_code_into_the_store_and_prompts_advance(qtbot, make_window, store, case, fill_dialogs):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    repo = StoreObservationRepository(store)
    oid = rec.engine.observation.id
    assert rec.interval_label.text() == "Interval 1 of 10"
    assert rec.banner.text() == "TARGET PUPIL"
    qtbot.keyClick(rec, "1")  # on task
    assert rec.code_buttons["ON"].isChecked()
    assert any(isinstance(e, ev.CodeToggled) and e.code == "ON" for e in repo.events(oid))
    clock.advance(25)
    rec.tick()
    assert rec.countdown.text() == "0:35"
    clock.advance(35)
    rec.tick()  # the prompt at 60 s closes interval 1
    assert rec.interval_label.text() == "Interval 2 of 10"
    assert [i.codes for i in rec.engine.observation.intervals] == [("ON",)]
    assert rec.on_task.text() == "Target on task 100%"
    assert [i.codes for i in repo.get(oid).intervals] == [("ON",)]  # committed, not just shown


def test_pause_is_not_observed_time_and_tab_skips(qtbot, make_window, store, case, fill_dialogs):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    clock.advance(30)
    qtbot.keyClick(rec, Qt.Key.Key_Space)
    assert rec.engine.observation.paused and rec.countdown.text() == "paused"
    clock.advance(300)  # a fire drill
    rec.toggle_pause()
    rec.tick()
    assert rec.interval_label.text() == "Interval 1 of 10"
    assert rec.countdown.text() == "0:30"
    qtbot.keyClick(rec, Qt.Key.Key_Tab)  # next: the rest of interval 1 is skipped
    clock.advance(30)
    rec.tick()
    assert rec.engine.observation.intervals[0].status == "skipped"


def test_ending_records_it_and_the_case_timeline_shows_it(qtbot, make_window, store, case, fill_dialogs, yes):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    qtbot.keyClick(rec, "3")
    clock.advance(60)
    rec.tick()
    with qtbot.waitSignal(rec.ended):
        rec.end()
    row = store.get("observation", rec.engine.observation.id)
    assert row["status"] == "ended" and row["referral_id"] == case["referral"]
    timeline = [
        window.case_view.timeline_model.index(i).data() for i in range(window.case_view.timeline_model.rowCount())
    ]
    assert any("Classroom observation: Year 5 maths (ended)" in t for t in timeline)
    # the window now shows the summary: one coded interval, off task verbal
    assert rec.summary.isVisible() and not rec.codes_panel.isVisible()
    codes = {row[0]: row[1] for row in cells(rec.summary.codes_model)}
    assert codes["Off task: verbal"] == "100%" and codes["On task"] == "0%"
    assert "Target on task: <b>0%</b> of 1 intervals" in rec.summary.heading.text()
    rec.finalise()
    assert store.get("observation", rec.engine.observation.id)["status"] == "final"
    assert not rec.finalise_button.isVisible()


def test_an_ended_observation_opens_from_the_timeline(qtbot, make_window, store, case, fill_dialogs):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    qtbot.keyClick(rec, "1")
    clock.advance(60)
    rec.tick()
    rec.end()
    rec.close()
    model = window.case_view.timeline_model
    row = next(r for r in range(model.rowCount()) if "Classroom observation" in model.index(r).data())
    shown = window._timeline_activated(model.index(row, 0))
    qtbot.addWidget(shown)
    assert shown.summary.isVisible() and shown.finalise_button.isVisible()
    assert [i.codes for i in shown.engine.observation.intervals] == [("ON",)]


def test_an_interrupted_observation_is_offered_for_resume(qtbot, make_window, store, case):
    from desktop.observation.engine import ObservationEngine
    from desktop.observation.records import ObservationSetup
    from desktop.observation.scheme import minute_intervals

    clock = FakeClock()  # a recording whose app was then killed: events in the store, no window
    setup = ObservationSetup(case_id=case["referral"], lesson="Science", interval_seconds=60)
    engine = ObservationEngine.start(
        setup, minute_intervals(), sink=StoreObservationRepository(store).sink, clock=clock
    )
    engine.press("1")
    clock.advance(60)
    engine.poll()
    oid = engine.observation.id

    clock.advance(150)  # later, the app starts again
    fresh = make_window(store)
    (resumed,) = fresh.offer_resume(clock=clock)
    qtbot.addWidget(resumed)
    obs = resumed.engine.observation
    assert obs.id == oid and obs.intervals[0].codes == ("ON",)  # every coded interval intact
    assert [i.status for i in obs.intervals][:3] == ["coded", "gap", "gap"]  # the time away
    assert any(isinstance(e, ev.Restarted) for e in StoreObservationRepository(store).events(oid))


def test_agreement_with_a_second_observers_file(qtbot, make_window, store, case, fill_dialogs, tmp_path):
    """The worked example of observation.md: 7 intervals, 5 agree -> 71.4 %; scored-interval 50 %."""
    from desktop.observation.interchange import to_json
    from tests.observation.conftest import build

    a = build([("ON",), ("ON",), ("DIS",), ("ON",), (), (), ()], observation_id="obs-a")
    b = build([("ON",), ("DIS",), ("DIS",), ("ON",), ("ON",), (), ()], observation_id="obs-b")
    repo = StoreObservationRepository(store)
    repo.add(a)
    window = make_window(store)
    from desktop.ui.observation_window import open_observation

    shown = open_observation(window, "obs-a")
    qtbot.addWidget(shown)
    path = tmp_path / "b.json"
    path.write_text(to_json(b), encoding="utf-8")
    dialog = shown.agreement(str(path))
    qtbot.addWidget(dialog)
    rows = {row[0]: row for row in cells(dialog.codes_model)}
    on = rows["On task"]
    assert on[1:5] == ["2", "1", "1", "3"]  # both, A only, B only, neither
    assert on[5] == "71.4%" and on[6] == "50.0%"
    assert "obs-b" in repo.list()  # the second recording is kept in the store
    assert "κ" in dialog.kappa_text.text()


def _lit(rec):
    return {code for code, button in rec.code_buttons.items() if button.isChecked()}


def test_a_key_after_tab_lands_in_the_interval_the_screen_shows(qtbot, make_window, store, case, fill_dialogs):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    repo = StoreObservationRepository(store)
    clock.advance(10)
    rec.tick()
    qtbot.keyClick(rec, "1")
    assert _lit(rec) == {"ON"}
    qtbot.keyClick(rec, Qt.Key.Key_Tab)  # interval 1 skipped: the screen moves to interval 2
    assert rec.interval_label.text().startswith("Interval 2 of 10, which starts in 0:50")
    assert _lit(rec) == set()  # the ON keyed in interval 1 is not shown: it will not be recorded
    qtbot.keyClick(rec, "3")
    assert _lit(rec) == {"OFF-V"}
    clock.advance(50)
    rec.tick()
    assert rec.interval_label.text() == "Interval 2 of 10" and _lit(rec) == {"OFF-V"}
    clock.advance(60)
    rec.tick()
    oid = rec.engine.observation.id
    assert [(i.index, i.status, i.codes) for i in repo.get(oid).intervals] == [
        (1, "skipped", ()),
        (2, "coded", ("OFF-V",)),
    ]


def test_nothing_keyed_is_uncoded_and_enter_repeats_the_last_interval(qtbot, make_window, store, case, fill_dialogs):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    qtbot.keyClick(rec, "1")
    qtbot.keyClick(rec, "q")
    clock.advance(60)
    rec.tick()
    assert _lit(rec) == set()  # interval 2 starts uncoded: nothing carried over silently
    qtbot.keyClick(rec, Qt.Key.Key_Return)  # same as last interval
    assert _lit(rec) == {"ON", "TWC"}
    clock.advance(60)
    rec.tick()
    clock.advance(60)  # interval 3: the observer looks away, keys nothing
    rec.tick()
    obs = rec.engine.observation
    assert [(i.status, i.codes) for i in obs.intervals] == [
        ("coded", ("ON", "TWC")),
        ("coded", ("ON", "TWC")),
        ("uncoded", ()),
    ]
    assert rec.on_task.text() == "Target on task 100%"  # 2 of 2 coded intervals, not 2 of 3
    assert "uncoded" in rec.strip.tooltip_at(2)
    qtbot.keyClick(rec, Qt.Key.Key_Return)  # interval 3 was uncoded: nothing to repeat, nothing lit
    assert _lit(rec) == set() and "no codes to repeat" in rec.status_line.text()


def test_boss_shows_the_sample_instant_and_refuses_a_late_key(qtbot, make_window, store, case, fill_dialogs):
    clock = FakeClock()
    window, rec = start(
        qtbot, make_window, store, case, fill_dialogs, clock, scheme="preset.boss", interval_seconds=15, peer_every=5
    )
    clock.advance(1)
    rec.tick()
    assert rec.sample_cue.text() == "SAMPLE NOW: key what you see — 2.0 s left"
    qtbot.keyClick(rec, "a")
    assert _lit(rec) == {"AET"}
    clock.advance(3)
    rec.tick()
    assert rec.sample_cue.text().startswith("Sample taken")
    qtbot.keyClick(rec, "s")  # too late for this interval's sample: refused, not lit
    assert _lit(rec) == {"AET"} and "Too late for interval 1's sample" in rec.status_line.text()
    assert not rec.carry_label.isVisibleTo(rec)
    clock.advance(11)
    rec.tick()  # the prompt: the banner flashes and a new sample window opens
    assert rec.prompt_count == 1 and rec.sample_cue.text().startswith("SAMPLE NOW")
    assert _lit(rec) == set()


def test_a_carry_over_scheme_says_so_while_recording(qtbot, make_window, store, case, fill_dialogs):
    from desktop.observation.library import SchemeLibrary
    from desktop.observation.scheme import minute_intervals

    scheme = SchemeLibrary(store).save(minute_intervals().copy(name="Carry-over minutes").replace(carry_over=True))
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock, scheme=scheme.id)
    assert rec.carry_label.isVisibleTo(rec) and "Carry-over is on" in rec.carry_label.text()
    qtbot.keyClick(rec, "1")
    clock.advance(60)
    rec.tick()
    assert _lit(rec) == {"ON"}  # carried, and shown as what interval 2 will score


def test_reopening_a_finalised_observation_shows_its_strip_header_notes_and_incidents(
    qtbot, make_window, store, case, fill_dialogs
):
    from desktop.reports.charts import chart_texts, strip_layout
    from desktop.ui.observation_window import STRIP_ZOOM, open_observation

    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    rec.engine.mark_phase("Starter")
    qtbot.keyClick(rec, "1")
    rec.engine.set_note("settled quickly")
    clock.advance(60)
    rec.tick()
    qtbot.keyClick(rec, "3")
    rec.engine.record_abc("asked to write", "shouted to a friend", "reminded")
    clock.advance(60)
    rec.tick()
    rec.end()
    rec.finalise()
    heading, strip = rec.heading.text(), rec.strip.intervals
    rec.close()

    shown = open_observation(window, rec.engine.observation.id)
    qtbot.addWidget(shown)
    assert shown.heading.text() == heading and shown.banner.text() == "Finalised"
    assert shown.strip.intervals == strip and len(strip) == 2
    # what a hover over cell 2 shows: the cell under the point, from the drawing's own layout
    zoom = STRIP_ZOOM  # screen pixels per point of the drawing
    layout = strip_layout(shown.strip.chart, shown.strip.drawn_width / zoom)
    x, y = layout.cell_box(1)
    assert shown.strip.index_at((x + layout.cell_w / 2) * zoom, (layout.height - y - 7) * zoom) == 1
    assert shown.strip.index_at(1, 1) is None
    assert "Off task: verbal" in shown.strip.tooltip_at(1) and "settled quickly" in shown.strip.tooltip_at(0)
    assert "Off task: verbal" in chart_texts(shown.strip.chart)  # the legend is in the drawing
    notes = cells(shown.summary.notes_model)
    assert notes == [
        ["0:00", "", "Phase", "Starter"],
        ["0:00", "1", "Note", "settled quickly"],
        ["1:00", "2", "ABC incident", "A: asked to write · B: shouted to a friend · C: reminded"],
    ]
    assert cells(shown.summary.blocks_model)[0][:2] == ["Starter", "2"]


def test_background_sync_is_held_while_observing_and_runs_when_the_lesson_ends(
    qtbot, make_window, store, case, fill_dialogs
):
    from sync.client import local
    from sync.client.auth import save_token
    from tests.sync.conftest import free_port
    from tests.ui.conftest import FakeThreadPool

    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    window.tasks.use_pool(FakeThreadPool())
    url = f"http://127.0.0.1:{free_port()}"  # signed in; nothing listens, so a sync fails fast
    local.set_state(store, "server_url", url)
    save_token(url, "a-token", store)
    finished = []
    window.sync.finished.connect(lambda report, error: finished.append(error))
    assert window.sync.sync_now(quiet=True) is False  # the timer's sync waits for the lesson
    assert window.sync.held and window.sync.button.text() == "Sync waits for the observation to end"
    assert finished == []
    qtbot.keyClick(rec, "1")
    clock.advance(60)
    rec.tick()
    with qtbot.waitSignal(window.sync.finished, timeout=60_000):
        rec.end()  # the held sync runs now
    assert not window.sync.held and len(finished) == 1


def test_the_setup_refuses_a_grace_period_as_long_as_its_interval(qtbot, case):
    from desktop.ui.observation_window import setup_dialog

    case_data = {
        "referral": {"id": case["referral"]},
        "pupil": {"first_name": "Ivy", "last_name": "Okafor"},
        "school": {"name": "Hollowmere"},
    }
    dialog = setup_dialog(case_data)
    qtbot.addWidget(dialog)
    dialog.set_values({**SETUP, "scheme": "preset.boss", "interval_seconds": 3, "peer_every": 5})
    dialog.try_save()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "3 s grace period for keying the sample must be shorter than the 3 s interval" in dialog.errors.text()
    dialog.set_values({"interval_seconds": 15})
    dialog.try_save()
    assert dialog.result() == dialog.DialogCode.Accepted


def test_the_windows_on_task_figure_is_the_one_the_visit_report_prints(qtbot, make_window, store, case):
    """5 of 8 intervals on task is 62.5 %: the window and the PDF both print "63%" (half up,
    ``percent_text``), never "62%" from formatting a binary float with banker's rounding."""
    from desktop.observation import Interval, ObservationRecord, ObservationSetup
    from desktop.observation.observation import Observation, record_events
    from desktop.observation.records import CODED
    from desktop.observation.scheme import minute_intervals
    from desktop.reports.visit import build_visit_report, render_visit
    from desktop.ui.observation_window import open_observation
    from tests.reports.conftest import pdf_text

    scheme = minute_intervals()
    codes = ["ON"] * 5 + ["OFF-P"] * 3
    rows = tuple(
        Interval(k, "target", CODED, (code,), (k - 1) * 60.0, k * 60.0) for k, code in enumerate(codes, start=1)
    )
    record = ObservationRecord(
        id="obs-half",
        version=1,
        supersedes=None,
        state="ended",
        setup=ObservationSetup(case_id=case["referral"], pupil="Ivy Okafor", lesson="Science", interval_seconds=60),
        scheme=scheme,
        started_at="2026-11-16T09:00:00Z",
        ended_at="2026-11-16T09:08:00Z",
        end_reason="completed",
        observed_s=480.0,
        intervals=rows,
        abc=(),
        phases=(),
    )
    StoreObservationRepository(store).add(Observation.replay(record_events(record)))

    window = make_window(store)
    shown = open_observation(window, "obs-half")
    qtbot.addWidget(shown)
    figure = shown.on_task.text().removeprefix("Target on task ")
    assert figure == "63%"
    assert f"Target on task: <b>{figure}</b> of 8 intervals" in shown.summary.heading.text()
    pdf = render_visit(build_visit_report(store, case["referral"], observation_ids=["obs-half"]))
    text = " ".join(pdf_text(pdf).split())
    assert f"On task {figure} (5 of 8)" in text
    assert f"on task in 5 of 8 intervals ({figure})" in text  # the drafted paragraph too


def test_the_strip_is_the_visit_reports_strip_and_redraws_only_when_it_changes(
    qtbot, make_window, store, case, fill_dialogs
):
    """The window draws the chart description the visit report prints (one strip, one set of
    marks); while recording, a refresh that changes nothing draws nothing, and each closed
    interval draws the strip once more with its cell."""
    from dataclasses import replace

    from desktop.reports.charts import chart_texts
    from desktop.reports.visit import STRIP_TITLE, interval_strip, observation_evidence
    from desktop.ui.observation_window import open_observation

    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    strip = rec.strip
    assert strip.chart.slots == 10 and strip.chart.cells == ()  # the planned lesson, as outlines
    drawn = strip.redraws
    for _ in range(5):
        clock.advance(10)
        rec.tick()  # the countdown moves; the strip does not
    assert strip.redraws == drawn
    qtbot.keyClick(rec, "3")  # off task: verbal, the third of the strip's codes
    clock.advance(60)
    rec.tick()
    assert strip.redraws == drawn + 1
    assert [(c.mark, c.excluded) for c in strip.chart.cells] == [("3", False)]
    qtbot.keyClick(rec, Qt.Key.Key_Tab)  # interval 2 skipped
    clock.advance(60)
    rec.tick()
    assert [(c.mark, c.excluded) for c in strip.chart.cells] == [("3", False), ("", True)]
    assert "Off task: verbal" in strip.tooltip_at(0) and "skipped" in strip.tooltip_at(1)
    rec.end()

    obs = rec.engine.observation
    shown = open_observation(window, obs.id)
    qtbot.addWidget(shown)
    printed = interval_strip(observation_evidence(obs))
    assert replace(shown.strip.chart, title=STRIP_TITLE) == printed  # cells, marks, legend, layout
    assert "Off task: verbal" in chart_texts(printed)
