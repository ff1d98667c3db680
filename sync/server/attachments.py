"""Attachments on the server: content-addressed bytes, uploaded in chunks, resumably.

A laptop uploads a file's bytes under their SHA-256 before it pushes the ``attachment``
record naming them: the record is accepted only once the bytes are complete here (sync
rule 9; ``may_reference``, called from ``service._check``). The bytes are kept in the
database, in chunks, so server processes stay stateless.

Tables:

* ``blob_upload``: one row per (file, uploader): how many bytes that user has sent
  (``received``) of the ``size`` they declared, and whether their bytes were verified
  (``complete``). Uploads in progress are per user, so nobody can spoil someone else's
  upload of the same file by sending wrong bytes under its hash first.
* ``blob_chunk``: the bytes of each upload, one row per chunk as sent.
* ``blob``: files whose bytes were verified, once per content; ``created_by`` names the
  upload whose chunks hold them. A second verified upload of the same content proves the
  uploader holds it, and its chunks are dropped (stored once).

Who may do what:

* upload: any signed-in user (bytes are useless without a record in scope); sizes are
  capped. Completing an upload proves the user holds the file.
* name a file in an ``attachment`` record: a user who uploaded it (or may already
  download it), once it is complete. Knowing a hash is not enough to get a file.
* download: a user with a live ``attachment`` record in scope naming the file; admins any.
* status: progress of one's own upload; "complete" only for a file one holds or may
  download, so the status endpoint never reveals which files exist.

Completed uploads no record names yet ("unclaimed") are bounded: a user may hold at most
``Settings.unclaimed_upload_mb`` of them (starting another upload beyond that is 413, with
the reason), and an unclaimed file whose last upload finished more than
``Settings.unclaimed_upload_days`` ago is removed, as are unfinished uploads idle that
long (``prune``: at most once an hour per server process, at an upload, and by
``fieldnote-server prune-uploads``). A file any ``attachment`` record names, even a
deleted one (it can be restored), is claimed for good (``blob_upload.claimed_at``).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.rules import MAX_ATTACHMENT_BYTES, valid_sha256  # noqa: F401 - shared with laptops
from sync.server.accounts import User
from sync.server.db import metadata, record
from sync.server.scope import in_scope

# A chunk of an upload or of a download answer. Laptops send 1 MB; the server takes up to
# 8 MB in one request.
MAX_CHUNK_BYTES = 8 * 1024 * 1024
# Unfinished uploads kept per user: starting another drops that user's oldest, so files
# abandoned half way (deleted on the laptop before they were sent) cannot pile up.
MAX_UPLOADS_IN_PROGRESS = 10
_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")

blob_upload = sa.Table(
    "blob_upload",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("received", sa.BigInteger, nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    # When a record was first seen naming the file (migration 0005); NULL: not yet known.
    sa.Column("claimed_at", sa.Float, nullable=True),
    sa.Index("blob_upload_user", "user_id", "complete", "updated_at"),
)

blob_chunk = sa.Table(
    "blob_chunk",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("byte_offset", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("byte_count", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

blob = sa.Table(
    "blob",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


class BlobRefused(Exception):
    """An upload request refused (HTTP ``status``); raised after the transaction, so what
    the refusal discarded (bytes that did not match their hash) stays discarded."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# -- who may see what -------------------------------------------------------------------------
_NAMED: dict[tuple, sa.Select] = {}
_ADMIN_NAMED = (
    sa.select(record.c.id)
    .where(
        record.c.entity == "attachment",
        sa.not_(record.c.deleted),
        record.c.data["sha256"].as_string() == sa.bindparam("sha256"),
    )
    .limit(1)
)


def _named_in_scope(user: User) -> sa.Select:
    """A live attachment record in ``user``'s scope naming the file (built once per scope)."""
    if user.is_admin:
        return _ADMIN_NAMED
    key = (user.id, user.role, user.team, user.caseworker_id)
    stmt = _NAMED.get(key)
    if stmt is None:
        if len(_NAMED) > 256:
            _NAMED.clear()
        stmt = _NAMED[key] = (
            sa.select(record.c.id)
            .where(
                record.c.entity == "attachment",
                sa.not_(record.c.deleted),
                record.c.data["sha256"].as_string() == sa.bindparam("sha256"),
                in_scope(user),
            )
            .limit(1)
        )
    return stmt


