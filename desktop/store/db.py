"""The encrypted local store: SQLCipher through sqlite-utils.

One ``Store`` wraps one connection. Every change to a syncable record goes
through ``create``/``update``/``delete``, which write the record, its outbox
entry and its audit entry in one transaction, so a kill at any moment leaves
either all three or none.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlcipher3
import sqlite_utils

from desktop.store import turns, walguard
from desktop.store.errors import (
    CorruptStore,
    NewerSchema,
    NotAFieldnoteStore,
    StoreError,
    ValidationError,
)
from desktop.store.private import make_private_dir, make_private_file
from desktop.store.schema import APPLICATION_ID, LATEST_VERSION, MIGRATIONS, SYNCABLE
from sync import rules

SYNC_FIELDS = frozenset({"id", "version", "field_versions", "modified_at", "deleted"})
AUTOCHECKPOINT_PAGES = 1000  # SQLite's default: a commit checkpoints a journal this long
SENT_KEPT_DAYS = 30  # how long an acknowledged outbox entry is kept (see Store.prune_sent)
_PLAIN_SQLITE_HEADER = b"SQLite format 3\x00"


# json.dumps(..., sort_keys=True) without building an encoder per call (a page has 1,000).
_sorted_json = json.JSONEncoder(sort_keys=True).encode


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid.uuid4())


def _connect(path: Path, key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=10.0)
    # A raw 256-bit key skips SQLCipher's own KDF: ours ran once in keys.py.
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def _refuse_unopenable(
    path: Path, key: bytes, *, read_only: bool = False, conn: sqlcipher3.Connection | None = None
) -> None:
    """Raise the store's refusal (damaged, wrong key, not Fieldnote's, newer) if any.
    ``read_only``: check on a read-only connection of its own (it never writes the file)."""
    own = None
    if conn is None:
        uri = f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path)
        try:
            own = conn = sqlcipher3.connect(uri, uri=read_only, isolation_level=None, timeout=10.0)
        except sqlcipher3.Error as exc:
            raise StoreError(f"The store {path} could not be opened ({exc}). It has not been changed.") from exc
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        try:
            n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlcipher3.DatabaseError as exc:
            raise CorruptStore(
                f"The store {path} could not be read: the file is damaged or was not made "
                "with this computer's key. It has not been changed; restore it from a backup "
                "or contact your service's IT lead."
            ) from exc
        if app_id != APPLICATION_ID and (n_tables or version):
            raise NotAFieldnoteStore(f"{path} is a database, but not a Fieldnote store. It has not been changed.")
        if version > LATEST_VERSION:
            raise NewerSchema(
                f"This store was written by a newer version of Fieldnote (schema {version}; "
                f"this version knows up to {LATEST_VERSION}). Update Fieldnote to open it. "
                "The store has not been changed."
            )
    finally:
        if own is not None:
            own.close()


def _check_file(path: Path) -> None:
    """Refuse files that are plainly not an encrypted Fieldnote store, before opening them."""
    size = path.stat().st_size
    if size == 0:
        raise CorruptStore(f"The store {path} is an empty file. It has not been changed.")
    with path.open("rb") as fh:
        header = fh.read(16)
    if header == _PLAIN_SQLITE_HEADER:
        raise NotAFieldnoteStore(
            f"{path} is an unencrypted SQLite database, not a Fieldnote store. It has not been changed."
        )


class Store:
    """An open, migrated, encrypted Fieldnote database."""

    def __init__(self, conn: sqlcipher3.Connection, path: Path, actor: str | None = None):
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self.actor = actor or getpass.getuser()
        # Whether ``actor`` names the person (given when opened, or set since): the app asks
        # for a name before the first edit rather than record the computer account's.
        self.actor_named = bool(actor)
        self._columns: dict[str, frozenset[str]] = {}
        self.notices: list[str] = []  # what opening did that the user must be told
        self._closed = False
        # The store worker's connection (desktop.ui.tasks): its writes give way to the
        # GUI thread's (desktop.store.turns).
        self.background = False
        self._in_turn = 0  # 1 while this (foreground) connection holds its turn
        self._turns = turns.for_path(path)
        self._autocheckpoint = True  # whether this connection checkpoints at its commits
        self._ensure_device_id()

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path | str,
        key: bytes,
        *,
        actor: str | None = None,
        migrate: bool = True,
        target_version: int | None = None,
    ) -> "Store":
        """Open (or create) the store at ``path`` with ``key``, migrating it forward.

        Raises a ``StoreError`` subclass with a clear message, never having
        written to the file, when it is damaged, not Fieldnote's, from a newer
        version, or the key is wrong. A stray journal (``-wal``) that is not the
        store's is first moved aside (``walguard``); what the user must be told of that is
        on the returned store's ``notices``. ``target_version`` is for tests that
        build databases at earlier schema versions.
        """
        path = Path(path)
        existed = path.exists()
        notices: list[str] = []
        if existed:
            _check_file(path)
            # A stray -wal is judged (and moved aside) before anything could checkpoint it,
            # and every refusal below is decided on a read-only connection, which never
            # writes the database: "it has not been changed" is then true.
            notice = walguard.check_wal(path, key, APPLICATION_ID)
            if notice:
                notices.append(notice)
            _refuse_unopenable(path, key, read_only=True)
        conn = _connect(path, key)
        try:
            _refuse_unopenable(path, key, conn=conn)
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a laptop can lose power in a classroom; a commit must survive it.
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            target = LATEST_VERSION if target_version is None else target_version
            if migrate and version < target:
                if version > 0:
                    _backup_before_migration(conn, path, version)
                _migrate(conn, version, target)
            for f in (path, walguard.wal_path(path), walguard.shm_path(path)):
                if f.exists():
                    make_private_file(f)
        except BaseException:
            conn.close()
            raise
        walguard.register_open(path)
        try:
            store = cls(conn, path, actor=actor)
        except BaseException:
            walguard.register_closed(path)
            conn.close()
            raise
        store.notices = notices
        store._key = key  # for an online backup into a new file with the same key (backup.py)
        return store

    def close(self) -> None:
        self.conn.close()
        if not self._closed:
            self._closed = True
            walguard.register_closed(self.path)

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -- transactions and metadata -------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        """A transaction (a savepoint when nested): all of it commits, or none.

        The outermost one begins IMMEDIATE: it takes the write lock first, waiting
        (``busy_timeout``) while another connection writes. A deferred one that read first
        could not take it once the other connection had committed (SQLite refuses such a
        transaction at once, without waiting): with the GUI thread and the store worker
        both writing (``desktop.ui.tasks``), a key press during a sync would then fail.
        A ``background`` store's transaction waits while a foreground one waits (``turns``)."""
        if self.conn.in_transaction:
            with self.db.atomic():  # a savepoint
                yield self
            return
        if not self.background and turns.checkpoints_owned(self._turns) == self._autocheckpoint:
            # A background job checkpoints now (or has stopped): leave it to it (or take
            # it back), so a key press's commit never copies a sync's journal.
            self._autocheckpoint = not self._autocheckpoint
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES if self._autocheckpoint else 0}")
        with turns.turn(self._turns, self.background):  # the GUI's writes go first
            self._in_turn = 1
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:  # a RAISE(ROLLBACK) trigger may have ended it
                        self.conn.execute("ROLLBACK")
                    raise
            finally:
                self._in_turn = 0

    def writers_waiting(self) -> bool:
        """Whether a foreground connection to this store in this process (the GUI thread's)
        is waiting to write or writing: a long background job commits and lets it."""
        return turns.foreground_count(self._turns) > (0 if self.background else self._in_turn)

    def writers_idle(self) -> float:
        """Seconds since a foreground connection to this store in this process last wrote
        (inf: never): a background job keeps its transactions short while the GUI is busy."""
        return turns.foreground_idle(self._turns)

    def give_way(self) -> None:
        """On a background connection's thread, between pieces of work that need Python's
        lock but no transaction (decoding, checking): wait while the GUI thread's
        connection waits to write or writes, so its key press runs with the interpreter
        to itself. At once on a foreground connection, or when no one waits."""
        if self.background:
            turns.wait_while_foreground(self._turns)

    @contextlib.contextmanager
    def owning_checkpoints(self) -> Iterator["Store"]:
        """For a long background job that writes much (a sync): while it lasts this
        connection does every checkpoint of the store (``checkpoint()``, between its
        transactions) and the other connections in this process none (``turns``); at the
        end it checkpoints what is left and they take over again."""
        before = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            with turns.owning_checkpoints(self._turns):
                try:
                    yield self
                finally:
                    with contextlib.suppress(sqlcipher3.Error):
                        self.checkpoint()
        finally:
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")

    def checkpoint(self) -> None:
        """Copy the journal into the database as far as it can without waiting for, or
        stopping, any other connection's reads or writes (PASSIVE)."""
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def flush_journal(self) -> None:
        """Put on disk now what this connection committed without waiting for the disk
        (``synchronous = NORMAL``, as a sync applies pages), outside its transactions.
        Otherwise the next commit that does wait (a key press, FULL) would write it all:
        fsync writes every unwritten page of the journal file, whoever wrote it. Only
        speed depends on it: where the file cannot be opened, nothing happens."""
        try:
            fd = os.open(walguard.wal_path(self.path), os.O_RDWR | getattr(os, "O_BINARY", 0))
        except OSError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)  # no lock of SQLite's is on the journal file: closing drops none

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def device_id(self) -> str:
        """This store's device id, read afresh (another connection to the same file, the
        sync worker's, gives the store a new one when it finds it was restored from an
        older copy: see ``sync.client.restore``)."""
        try:
            return self.meta("device_id") or ""
        except sqlcipher3.OperationalError:
            return ""  # a test database held at schema 0

    def _ensure_device_id(self) -> str:
        if "meta" not in self.db.table_names():
            return ""  # a test database held at schema 0
        device = self.meta("device_id")
        if device is None:
            device = new_id()
            self.set_meta("device_id", device)
        return device

    # -- syncable records --------------------------------------------------------------
    def columns(self, entity: str) -> frozenset[str]:
        """The columns a caller may set on ``entity`` (not the sync columns)."""
        if entity not in SYNCABLE:
            raise StoreError(f"Unknown record type {entity!r}.")
        if entity not in self._columns:
            self._columns[entity] = frozenset(self.db[entity].columns_dict) - SYNC_FIELDS
        return self._columns[entity]

    def _check_fields(self, entity: str, values: dict[str, Any]) -> None:
        unknown = set(values) - self.columns(entity)
        if unknown:
            raise StoreError(f"{entity} has no field(s) {', '.join(sorted(unknown))}.")
        # The limits the server enforces (sync.rules): nothing is queued that it would refuse.
        problems = rules.problems(entity, values)
        if problems:
            raise ValidationError(problems)

    def get(self, entity: str, record_id: str, *, include_deleted: bool = False) -> dict | None:
        self.columns(entity)
        cursor = self.conn.execute(f"SELECT * FROM [{entity}] WHERE id = ?", (record_id,))
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip((d[0] for d in cursor.description), values))
        return row if include_deleted or not row["deleted"] else None

    def create(self, entity: str, values: dict[str, Any], *, record_id: str | None = None) -> str:
        """Insert a new record; returns its id. Writes the outbox and audit trail too."""
        self._check_fields(entity, values)
        if record_id is not None and (problem := rules.id_problem(record_id)):
            raise ValidationError({"id": problem})
        record_id = record_id or new_id()
        now = utc_now()
        row = dict(
            values,
            id=record_id,
            version=1,
            modified_at=now,
            deleted=0,
            field_versions=json.dumps({k: 1 for k in values}, sort_keys=True),
        )
        with self.transaction():
            cols = ", ".join(f"[{c}]" for c in row)
            marks = ", ".join("?" for _ in row)
            self.conn.execute(f"INSERT INTO [{entity}] ({cols}) VALUES ({marks})", list(row.values()))
            self._outbox(entity, record_id, "create", values, 0, now)
            self.log("create", entity, record_id)
        return record_id

    def update(self, entity: str, record_id: str, changes: dict[str, Any]) -> dict:
        """Change fields of a record; only fields whose value differs are recorded.

        Returns the record as stored afterwards.
        """
        self._check_fields(entity, changes)
        with self.transaction():
            current = self.get(entity, record_id, include_deleted=True)
            if current is None:
                raise StoreError(f"There is no {entity} with id {record_id}.")
            if not self._change(entity, current, changes):
                return current
            return self.get(entity, record_id)

    def change(self, entity: str, current: dict, changes: dict[str, Any]) -> bool:
        """``update`` for a caller that has just read the record (``get`` with
        ``include_deleted``) in the transaction it holds: the same checks and writes, with
        neither the read before nor the one after. Whether anything differed (and was
        written)."""
        self._check_fields(entity, changes)
        with self.transaction():  # a savepoint in the caller's: all of it, or none
            return self._change(entity, current, changes)

    def _change(self, entity: str, current: dict, changes: dict[str, Any]) -> bool:
        if current["deleted"]:
            raise StoreError(f"This {entity} has been deleted and can no longer be edited.")
        changed = {k: v for k, v in changes.items() if current[k] != v}
        if not changed:
            return False
        now = self._write_version(entity, current, changed, deleted=False)
        self._outbox(entity, current["id"], "update", changed, current["version"], now)
        self.log("update", entity, current["id"], ", ".join(sorted(changed)))
        return True

    def _write_version(self, entity: str, current: dict, changed: dict[str, Any], *, deleted: bool) -> str:
        """Write the next local version of a record: ``changed`` fields (their field
        versions move to it) and the tombstone flag. Returns the modification time."""
        now = utc_now()
        version = current["version"] + 1
        field_versions = json.loads(current["field_versions"])
        field_versions.update({k: version for k in changed})
        sets = "".join(f"[{c}] = ?, " for c in changed)
        self.conn.execute(
            f"UPDATE [{entity}] SET {sets}deleted = ?, version = ?, field_versions = ?, modified_at = ? WHERE id = ?",
            [*changed.values(), int(deleted), version, json.dumps(field_versions, sort_keys=True), now, current["id"]],
        )
        return now

    def delete(self, entity: str, record_id: str) -> None:
        """Tombstone a record (it stays, flagged deleted, so the deletion can sync)."""
        with self.transaction():
            current = self.get(entity, record_id)
            if current is None:
                raise StoreError(f"There is no {entity} with id {record_id}.")
            now = self._write_version(entity, current, {}, deleted=True)
            self._outbox(entity, record_id, "delete", {}, current["version"], now)
            self.log("delete", entity, record_id)

    def restore(self, entity: str, record_id: str, changes: dict[str, Any] | None = None) -> dict:
        """Bring a deleted record back (undelete), with ``changes`` made as it returns.

        It syncs as a ``create`` of the same id carrying every field: ids are never reused,
        so the server reads a create that meets a tombstone as "restore this record"."""
        changes = dict(changes or {})
        self._check_fields(entity, changes)
        with self.transaction():
            current = self.get(entity, record_id, include_deleted=True)
            if current is None:
                raise StoreError(f"There is no {entity} with id {record_id} on this laptop.")
            if not current["deleted"]:
                raise StoreError(f"This {entity} is not deleted.")
            changed = {k: v for k, v in changes.items() if current[k] != v}
            now = self._write_version(entity, current, changed, deleted=False)
            values = {k: current[k] for k in self.columns(entity)} | changed
            self._outbox(entity, record_id, "create", values, current["version"], now)
            self.log("restore", entity, record_id, ", ".join(sorted(changed)))
            return self.get(entity, record_id)

    def _outbox(self, entity: str, record_id: str, op: str, fields: dict, base_version: int, now: str) -> None:
        self.conn.execute(
            "INSERT INTO outbox (mutation_id, device_id, entity, record_id, op, fields, "
            "base_version, schema_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                new_id(),
                self.device_id,
                entity,
                record_id,
                op,
                json.dumps(fields, sort_keys=True, default=str),
                base_version,
                LATEST_VERSION,
                now,
            ],
        )

    def pending_changes(self, after: int = 0, limit: int = -1) -> list[dict]:
        """Outbox entries not yet acknowledged by the server, oldest first: those numbered
        after ``after``, at most ``limit`` of them (-1: all)."""
        return list(
            self.db.query(
                "SELECT * FROM outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?", [after, limit]
            )
        )

    def pending_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]

    # -- what the sync engine writes (never an outbox entry) ---------------------------------
    def apply_remote_many(self, entity: str, items: list[dict], *, current: dict[str, dict] | None = None) -> set[str]:
        """Write many records of one type as the sync server holds them, with no outbox
        entry (a pulled page): one SELECT of the rows held, then one ``executemany`` per
        statement shape. Each item is ``{"id", "values", "version", "field_versions",
        "deleted"}``: ``values`` are the fields to set (the caller leaves out fields with
        unsent local edits; fields this schema does not know, from a newer server, are
        ignored). Item ids must be distinct. ``current`` (id -> row as ``get`` returns it, for the rows
        held) spares the SELECT when the caller has just read them. Returns the ids of the
        records that changed (re-applying the same data writes nothing)."""
        known = self.columns(entity)
        if current is None:
            current = self.rows_by_id(entity, [item["id"] for item in items])
        now = utc_now()
        inserts: dict[tuple, list[list]] = {}
        updates: dict[tuple, list[list]] = {}
        changed: set[str] = set()
        for item in items:
            record_id = item["id"]
            row = {k: v for k, v in item["values"].items() if k in known}
            row["version"] = item["version"]
            row["field_versions"] = _sorted_json(item["field_versions"])
            row["deleted"] = int(bool(item["deleted"]))
            held = current.get(record_id)
            if held is not None and all(held[k] == v for k, v in row.items()):
                continue
            row["modified_at"] = now
            changed.add(record_id)
            if held is None:
                row["id"] = record_id
                inserts.setdefault(tuple(row), []).append(list(row.values()))
            else:
                updates.setdefault(tuple(row), []).append([*row.values(), record_id])
        if not changed:
            return changed
        with self.transaction():
            for cols, rows in inserts.items():
                self.conn.executemany(
                    f"INSERT INTO [{entity}] ({', '.join(f'[{c}]' for c in cols)}) "
                    f"VALUES ({', '.join('?' for _ in cols)})",
                    rows,
                )
            for cols, rows in updates.items():
                sql = f"UPDATE [{entity}] SET {', '.join(f'[{c}] = ?' for c in cols)} WHERE id = ?"
                try:
                    with self.transaction():
                        self.conn.executemany(sql, rows)
                except sqlcipher3.IntegrityError:
                    # A finalised record's sync columns: row by row, past the triggers
                    # (see _server_write).
                    for params in rows:
                        self._server_write(entity, sql, params)
        return changed

    def rows_by_id(self, entity: str, ids: list[str]) -> dict[str, dict]:
        """The rows of ``entity`` with these ids (tombstones included), by id."""
        self.columns(entity)
        found: dict[str, dict] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor = self.conn.execute(f"SELECT * FROM [{entity}] WHERE id IN ({', '.join('?' for _ in chunk)})", chunk)
            names = [d[0] for d in cursor.description]
            for values in cursor:
                row = dict(zip(names, values))
                found[row["id"]] = row
        return found

    def _server_write(self, entity: str, sql: str, params: list) -> None:
        """Run a write that carries the server's state, past this store's evidence triggers.

        The triggers stop people here changing finalised evidence. The server enforces
        the same rule for every laptop, so what it sends (the sync versions of a final
        record, or removing a reallocated case from this laptop) is not such a change.
        The triggers are dropped and re-created inside the same transaction, so they
        are never missing from the committed schema.
        """
        try:
            self.conn.execute(sql, params)
            return
        except sqlcipher3.IntegrityError:
            triggers = self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [entity]
            ).fetchall()
            if not triggers:
                raise
        with self.transaction():
            for name, _sql in triggers:
                self.conn.execute(f"DROP TRIGGER [{name}]")
            self.conn.execute(sql, params)
            for _name, trigger_sql in triggers:
                self.conn.execute(trigger_sql)

    def purge_record(self, entity: str, record_id: str, reason: str) -> None:
        """Remove a record from this laptop entirely (the server keeps it): for a case
        reallocated to someone else. Audited; writes no outbox entry."""
        self.columns(entity)
        with self.transaction():
            self._server_write(entity, f"DELETE FROM [{entity}] WHERE id = ?", [record_id])
            self.conn.execute("DELETE FROM sync_record WHERE entity = ? AND record_id = ?", [entity, record_id])
            # The sync engine's remembered digest of sync_record (sync.client.local).
            self.conn.execute("DELETE FROM sync_state WHERE key = 'digest'")
            self.log("purge", entity, record_id, reason)

    def mark_sent(self, mutation_ids: list[str]) -> None:
        """The server has the outcome of these outbox entries: they are no longer pending."""
        self._set_outbox_state(mutation_ids, "sent", None)

    def prune_sent(self, older_than_days: int = SENT_KEPT_DAYS) -> int:
        """Forget outbox entries the server acknowledged more than ``older_than_days`` ago
        (by when they were made): they have done their job, and keeping every edit's values
        forever would keep pupils' details longer than needed. Pending, rejected and review
        entries are never pruned; the audit trail is separate. Returns how many went."""
        cutoff = (
            (datetime.now(timezone.utc) - timedelta(days=older_than_days))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        with self.transaction():
            return self.conn.execute("DELETE FROM outbox WHERE state = 'sent' AND created_at < ?", (cutoff,)).rowcount

    def mark_rejected(self, mutation_id: str, error: str) -> None:
        """The server refused this entry for good: keep it, visible, out of the queue."""
        self._set_outbox_state([mutation_id], "rejected", error)

    def note_attempt(self, mutation_id: str, error: str | None) -> None:
        """Count a failed try at sending an entry that stays pending."""
        with self.transaction():
            self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE mutation_id = ?", [error, mutation_id]
            )

    def _set_outbox_state(self, mutation_ids: list[str], state: str, error: str | None) -> None:
        with self.transaction():
            self.conn.executemany(
                "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ? WHERE mutation_id = ?",
                [(state, error, m) for m in mutation_ids],
            )

    # -- audit trail ----------------------------------------------------------------------
    def log(
        self, action: str, entity: str | None = None, record_id: str | None = None, detail: str | None = None
    ) -> None:
        """Append to the audit trail: who did what to which record, and when.

        ``detail`` names fields or files, never their personal content.
        """
        # A single INSERT is atomic by itself; inside a caller's transaction it joins it.
        self.conn.execute(
            "INSERT INTO audit_log (at, actor, action, entity, record_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [utc_now(), self.actor, action, entity, record_id, detail],
        )

    def audit_trail(self, entity: str | None = None, record_id: str | None = None) -> list[dict]:
        if entity is None:
            return list(self.db.query("SELECT * FROM audit_log ORDER BY seq"))
        return list(
            self.db.query(
                "SELECT * FROM audit_log WHERE entity = ? AND record_id = ? ORDER BY seq", [entity, record_id]
            )
        )

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def damaged_pages(self) -> list[str]:
        """Pages whose SQLCipher HMAC fails: damage anywhere in the file (about 0.2 s per
        50 MB here, so the app runs it in the background after start)."""
        return [row[0] for row in self.conn.execute("PRAGMA cipher_integrity_check")]

    def refuse_writes(self) -> None:
        """From now on this connection only reads (a write raises): the app's background
        readers, beside its one writer (``desktop.ui.tasks.StoreTasks``)."""
        self.conn.execute("PRAGMA query_only = ON")


