"""The server as a service's IT runs it (issue 12, item 6): two processes on one
PostgreSQL behind a (stand-in) load balancer, and ``fieldnote-server backup``."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading

import pytest

from desktop.store import Store
from sync.client.engine import SyncEngine
from tests.sync.conftest import (
    ADMIN_PASSWORD,
    KEY,
    ROOT,
    Api,
    ServerProcess,
    postgres_database,
)

CLIENTS = 10


def _held(store: Store) -> dict:
    """What a laptop holds: (entity, id) -> (version, the record's name-ish field)."""
    out = {}
    for entity, name in (("school", "name"), ("caseworker", "name"), ("pupil", "first_name")):
        for row in store.db.query(f"SELECT id, version, [{name}] AS n, deleted FROM [{entity}]"):
            out[(entity, row["id"])] = (row["version"], row["n"], row["deleted"])
    return out


def test_ten_clients_alternating_between_two_server_processes_converge(tmp_path):
    admin_conn, name = postgres_database("fieldnote_deploy")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    servers = [ServerProcess(url, tmp_path / f"server{i}.log") for i in range(2)]
    try:
        result = servers[0].cli("adduser", "admin", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
        assert result.returncode == 0, result.stderr
        for server in servers:
            server.start()
        token = Api(servers[0].url).token("admin", ADMIN_PASSWORD)  # valid on both
        errors: list[BaseException] = []
        barrier = threading.Barrier(CLIENTS)
        paths = [tmp_path / f"laptop{i}.db" for i in range(CLIENTS)]

        def client(i: int) -> None:
            try:
                store = Store.open(paths[i], KEY, actor=f"laptop{i}")
                try:

                    def sync(turn: int) -> None:  # the load balancer: alternate processes
                        SyncEngine(store, servers[(i + turn) % 2].url, token).sync()

                    school = store.create("school", {"name": f"School {i}", "urn": f"{990100 + i}"})
                    worker = store.create("caseworker", {"name": f"Worker {i}"})
                    barrier.wait()
                    sync(0)
                    sync(1)  # everyone's schools, through the other process
                    barrier.wait()
                    sync(0)
                    other = store.db.execute(
                        "SELECT id FROM school WHERE name = ?", [f"School {(i + 1) % CLIENTS}"]
                    ).fetchone()[0]
                    store.create("pupil", {"first_name": f"Pupil {i}", "last_name": "Deploy", "school_id": other})
                    store.update("caseworker", worker, {"area": f"Area {i}"})
                    store.update("school", school, {"address": f"{i} High Street"})
                    sync(1)
                    sync(0)
                finally:
                    store.close()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert not errors, errors
        # A last round, alternating again, so every laptop has pulled everyone's last edits.
        held = []
        for i, path in enumerate(paths):
            store = Store.open(path, KEY)
            try:
                SyncEngine(store, servers[i % 2].url, token).sync()
                assert store.pending_count() == 0
                held.append(_held(store))
            finally:
                store.close()
        records = Api(servers[1].url).pull_all(token)
        on_server = {
            (r["entity"], r["id"]): (
                r["version"],
                r["fields"].get("name") or r["fields"].get("first_name"),
                int(r["deleted"]),
            )
            for r in records
            if r["entity"] in ("school", "caseworker", "pupil")
        }
        # Nothing lost or duplicated: one of each record each laptop made, at its last version.
        names = sorted(v[1] for v in on_server.values())
        assert names == sorted(
            [f"School {i}" for i in range(CLIENTS)]
            + [f"Worker {i}" for i in range(CLIENTS)]
            + [f"Pupil {i}" for i in range(CLIENTS)]
        )
        assert all(v[0] == 2 for k, v in on_server.items() if k[0] in ("school", "caseworker"))
        for laptop in held:
            assert laptop == on_server
    finally:
        for server in servers:
            server.stop()
        admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_conn.close()


def _cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "sync.server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_backup_of_a_sqlite_server_is_a_consistent_copy(tmp_path):
    db = tmp_path / "server.db"
    url = f"sqlite:///{db.as_posix()}"
    assert (
        _cli(
            "adduser", "admin", "--role", "admin", "--password-stdin", "--database", url, stdin="admin-password-1\n"
        ).returncode
        == 0
    )
    # The server's own connection holds the database in WAL mode: a copy of the file alone
    # would miss what the journal holds; the backup API includes it.
    live = sqlite3.connect(db)
    live.execute("PRAGMA journal_mode = WAL")
    live.execute("PRAGMA wal_autocheckpoint = 0")
    live.execute("INSERT INTO team (name, created_at) VALUES ('North', 0)")
    live.commit()  # in the -wal only (no checkpoint while this connection holds it open)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM team").fetchone()[0] == 1
    out = tmp_path / "backups" / "server-backup.db"
    result = _cli("backup", "-o", str(out), "--database", url)
    assert result.returncode == 0, result.stderr
    assert "SQLite online backup" in result.stdout
    copy = sqlite3.connect(out)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT username FROM app_user").fetchall() == [("admin",)]
        assert copy.execute("SELECT name FROM team").fetchall() == [("North",)]
    finally:
        copy.close()
        live.close()
    assert not list(out.parent.glob("*.partial"))


def test_backup_of_a_missing_sqlite_database_is_refused(tmp_path):
    out = tmp_path / "b.db"
    result = _cli("backup", "-o", str(out), "--database", f"sqlite:///{(tmp_path / 'nope' / 'server.db').as_posix()}")
    assert result.returncode == 1
    assert "There is no SQLite database" in result.stderr
    assert not out.exists()


@pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None, reason="pg_dump is not installed"
)
def test_backup_of_a_postgresql_server_wraps_pg_dump(tmp_path):
    admin_conn, name = postgres_database("fieldnote_backup")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        assert (
            _cli(
                "adduser", "admin", "--role", "admin", "--password-stdin", "--database", url, stdin="admin-password-1\n"
            ).returncode
            == 0
        )
        out = tmp_path / "server.dump"
        result = _cli("backup", "-o", str(out), "--database", url)
        if result.returncode != 0 and "server version mismatch" in result.stderr:
            pytest.skip("pg_dump is older than the PostgreSQL server")
        assert result.returncode == 0, result.stderr
        listing = subprocess.run(["pg_restore", "--list", str(out)], capture_output=True, text=True, check=True).stdout
        assert "TABLE DATA public app_user" in listing
        assert "TABLE DATA public record" in listing
    finally:
        admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_conn.close()