_ANY_NAMED = (
    sa.select(record.c.id)
    .where(record.c.entity == "attachment", record.c.data["sha256"].as_string() == sa.bindparam("sha256"))
    .limit(1)
)


def claimed(conn: Connection, sha256: str, now: float) -> bool:
    """Whether any attachment record (a tombstone too) names the file; remembered on its
    uploads once true, so each file is looked up until it is claimed, then never again."""
    if conn.execute(_ANY_NAMED, {"sha256": sha256}).first() is None:
        return False
    conn.execute(
        blob_upload.update()
        .where(blob_upload.c.sha256 == sha256, blob_upload.c.claimed_at.is_(None))
        .values(claimed_at=now)
    )
    return True


def unclaimed_bytes(conn: Connection, user_id: str, now: float) -> int:
    """Bytes of ``user_id``'s completed uploads that no record names yet."""
    total = 0
    for sha256, size in conn.execute(
        sa.select(blob_upload.c.sha256, blob_upload.c.size).where(
            blob_upload.c.user_id == user_id, blob_upload.c.complete, blob_upload.c.claimed_at.is_(None)
        )
    ).all():
        if not claimed(conn, sha256, now):
            total += size
    return total


def prune(conn: Connection, now: float, days: float) -> dict:
    """Remove what has waited more than ``days``: unfinished uploads idle that long, and
    completed files no record names whose last upload finished that long ago (their bytes,
    their uploads and the file). Takes the push lock first, so no push can name a file
    while it goes. Returns counts."""
    from sync.server.db import sync_counter

    cutoff = now - days * 86400
    conn.execute(
        sync_counter.update().where(sync_counter.c.id == 1).values(value=sync_counter.c.value)
    )  # the lock every push takes first
    stale = conn.execute(
        sa.select(blob_upload.c.user_id, blob_upload.c.sha256).where(
            sa.not_(blob_upload.c.complete), blob_upload.c.updated_at < cutoff
        )
    ).all()
    for user_id, sha256 in stale:
        _drop_upload(conn, user_id, sha256)
    files = 0
    candidates = (
        conn.execute(
            sa.select(blob_upload.c.sha256)
            .where(blob_upload.c.complete, blob_upload.c.claimed_at.is_(None))
            .group_by(blob_upload.c.sha256)
            .having(sa.func.max(blob_upload.c.updated_at) < cutoff)
        )
        .scalars()
        .all()
    )
    for sha256 in candidates:
        if claimed(conn, sha256, now):
            continue
        holders = (
            conn.execute(sa.select(blob_upload.c.user_id).where(blob_upload.c.sha256 == sha256, blob_upload.c.complete))
            .scalars()
            .all()
        )
        for user_id in holders:
            _drop_upload(conn, user_id, sha256)
        conn.execute(blob.delete().where(blob.c.sha256 == sha256))
        files += 1
    return {"unfinished": len(stale), "files": files}


_last_prune = 0.0  # per process: when this process last pruned (see maybe_prune)
PRUNE_EVERY_SECONDS = 3600


def maybe_prune(conn: Connection, now: float, days: float) -> None:
    """``prune`` at most once an hour per server process (called at an upload)."""
    global _last_prune
    if now - _last_prune >= PRUNE_EVERY_SECONDS:
        _last_prune = now
        prune(conn, now, days)


def _blob(conn: Connection, sha256: str):
    return conn.execute(sa.select(blob).where(blob.c.sha256 == sha256)).first()


def _upload(conn: Connection, user: User, sha256: str):
    return conn.execute(
        sa.select(blob_upload).where(blob_upload.c.sha256 == sha256, blob_upload.c.user_id == user.id)
    ).first()


def may_download(conn: Connection, user: User, sha256: str) -> bool:
    """The file is complete and a live attachment record in scope names it (admins: any)."""
    if _blob(conn, sha256) is None:
        return False
    return user.is_admin or conn.execute(_named_in_scope(user), {"sha256": sha256}).first() is not None


