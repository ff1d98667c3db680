"""A server answering garbage (HTML, truncated JSON, wrong types, a 200 that is not an
object) never gives a traceback: ``sync()`` raises a clear ``SyncError``, the status says
the sync failed and why, ``fieldnote sync`` prints one line and exits 1, and nothing local
is lost."""

from __future__ import annotations

import http.server
import json

import pytest

from desktop.cli import main
from sync.client import local
from sync.client.engine import SyncEngine
from sync.client.errors import SyncError
from tests.conftest import PASSPHRASE
from tests.sync.conftest import fake_server

SCHOOL = {
    "entity": "school",
    "id": "5c7d5d1e-0000-4000-8000-0000000000aa",
    "version": 1,
    "field_versions": {"name": 1},
    "fields": {"name": "Fernside"},
    "deleted": False,
    "seq": 1,
}

# path -> (status, body) for each way of going wrong; anything else is 404 (an older server).
CASES = {
    "html_pull": {"/sync/pull": (200, b"<html><body>Sign in to the proxy</body></html>")},
    "truncated_pull": {"/sync/pull": (200, b'{"records": [{"entity": "school", "id": "5c7d')},
    "list_pull": {"/sync/pull": (200, b"[1, 2, 3]")},
    "string_pull": {"/sync/pull": (200, b'"ok"')},
    "cursor_is_true": {
        "/sync/pull": (
            200,
            json.dumps({"records": [SCHOOL], "revoked": [], "next_cursor": True, "has_more": False}).encode(),
        )
    },
    "version_is_text": {
        "/sync/pull": (
            200,
            json.dumps(
                {"records": [dict(SCHOOL, version="1")], "revoked": [], "next_cursor": 1, "has_more": False}
            ).encode(),
        )
    },
    "page_of_strings": {
        "/sync/pull": (
            200,
            json.dumps({"records": ["school"], "revoked": [], "next_cursor": 1, "has_more": False}).encode(),
        )
    },
    "me_wrong_types": {"/auth/me": (200, json.dumps({"id": 1, "username": None}).encode())},
    "me_html": {"/auth/me": (200, b"<html>maintenance</html>")},
    "digest_wrong_types": {
        "/sync/digest": (200, json.dumps({"match": "yes", "server_cursor": [], "algorithm": "set"}).encode())
    },
    "push_conflicts_of_strings": {"/sync/push": "conflicts"},
    "push_not_an_object": {"/sync/push": (200, b"null")},
    "error_page_500": {"/sync/push": (500, b"<html>Internal Server Error</html>")},
}


