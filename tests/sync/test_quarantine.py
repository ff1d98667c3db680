"""No record can stop a sync on the laptop: pulled records this laptop cannot store are
quarantined with the reason and reported, the rest of the pull carries on, and an
administrator can retry or dismiss them (Needs attention, ``fieldnote sync --quarantine``).

A server that accepted something no laptop can store is a server gone wrong: these tests
serve such pages from a throwaway HTTP server (``fake_server``)."""

from __future__ import annotations

import http.server
import json
import uuid

import pytest

from desktop.cli import main
from sync.client import local, quarantine
from sync.client.engine import SyncEngine
from tests.conftest import PASSPHRASE
from tests.sync.conftest import fake_server


def rid() -> str:
    return str(uuid.uuid4())


def state(entity: str, record_id: str, fields: dict, version: int = 1, seq: int = 1) -> dict:
    return {
        "entity": entity,
        "id": record_id,
        "version": version,
        "deleted": False,
        "field_versions": {k: version for k in fields},
        "fields": fields,
        "seq": seq,
    }


class Scripted(http.server.BaseHTTPRequestHandler):
    """Serves ``pages`` (cursor -> page) on /sync/pull; a matching digest; 404 elsewhere
    (no /auth/me, no packs: an older server)."""

    pages: dict[int, dict] = {}
    push_answer = None

    def _send(self, status: int, body) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/sync/pull":
            cursor = int(dict(p.split("=") for p in query.split("&"))["cursor"])
            last = max(self.pages) if self.pages else 0
            page = self.pages.get(
                cursor, {"records": [], "revoked": [], "next_cursor": max(cursor, last), "has_more": False}
            )
            return self._send(200, page)
        self._send(404, {"detail": "Not Found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/sync/digest":
            return self._send(200, {"match": True, "server_cursor": 0, "count": 0, "algorithm": "set"})
        if self.path == "/sync/push" and self.push_answer is not None:
            return self._send(200, self.push_answer(body))
        self._send(404, {"detail": "Not Found"})

    def log_message(self, *args):
        pass


def serving(pages: dict[int, dict], push_answer=None):
    handler = type(
        "Pages", (Scripted,), {"pages": pages, "push_answer": staticmethod(push_answer) if push_answer else None}
    )
    return fake_server(handler)


def page(records, next_cursor, has_more=False):
    return {"records": records, "revoked": [], "next_cursor": next_cursor, "has_more": has_more}


@pytest.fixture
def bad_page():
    """One page of good records with five no laptop can store among them."""
    school, completion = rid(), rid()
    ids = {k: rid() for k in ("pupil", "answer1", "answer2", "scheme", "observation", "visit", "nul", "referral")}
    records = [
        state("school", school, {"name": "Fernside Academy"}),
        state("pupil", ids["pupil"], {"first_name": "Ada", "last_name": "Obi", "school_id": school}),
        state(
            "form_completion",
            completion,
            {
                "pupil_id": ids["pupil"],
                "pack_id": "sdq-teacher-4-17",
                "pack_version": "1",
                "informant": "teacher",
                "age_band": "4-17",
                "completed_by": "x",
                "completed_on": "2026-11-01",
                "time_point": "baseline",
            },
        ),
        state("form_answer", ids["answer1"], {"completion_id": completion, "item_id": "q1", "value": "1"}),
        # A second answer to the same item: the store's unique index refuses it.
        state("form_answer", ids["answer2"], {"completion_id": completion, "item_id": "q1", "value": "2"}),
        # A coding scheme whose definition is not JSON: the app could never read it.
        state("coding_scheme", ids["scheme"], {"name": "Broken", "definition": "{not json"}),
        # A status outside the store's CHECK rule.
        state(
            "observation",
            ids["observation"],
            {"interval_seconds": 10, "status": "bogus", "started_at": "2026-11-01T09:00:00Z"},
        ),
        # A number beyond SQLite's integers, and text with a NUL.
        state("pupil", ids["visit"], {"first_name": "Big", "last_name": "Number", "year_group": 10**30}),
        state("pupil", ids["nul"], {"first_name": "Nul\x00", "last_name": "Char"}),
        state(
            "referral",
            ids["referral"],
            {
                "pupil_id": ids["pupil"],
                "school_id": school,
                "referral_date": "2026-11-02",
                "reason": "persistent_disruption",
            },
        ),
    ]
    for n, r in enumerate(records, 1):
        r["seq"] = n
    return records, school, completion, ids


def test_records_that_cannot_be_stored_are_quarantined_and_the_pull_carries_on(laptops, bad_page):
    records, school, completion, ids = bad_page
    laptop = laptops("lead")
    with serving({0: page(records, 10)}) as url:
        report = SyncEngine(laptop, url, "token").sync()
    assert report.quarantined == 5 and report.cursor == 10
    assert int(local.get_state(laptop, "cursor")) == 10  # the cursor moved on
    # Every good record is stored, every bad one is not.
    assert laptop.get("school", school) and laptop.get("pupil", ids["pupil"])
    assert laptop.get("referral", ids["referral"]) and laptop.get("form_answer", ids["answer1"])
    for bad in ("answer2", "scheme", "observation", "visit", "nul"):
        entity = {"answer2": "form_answer", "scheme": "coding_scheme", "observation": "observation"}.get(bad, "pupil")
        assert laptop.get(entity, ids[bad], include_deleted=True) is None
    status = local.sync_status(laptop)
    assert status.attention_count == 5 and status.last_error is None
    reasons = {q["record_id"]: q["reason"] for q in status.quarantined}
    assert "must be unique" in reasons[ids["answer2"]]
    assert "not valid JSON" in reasons[ids["scheme"]]
    assert "not one this version of Fieldnote accepts" in reasons[ids["observation"]]
    assert "too large" in reasons[ids["visit"]]
    assert "NUL" in reasons[ids["nul"]]
    # Kept exactly as the server sent it, and counted as received: nothing is fetched again.
    kept = {q["record_id"]: q["state"] for q in status.quarantined}
    assert kept[ids["scheme"]] == next(r for r in records if r["id"] == ids["scheme"])
    assert local.server_version(laptop, "coding_scheme", ids["scheme"]) == 1
    assert any(e["action"] == "sync_quarantine" for e in laptop.audit_trail())


def test_a_second_sync_does_not_quarantine_again_and_other_users_can_still_switch(laptops, bad_page):
    records, *_ = bad_page
    laptop = laptops("lead")
    with serving({0: page(records, 10)}) as url:
        SyncEngine(laptop, url, "token").sync()
        report = SyncEngine(laptop, url, "token").sync()
    assert report.quarantined == 0 and len(quarantine.open_items(laptop)) == 5


def test_a_newer_version_that_applies_settles_the_item(laptops, bad_page):
    records, _school, _completion, ids = bad_page
    laptop = laptops("lead")
    pages = {0: page(records, 10)}
    with serving(pages) as url:
        SyncEngine(laptop, url, "token").sync()
        fixed = state(
            "observation",
            ids["observation"],
            {"interval_seconds": 10, "status": "ended", "started_at": "2026-11-01T09:00:00Z"},
            version=2,
            seq=11,
        )
        pages[10] = page([fixed], 11)
        report = SyncEngine(laptop, url, "token").sync()
    assert report.quarantined == 0
    assert laptop.get("observation", ids["observation"])["status"] == "ended"
    settled = laptop.conn.execute(
        "SELECT resolution FROM quarantine WHERE record_id = ?", (ids["observation"],)
    ).fetchone()
    assert settled == ("superseded",)
    assert len(quarantine.open_items(laptop)) == 4


def test_retry_after_the_cause_is_gone_stores_the_record(laptops, bad_page):
    """The duplicate answer is retried once the first answer moved to another item (a newer
    version from the server): it is stored and the item is settled. One still failing stays,
    with its reason, and counts a try."""
    records, _school, completion, ids = bad_page
    laptop = laptops("lead")
    pages = {0: page(records, 10)}
    with serving(pages) as url:
        SyncEngine(laptop, url, "token").sync()
        pages[10] = page(
            [
                state(
                    "form_answer",
                    ids["answer1"],
                    {"completion_id": completion, "item_id": "q2", "value": "1"},
                    version=2,
                    seq=11,
                )
            ],
            11,
        )
        SyncEngine(laptop, url, "token").sync()
    items = {q["record_id"]: q for q in quarantine.open_items(laptop)}
    assert quarantine.retry(laptop, items[ids["answer2"]]["seq"]) is None
    assert laptop.get("form_answer", ids["answer2"])["value"] == "2"
    still = quarantine.retry(laptop, items[ids["scheme"]]["seq"])
    assert still and "not valid JSON" in still
    left = {q["record_id"]: q for q in quarantine.open_items(laptop)}
    assert ids["answer2"] not in left and left[ids["scheme"]]["attempts"] == 2
    assert laptop.integrity_ok()


def test_dismiss_settles_an_item_and_keeps_it_on_file(laptops, bad_page):
    records, *_ = bad_page
    laptop = laptops("lead")
    with serving({0: page(records, 10)}) as url:
        SyncEngine(laptop, url, "token").sync()
    first = quarantine.open_items(laptop)[0]
    quarantine.dismiss(laptop, first["seq"])
    assert len(quarantine.open_items(laptop)) == 4
    assert laptop.conn.execute("SELECT resolution FROM quarantine WHERE seq = ?", (first["seq"],)).fetchone() == (
        "dismissed",
    )
    assert any(e["action"] == "quarantine_dismissed" for e in laptop.audit_trail())
    from desktop.store import StoreError

    with pytest.raises(StoreError, match="not waiting"):
        quarantine.dismiss(laptop, first["seq"])


def test_a_push_reply_carrying_a_record_this_laptop_cannot_store_does_not_block_the_outbox(laptops):
    """The reply's record is quarantined; the change itself is acknowledged (sent)."""
    laptop = laptops("a")
    school = laptop.create("school", {"name": "Fernside Academy"})

    def answer(body):
        m = body["mutations"][0]
        bad = state("school", school, {"name": "Fernside\x00"}, version=1, seq=1)
        return {
            "results": [
                {
                    "mutation_id": m["mutation_id"],
                    "status": "applied",
                    "code": 200,
                    "seq": 1,
                    "conflicts": [],
                    "record": bad,
                }
            ],
            "cursor": 1,
        }

    with serving({}, push_answer=answer) as url:
        report = SyncEngine(laptop, url, "token").sync()
    assert report.sent == 1 and report.quarantined == 1
    assert laptop.pending_count() == 0
    assert laptop.get("school", school)["name"] == "Fernside Academy"  # untouched


def test_quarantine_from_the_command_line(laptops, bad_page, monkeypatch, capsys):
    """``fieldnote sync --quarantine list`` prints one JSON line an item; ``retry`` says what
    is still refused and exits 1; ``dismiss --item N`` settles one."""
    from desktop.store import open_store

    records, *_ = bad_page
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    laptop = open_store()
    with serving({0: page(records, 10)}) as url:
        SyncEngine(laptop, url, "token").sync()
    laptop.close()
    assert main(["sync", "--quarantine", "list"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(listed) == 5 and all(item["reason"] for item in listed)
    assert main(["sync", "--quarantine", "retry"]) == 1
    out = capsys.readouterr().out
    assert out.count("still cannot be stored") == 5
    assert main(["sync", "--quarantine", "dismiss"]) == 2
    assert main(["sync", "--quarantine", "dismiss", "--item", str(listed[0]["item"])]) == 0
    assert "dismissed" in capsys.readouterr().out
    assert main(["sync", "--quarantine", "list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
