"""Attachments (sync rule 9): content-addressed bytes sent separately and resumably; a record
naming a file is accepted only once the file is complete on the server.

Run against a real server on SQLite and PostgreSQL (the ``server`` fixture) where the
database matters."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import uuid

import pytest
import requests
import sqlalchemy as sa

from desktop.store.attachments import (
    AttachmentNotHere,
    add_attachment,
    missing_blobs,
    read_attachment,
)
from sync.client import SyncError
from sync.client.attachments import CHUNK_BYTES, download_missing, upload_pending
from sync.client.engine import SyncEngine, SyncReport
from sync.client.transport import Transport
from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION
from sync.server.db import make_engine
from tests.sync.conftest import fake_server, mutation

SIZE = 3 * CHUNK_BYTES + CHUNK_BYTES // 2  # a PDF-sized file: three and a half chunks


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _h(token: str | None) -> dict:
    headers = {SCHEMA_HEADER: str(SCHEMA_VERSION)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _put(server, token, sha, chunk: bytes, size: int, offset: int = 0) -> requests.Response:
    return requests.put(
        f"{server.url}/attachments/{sha}",
        data=chunk,
        headers=_h(token),
        params={"size": size, "offset": offset},
        timeout=60,
    )


def _get(server, token, sha, suffix: str = "", **headers) -> requests.Response:
    return requests.get(f"{server.url}/attachments/{sha}{suffix}", headers={**_h(token), **headers}, timeout=60)


def _server_rows(server, sql: str, **params) -> list:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def _chunks_held(server, sha: str) -> int:
    return _server_rows(server, "SELECT count(*) FROM blob_chunk WHERE sha256 = :s", s=sha)[0][0]


def _attachment_mutation(service, sha: str, size: int, **fields) -> dict:
    return mutation(
        "attachment",
        str(uuid.uuid4()),
        "create",
        {"sha256": sha, "size": size, "title": "Report", "referral_id": service.ids["referral"], **fields},
    )


class Recording(requests.Session):
    """Records the attachment requests it sends; ``fail`` decides (method, url, number of
    such requests so far) whether to act as if the connection dropped instead."""

    def __init__(self, fail=None):
        super().__init__()
        self.sent: list[dict] = []
        self.fail = fail

    def request(self, method, url, **kw):
        if "/attachments/" in url:
            done = [s for s in self.sent if s["method"] == method]
            if self.fail and self.fail(method, url, len(done)):
                raise requests.ConnectionError("cable pulled")
            response = super().request(method, url, **kw)
            self.sent.append(
                {
                    "method": method,
                    "url": url,
                    "params": kw.get("params"),
                    "bytes": len(kw.get("data") or b""),
                    "range": (kw.get("headers") or {}).get("Range"),
                    "received": len(response.content) if not url.endswith("/status") else 0,
                }
            )
            return response
        return super().request(method, url, **kw)


def _engine(service, store, who, session) -> SyncEngine:
    transport = Transport(service.server.url, service.tokens[who], session=session, retries=0, sleep=lambda s: None)
    return service.engine(store, who, transport=transport)


def test_a_pdf_sized_file_goes_from_one_laptop_to_another_in_the_same_scope(service, laptops):
    """A attaches 3.5 MB of random bytes to the case; the lead's laptop receives the record
    and, checked against its hash, the bytes. Ranges of the file can be fetched."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    data = os.urandom(SIZE)
    attachment = add_attachment(
        a,
        data,
        referral_id=service.ids["referral"],
        title="Review report",
        filename="review.pdf",
        media_type="application/pdf",
    )
    report = service.engine(a, "a").sync()
    assert (report.uploaded, report.sent, report.rejected, report.waiting) == (1, 1, 0, 0)
    assert a.pending_count() == 0

    report = service.engine(lead, "lead").sync()
    assert (report.downloaded, report.attachments_waiting, report.errors) == (1, 0, [])
    assert read_attachment(lead, attachment) == data
    row = lead.get("attachment", attachment)
    assert (row["title"], row["filename"], row["size"]) == ("Review report", "review.pdf", SIZE)
    assert missing_blobs(lead) == []
    assert service.engine(lead, "lead").sync().downloaded == 0  # nothing fetched twice

    token, sha = service.tokens["lead"], _sha(data)
    whole = _get(service.server, token, sha)
    assert whole.status_code == 200 and whole.content == data
    part = _get(service.server, token, sha, Range="bytes=1000-1999")
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{SIZE}"
    tail = _get(service.server, token, sha, Range=f"bytes={SIZE - 10}-")
    assert tail.status_code == 206 and tail.content == data[-10:]
    assert _get(service.server, token, sha, Range=f"bytes={SIZE}-").status_code == 416