def handler_for(case: dict) -> type[http.server.BaseHTTPRequestHandler]:
    class Wrong(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            path = self.path.split("?")[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = case.get(path)
            if answer == "conflicts":  # a well-formed reply, but conflicts are not objects
                ids = [m["mutation_id"] for m in json.loads(body)["mutations"]]
                answer = (
                    200,
                    json.dumps(
                        {
                            "cursor": 1,
                            "results": [
                                {"mutation_id": i, "status": "conflict", "code": 200, "conflicts": ["concern"]}
                                for i in ids
                            ],
                        }
                    ).encode(),
                )
            if answer is None and path == "/sync/pull":
                answer = (200, json.dumps({"records": [], "revoked": [], "next_cursor": 0, "has_more": False}).encode())
            if answer is None and path == "/sync/digest":
                answer = (200, json.dumps({"match": True, "server_cursor": 0, "algorithm": "set"}).encode())
            if answer is None and path == "/sync/push":
                ids = [m["mutation_id"] for m in json.loads(body)["mutations"]]
                answer = (
                    200,
                    json.dumps(
                        {"cursor": 1, "results": [{"mutation_id": i, "status": "retry", "code": 404} for i in ids]}
                    ).encode(),
                )
            status, data = answer or (404, b'{"detail": "Not Found"}')
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args):
            pass

    return Wrong


def snapshot(store):
    return {
        t: [tuple(r) for r in store.conn.execute(f"SELECT * FROM [{t}] ORDER BY 1")]
        for t in ("school", "outbox", "sync_record")
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_garbage_is_a_clear_sync_error_never_a_traceback(name, laptops):
    laptop = laptops("a")
    laptop.create("school", {"name": "Hollowmere Primary School"})
    before = snapshot(laptop)
    with fake_server(handler_for(CASES[name])) as url:
        with pytest.raises(SyncError) as caught:
            SyncEngine(laptop, url, "token").sync()
    message = str(caught.value)
    assert "Error" not in message.split(" ")[0] and "Traceback" not in message
    assert any(words in message for words in ("not understood", "refused")), message
    status = local.sync_status(laptop)
    assert status.last_error == message and status.last_error_kind == "error"
    after = snapshot(laptop)
    assert after["school"] == before["school"]  # nothing local lost
    assert len(after["outbox"]) == len(before["outbox"])
    assert laptop.pending_count() + sum(1 for r in after["outbox"] if r[11] == "sent") == 1


def test_an_unreachable_server_is_offline_not_failed(laptops):
    from tests.sync.conftest import free_port
    from sync.client.transport import Transport

    laptop = laptops("a")
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SyncError, match="could not be reached") as raised:
        SyncEngine(laptop, url, "t", transport=Transport(url, "t", retries=0)).sync()
    assert local.sync_status(laptop).last_error_kind == "offline"
    # said in words: no exception class name reaches the screen
    assert "(no connection)" in str(raised.value) and "Error" not in str(raised.value)


def test_the_command_line_prints_one_line_and_exits_1(monkeypatch, capsys, memory_keyring, caplog):
    """Nothing at warning level or above is logged either: with no logging set up, Python
    would print it, traceback and all, on standard error."""
    import logging

    from sync.client.auth import save_token

    caplog.set_level(logging.DEBUG)

    from desktop.store import open_store

    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    laptop = open_store()
    laptop.create("school", {"name": "Hollowmere Primary School"})  # something to push
    laptop.close()
    for name in ("truncated_pull", "cursor_is_true", "push_conflicts_of_strings"):
        with fake_server(handler_for(CASES[name])) as url:
            save_token(url, "token")
            assert main(["sync", "--server", url]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fieldnote: "), captured.err
        assert "Traceback" not in captured.err and "not understood" in lines[0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(r.exc_info for r in caplog.records if r.name == "fieldnote.sync")


def test_the_status_bar_says_the_sync_failed_and_why(store):
    from desktop.ui.sync_ui import status_text

    with fake_server(handler_for(CASES["cursor_is_true"])) as url:
        with pytest.raises(SyncError):
            SyncEngine(store, url, "token").sync()
    text, tip = status_text(store)
    assert text.startswith("Sync failed · ") and "not understood" in tip


class SizeLimited(http.server.BaseHTTPRequestHandler):
    """A server whose push body limit takes at most three changes, and never one naming
    'huge': it answers 413 like the real server's limit."""

    received: list[str] = []

    def do_POST(self):
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path.split("?")[0]
        if path == "/sync/push":
            mutations = data["mutations"]
            if len(mutations) > 3 or any("huge" in json.dumps(m) for m in mutations):
                return self._send(413, {"detail": "The request body may be at most 16 MB here."})
            self.received.extend(m["mutation_id"] for m in mutations)
            return self._send(
                200,
                {
                    "cursor": 1,
                    "results": [{"mutation_id": m["mutation_id"], "status": "applied", "code": 200} for m in mutations],
                },
            )
        self._send(200, {"match": True, "server_cursor": 0, "algorithm": "set"})

    def do_GET(self):
        if self.path.startswith("/sync/pull"):
            return self._send(200, {"records": [], "revoked": [], "next_cursor": 0, "has_more": False})
        self._send(404, {"detail": "Not Found"})

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_push_too_large_for_the_server_is_sent_in_smaller_batches(laptops):
    """413 on a batch: the same changes go in smaller batches, in order; a single change
    above the limit needs attention with the reason and the rest of the queue is sent."""
    laptop = laptops("a")
    for i in range(9):
        laptop.create("school", {"name": "huge" if i == 4 else f"School {i}"})
    order = [e["mutation_id"] for e in laptop.pending_changes()]
    SizeLimited.received = []
    with fake_server(SizeLimited) as url:
        report = SyncEngine(laptop, url, "token", batch_size=100).sync()
    assert report.sent == 8 and report.rejected == 1
    assert SizeLimited.received == [m for i, m in enumerate(order) if i != 4]
    rejected = local.sync_status(laptop).needs_attention
    assert len(rejected) == 1 and "at most 16 MB" in rejected[0]["last_error"]
    assert laptop.pending_count() == 0
