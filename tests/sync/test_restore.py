"""A laptop restored from an older copy of its data folder loses nothing (issue 9, item 4).

Real server processes (SQLite and PostgreSQL). The laptop syncs, its store file is copied
(closed), it edits and syncs more, then the copy is put back: its device id and outbox
numbering are now behind what the server has seen. Its next sync notices, takes a new
device identity, re-sends what the server lacks under it, and pulls the whole scope again;
every later edit reaches the server and the team lead's laptop (an edit to a field the
newer copy had also changed arrives as a conflict, both values kept, never dropped)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from desktop.store import Store
from sync.client import local, restore
from sync.client.errors import SyncError
from sync.client.transport import Transport
from sync.protocol import SCHEMA_VERSION
from tests.sync.conftest import KEY


def _server_records(service) -> dict:
    return {(r["entity"], r["id"]): r for r in service.server.api.pull_all(service.server.admin_token)}


def _reopen(path: Path, opened: list) -> Store:
    store = Store.open(path, KEY, actor="a")
    opened.append(store)
    return store


def _copy_closed(store: Store, to: Path) -> None:
    """Copy a closed store file, as someone backing up the data folder would."""
    path = store.path
    store.close()
    assert not Path(str(path) + "-wal").exists()
    shutil.copy2(path, to)


def _put_back(copy: Path, path: Path) -> None:
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    shutil.copy2(copy, path)


def test_a_laptop_restored_from_an_older_copy_loses_no_edit(service, laptops, tmp_path):
    ids = service.ids
    referral = ids["referral"]
    opened: list[Store] = []
    try:
        laptop = laptops("a")
        path = laptop.path
        service.engine(laptop, "a").sync()
        laptop.update("referral", referral, {"concern": "Leaves the classroom at break."})
        service.engine(laptop, "a").sync()
        # An edit still unsent when the copy is made (the newer copy sends it later).
        laptop.update("referral", referral, {"source": "school"})
        old_device = laptop.device_id
        copy = tmp_path / "copy-of-fieldnote.db"
        _copy_closed(laptop, copy)

        # The newer copy: more edits, synced. The concern is changed last, so its outbox
        # number is above anything the restored store will use for a while.
        laptop = _reopen(path, opened)
        newer_visit = laptop.create(
            "visit", {"referral_id": referral, "visit_date": "2026-11-20", "visit_type": "observation"}
        )
        laptop.update("visit", newer_visit, {"notes": "Settled in maths."})
        laptop.update("referral", referral, {"concern": "Calmer since the plan began."})
        report = service.engine(laptop, "a").sync()
        assert not report.device_renewed and laptop.pending_count() == 0
        laptop.close()

        # The copy is put back. The laptop's new edits reuse outbox numbers the server saw.
        _put_back(copy, path)
        laptop = _reopen(path, opened)
        assert laptop.device_id == old_device and laptop.pending_count() == 1
        laptop.update("referral", referral, {"concern": "Hides under the table."})
        restored_visit = laptop.create(
            "visit", {"referral_id": referral, "visit_date": "2026-11-27", "visit_type": "consultation"}
        )
        laptop.update("referral", referral, {"outcome": "improved_in_school"})
        report = service.engine(laptop, "a").sync()

        assert report.device_renewed and report.renumbered == 3
        assert laptop.device_id != old_device
        status = local.sync_status(laptop)
        assert status.changes_waiting == 0 and status.needs_attention == []  # replay, no 409
        server = _server_records(service)
        # Edits the server lacked are there; the newer copy's work is back on the laptop.
        assert server[("visit", restored_visit)]["fields"]["visit_type"] == "consultation"
        assert server[("referral", referral)]["fields"]["outcome"] == "improved_in_school"
        assert server[("referral", referral)]["fields"]["source"] == "school"
        assert laptop.get("visit", newer_visit)["notes"] == "Settled in maths."
        # The concern was changed in both copies: kept as a conflict, not dropped.
        [conflict] = status.conflicts
        assert conflict["field"] == "concern"
        assert conflict["local_value"] == "Hides under the table."
        assert conflict["remote_value"] == "Calmer since the plan began."

        # Settled by the practitioner, and every later edit goes through as usual.
        local.resolve_conflict(laptop, conflict["id"], "local")
        laptop.update("visit", restored_visit, {"notes": "Met the SENCo."})
        report = service.engine(laptop, "a").sync()
        assert not report.device_renewed and laptop.pending_count() == 0

        lead = laptops("lead")
        service.engine(lead, "lead").sync()
        for store in (lead, laptop):
            assert store.get("referral", referral)["concern"] == "Hides under the table."
            assert store.get("referral", referral)["outcome"] == "improved_in_school"
            assert store.get("visit", restored_visit)["notes"] == "Met the SENCo."
            assert store.get("visit", newer_visit)["notes"] == "Settled in maths."
        assert _server_records(service)[("referral", referral)]["fields"]["concern"] == "Hides under the table."
        assert report.digest_match is True
    finally:
        for store in opened:
            store.close()


def test_a_restored_laptop_that_syncs_before_editing_starts_afresh(service, laptops, tmp_path):
    """Put back with nothing unsent: the first sync brings back the newer copy's work;
    the first edit's push is refused (its number is one the server saw), the store takes a
    new identity, and that edit and later ones reach the server and the lead. The app
    syncs on a second connection to the store: its own connection takes up the new
    identity at once."""
    referral = service.ids["referral"]
    opened: list[Store] = []
    try:
        laptop = laptops("a")
        path = laptop.path
        service.engine(laptop, "a").sync()
        laptop.update("referral", referral, {"source": "parent"})
        service.engine(laptop, "a").sync()
        copy = tmp_path / "copy.db"
        _copy_closed(laptop, copy)
        laptop = _reopen(path, opened)
        laptop.update("referral", referral, {"concern": "Newer copy's words."})
        laptop.update("referral", referral, {"outcome": "psp_completed"})
        service.engine(laptop, "a").sync()
        laptop.close()

        _put_back(copy, path)
        laptop = _reopen(path, opened)
        worker = _reopen(path, opened)  # the app syncs on a second connection
        old_device = laptop.device_id
        report = service.engine(worker, "a").sync()
        assert not report.device_renewed  # nothing to send, nothing at risk yet
        assert laptop.get("referral", referral)["outcome"] == "psp_completed"
        laptop.update("referral", referral, {"outcome": "managed_move"})
        report = service.engine(worker, "a").sync()
        assert report.device_renewed and report.renumbered == 1
        assert laptop.device_id == worker.device_id != old_device
        laptop.update("referral", referral, {"concern": "After the restore."})
        [(device,)] = laptop.conn.execute("SELECT device_id FROM outbox WHERE state = 'pending'").fetchall()
        assert device == worker.device_id  # the new identity, at once
        report = service.engine(worker, "a").sync()
        assert not report.device_renewed and worker.pending_count() == 0
        lead = laptops("lead")
        service.engine(lead, "lead").sync()
        assert lead.get("referral", referral)["outcome"] == "managed_move"
        assert lead.get("referral", referral)["concern"] == "After the restore."
    finally:
        for store in opened:
            store.close()


class LosesReplies:
    """A session whose first push commits on the server but whose reply is lost."""

    def __init__(self):
        import requests

        self.inner = requests.Session()
        self.dropped = 0
        self.verify = True
        self.max_redirects = 0

    def request(self, method, url, **kw):
        import requests

        response = self.inner.request(method, url, **kw)
        if url.endswith("/sync/push") and not self.dropped:
            self.dropped += 1
            raise requests.ConnectionError("reply lost")
        return response


def test_a_lost_reply_or_pruned_outbox_is_not_taken_for_a_restore(service, laptops):
    """No false alarm: after a push whose reply was lost (the server stored more than the
    laptop heard of), and after the acknowledged entries were pruned, the laptop keeps its
    device identity."""
    laptop = laptops("a")
    referral = service.ids["referral"]
    service.engine(laptop, "a").sync()
    laptop.update("referral", referral, {"outcome": "improved_in_school"})
    service.engine(laptop, "a").sync()
    device = laptop.device_id
    assert restore.acked(laptop)["seq"] >= 1
    laptop.update("referral", referral, {"concern": "One."})
    laptop.update("referral", referral, {"source": "parent"})
    session = LosesReplies()
    transport = Transport(service.server.url, service.tokens["a"], session=session, retries=0)
    try:
        service.engine(laptop, "a", transport=transport).sync()
    except SyncError:
        pass  # the lost reply ends this sync; the next carries on
    assert session.dropped == 1 and laptop.pending_count() == 2
    mark = service.server.api.post("/sync/device", service.tokens["a"], {"device_id": device}).json()
    assert mark["high_seq"] > restore.acked(laptop)["seq"]  # stored, not heard of
    report = service.engine(laptop, "a").sync()
    assert not report.device_renewed and laptop.device_id == device
    assert laptop.pending_count() == 0 and local.sync_status(laptop).needs_attention == []
    laptop.conn.execute("DELETE FROM outbox WHERE state = 'sent'")  # as pruning does
    laptop.update("referral", referral, {"concern": "Two."})
    report = service.engine(laptop, "a").sync()
    assert not report.device_renewed and laptop.device_id == device
    assert laptop.pending_count() == 0


def test_the_server_tells_only_the_device_s_own_user(service, laptops):
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    laptop.update("referral", service.ids["referral"], {"concern": "Mine."})
    service.engine(laptop, "a").sync()
    api = service.server.api
    body = {
        "device_id": laptop.device_id,
        "mutation_ids": [r[0] for r in laptop.conn.execute("SELECT mutation_id FROM outbox")],
    }
    mine = api.post("/sync/device", service.tokens["a"], body).json()
    theirs = api.post("/sync/device", service.tokens["b"], body).json()
    assert mine["high_seq"] >= 1 and mine["known"]
    assert theirs["high_seq"] is None and theirs["known"] == []


def test_the_server_refuses_a_regressed_push_and_applies_nothing(service):
    """Protocol level: numbers above what the laptop was told and up to the device's mark,
    on mutations the server has not stored, are refused before anything is applied; the
    same numbers replayed (stored mutation ids), or without ``device_acked`` (an older
    laptop), are answered as before."""
    from tests.sync.conftest import mutation

    api, token = service.server.api, service.tokens["a"]
    referral, device = service.ids["referral"], f"dev-{uuid.uuid4().hex[:8]}"
    first = [
        mutation("referral", referral, fields={"concern": f"Edit {i}."}, base=1, device=device, seq=i)
        for i in (1, 2, 3)
    ]
    r = api.push(token, first)
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["applied"] * 3
    before = _server_records(service)[("referral", referral)]

    stale = mutation("referral", referral, fields={"outcome": "referred_on"}, base=1, device=device, seq=2)
    body = {
        "schema_version": SCHEMA_VERSION,
        "mutations": [first[0], stale],
        "device_acked": {"device_id": device, "seq": 1},
    }
    answer = api.post("/sync/push", token, body).json()
    assert answer["device_rewound"] is True and answer["device_high_seq"] == 3
    assert answer["results"] == []
    assert _server_records(service)[("referral", referral)] == before  # nothing applied
    known = api.post(
        "/sync/device", token, {"device_id": device, "mutation_ids": [first[0]["mutation_id"], stale["mutation_id"]]}
    ).json()
    assert known["known"] == [first[0]["mutation_id"]] and known["high_seq"] == 3

    # A lost reply: the stored ones replayed with the old acknowledgement go through.
    body = {"schema_version": SCHEMA_VERSION, "mutations": first[1:], "device_acked": {"device_id": device, "seq": 1}}
    answer = api.post("/sync/push", token, body).json()
    assert not answer["device_rewound"] and len(answer["results"]) == 2
    # Above the mark, nothing is at risk: applied.
    later = mutation("referral", referral, fields={"outcome": "improved_in_school"}, base=1, device=device, seq=4)
    body = {"schema_version": SCHEMA_VERSION, "mutations": [later], "device_acked": {"device_id": device, "seq": 1}}
    answer = api.post("/sync/push", token, body).json()
    assert [x["status"] for x in answer["results"]] == ["applied"]
