"""Attachments (PDF reports, logos): content-addressed files kept inside the encrypted store.

An ``attachment`` is an ordinary syncable record (title, file name, media type, what it
hangs off) that names its file by SHA-256; the bytes are kept once per content in the
local ``blob`` table, inside the SQLCipher store, so they are encrypted at rest like
everything else. The record syncs like any other; the bytes travel separately and
resumably (``sync.client.attachments``), and a record is complete only when its bytes
are (sync rule 9): a laptop may hold a record whose bytes have not arrived yet
(``missing_blobs``), and the server accepts a record only once it holds the bytes.

No Qt here: the UI calls these functions through its store worker.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from pathlib import Path

from desktop.store.db import Store, utc_now
from desktop.store.errors import StoreError

# The largest file that can be attached (the server refuses larger uploads too: a 50 MB
# file is already a scanned document of hundreds of pages), and what names a file: the
# rules both sides share.
from sync.rules import MAX_ATTACHMENT_BYTES, valid_sha256  # noqa: F401

DEFAULT_MEDIA_TYPE = "application/octet-stream"

# Blobs still needed although no live record names them: the file of a change this laptop
# has not sent yet (pending), or that needs attention or review (the only copy may be here).
_UNSENT_SHAS = (
    "SELECT json_extract(fields, '$.sha256') FROM outbox WHERE entity = "
    "'attachment' AND state != 'sent' AND json_extract(fields, '$.sha256') IS NOT NULL"
)
_LIVE_SHAS = f"SELECT sha256 FROM attachment WHERE deleted = 0 UNION {_UNSENT_SHAS}"


class AttachmentError(StoreError):
    """An attachment could not be added, read or exported (the message says why)."""


class AttachmentTooLarge(AttachmentError):
    """The file is above ``MAX_ATTACHMENT_BYTES``."""


class AttachmentNotHere(AttachmentError):
    """The record is here but its bytes have not reached this laptop yet."""


class AttachmentDamaged(AttachmentError):
    """Bytes that do not match their SHA-256."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _too_large(size: int) -> AttachmentTooLarge:
    return AttachmentTooLarge(
        f"This file is {size / 1024 / 1024:.1f} MB; attachments can be at most "
        f"{MAX_ATTACHMENT_BYTES // 1024 // 1024} MB. Nothing was added."
    )


# -- blobs ----------------------------------------------------------------------------------
def blob_bytes(store: Store, sha256: str) -> bytes | None:
    """The bytes held for ``sha256`` (unchecked), or None if they are not on this laptop."""
    row = store.conn.execute("SELECT data FROM blob WHERE sha256 = ?", (sha256,)).fetchone()
    return bytes(row[0]) if row is not None else None


def put_blob(store: Store, data: bytes, sha256: str | None = None) -> str:
    """Keep ``data`` (once per content); returns its SHA-256. With ``sha256`` given, bytes
    that do not match it are refused and nothing is stored."""
    actual = sha256_hex(data)
    if sha256 is not None and actual != sha256:
        raise AttachmentDamaged("The file received does not match its SHA-256; it was not kept.")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _too_large(len(data))
    with store.transaction():
        store.conn.execute(
            "INSERT OR IGNORE INTO blob (sha256, size, data, added_at) VALUES (?, ?, ?, ?)",
            (actual, len(data), data, utc_now()),
        )
    return actual