def test_outside_the_scope_the_file_cannot_be_had_even_knowing_its_hash(service, laptops):
    """B (another practitioner) knows the hash of A's file: downloading it is refused, the
    status does not reveal it exists, and naming it in a record of B's own waits for
    bytes B never sent. Without a token every endpoint is 401."""
    a = laptops("a")
    service.engine(a, "a").sync()
    data = os.urandom(200_000)
    add_attachment(a, data, referral_id=service.ids["referral"], title="Confidential")
    service.engine(a, "a").sync()
    server, sha, b = service.server, _sha(data), service.tokens["b"]

    assert _get(server, b, sha).status_code == 404
    assert _get(server, b, sha, Range="bytes=0-").status_code == 404
    status = _get(server, b, sha, "/status").json()
    assert (status["complete"], status["received"]) == (False, 0)
    own = mutation(
        "attachment",
        str(uuid.uuid4()),
        "create",
        {"sha256": sha, "size": len(data), "title": "Mine now", "school_id": service.ids["school"]},
    )
    [result] = server.api.push(b, [own]).json()["results"]
    assert result["status"] == "retry"
    assert _get(server, b, sha).status_code == 404
    assert _get(server, server.admin_token, sha).content == data  # administrators: any file
    for response in (
        _get(server, None, sha),
        _get(server, None, sha, "/status"),
        _put(server, None, sha, data, len(data)),
    ):
        assert response.status_code == 401


def test_an_interrupted_upload_resumes_and_sends_only_the_rest(service, laptops):
    """The connection drops after the first chunk: the sync fails with the record still
    waiting; the next sync asks the server's status and sends only the remaining bytes."""
    a = laptops("a")
    service.engine(a, "a").sync()
    data = os.urandom(SIZE)
    attachment = add_attachment(a, data, referral_id=service.ids["referral"], title="Plan")
    cut = Recording(fail=lambda method, url, done: method == "PUT" and done >= 1)
    with pytest.raises(SyncError, match="could not be reached"):
        _engine(service, a, "a", cut).sync()
    assert a.pending_count() == 1  # the record was not pushed without its bytes
    sha = _sha(data)
    status = _get(service.server, service.tokens["a"], sha, "/status").json()
    assert (status["received"], status["complete"]) == (CHUNK_BYTES, False)

    resumed = Recording()
    report = _engine(service, a, "a", resumed).sync()
    puts = [s for s in resumed.sent if s["method"] == "PUT"]
    assert [p["params"]["offset"] for p in puts] == [CHUNK_BYTES, 2 * CHUNK_BYTES, 3 * CHUNK_BYTES]
    assert sum(p["bytes"] for p in puts) == SIZE - CHUNK_BYTES
    assert (report.uploaded, report.sent, a.pending_count()) == (1, 1, 0)
    assert _get(service.server, service.tokens["lead"], sha).content == data
    assert read_attachment(a, attachment) == data


