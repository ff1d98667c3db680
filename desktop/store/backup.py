"""Backing up the laptop's store and restoring it (issue 12, item 5). No Qt.

A backup is one file, a zip archive (stored, not compressed: the database is encrypted and
would not shrink) holding:

* ``fieldnote.db`` — a consistent copy of the store made with SQLite's online backup API
  (``Connection.backup``) from the open store into a new database encrypted with the same
  key. It is never a file copy of a live database: the copy is everything committed when the
  backup began, whatever another connection or process writes meanwhile.
* ``keyinfo.json`` — the store's key information (no secret: see ``desktop.store.keys``).
  A backup of a ``passphrase`` store is opened with the same passphrase; a backup of a
  ``keyring`` store can be opened only where the OS keyring holds that store's key (the same
  computer account).
* ``manifest.json`` — the archive's format, when it was made, the store's id and schema
  version, how many changes were unsent, and the database's size and SHA-256, so that a
  truncated or altered backup is refused before anything is written.

Restore (``restore_backup``) puts a backup into a data folder that has no store, or whose
store has no unsent changes (that store is kept aside in ``backups/``). Every check —
archive whole, checksum, key, database readable and intact, target safe to replace — is
made before the data folder is touched; a refusal changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from desktop.store.errors import StoreError
from desktop.store.private import make_private_dir, make_private_file

FORMAT = 1
DB_NAME = "fieldnote.db"
KEYINFO_NAME = "keyinfo.json"
MANIFEST_NAME = "manifest.json"
SUFFIX = ".fnbackup"


class BackupRefused(StoreError):
    """A backup could not be made or restored; the message says why. Nothing was changed."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _keyed(path: Path, key: bytes):
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=10.0)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


# -- making a backup ------------------------------------------------------------------------
def make_backup(store, keyinfo_path: Path, out: Path | str) -> dict:
    """Write a backup of the open ``store`` (with the key it was opened with) to ``out``;
    returns the manifest. The archive appears at ``out`` only once complete (written beside it, then
    renamed)."""
    out = Path(out)
    keyinfo_path = Path(keyinfo_path)
    if not keyinfo_path.exists():
        raise BackupRefused(
            "The store's key information (keyinfo.json) is missing, so a "
            "backup could not be made. Nothing has been written."
        )
    keyinfo_text = keyinfo_path.read_text(encoding="utf-8")
    store_id = json.loads(keyinfo_text).get("store_id")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fieldnote-backup-", dir=out.parent) as tmp:
        copy = Path(tmp) / DB_NAME
        target = _keyed(copy, store._key)
        try:
            # One step (pages=-1): the whole copy is read in one read transaction, so it is
            # the store as committed when the backup began. WAL readers block no writer.
            store.conn.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            ok = target.execute("PRAGMA integrity_check").fetchone()[0]
            pending, oldest = target.execute(
                "SELECT count(*), min(created_at) FROM outbox WHERE state = 'pending'"
            ).fetchone()
            version = target.execute("PRAGMA user_version").fetchone()[0]
        finally:
            target.close()
        if ok != "ok":
            raise BackupRefused(f"The copy of the store failed its integrity check ({ok}); no backup has been written.")
        manifest = {
            "format": FORMAT,
            "made_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "store_id": store_id,
            "schema_version": version,
            "pending_changes": pending,
            "oldest_pending": oldest,
            "db_size": copy.stat().st_size,
            "db_sha256": _sha256(copy),
        }
        partial = Path(tmp) / "archive.partial"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2))
            zf.writestr(KEYINFO_NAME, keyinfo_text)
            zf.write(copy, DB_NAME)
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        make_private_file(partial)
        os.replace(partial, out)
    store.log("backup", None, None, f"{manifest['db_size']} bytes, {pending} unsent changes")
    return manifest


def backup_home(home: Path | None, out: Path | str, passphrase: str | None = None) -> dict:
    """``fieldnote backup``: open the data folder's store and back it up."""
    from desktop import paths
    from desktop.store.db import Store, check_home, store_path
    from desktop.store.keys import KeyManager

    home = Path(home) if home else paths.data_dir()
    keys = KeyManager(home)
    check_home(home, keys)
    if not store_path(home).exists():
        raise BackupRefused(f"There is no store in {home} to back up.")
    key = keys.obtain(passphrase)
    store = Store.open(store_path(home), key)
    try:
        return make_backup(store, keys.info_path, out)
    finally:
        store.close()


# -- restoring ------------------------------------------------------------------------------
def _damaged(path: Path, what: str) -> BackupRefused:
    return BackupRefused(
        f"The backup {path} is incomplete or damaged ({what}). It cannot be restored; nothing has been changed."
    )


