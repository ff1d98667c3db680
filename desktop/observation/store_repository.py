"""Observations in the encrypted store: each engine event is one row, committed as it happens.

``StoreObservationRepository.sink`` is the engine's sink: it writes the event (and
keeps the ``observation`` row that lists and crash-resume read in step) in one
transaction before the engine applies it, so nothing the screen showed is ever
missing from disk. The event rows are append-only (the database refuses updates
and deletes) and their ids are derived from (observation, seq), so the same
event can never be stored twice.
"""

from __future__ import annotations

import json
import uuid

from desktop.store import Store

from . import events as ev
from .observation import Observation, iso_utc, record_events
from .repository import DuplicateObservation, ObservationNotFound

_EVENT_NS = uuid.UUID("0b8f7a1e-5c2d-4e9a-9f3b-2a6d1c7e4b55")
_STATUS_AFTER = {ev.Ended.TYPE: "ended", ev.Finalised.TYPE: "final"}


def event_record_id(observation_id: str, seq: int) -> str:
    return str(uuid.uuid5(_EVENT_NS, f"{observation_id}/{seq}"))


class StoreObservationRepository:
    """The ``ObservationRepository`` protocol over the store, plus the engine's sink."""

    def __init__(self, store: Store):
        self.store = store

    # -- writing --------------------------------------------------------------------------
    def sink(self, event: ev.ObservationEvent) -> None:
        """Commit one event (the engine calls this before applying it)."""
        with self.store.transaction():
            self._write(event)

    def _write(self, event: ev.ObservationEvent) -> None:
        oid = event.observation_id
        if isinstance(event, ev.ObservationStarted):
            if self.store.get("observation", oid, include_deleted=True) is not None:
                raise DuplicateObservation(f"observation {oid!r} is already stored")
            setup = event.setup
            referral = setup.case_id if self.store.get("referral", setup.case_id) else None
            self.store.create(
                "observation",
                {
                    "referral_id": referral,
                    "lesson": setup.lesson or None,
                    "scheme_name": event.scheme.name,
                    "interval_seconds": setup.interval_seconds,
                    "status": "recording",
                    "observation_version": event.version,
                    "supersedes": event.supersedes,
                    "started_at": iso_utc(event.wall),
                },
                record_id=oid,
            )
        self.store.create(
            "observation_event",
            {
                "observation_id": oid,
                "seq": event.seq,
                "type": event.TYPE,
                "payload": json.dumps(ev.event_to_dict(event), sort_keys=True),
            },
            record_id=event_record_id(oid, event.seq),
        )
        status = _STATUS_AFTER.get(event.TYPE)
        if status:
            changes = {"status": status}
            if status == "ended":
                changes["ended_at"] = iso_utc(event.wall)
            self.store.update("observation", oid, changes)

    def add(self, observation: Observation) -> None:
        """Store a whole (imported) observation as its canonical event log, atomically."""
        if self.store.get("observation", observation.id, include_deleted=True) is not None:
            raise DuplicateObservation(f"observation {observation.id!r} is already stored")
        with self.store.transaction():
            for event in record_events(observation.record()):
                self._write(event)

    # -- reading --------------------------------------------------------------------------
    def events(self, observation_id: str) -> list[ev.ObservationEvent]:
        rows = self.store.conn.execute(
            "SELECT payload FROM observation_event WHERE observation_id = ? ORDER BY seq", (observation_id,)
        ).fetchall()
        if not rows:
            raise ObservationNotFound(f"no observation {observation_id!r}")
        return [ev.event_from_dict(json.loads(r[0])) for r in rows]

    def get(self, observation_id: str) -> Observation:
        return Observation.replay(self.events(observation_id))

    def list(self) -> list[str]:
        return [r[0] for r in self.store.conn.execute("SELECT id FROM observation WHERE deleted = 0 ORDER BY id")]

    def unfinished(self) -> list[dict]:
        """Observations still recording: after a crash or kill, the app offers to resume these."""
        return list(
            self.store.db.query(
                "SELECT * FROM observation WHERE status = 'recording' AND deleted = 0 ORDER BY started_at"
            )
        )

    def for_referral(self, referral_id: str) -> list[dict]:
        return list(
            self.store.db.query(
                "SELECT * FROM observation WHERE referral_id = ? AND deleted = 0 ORDER BY started_at DESC",
                [referral_id],
            )
        )
