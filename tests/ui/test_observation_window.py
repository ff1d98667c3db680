"""The observation window: keys code into the store at once, prompts advance, resume after a crash."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.observation import events as ev
from desktop.observation.engine import FakeClock
from desktop.observation.store_repository import StoreObservationRepository

SETUP = {"scheme": "preset.minute-intervals", "lesson": "Year 5 maths", "teacher": "Mr Evans",
         "interval_seconds": 60, "planned_minutes": 10, "peer_every": 0}


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


def test_ending_records_it_and_the_case_timeline_shows_it(qtbot, make_window, store, case,
                                                           fill_dialogs, yes):
    clock = FakeClock()
    window, rec = start(qtbot, make_window, store, case, fill_dialogs, clock)
    qtbot.keyClick(rec, "3")
    clock.advance(60)
    rec.tick()
    with qtbot.waitSignal(rec.ended):
        rec.end()
    row = store.get("observation", rec.engine.observation.id)
    assert row["status"] == "ended" and row["referral_id"] == case["referral"]
    timeline = [window.case_view.timeline_model.index(i).data()
                for i in range(window.case_view.timeline_model.rowCount())]
    assert any("Classroom observation: Year 5 maths (ended)" in t for t in timeline)
    # the window now shows the summary: one coded interval, off task verbal
    assert rec.summary.isVisible() and not rec.codes_panel.isVisible()
    codes = {rec.summary.codes_model.item(r, 0).text(): rec.summary.codes_model.item(r, 1).text()
             for r in range(rec.summary.codes_model.rowCount())}
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
    engine = ObservationEngine.start(setup, minute_intervals(), sink=StoreObservationRepository(store).sink,
                                     clock=clock)
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
    rows = {dialog.codes_model.item(r, 0).text(): [dialog.codes_model.item(r, c).text() for c in range(9)]
            for r in range(dialog.codes_model.rowCount())}
    on = rows["On task"]
    assert on[1:5] == ["2", "1", "1", "3"]  # both, A only, B only, neither
    assert on[5] == "71.4%" and on[6] == "50.0%"
    assert "obs-b" in repo.list()  # the second recording is kept in the store
    assert "κ" in dialog.kappa_text.text()
