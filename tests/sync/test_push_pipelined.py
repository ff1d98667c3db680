"""Push in batches (issue 12): the next batch goes while a reply is applied, and records a
reply gives back exactly as this laptop created them are not applied again.

Run against SQLite and PostgreSQL (the ``service`` fixture is parametrised)."""

from __future__ import annotations

import json
import time

import pytest

from sync.client import apply, local
from sync.client import engine as engine_module
from sync.client.engine import SyncEngine
from sync.client.errors import Refused
from sync.client.transport import Transport


def _visits(service, laptop, n):
    return [
        laptop.create(
            "visit",
            {
                "referral_id": service.ids["referral"],
                "visit_date": f"2026-11-{10 + i:02d}",
                "visit_type": "observation",
            },
        )
        for i in range(n)
    ]


def test_a_reply_that_fails_to_apply_loses_nothing_sent_meanwhile(service, laptops, monkeypatch):
    """Batch 3 is sent while reply 2 is applied; applying reply 2 fails. The server holds
    batch 3 by then; this laptop still has it pending and the next push replays it: every
    change arrives once, and the laptop ends as the server holds it."""
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    visits = _visits(service, laptop, 6)
    laptop.update("visit", visits[0], {"notes": "Calmer after break."})  # 7 entries
    real = SyncEngine._settle_batch
    settled = []

    def on_server():
        return {r["id"] for r in service.server.api.pull_all(service.tokens["a"]) if r["entity"] == "visit"}

    def failing(self, *args):
        settled.append(1)
        if len(settled) == 2:
            deadline = time.monotonic() + 10
            while not set(visits[4:6]) <= on_server() and time.monotonic() < deadline:
                time.sleep(0.05)  # batch 3, sent while this reply is applied, arrives
            raise RuntimeError("disk full")
        return real(self, *args)

    monkeypatch.setattr(SyncEngine, "_settle_batch", failing)
    with pytest.raises(RuntimeError):
        service.engine(laptop, "a", batch_size=2).push()
    assert set(visits) == on_server()  # batch 3 (visits 5, 6) was sent meanwhile
    assert laptop.pending_count() == 5  # batches 2 and 3 not marked sent here
    monkeypatch.setattr(SyncEngine, "_settle_batch", real)
    report = service.engine(laptop, "a").sync()
    assert report.rejected == 0 and laptop.pending_count() == 0
    records = service.server.api.pull_all(service.server.admin_token)
    assert sorted(r["id"] for r in records if r["id"] in visits) == sorted(visits)  # once
    first = next(r for r in records if r["id"] == visits[0])
    assert first["version"] == 2 and first["fields"]["notes"] == "Calmer after break."
    assert local.server_versions(laptop, "visit", visits) == {v: (2 if v == visits[0] else 1) for v in visits}
    assert service.engine(laptop, "a").verify()


def test_records_given_back_as_created_are_not_applied_again(service, laptops, monkeypatch):
    """New records the server stored exactly as sent only get their server version here;
    a create whose record has moved on (an edit pending behind it) is applied as usual."""
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    visits = _visits(service, laptop, 3)
    laptop.update("visit", visits[2], {"notes": "Left the room twice."})
    applied = []
    real = apply.apply_states

    def spy(store, states, **kw):
        applied.extend(s["id"] for s in states)
        return real(store, states, **kw)

    monkeypatch.setattr(apply, "apply_states", spy)
    service.engine(laptop, "a", batch_size=3).push()
    # visits 0 and 1: as created, not applied again; visit 2 has its edit pending behind
    # the create (the next batch): applied, keeping the pending field
    assert applied.count(visits[0]) == 0 and applied.count(visits[1]) == 0
    assert applied.count(visits[2]) >= 1
    assert laptop.pending_count() == 0
    assert local.server_versions(laptop, "visit", visits) == {visits[0]: 1, visits[1]: 1, visits[2]: 2}
    assert laptop.get("visit", visits[2])["notes"] == "Left the room twice."
    assert service.engine(laptop, "a").verify()


class OlderServer:
    """A transport in front of the real one that refuses, as a server from before batches
    of 2,000 does (422), a push of more than ``limit`` changes."""

    def __init__(self, transport, limit):
        self.transport, self.limit, self.sizes = transport, limit, []

    def post(self, path, body):
        if path == "/sync/push":
            self.sizes.append(len(body["mutations"]))
            if len(body["mutations"]) > self.limit:
                raise Refused("The server refused the request (HTTP 422).", 422)
        return self.transport.post(path, body)

    def __getattr__(self, name):
        return getattr(self.transport, name)