def holds(conn: Connection, user: User, sha256: str) -> bool:
    """Whether the file is complete here and ``user`` has shown they have it: they
    uploaded it whole, or may download it already."""
    if _blob(conn, sha256) is None:
        return False
    if user.is_admin:
        return True
    mine = _upload(conn, user, sha256)
    return (mine is not None and mine.complete) or conn.execute(
        _named_in_scope(user), {"sha256": sha256}
    ).first() is not None


def may_reference(conn: Connection, user: User, sha256: str) -> bool:
    """May ``user``'s change name this file in an attachment record now? Only once its
    bytes are complete here and the user holds them (rule 9; ``service._check``)."""
    return holds(conn, user, sha256)


# -- upload -----------------------------------------------------------------------------------
def status(conn: Connection, user: User, sha256: str) -> dict:
    """``{sha256, size, received, complete}`` as far as ``user`` is concerned: complete if
    they hold the file, else the progress of their own upload (0 if none)."""
    if holds(conn, user, sha256):
        size = _blob(conn, sha256).size
        return {"sha256": sha256, "size": size, "received": size, "complete": True}
    mine = _upload(conn, user, sha256)
    if mine is None:
        return {"sha256": sha256, "size": None, "received": 0, "complete": False}
    return {"sha256": sha256, "size": mine.size, "received": mine.received, "complete": False}


def _drop_upload(conn: Connection, user_id: str, sha256: str) -> None:
    conn.execute(blob_chunk.delete().where(blob_chunk.c.sha256 == sha256, blob_chunk.c.user_id == user_id))
    conn.execute(blob_upload.delete().where(blob_upload.c.sha256 == sha256, blob_upload.c.user_id == user_id))


def _start(conn: Connection, user: User, sha256: str, size: int, now: float) -> None:
    unfinished = (
        conn.execute(
            sa.select(blob_upload.c.sha256)
            .where(blob_upload.c.user_id == user.id, sa.not_(blob_upload.c.complete))
            .order_by(blob_upload.c.updated_at.desc())
        )
        .scalars()
        .all()
    )
    for stale in unfinished[MAX_UPLOADS_IN_PROGRESS - 1 :]:
        _drop_upload(conn, user.id, stale)
    conn.execute(
        blob_upload.insert().values(
            sha256=sha256, user_id=user.id, size=size, received=0, complete=False, created_at=now, updated_at=now
        )
    )


