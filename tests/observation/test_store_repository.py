"""Observations in the encrypted store: every event committed as it happens, resumable after a kill."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from desktop.observation import events as ev
from desktop.observation.engine import ObservationEngine
from tests.observation.fakes import FakeClock
from desktop.observation.records import ObservationSetup
from desktop.observation.scheme import minute_intervals
from desktop.observation.store_repository import StoreObservationRepository
from desktop.store import open_store
from tests.conftest import PASSPHRASE


@pytest.fixture
def repo(store):
    return StoreObservationRepository(store)


def start(repo, case_id="no-such-referral", interval=60, clock=None):
    setup = ObservationSetup(case_id=case_id, lesson="Maths", interval_seconds=interval)
    return ObservationEngine.start(setup, minute_intervals(), sink=repo.sink, clock=clock or FakeClock())


def test_each_coding_action_is_committed_before_it_is_applied(repo, isolated_home):
    clock = FakeClock()
    engine = start(repo, clock=clock)
    engine.press("1")  # on task
    clock.advance(60)
    engine.poll()
    other = open_store(isolated_home, PASSPHRASE)  # a second connection sees every event
    try:
        stored = StoreObservationRepository(other).events(engine.observation.id)
    finally:
        other.close()
    assert stored[0].TYPE == "observation_started"
    assert any(isinstance(e, ev.CodeToggled) and e.code == "ON" and e.on for e in stored)
    assert any(isinstance(e, ev.IntervalClosed) and e.codes == ("ON",) for e in stored)
    assert repo.get(engine.observation.id).intervals == engine.observation.intervals


def test_observation_row_follows_its_status_and_links_the_case(repo, case):
    clock = FakeClock()
    engine = start(repo, case_id=case["referral"], clock=clock)
    oid = engine.observation.id
    assert [o["id"] for o in repo.unfinished()] == [oid]
    assert repo.for_referral(case["referral"])[0]["lesson"] == "Maths"
    clock.advance(120)
    engine.poll()
    engine.end()
    assert repo.store.get("observation", oid)["status"] == "ended" and repo.unfinished() == []
    engine.finalise()
    assert repo.store.get("observation", oid)["status"] == "final"
    with pytest.raises(Exception, match="finalised observation cannot change"):
        repo.store.conn.execute("UPDATE observation SET lesson = 'English'")


def test_recorded_events_cannot_be_changed_or_deleted(repo):
    start(repo)
    with pytest.raises(Exception, match="cannot change"):
        repo.store.conn.execute("UPDATE observation_event SET payload = '{}'")
    with pytest.raises(Exception, match="cannot change"):
        repo.store.conn.execute("DELETE FROM observation_event")


def test_the_same_observation_cannot_be_stored_twice(repo):
    engine = start(repo)
    engine.end()
    from desktop.observation.repository import DuplicateObservation

    with pytest.raises(DuplicateObservation):
        repo.add(repo.get(engine.observation.id))


RECORDER = r"""
import sys
from desktop.store import open_store
from desktop.observation.engine import ObservationEngine, SystemClock
from desktop.observation.records import ObservationSetup
from desktop.observation.scheme import minute_intervals
from desktop.observation.store_repository import StoreObservationRepository
import random, time

repo = StoreObservationRepository(open_store(sys.argv[1], sys.argv[2]))
def sink(event):
    repo.sink(event)                      # committed...
    print(event.seq, flush=True)          # ...then acknowledged
setup = ObservationSetup(case_id="kill-test", interval_seconds=1)
engine = ObservationEngine.start(setup, minute_intervals(), sink=sink, clock=SystemClock())
keys = "12345"
while True:
    engine.press(random.choice(keys))
    engine.poll()
    time.sleep(0.01)
"""


@pytest.mark.slow
def test_killed_recording_resumes_with_every_acknowledged_event(isolated_home):
    """20 recordings killed (SIGKILL) at random moments: all acknowledged events survive,
    and each observation resumes with the gap marked."""
    open_store(isolated_home, PASSPHRASE).close()
    for run in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(isolated_home), PASSPHRASE], stdout=subprocess.PIPE, text=True
        )
        acked = [int(proc.stdout.readline())]
        deadline = time.monotonic() + random.uniform(0.05, 1.5)
        while time.monotonic() < deadline:
            acked.append(int(proc.stdout.readline()))
        proc.kill()
        proc.wait()
        acked += [int(line) for line in proc.stdout]

        store = open_store(isolated_home, PASSPHRASE)
        try:
            assert store.integrity_ok()
            repo = StoreObservationRepository(store)
            (unfinished,) = repo.unfinished()
            events = repo.events(unfinished["id"])
            assert {e.seq for e in events} >= set(acked)
            assert [e.seq for e in events] == list(range(len(events)))  # no holes
            before = repo.get(unfinished["id"])
            engine = ObservationEngine.resume(events, sink=repo.sink)
            restarted = [e for e in repo.events(unfinished["id"]) if isinstance(e, ev.Restarted)]
            assert len(restarted) == 1
            assert all(i in engine.observation.intervals for i in before.intervals)  # intact
            engine.end()
            assert repo.unfinished() == []
        finally:
            store.close()