def test_a_server_that_takes_smaller_batches_gets_them_in_order(service, laptops, monkeypatch):
    monkeypatch.setattr(engine_module, "LEGACY_PUSH_BATCH", 2)
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    visits = _visits(service, laptop, 4)
    laptop.update("visit", visits[0], {"notes": "Calmer after break."})
    older = OlderServer(Transport(service.server.url, service.tokens["a"]), limit=2)
    report = SyncEngine(laptop, service.server.url, service.tokens["a"], transport=older, batch_size=5).push()
    assert older.sizes == [5, 2, 2, 1]  # refused whole, then as the server allows
    assert report.sent == 5 and report.rejected == 0 and laptop.pending_count() == 0
    first = next(r for r in service.server.api.pull_all(service.server.admin_token) if r["id"] == visits[0])
    assert first["version"] == 2 and first["fields"]["notes"] == "Calmer after break."


class EveryRecordServer:
    """A transport in front of the real one that drops ``as_sent`` from a push, as a server
    from before it ignores it: every record comes back. Counts the records given back."""

    def __init__(self, transport):
        self.transport, self.records, self.as_sent = transport, 0, 0

    def post(self, path, body):
        if path == "/sync/push":
            body = {k: v for k, v in body.items() if k != "as_sent"}
        answer = self.transport.post(path, body)
        if path == "/sync/push":
            self.records += sum(1 for r in answer["results"] if r.get("record"))
            self.as_sent += sum(1 for r in answer["results"] if r.get("as_sent"))
        return answer

    def __getattr__(self, name):
        return getattr(self.transport, name)


@pytest.mark.parametrize("older", [False, True], ids=["as_sent", "every-record"])
def test_creates_stored_as_sent_come_back_as_a_mark_and_end_the_same(service, laptops, older):
    """A laptop asks for creates stored exactly as sent to be marked, not sent back; it
    rebuilds their records from its own changes and ends as it would with every record
    returned (an older server): nothing applied again, server versions recorded, the
    digest agreeing with the server's."""
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    visits = _visits(service, laptop, 4)
    laptop.update("visit", visits[3], {"notes": "Left the room twice."})
    spy = EveryRecordServer(Transport(service.server.url, service.tokens["a"]))
    if not older:
        spy.post = _counting_only(spy)
    report = SyncEngine(laptop, service.server.url, service.tokens["a"], transport=spy, batch_size=3).push()
    assert report.sent == 5 and report.rejected == 0 and laptop.pending_count() == 0
    if older:
        assert spy.as_sent == 0 and spy.records == 5
    else:
        # visits 0, 1 and 2 as sent (the batch of 3); visit 3's create and edit came back
        assert spy.as_sent == 3 and spy.records == 2
    assert local.server_versions(laptop, "visit", visits) == {v: (2 if v == visits[3] else 1) for v in visits}
    assert laptop.get("visit", visits[3])["notes"] == "Left the room twice."
    assert service.engine(laptop, "a").verify()


def _counting_only(spy):
    """``spy.post`` counting results, the body sent as it is."""

    def post(path, body):
        answer = spy.transport.post(path, body)
        if path == "/sync/push":
            spy.records += sum(1 for r in answer["results"] if r.get("record"))
            spy.as_sent += sum(1 for r in answer["results"] if r.get("as_sent"))
        return answer

    return post


@pytest.mark.parametrize(
    "extra", [{}, {"device_acked": {"device_id": "d", "seq": 7}, "as_sent": True}], ids=["bare", "acked"]
)
def test_a_body_encoded_beforehand_is_the_body(extra):
    """A push body whose changes were encoded while the server merged the batch before
    is, as sent, exactly the body: its JSON decodes to the same object, non-ASCII text
    included; a value JSON cannot hold (NaN) is refused when encoding, as requests does."""
    batch = [{"mutation_id": "m1", "fields": {"notes": "Zoë — calmer", "n": 1.5}}, {"mutation_id": "m2", "fields": {}}]
    body = {"schema_version": 11, "mutations": batch, **extra}
    prepared = engine_module.PreparedBody(body, engine_module._json_text(batch))
    assert prepared == body
    assert json.loads(prepared.encoded()) == body
    with pytest.raises(ValueError):
        engine_module._json_text([{"fields": {"x": float("nan")}}])