def put_chunk(
    conn: Connection, user: User, sha256: str, size: int, offset: int, data: bytes, *, quota_bytes: int | None = None
) -> tuple[dict, BlobRefused | None]:
    """Store bytes ``offset``.. of ``user``'s upload of a file of ``size`` bytes, inside the
    caller's write transaction. Returns the status afterwards and, if the request is
    refused, the refusal for the caller to raise once the transaction is committed.

    A chunk starting beyond what was received is refused (409, with the status so the
    laptop resumes from ``received``); one overlapping it (a retry whose answer was lost)
    is trimmed to the new part. When the last byte arrives the whole is hashed: a mismatch
    discards the upload (422); a match makes the file complete."""
    if size > MAX_ATTACHMENT_BYTES:
        return {}, BlobRefused(413, f"Attachments can be at most {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB.")
    if holds(conn, user, sha256):
        return status(conn, user, sha256), None  # nothing more to send
    now = time.time()
    mine = _upload(conn, user, sha256)
    if mine is not None and (mine.size != size or mine.complete):
        # Another size declared for the same hash: only one can be right; start again.
        # (A complete upload of a file no longer here cannot happen; restart likewise.)
        _drop_upload(conn, user.id, sha256)
        mine = None
    received = mine.received if mine is not None else 0
    if offset > received:
        return status(conn, user, sha256), BlobRefused(409, f"This upload has {received} bytes; send from there.")
    if offset + len(data) > size:
        return status(conn, user, sha256), BlobRefused(422, "The chunk goes past the size declared for the file.")
    if mine is None and quota_bytes is not None:
        waiting = unclaimed_bytes(conn, user.id, now)
        if waiting + size > quota_bytes:
            return status(conn, user, sha256), BlobRefused(
                413,
                f"You have {_mb(waiting)} of uploaded files that no record names yet "
                f"(at most {_mb(quota_bytes)}). Sync the records of the files already "
                "sent first; this file is sent at a later sync.",
            )
    data = data[received - offset :]  # a resent chunk: keep only what is new
    if mine is None:
        _start(conn, user, sha256, size, now)
    if data:
        moved = conn.execute(
            blob_upload.update()
            .where(blob_upload.c.sha256 == sha256, blob_upload.c.user_id == user.id, blob_upload.c.received == received)
            .values(received=received + len(data), updated_at=now)
        )
        if moved.rowcount != 1:  # another request of this upload got there first
            raise BlobRefused(409, "This upload moved on meanwhile; ask its status.")
        conn.execute(
            blob_chunk.insert().values(
                sha256=sha256, user_id=user.id, byte_offset=received, byte_count=len(data), data=data
            )
        )
        received += len(data)
    if received < size:
        return status(conn, user, sha256), None
    return _finish(conn, user, sha256, size, now)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _finish(conn: Connection, user: User, sha256: str, size: int, now: float) -> tuple[dict, BlobRefused | None]:
    """Every byte is here: verify the whole against its hash."""
    digest = hashlib.sha256()
    for piece in _pieces(conn, sha256, user.id, 0, size):
        digest.update(piece)
    if digest.hexdigest() != sha256:
        _drop_upload(conn, user.id, sha256)
        return (
            {"sha256": sha256, "size": None, "received": 0, "complete": False},
            BlobRefused(
                422, "The bytes sent do not match their SHA-256, so none were kept. Send the file again from the start."
            ),
        )
    conn.execute(
        blob_upload.update()
        .where(blob_upload.c.sha256 == sha256, blob_upload.c.user_id == user.id)
        .values(received=size, complete=True, updated_at=now)
    )
    if _blob(conn, sha256) is None:
        conn.execute(blob.insert().values(sha256=sha256, size=size, created_by=user.id, created_at=now))
    else:
        # The same content is here already: this upload only proved the user holds it.
        conn.execute(blob_chunk.delete().where(blob_chunk.c.sha256 == sha256, blob_chunk.c.user_id == user.id))
    return {"sha256": sha256, "size": size, "received": size, "complete": True}, None


# -- download ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range a ``Range: bytes=A-B`` (or ``A-``, or ``-N``) header asks for; None
    for no header or one not understood (the whole file is then sent, as HTTP allows).
    Raises ``BlobRefused(416)`` for a range that starts beyond the end."""
    match = _RANGE.fullmatch((header or "").strip())
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:  # the last N bytes
        n = int(match[2])
        if n == 0:
            raise BlobRefused(416, "That range is empty.")
        return ByteRange(max(0, size - n), size - 1, size) if size else None
    start = int(match[1])
    if match[2] and int(match[2]) < start:
        return None
    if start >= size:
        raise BlobRefused(416, f"The file has {size} bytes.")
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    return ByteRange(start, end, size)


def _pieces(conn: Connection, sha256: str, user_id: str, start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``start``..``stop`` (exclusive) of an upload's chunks, one chunk at a time."""
    spans = conn.execute(
        sa.select(blob_chunk.c.byte_offset, blob_chunk.c.byte_count)
        .where(
            blob_chunk.c.sha256 == sha256,
            blob_chunk.c.user_id == user_id,
            blob_chunk.c.byte_offset < stop,
            blob_chunk.c.byte_offset + blob_chunk.c.byte_count > start,
        )
        .order_by(blob_chunk.c.byte_offset)
    ).all()
    for offset, count in spans:
        data = conn.execute(
            sa.select(blob_chunk.c.data).where(
                blob_chunk.c.sha256 == sha256, blob_chunk.c.user_id == user_id, blob_chunk.c.byte_offset == offset
            )
        ).scalar_one()
        yield bytes(data)[max(0, start - offset) : min(count, stop - offset)]


def stream(engine: Engine, sha256: str, holder: str, byte_range: ByteRange) -> Iterator[bytes]:
    """The bytes of a range of a complete file, read chunk by chunk on a connection of its
    own (the response is sent after the request's connection has gone back)."""
    with engine.connect() as conn:
        yield from _pieces(conn, sha256, holder, byte_range.start, byte_range.end + 1)


def file_info(conn: Connection, sha256: str):
    """The ``blob`` row of a complete file (size, whose chunks hold it), or None."""
    return _blob(conn, sha256)