# -- attachments ------------------------------------------------------------------------------
def add_attachment(
    store: Store,
    path_or_bytes: Path | str | bytes,
    *,
    referral_id: str | None = None,
    school_id: str | None = None,
    title: str | None = None,
    media_type: str | None = None,
    filename: str | None = None,
) -> str:
    """Attach a file (a path, or the bytes themselves) to a case and/or a school.

    The bytes and the ``attachment`` record (with its outbox and audit entries) are
    written in one transaction. The same content attached twice is stored once.
    Returns the new record's id."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise _too_large(len(data))
    else:
        path = Path(path_or_bytes)
        if not path.is_file():
            raise AttachmentError(f"There is no file at {path}. Nothing was added.")
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise _too_large(size)  # refused before reading it
        data = path.read_bytes()
        if len(data) > MAX_ATTACHMENT_BYTES:  # it grew while we looked
            raise _too_large(len(data))
        filename = filename or path.name
        media_type = media_type or mimetypes.guess_type(path.name)[0]
    if referral_id is not None and store.get("referral", referral_id) is None:
        raise AttachmentError("That case is not on this laptop. Nothing was added.")
    if school_id is not None and store.get("school", school_id) is None:
        raise AttachmentError("That school is not on this laptop. Nothing was added.")
    values = {
        "sha256": sha256_hex(data),
        "size": len(data),
        "media_type": media_type or DEFAULT_MEDIA_TYPE,
        "filename": filename,
        "title": title or filename,
        "referral_id": referral_id,
        "school_id": school_id,
    }
    with store.transaction():
        put_blob(store, data, values["sha256"])
        return store.create("attachment", {k: v for k, v in values.items() if v is not None})


def _record(store: Store, attachment_id: str) -> dict:
    row = store.get("attachment", attachment_id)
    if row is None:
        raise AttachmentError("There is no such attachment on this laptop (it may have been deleted).")
    return row


def read_attachment(store: Store, attachment_id: str) -> bytes:
    """The attachment's bytes, checked against its SHA-256."""
    row = _record(store, attachment_id)
    data = blob_bytes(store, row["sha256"])
    if data is None:
        name = row["filename"] or row["title"] or "of this attachment"
        raise AttachmentNotHere(
            f"The file {name} has not reached this laptop yet; it will be fetched at the next sync."
        )
    if sha256_hex(data) != row["sha256"]:
        raise AttachmentDamaged(
            "The stored file does not match its SHA-256 (the store may be damaged); it was not opened."
        )
    return data


def attachments_for(store: Store, referral_id: str) -> list[dict]:
    """A case's attachments (not deleted), oldest first; ``held`` says whether the bytes
    are on this laptop."""
    rows = store.db.query(
        "SELECT a.*, (b.sha256 IS NOT NULL) AS held FROM attachment a "
        "LEFT JOIN blob b ON b.sha256 = a.sha256 "
        "WHERE a.referral_id = ? AND a.deleted = 0 ORDER BY a.modified_at, a.id",
        [referral_id],
    )
    return [dict(r, held=bool(r["held"])) for r in rows]


def _safe_name(name: str | None) -> str:
    """A file name from a record, with no folders in it (it came from another laptop)."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", Path(name or "").name).strip(" .")
    return name or "attachment"


def export_attachment(store: Store, attachment_id: str, dest_path: Path | str) -> Path:
    """Write the attachment's (checked) bytes to ``dest_path``; a folder gets the file under
    its recorded name. Written to a temporary file first, so a failure leaves no half file.
    Returns the path written."""
    data = read_attachment(store, attachment_id)
    dest = Path(dest_path)
    if dest.is_dir():
        dest = dest / _safe_name(_record(store, attachment_id)["filename"])
    partial = dest.with_name(dest.name + ".part")
    try:
        with partial.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    store.log("export_attachment", "attachment", attachment_id)
    return dest


def delete_attachment(store: Store, attachment_id: str) -> None:
    """An ordinary tombstone delete (it syncs); the bytes go at the next ``collect_garbage``."""
    store.delete("attachment", attachment_id)


def missing_blobs(store: Store) -> list[dict]:
    """``{"sha256", "size"}`` of every file that a live attachment record here names but
    whose bytes are not on this laptop (what the next sync downloads)."""
    return [
        dict(r)
        for r in store.db.query(
            "SELECT sha256, max(size) AS size FROM attachment WHERE deleted = 0 AND sha256 NOT IN "
            "(SELECT sha256 FROM blob) GROUP BY sha256 ORDER BY min(modified_at), sha256"
        )
    ]


def collect_garbage(store: Store) -> int:
    """Remove bytes no live attachment record names (deleted attachments, cases taken off
    this laptop), and partial downloads nothing needs any more. Bytes named by a change not
    yet sent (or waiting for attention or review) are kept: they may be the only copy.
    Returns how many files were removed."""
    with store.transaction():
        removed = store.conn.execute(f"DELETE FROM blob WHERE sha256 NOT IN ({_LIVE_SHAS})").rowcount
        store.conn.execute(
            f"DELETE FROM blob_part WHERE sha256 NOT IN ({_LIVE_SHAS}) OR sha256 IN (SELECT sha256 FROM blob)"
        )
        if removed:
            store.log("collect_garbage", detail=f"{removed} file(s)")
    return removed