def read_backup(archive: Path, workdir: Path, passphrase: str | None = None) -> tuple[dict, bytes]:
    """Check the backup ``archive`` and unpack it into ``workdir`` (``fieldnote.db`` and
    ``keyinfo.json``, verified: whole, the key unlocks it, the database intact). Returns the
    manifest and the key. Raises ``BackupRefused`` (or the key's own ``StoreError``)."""
    from desktop.store.keys import KeyManager

    archive = Path(archive)
    if not archive.is_file():
        raise BackupRefused(f"There is no backup file at {archive}. Nothing has been changed.")
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            missing = {MANIFEST_NAME, KEYINFO_NAME, DB_NAME} - names
            if missing:
                raise _damaged(archive, f"it lacks {', '.join(sorted(missing))}")
            manifest = json.loads(zf.read(MANIFEST_NAME))
            (workdir / KEYINFO_NAME).write_bytes(zf.read(KEYINFO_NAME))
            with zf.open(DB_NAME) as src, (workdir / DB_NAME).open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except zipfile.BadZipFile as exc:
        raise _damaged(archive, "it is not a whole Fieldnote backup archive") from exc
    except (zipfile.LargeZipFile, EOFError, ValueError, KeyError) as exc:
        raise _damaged(archive, str(exc) or "it could not be read") from exc
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _damaged(archive, exc.strerror or str(exc)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(archive, "its manifest is not one this version knows")
    db = workdir / DB_NAME
    if db.stat().st_size != manifest.get("db_size") or _sha256(db) != manifest.get("db_sha256"):
        raise _damaged(archive, "the database in it does not match its checksum")
    keys = KeyManager(workdir)
    info = keys.info()  # KeyInfoDamaged with its own message if malformed
    if info.store_id != manifest.get("store_id"):
        raise _damaged(archive, "its key information belongs to another store")
    key = keys.obtain(passphrase)  # WrongPassphrase, KeyMissing, PassphraseRequired
    conn = _keyed(db, key)
    try:
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except Exception as exc:  # sqlcipher3.DatabaseError: not this key's database
            raise BackupRefused(
                f"The database in the backup {archive} was not made with the key its key "
                "information describes (a backup made with another key, or altered). It "
                "cannot be restored; nothing has been changed."
            ) from exc
    finally:
        conn.close()
    if ok != "ok":
        raise _damaged(archive, f"its database failed the integrity check: {ok}")
    return manifest, key


def restore_backup(archive: Path | str, home: Path | None = None, passphrase: str | None = None) -> dict:
    """``fieldnote restore``: put the backup ``archive`` into the data folder ``home``.

    Refused, with nothing changed: a damaged or truncated archive, a backup whose key is not
    the one its key information describes (or a wrong passphrase, or a keyring without its
    key), and a data folder whose store has unsent changes (or cannot be opened to check).
    A store without unsent changes that is replaced is kept in ``backups/``. Returns the
    manifest."""
    from desktop import paths
    from desktop.store import walguard
    from desktop.store.db import open_store, store_path

    home = Path(home) if home else paths.data_dir()
    make_private_dir(home)
    with tempfile.TemporaryDirectory(prefix="fieldnote-restore-", dir=home) as tmp:
        work = Path(tmp)
        manifest, _key = read_backup(Path(archive), work, passphrase)
        current = store_path(home)
        replaced = False
        if current.exists() or (home / KEYINFO_NAME).exists():
            if current.exists() and (walguard.open_here(current) or walguard.in_use_elsewhere(current)):
                raise BackupRefused(
                    f"The store in {home} is open in Fieldnote; close "
                    "Fieldnote, then restore. Nothing has been changed."
                )
            try:
                existing = open_store(home, passphrase)
            except StoreError as exc:
                raise BackupRefused(
                    f"The data folder {home} already holds a store, and it could not be opened "
                    f"to check for unsent changes ({exc}). Nothing has been changed; restore "
                    "into an empty data folder instead."
                ) from exc
            try:
                unsent = existing.pending_count()
                if unsent:
                    raise BackupRefused(
                        f"The store in {home} has {unsent} change(s) not yet sent to the "
                        "server; restoring would lose them. Nothing has been changed: sync "
                        "first, or restore into an empty data folder."
                    )
                existing.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                existing.close()
            replaced = True
        if replaced:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = make_private_dir(home / "backups" / f"replaced-by-restore-{stamp}")
            for name in (DB_NAME, KEYINFO_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
                if (home / name).exists():
                    os.replace(home / name, aside / name)
        # The database first, then its key information: until keyinfo.json is there, a
        # crash leaves a folder the app refuses (check_home) rather than a wrong key.
        os.replace(work / DB_NAME, current)
        make_private_file(current)
        os.replace(work / KEYINFO_NAME, home / KEYINFO_NAME)
        make_private_file(home / KEYINFO_NAME)
    store = open_store(home, passphrase)
    try:
        store.log("restore", None, None, f"from a backup made {manifest.get('made_at')}")
    finally:
        store.close()
    return manifest


# -- the unsent-changes reminder --------------------------------------------------------------
def unsent_reminder(store, days: int, now: datetime | None = None) -> str | None:
    """A reminder when a change has waited unsent for more than ``days`` days, else None."""
    row = store.conn.execute("SELECT count(*), min(created_at) FROM outbox WHERE state = 'pending'").fetchone()
    count, oldest = row
    if not count or not oldest:
        return None
    now = now or datetime.now(timezone.utc)
    made = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
    waited = now - made
    if waited <= timedelta(days=days):
        return None
    return (
        f"{count} change(s) have not reached the server; the oldest has waited "
        f"{waited.days} days. Connect and sync, or make a backup (File ▸ Back up…)."
    )
