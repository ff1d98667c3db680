"""Observation files from the window (issue 13 item 10): export JSON or CSV, import a file,
on the store worker, with a refusal's reason shown."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.observation.interchange import to_csv, to_json
from desktop.observation.store_repository import StoreObservationRepository
from desktop.ui.observation_files import CSV_FILTER, JSON_FILTER
from tests.observation.conftest import build
from tests.ui.conftest import FakeThreadPool


@pytest.fixture
def messages(monkeypatch):
    """Warnings and questions, recorded (questions answered Yes) so none blocks."""
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text, *a, **k: said.append((title, text)))
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, title, text, *a, **k: (said.append((title, text)), QMessageBox.StandardButton.Yes)[1],
    )
    return said


@pytest.fixture
def observed(make_window, store, case):
    """A window showing a case with one ended observation on it, selected in the timeline."""
    obs = build([("ON",), ("DIS",), ("ON",)], observation_id="obs-case")
    document = json.loads(to_json(obs))
    document["setup"]["case_id"] = case["referral"]
    from desktop.observation.interchange import from_document

    StoreObservationRepository(store).add(from_document(document))
    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())
    window.select_referral(case["referral"])
    view = window.case_view
    row = next(
        r
        for r in range(view.timeline_model.rowCount())
        if view.timeline_model.index(r).data(view.TimelineKindRole) == "observation"
    )
    view.timeline.setCurrentIndex(view.timeline_model.index(row))
    return window


def save_as(monkeypatch, path, chosen):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), chosen))


def timeline_observations(window) -> list[str]:
    model = window.case_view.timeline_model
    return [
        model.index(r).data(window.case_view.TimelineIdRole)
        for r in range(model.rowCount())
        if model.index(r).data(window.case_view.TimelineKindRole) == "observation"
    ]


def test_export_from_the_case_menu_writes_the_clis_json(observed, store, tmp_path, monkeypatch, messages):
    window = observed
    save_as(monkeypatch, tmp_path / "lesson", JSON_FILTER)  # no suffix typed: .json added
    window.findChild(type(window.observation_files.export_action), "exportObservation").trigger()
    written = tmp_path / "lesson.json"
    assert written.read_text(encoding="utf-8") == to_json(StoreObservationRepository(store).get("obs-case"))
    assert "Observation exported to" in window.statusBar().currentMessage()
    history = [window.case_view.history_model.index(i).data() for i in range(window.case_view.history_model.rowCount())]
    assert "tester exported the classroom observation of 04/03/2025 (JSON to a file)" in history[0]
    assert messages == []


def test_export_csv_from_the_observation_summary(observed, store, tmp_path, monkeypatch, qtbot):
    from desktop.ui.observation_window import open_observation

    window = observed
    shown = open_observation(window, "obs-case")
    qtbot.addWidget(shown)
    assert shown.export_button.isVisible()
    save_as(monkeypatch, tmp_path / "intervals.csv", CSV_FILTER)
    shown.export_button.click()
    assert (tmp_path / "intervals.csv").read_text(encoding="utf-8") == to_csv(
        StoreObservationRepository(store).get("obs-case")
    )


def test_export_without_an_observation_selected_says_what_to_do(make_window, store, case):
    window = make_window(store)
    window.select_referral(case["referral"])
    window.observation_files.export_selected()
    assert "Select an observation in the case's timeline" in window.statusBar().currentMessage()


def test_a_file_round_trips_through_export_and_import(observed, store, case, tmp_path, monkeypatch, messages):
    window = observed
    save_as(monkeypatch, tmp_path / "first.json", JSON_FILTER)
    window.observation_files.export_selected()
    # A second observer's copy of the same lesson: the same file under its own id.
    document = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    document["observation"]["id"] = "obs-second"
    for event in document["events"]:
        event["observation_id"] = "obs-second"
    second = tmp_path / "second.json"
    second.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(second), JSON_FILTER))
    window.findChild(type(window.observation_files.import_action), "importObservation").trigger()
    assert messages == []  # it names this case, which is on this laptop: nothing to ask
    imported = StoreObservationRepository(store).get("obs-second")
    original = StoreObservationRepository(store).get("obs-case")
    assert imported.intervals == original.intervals and imported.setup == original.setup
    assert sorted(timeline_observations(window)) == ["obs-case", "obs-second"]
    assert "Imported the observation" in window.statusBar().currentMessage()
    # The same file again: refused, with the reason
    window.observation_files.import_file(str(second))
    assert messages == [
        ("Import observation", "“second.json” was not imported: observation 'obs-second' is already stored")
    ]


def test_a_refused_file_says_why_and_stores_nothing(observed, store, tmp_path, messages):
    document = json.loads(to_json(build([("ON",)], observation_id="obs-bad")))
    document["intervals"][0]["status"] = "maybe"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    observed.observation_files.import_file(str(bad))
    ((title, text),) = messages
    assert title == "Import observation" and text.startswith("“bad.json” was not imported: ")
    assert "status" in text and "Error" not in text  # the format's reason, no exception name
    assert store.get("observation", "obs-bad") is None
    (tmp_path / "not.json").write_text("{ not json", encoding="utf-8")
    observed.observation_files.import_file(str(tmp_path / "not.json"))
    assert "is not valid JSON" in messages[-1][1]


def test_a_file_from_a_case_not_on_this_laptop_goes_into_the_case_shown_when_asked(
    observed, store, case, tmp_path, messages
):
    path = tmp_path / "elsewhere.json"
    path.write_text(to_json(build([("ON",)], observation_id="obs-elsewhere")), encoding="utf-8")
    observed.observation_files.import_file(str(path))
    ((title, text),) = messages
    assert "recorded for a case that is not on this laptop" in text and "Ivy Okafor" in text
    assert store.get("observation", "obs-elsewhere")["referral_id"] == case["referral"]
    assert "obs-elsewhere" in timeline_observations(observed)