def test_an_interrupted_download_resumes_from_the_parts_held(service, laptops):
    """The lead's download drops after the first range: the part received is kept; the next
    sync fetches only the rest, then checks and keeps the whole."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    data = os.urandom(SIZE)
    attachment = add_attachment(a, data, referral_id=service.ids["referral"], title="Plan")
    service.engine(a, "a").sync()

    cut = Recording(fail=lambda method, url, done: method == "GET" and done >= 1)
    with pytest.raises(SyncError, match="could not be reached"):
        _engine(service, lead, "lead", cut).sync()
    assert lead.get("attachment", attachment) is not None  # the pull was applied
    with pytest.raises(AttachmentNotHere):
        read_attachment(lead, attachment)
    assert lead.conn.execute("SELECT sum(length(data)) FROM blob_part").fetchone()[0] == CHUNK_BYTES

    resumed = Recording()
    report = _engine(service, lead, "lead", resumed).sync()
    gets = [s for s in resumed.sent if s["method"] == "GET"]
    assert gets[0]["range"] == f"bytes={CHUNK_BYTES}-{2 * CHUNK_BYTES - 1}"
    assert sum(g["received"] for g in gets) == SIZE - CHUNK_BYTES
    assert report.downloaded == 1 and read_attachment(lead, attachment) == data
    assert lead.conn.execute("SELECT count(*) FROM blob_part").fetchone()[0] == 0


def test_a_corrupt_upload_is_refused_and_nothing_is_kept(service):
    """Bytes that do not match the hash they were sent under are refused (422) when the
    last chunk arrives, and discarded: the status is back to nothing, no chunk remains,
    and a record naming that hash is not accepted."""
    server, token = service.server, service.tokens["a"]
    good = os.urandom(2 * CHUNK_BYTES)
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    sha = _sha(good)
    assert _put(server, token, sha, bytes(bad[:CHUNK_BYTES]), len(good)).status_code == 200
    refused = _put(server, token, sha, bytes(bad[CHUNK_BYTES:]), len(good), CHUNK_BYTES)
    assert refused.status_code == 422 and "do not match" in refused.json()["detail"]
    status = _get(server, token, sha, "/status").json()
    assert (status["received"], status["complete"]) == (0, False)
    assert _chunks_held(server, sha) == 0
    assert _get(server, server.admin_token, sha).status_code == 404
    [result] = server.api.push(token, [_attachment_mutation(service, sha, len(good))]).json()["results"]
    assert result["status"] == "retry"


def test_a_record_waits_until_its_bytes_are_complete(service):
    """Rule 9 on the server: with half the file uploaded the record is 'retry' (not stored);
    once the last chunk is in, the same record is applied."""
    server, token = service.server, service.tokens["a"]
    data = os.urandom(2 * CHUNK_BYTES)
    sha = _sha(data)
    record = _attachment_mutation(service, sha, len(data))
    assert _put(server, token, sha, data[:CHUNK_BYTES], len(data)).json()["complete"] is False
    [waiting] = server.api.push(token, [record]).json()["results"]
    assert (waiting["status"], waiting["code"]) == ("retry", 404)
    # A resent chunk (its answer lost) is harmless; one beyond the upload is refused.
    assert _put(server, token, sha, data[:CHUNK_BYTES], len(data)).json()["received"] == CHUNK_BYTES
    assert _put(server, token, sha, b"x", len(data), len(data) - 1).status_code == 409
    done = _put(server, token, sha, data[CHUNK_BYTES:], len(data), CHUNK_BYTES).json()
    assert (done["complete"], done["received"], done["size"]) == (True, len(data), len(data))
    [applied] = server.api.push(token, [record]).json()["results"]
    assert applied["status"] == "applied"
    bad = dict(_attachment_mutation(service, "NOT-A-HASH", 1))
    [refused] = server.api.push(token, [bad]).json()["results"]
    assert (refused["status"], refused["code"]) == ("rejected", 422)


def test_the_same_bytes_are_stored_once(service, laptops):
    """Two records on A's laptop naming the same bytes: one file here, one upload. The lead
    attaching the same file elsewhere sends nothing (the server has it and the lead may
    read it). B, outside the case, must send the whole file to show B has it, and even
    then the server keeps one copy."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    data = os.urandom(CHUNK_BYTES + 1000)
    sha = _sha(data)
    add_attachment(a, data, referral_id=service.ids["referral"], title="One")
    add_attachment(a, data, referral_id=service.ids["referral"], title="Two")
    assert a.conn.execute("SELECT count(*) FROM blob").fetchone()[0] == 1
    session = Recording()
    report = _engine(service, a, "a", session).sync()
    assert (report.uploaded, report.sent) == (1, 2)
    assert sum(s["bytes"] for s in session.sent if s["method"] == "PUT") == len(data)
    assert _chunks_held(service.server, sha) == 2

    service.engine(lead, "lead").sync()
    add_attachment(lead, data, school_id=service.ids["school"], title="Copy for the school")
    session = Recording()
    report = _engine(service, lead, "lead", session).sync()
    assert report.sent == 1 and report.uploaded == 0
    assert [s for s in session.sent if s["method"] == "PUT"] == []

    server, b = service.server, service.tokens["b"]
    assert _get(server, b, sha, "/status").json()["complete"] is False
    assert _put(server, b, sha, data, len(data)).json()["complete"] is True
    assert _chunks_held(service.server, sha) == 2  # B's copy was not kept
    assert _server_rows(server, "SELECT count(*) FROM blob WHERE sha256 = :s", s=sha)[0][0] == 1
    assert _get(server, b, sha).status_code == 404  # holding bytes is not being in scope


