"""The server's tables (SQLAlchemy Core), engine set-up and migrations (Alembic).

Records of every syncable type share one ``record`` table: the fields as JSON,
the sync metadata (version, per-field versions and writers, tombstone, the
server sequence number of the last change) and a few columns copied out of the
fields so that scope can be computed in SQL (``ref_id``, ``pupil_id``...).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from desktop.store.private import make_private_dir, make_private_file

metadata = sa.MetaData()

team = sa.Table(
    "team",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(200), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("team", sa.String(100), sa.ForeignKey("team.name"), nullable=True),
    sa.Column("caseworker_id", sa.String(36), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

auth_token = sa.Table(
    "auth_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
    # The hash of the token a refresh replaced this one with (migration 0005): a token
    # in its grace period mints no more tokens, and signing out revokes the whole chain.
    sa.Column("successor", sa.String(64), nullable=True),
    sa.Index("auth_token_successor", "successor"),
)

# Laptops that have signed in with the right password (migration 0005): a sign-in that
# presents one of these is exempt from its account's failure lock (not from the address's).
known_device = sa.Table(
    "known_device",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_used_at", sa.Float, nullable=False),
)

login_attempt = sa.Table(
    "login_attempt",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    # Client address and known-device token hash (migration 0005); see accounts.login.
    sa.Column("address", sa.String(64), nullable=True),
    sa.Column("device", sa.String(64), nullable=True),
    sa.Index("login_attempt_user_at", "username", "at"),
    sa.Index("login_attempt_address_at", "address", "at"),
    sa.Index("login_attempt_device_at", "device", "at"),
    sa.Index("login_attempt_at", "at"),
)

sync_counter = sa.Table(
    "sync_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

record = sa.Table(
    "record",
    metadata,
    sa.Column("entity", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("field_versions", sa.JSON, nullable=False),
    sa.Column("field_writers", sa.JSON, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("deleted_by", sa.JSON, nullable=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=True),
    sa.Column("ref_id", sa.String(36), nullable=True),
    sa.Column("pupil_id", sa.String(36), nullable=True),
    sa.Column("school_id", sa.String(36), nullable=True),
    sa.Column("caseworker_id", sa.String(36), nullable=True),
    sa.Column("team", sa.String(100), nullable=True),
    # The current version's ``sync.protocol.record_hash``, for the "set" digest.
    sa.Column("h1", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("h2", sa.BigInteger, nullable=False, server_default="0"),
    # ``sync.rules.unique_key`` of the fields the store keeps unique (one form answer per
    # completion and item, one observation event per observation and seq); null otherwise.
    # Kept on tombstones: laptops keep them under their UNIQUE index too.
    sa.Column("unique_key", sa.String(64), nullable=True),
    sa.Index("record_seq", "seq"),
    sa.Index("record_unique_key", "entity", "unique_key", unique=True),
    sa.Index("record_ref", "entity", "ref_id"),
    sa.Index("record_caseworker", "entity", "caseworker_id"),
    sa.Index("record_pupil", "entity", "pupil_id"),
    sa.Index("record_school", "entity", "school_id"),
    sa.Index("record_team", "entity", "team"),
)

mutation = sa.Table(
    "mutation",
    metadata,
    sa.Column("mutation_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("device_id", sa.String(36), nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Each laptop store's highest outbox number (client_seq) the server has stored a result
# for, and that entry's mutation id: a laptop compares them with its own outbox to find
# out that its store was put back from an older copy (see sync.server.devices).
device = sa.Table(
    "device",
    metadata,
    sa.Column("device_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("high_seq", sa.BigInteger, nullable=False),
    sa.Column("high_mutation_id", sa.String(36), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

conflict = sa.Table(
    "conflict",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.String(36), nullable=False),
    sa.Column("field", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("kept_value", sa.JSON, nullable=True),
    sa.Column("other_value", sa.JSON, nullable=True),
    sa.Column("mutation_id", sa.String(36), nullable=False),
    sa.Column("device_id", sa.String(36), nullable=False),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float, nullable=True),
    sa.Index("conflict_record", "entity", "record_id"),
)

reallocation = sa.Table(
    "reallocation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("referral_id", sa.String(36), nullable=False),
    sa.Column("old_caseworker_id", sa.String(36), nullable=True),
    sa.Column("new_caseworker_id", sa.String(36), nullable=True),
    sa.Index("reallocation_seq", "seq"),
)


def _private_sqlite_file(url: str) -> list[Path]:
    """Create the server's SQLite file owner-only (where the OS allows) before SQLite
    does, and its folder too; the files to keep owner-only (database, -wal, -shm)."""
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return []
    path = Path(database)
    if not path.exists():
        if not path.parent.exists():
            make_private_dir(path.parent)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # another server process made it meanwhile
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    for f in files:
        if f.exists():
            make_private_file(f)
    return files


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and real transactions."""
    if url.startswith("sqlite"):
        files = _private_sqlite_file(url)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
            # that savepoints work and a push can take the write lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA synchronous = FULL")
            cur.close()
            for f in files:  # the -wal and -shm appear with the first connection
                if f.exists():
                    make_private_file(f)

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            immediate = conn.info.pop("begin_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextlib.contextmanager
def write_transaction(conn: Connection) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock at once."""
    if conn.dialect.name == "sqlite":
        conn.info["begin_immediate"] = True
    with conn.begin():
        yield conn


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (safe to run from several processes)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two server processes starting together must not both create the tables.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4648272)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