def _migrate(conn: sqlcipher3.Connection, current: int, target: int) -> None:
    db = sqlite_utils.Database(conn)
    for version, _name, statements in MIGRATIONS:
        if current < version <= target:
            with db.atomic():
                for sql in statements:
                    conn.execute(sql)
                if version == 1:
                    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {version}")


def _backup_before_migration(conn: sqlcipher3.Connection, path: Path, version: int) -> Path:
    """Copy the (still encrypted) store aside before changing its schema."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backups = make_private_dir(path.parent / "backups")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backups / f"{path.stem}-schema{version}-{stamp}{path.suffix}"
    shutil.copy2(path, target)
    make_private_file(target)
    return target


def store_path(home: Path) -> Path:
    """The database file in a data folder."""
    return Path(home) / "fieldnote.db"


def check_home(home: Path, keys) -> None:
    """Refuse a data folder whose database has lost its key information (it could never be
    unlocked, and a new key must not be made over it)."""
    if store_path(home).exists() and keys.info() is None:
        raise NotAFieldnoteStore(
            f"{store_path(home)} exists but its key information (keyinfo.json) is missing, so "
            "it cannot be unlocked. It has not been changed."
        )


def open_store(
    home: Path | None = None, passphrase: str | None = None, actor: str | None = None, *, on_notice=None
) -> Store:
    """Obtain the key for the data folder ``home`` and open its store. ``on_notice`` is
    called with each thing opening did that the user must be told (headless commands
    print it); they are also on ``store.notices``."""
    from desktop import paths
    from desktop.store.keys import KeyManager

    home = Path(home) if home else paths.data_dir()
    keys = KeyManager(home)
    check_home(home, keys)
    store = Store.open(store_path(home), keys.obtain(passphrase), actor=actor)
    for notice in store.notices:
        if on_notice:
            on_notice(notice)
    return store


def print_notice(message: str) -> None:
    """How a headless command tells its user what opening the store did."""
    import sys

    print(f"fieldnote: {message}", file=sys.stderr)


@contextlib.contextmanager
def opened(home: Path | None = None, passphrase: str | None = None) -> Iterator[Store]:
    """The store, closed afterwards; a ``StoreError`` (with its clear message) if it cannot open.
    Headless commands catch that and print it."""
    store = open_store(home, passphrase, on_notice=print_notice)
    try:
        yield store
    finally:
        store.close()
