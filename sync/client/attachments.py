"""Attachment bytes between the laptop and the server: up before the push, down after
the pull, both resumable (sync rule 9; docs/sync-protocol.md, "Attachments").

* **Up.** For each file named by a pending outbox entry (an attachment created, or its
  file replaced), ask the server's status and send the rest in 1 MB chunks, so an upload
  killed half way resumes from the server's ``received``. The server accepts the record
  only once it holds the bytes, so the push that follows finds them there (a record whose
  upload failed waits, ``retry``, and is pushed at a later sync).
* **Down.** For each file a live record here names but whose bytes are not here, fetch
  1 MB ranges; each part is committed to ``blob_part`` as it arrives, so a kill
  mid-download resumes from the parts held. The whole is checked against its SHA-256
  before it is kept: bad bytes are never stored. Then bytes no record needs any more
  (a deleted attachment, a case reallocated away) are removed.

Answers are checked before anything local changes; an answer not understood raises
``SyncError`` with the parts and outbox as they were.
"""

from __future__ import annotations

import json
import re

from desktop.store import Store
from desktop.store.attachments import (
    MAX_ATTACHMENT_BYTES,
    AttachmentDamaged,
    blob_bytes,
    collect_garbage,
    missing_blobs,
    put_blob,
    sha256_hex,
    valid_sha256,
)
from sync.client.errors import Refused
from sync.client.report import SyncReport, need
from sync.client.transport import Transport

CHUNK_BYTES = 1024 * 1024  # per upload request and per download range
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def _check_status(answer: dict, sha256: str) -> dict:
    need(answer.get("sha256") == sha256, "attachment status")
    need(isinstance(answer.get("complete"), bool), "attachment status")
    need(isinstance(answer.get("received"), int) and answer["received"] >= 0, "attachment status")
    need(answer.get("size") is None or isinstance(answer["size"], int), "attachment status")
    return answer


# -- up -----------------------------------------------------------------------------------------
def files_to_upload(store: Store) -> list[str]:
    """The files named by pending outbox entries, in outbox order, each once."""
    found: dict[str, None] = {}
    for (fields,) in store.conn.execute(
        "SELECT fields FROM outbox WHERE state = 'pending' AND entity = 'attachment' AND "
        "op IN ('create', 'update') ORDER BY seq"
    ):
        sha256 = json.loads(fields).get("sha256")
        if valid_sha256(sha256):
            found[sha256] = None
    return list(found)


def upload_blob(transport: Transport, sha256: str, data: bytes) -> int:
    """Make sure the server holds ``data``: resume from its status, send the rest in
    chunks. Returns the number of bytes sent (0 if it held them already)."""
    path = f"/attachments/{sha256}"
    size = len(data)
    status = _check_status(transport.get(path + "/status"), sha256)
    sent = restarts = 0
    while not status["complete"]:
        # The server's progress counts only for this size; anything else starts afresh.
        offset = status["received"] if status["size"] == size else 0
        need(offset <= size, "attachment status")
        chunk = data[offset : offset + CHUNK_BYTES]
        try:
            status = _check_status(transport.put_bytes(path, chunk, {"size": size, "offset": offset}), sha256)
        except Refused as exc:
            if exc.status != 409 or restarts >= 3:
                raise
            # The upload is not where we thought (another laptop of ours, a lost reply):
            # ask again and carry on from there.
            restarts += 1
            status = _check_status(transport.get(path + "/status"), sha256)
            continue
        sent += len(chunk)
        need(status["complete"] or status["received"] > offset, "upload progress")
    return sent


def upload_pending(store: Store, transport: Transport, report: SyncReport) -> None:
    """Send the bytes of every file a pending change names (before the push)."""
    for sha256 in files_to_upload(store):
        data = blob_bytes(store, sha256)
        if data is None or sha256_hex(data) != sha256:
            # The record waits at the server (retry) and, after its tries, needs attention.
            report.errors.append(f"The file {sha256[:12]}… is missing or damaged on this laptop and cannot be sent.")
            report.attachments_waiting += 1
            continue
        try:
            if upload_blob(transport, sha256, data):
                report.uploaded += 1
        except Refused as exc:
            report.errors.append(f"The file {sha256[:12]}… was not accepted: {exc}")
            report.attachments_waiting += 1


