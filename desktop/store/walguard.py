"""A stray ``-wal`` never touches the store: the write-ahead log is checked before any
read-write open.

SQLite applies a ``fieldnote.db-wal`` it finds beside the database to every read, and
copies its pages into the database at the next checkpoint (at the latest when the last
connection closes). Nothing in the log names the database it was written for: its header
holds a magic number, the page size, a checkpoint sequence number and two random salts,
and each frame repeats the salts and carries a running checksum, so SQLite can tell a
torn log from a whole one but not *whose* log it is. With SQLCipher the header and the
frame headers are plain; only the page images are encrypted, with the store key (and an
HMAC per page), so a log from a store with another key fails to decrypt — after it has
already been copied into the store by a checkpoint.

So before the store is opened read-write, a log that is present and not empty, and not in
use by another connection (this process's, or another process's: SQLite's lock on the
``-shm`` file says so), is judged:

1. its header must be a valid SQLite WAL header (magic, version 3007000, page size,
   header checksum) — random bytes or a truncated file are not;
2. if any frame would be applied (salts and checksum chain as SQLite checks them), the
   store must read through it: a *read-only* connection (which never checkpoints and never
   writes the database) reads the schema, ``application_id`` and a full
   ``PRAGMA integrity_check`` (indexes against tables too) with the log applied.

A log that fails is moved, with its ``-shm``, into ``quarantine/<date-time>/`` beside the
store, but only when the database file *without* the log (``immutable=1``, which ignores
the log) reads as a sound Fieldnote store: otherwise the problem is the database itself,
and nothing is moved (the opening checks then refuse the store with their own message).
A log that passes is the store's own (a crash left committed work in it) and is kept.

Known limit: an older ``fieldnote.db`` put back beside a newer log that happens to form a
structurally sound database (every b-tree and index consistent) cannot be told apart from
its own log by any check SQLite offers; the damage described in issue 9 (integrity_check
failing) is caught.
"""

from __future__ import annotations

import os
import shutil
import struct
import threading
from datetime import datetime
from pathlib import Path

import sqlcipher3

from desktop.store.errors import StoreError
from desktop.store.private import make_private_dir

WAL_MAGIC = (0x377F0682, 0x377F0683)  # little- / big-endian checksums
WAL_VERSION = 3007000
WAL_HEADER = 32
FRAME_HEADER = 24

# Stores this process has open (resolved path -> count): a second connection in the same
# process (the app's worker stores) meets a log the first one is writing, already judged.
_open_here: dict[str, int] = {}
_lock = threading.Lock()


def _key_of(path: Path) -> str:
    return os.path.normcase(str(Path(path).resolve()))


def register_open(path: Path) -> None:
    with _lock:
        k = _key_of(path)
        _open_here[k] = _open_here.get(k, 0) + 1


def register_closed(path: Path) -> None:
    with _lock:
        k = _key_of(path)
        n = _open_here.get(k, 0) - 1
        if n > 0:
            _open_here[k] = n
        else:
            _open_here.pop(k, None)


def open_here(path: Path) -> bool:
    with _lock:
        return _key_of(path) in _open_here


# SQLite's unix VFS: every connection holds a shared lock on this byte of the -shm file for
# as long as it has the database open (UNIX_SHM_DMS = 120 + 8 in os_unix.c).
_SHM_DMS_BYTE = 128