def test_a_deleted_attachment_leaves_the_other_laptop(sqlite_service, laptops):
    """A deletes the attachment: the tombstone syncs and the lead's copy of the bytes is
    collected; the server no longer gives the file to anyone but an administrator."""
    service = sqlite_service
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    data = os.urandom(50_000)
    attachment = add_attachment(a, data, referral_id=service.ids["referral"], title="Old")
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    assert read_attachment(lead, attachment) == data
    a.delete("attachment", attachment)
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    assert lead.get("attachment", attachment) is None
    assert lead.conn.execute("SELECT count(*) FROM blob").fetchone()[0] == 0
    assert a.conn.execute("SELECT count(*) FROM blob").fetchone()[0] == 0
    assert _get(service.server, service.tokens["lead"], _sha(data)).status_code == 404


class Garbage(http.server.BaseHTTPRequestHandler):
    """Answers attachment status sensibly, then garbage to every chunk request."""

    def _send(self, code, body, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        sha = self.path.split("/")[2].split("?")[0]
        if self.path.endswith("/status"):
            self._send(
                200,
                json.dumps({"sha256": sha, "size": None, "received": 0, "complete": False}).encode(),
                [("Content-Type", "application/json")],
            )
        else:  # a "range" that is not the one asked for
            self._send(206, b"\x00" * 10, [("Content-Range", "bytes 5-14/100")])

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send(200, b"<html>proxy error</html>", [("Content-Type", "text/html")])

    def log_message(self, *args):
        pass


@pytest.fixture
def garbage_server():
    with fake_server(Garbage) as url:
        yield url


def test_a_server_answering_garbage_to_a_chunk_request_is_a_clear_error(garbage_server, laptops):
    """Garbage in answer to an upload chunk or a download range raises SyncError; the bytes,
    the record and its outbox entry stay as they were, and no bad bytes are kept."""
    laptop = laptops("a")
    school = laptop.create("school", {"name": "Fernside Academy"})
    data = os.urandom(5000)
    attachment = add_attachment(laptop, data, school_id=school, title="Logo")
    before = laptop.pending_changes()
    with pytest.raises(SyncError, match="not understood"):
        SyncEngine(laptop, garbage_server, "token").sync()
    assert laptop.pending_changes() == before
    assert read_attachment(laptop, attachment) == data

    transport = Transport(garbage_server, "token")
    other = add_attachment(laptop, b"a file not here yet", school_id=school, title="Pending")
    laptop.conn.execute("DELETE FROM blob WHERE sha256 = ?", (_sha(b"a file not here yet"),))
    with pytest.raises(SyncError, match="not understood"):
        download_missing(laptop, transport, SyncReport())
    assert laptop.conn.execute("SELECT count(*) FROM blob_part").fetchone()[0] == 0
    with pytest.raises(AttachmentNotHere):
        read_attachment(laptop, other)
    with pytest.raises(SyncError, match="not understood"):
        upload_pending(laptop, transport, SyncReport())
    assert read_attachment(laptop, attachment) == data


def test_range_headers_are_read_strictly():
    """The server's Range parsing: one byte range, clipped to the file; anything it does not
    understand means the whole file; a start beyond the end is 416."""
    from sync.server.attachments import BlobRefused, ByteRange, parse_range

    assert parse_range("bytes=0-99", 1000) == ByteRange(0, 99, 1000)
    assert parse_range("bytes=900-", 1000) == ByteRange(900, 999, 1000)
    assert parse_range("bytes=900-5000", 1000) == ByteRange(900, 999, 1000)
    assert parse_range("bytes=-10", 1000) == ByteRange(990, 999, 1000)
    for odd in (None, "", "bytes=", "bytes=-", "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=" + "9" * 5000 + "-"):
        assert parse_range(odd, 1000) is None
    for beyond in ("bytes=1000-", "bytes=-0"):
        with pytest.raises(BlobRefused):
            parse_range(beyond, 1000)