# -- down ---------------------------------------------------------------------------------------
def _parts_held(store: Store, sha256: str) -> int:
    """Bytes of a download already here, counted from the start while the parts join up
    (anything after a gap is dropped)."""
    held = 0
    for offset, length in store.conn.execute(
        "SELECT byte_offset, length(data) FROM blob_part WHERE sha256 = ? ORDER BY byte_offset", (sha256,)
    ).fetchall():
        if offset != held:
            store.conn.execute("DELETE FROM blob_part WHERE sha256 = ? AND byte_offset >= ?", (sha256, offset))
            break
        held += length
    return held


def _drop_parts(store: Store, sha256: str) -> None:
    with store.transaction():
        store.conn.execute("DELETE FROM blob_part WHERE sha256 = ?", (sha256,))


def download_blob(store: Store, transport: Transport, sha256: str, size: int | None = None) -> int:
    """Fetch a file's bytes in ranges, resuming from the parts held, then keep it once its
    SHA-256 checks out. ``size`` (the record's) lets a download whose every part arrived
    before a kill be checked without asking again. Returns the number of bytes fetched."""
    path = f"/attachments/{sha256}"
    held = _parts_held(store, sha256)
    total: int | None = size if size is not None and held == size else None
    fetched = 0
    while total is None or held < total:
        last = held + CHUNK_BYTES - 1
        response = transport.get_bytes(path, headers={"Range": f"bytes={held}-{last}"})
        body = response.content
        if response.status_code == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", ""))
            need(match is not None, "download range")
            start, end, size = (int(g) for g in match.groups())
            need(start == held and end - start + 1 == len(body) and end < size, "download range")
        else:  # the whole file, range ignored: start again with it
            need(response.status_code == 200, "download status")
            start, size = 0, len(body)
            if held:
                _drop_parts(store, sha256)
        need(size <= MAX_ATTACHMENT_BYTES and (total is None or size == total), "download size")
        total = size
        if body:
            with store.transaction():
                store.conn.execute(
                    "INSERT INTO blob_part (sha256, byte_offset, data) VALUES (?, ?, ?)", (sha256, start, body)
                )
        held = start + len(body)
        fetched += len(body)
        need(body or held >= total, "download progress")
    data = b"".join(
        bytes(r[0])
        for r in store.conn.execute("SELECT data FROM blob_part WHERE sha256 = ? ORDER BY byte_offset", (sha256,))
    )
    with store.transaction():
        store.conn.execute("DELETE FROM blob_part WHERE sha256 = ?", (sha256,))
        if sha256_hex(data) == sha256:
            put_blob(store, data, sha256)
    if sha256_hex(data) != sha256:
        raise AttachmentDamaged(
            "The file received did not match its SHA-256; it was not kept and will be fetched again at the next sync."
        )
    return fetched


def download_missing(store: Store, transport: Transport, report: SyncReport) -> None:
    """Fetch the bytes of every file a live record here names but this laptop lacks (after
    the pull), then remove bytes nothing needs any more."""
    for item in missing_blobs(store):
        sha256 = item["sha256"]
        if not valid_sha256(sha256):
            continue
        try:
            download_blob(store, transport, sha256, item["size"])
            report.downloaded += 1
        except Refused as exc:
            if exc.status == 416:
                _drop_parts(store, sha256)  # parts from a different file: start afresh
            if exc.status not in (404, 416):
                report.errors.append(f"The file {sha256[:12]}… could not be fetched: {exc}")
            report.attachments_waiting += 1
        except AttachmentDamaged as exc:
            report.errors.append(str(exc))
            report.attachments_waiting += 1
    collect_garbage(store)