def in_use_elsewhere(path: Path) -> bool:
    """Whether another process has the store open (its connections hold SQLite's lock on
    the -shm file): its journal is live, judged when that process opened the store, and
    must not be touched. Only POSIX systems can tell; on Windows a file another process
    has open cannot be moved anyway (SQLite does not share it for deletion)."""
    if os.name != "posix" or not hasattr(os, "lockf"):
        return False
    shm = shm_path(path)
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False  # no connection anywhere has it open
    except OSError:
        return True  # cannot tell: leave it alone
    try:
        # An exclusive (write) lock on SQLite's byte, tried without waiting: it fails while
        # any other process holds its shared lock there. (lockf's F_TEST would test only
        # for exclusive locks.) The lock is released at once.
        os.lseek(fd, _SHM_DMS_BYTE, os.SEEK_SET)
        try:
            os.lockf(fd, os.F_TLOCK, 1)
        except OSError:
            return True
        os.lseek(fd, _SHM_DMS_BYTE, os.SEEK_SET)
        os.lockf(fd, os.F_ULOCK, 1)
        return False
    finally:
        os.close(fd)


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def shm_path(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def _checksum(data: bytes, big_endian: bool, s0: int = 0, s1: int = 0) -> tuple[int, int]:
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_header_problem(data: bytes) -> str | None:
    """Why these bytes are not a valid WAL header, or None."""
    if len(data) < WAL_HEADER:
        return "it is too short to be a journal"
    magic, version, page_size, _seq, _salt1, _salt2, c1, c2 = struct.unpack(">8I", data[:32])
    if magic not in WAL_MAGIC:
        return "it is not an SQLite journal"
    if version != WAL_VERSION:
        return "it is not an SQLite journal of a known version"
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return "its page size is not valid"
    if _checksum(data[:24], magic & 1) != (c1, c2):
        return "its header is damaged"
    return None


def committed_frames(data: bytes) -> int:
    """How many frames SQLite would apply from this log (up to its last commit), checking
    each frame's salts against the header and the running checksum as SQLite does."""
    if wal_header_problem(data):
        return 0
    magic, _v, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:32])
    big = bool(magic & 1)
    s0, s1 = c1, c2
    offset, frames, committed = WAL_HEADER, 0, 0
    size = FRAME_HEADER + page_size
    while offset + size <= len(data):
        pgno, commit, f_salt1, f_salt2, f_c1, f_c2 = struct.unpack(">6I", data[offset : offset + FRAME_HEADER])
        if pgno == 0 or (f_salt1, f_salt2) != (salt1, salt2):
            break
        s0, s1 = _checksum(data[offset : offset + 8], big, s0, s1)
        s0, s1 = _checksum(data[offset + FRAME_HEADER : offset + size], big, s0, s1)
        if (s0, s1) != (f_c1, f_c2):
            break
        frames += 1
        if commit:
            committed = frames
        offset += size
    return committed


def _probe(uri: str, key: bytes, application_id: int, full: bool) -> str | None:
    """Open ``uri`` read-only and check it reads as a Fieldnote store; why not, or None."""
    try:
        conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
    except sqlcipher3.Error as exc:  # pragma: no cover - the file vanished meanwhile
        return str(exc)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != application_id and (n_tables or version):
            return "it does not read as a Fieldnote store"
        if full:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                return "the store does not pass its integrity check with it"
        return None
    except sqlcipher3.Error:
        return "the store cannot be read with it"
    finally:
        conn.close()


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{Path(path).resolve().as_uri()}?{query}"


def check_wal(path: Path, key: bytes, application_id: int) -> str | None:
    """Judge the log beside the store at ``path``; move it aside if it is not the store's.
    return None

    Returns a message for the user when something was moved aside, else None. Raises
    ``StoreError`` (nothing changed) when a log that must go cannot be moved."""
    path = Path(path)
    wal = wal_path(path)
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0 or open_here(path) or in_use_elsewhere(path):
        return None
    with wal.open("rb") as fh:
        data = fh.read()
    reason = wal_header_problem(data)
    if reason is None:
        if committed_frames(data) == 0:
            return None  # SQLite applies nothing of it and starts the log afresh
        reason = _probe(_uri(path, mode="ro"), key, application_id, full=True)
        if reason is None:
            return None  # the store's own log: committed work a crash left there
    # The log is not the store's, or the store itself is damaged: only the first is moved.
    if _probe(_uri(path, immutable="1"), key, application_id, full=True) is not None:
        return None
    folder = quarantine(path, [wal, shm_path(path)])
    return (
        f"Fieldnote found a journal file ({wal.name}) beside its data that does not "
        f"belong to this store ({reason}). It was moved to {folder} and the store was "
        "opened without it; the store itself was not changed."
    )


def quarantine(path: Path, files: list[Path]) -> Path:
    """Move ``files`` into a new dated folder under ``quarantine/`` beside ``path``."""
    stamp = datetime.now().strftime("%Y-%m-%d_%H%M%S")
    base = path.parent / "quarantine"
    folder = base / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = base / f"{stamp}-{n}"
    make_private_dir(base)
    make_private_dir(folder)
    for f in files:
        if f.exists():
            try:
                shutil.move(str(f), str(folder / f.name))
            except OSError as exc:
                raise StoreError(
                    f"Fieldnote found a journal file ({f.name}) beside its data that does not "
                    f"belong to this store, and could not move it aside ({exc.strerror or exc}). "
                    "The store has not been opened or changed; close any other program using "
                    "the data folder and try again."
                ) from exc
    return folder
