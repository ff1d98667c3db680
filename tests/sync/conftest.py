"""A real server process per session (SQLite, and PostgreSQL when reachable), and laptops.

The server runs as ``python -m sync.server.cli serve`` (through tests/sync/quick_hash.py,
argon2 at a test's cost) on a free loopback port; the
fixtures wait for it by polling ``/health``, never by sleeping a fixed time.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest
import requests

from desktop.caseload import Caseload
from desktop.store import Store
from sync.client.engine import SyncEngine
from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))  # laptops in these tests share one raw store key (no KDF per store)
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "practitioner-pw-1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``fieldnote-server serve`` in a subprocess, restartable on the same port and database.
    ``quick_hash``: argon2 at a test's cost (tests/sync/quick_hash.py); False for the real one."""

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None, quick_hash: bool = True):
        self.module = "tests.sync.quick_hash" if quick_hash else "sync.server.cli"
        self.database_url = database_url
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", self.module, *args, "--database", self.database_url],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=self.env,
            timeout=120,
        )

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.module,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--database",
                self.database_url,
            ],
            stdout=log,
            stderr=log,
            cwd=ROOT,
            env=self.env,
        )
        log.close()
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)  # polling interval, not a synchronisation guess
        raise RuntimeError("server did not become healthy")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


class Api:
    """Raw HTTP calls, for tests that speak the protocol directly."""

    def __init__(self, url: str):
        self.url = url

    def login(self, username: str, password: str) -> requests.Response:
        return requests.post(self.url + "/auth/login", json={"username": username, "password": password}, timeout=30)

    def token(self, username: str, password: str) -> str:
        r = self.login(username, password)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def _h(self, token):
        return {"Authorization": f"Bearer {token}", SCHEMA_HEADER: str(SCHEMA_VERSION)}

    def post(self, path: str, token: str | None, body) -> requests.Response:
        return requests.post(self.url + path, json=body, headers=self._h(token), timeout=30)

    def get(self, path: str, token: str | None, **params) -> requests.Response:
        return requests.get(self.url + path, params=params, headers=self._h(token), timeout=30)

    def patch(self, path: str, token: str | None, body) -> requests.Response:
        return requests.patch(self.url + path, json=body, headers=self._h(token), timeout=30)

    def push(self, token: str, mutations: list[dict]) -> requests.Response:
        return self.post("/sync/push", token, {"schema_version": SCHEMA_VERSION, "mutations": mutations})

    def pull_all(self, token: str, cursor: int = 0, limit: int = 500) -> list[dict]:
        records = []
        while True:
            page = self.get("/sync/pull", token, cursor=cursor, limit=limit).json()
            records += page["records"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return records


def mutation(
    entity: str,
    record_id: str,
    op: str = "update",
    fields: dict | None = None,
    base: int = 0,
    device: str = "device-test",
    seq: int | None = None,
) -> dict:
    return {
        "mutation_id": str(uuid.uuid4()),
        "device_id": device,
        "entity": entity,
        "record_id": record_id,
        "op": op,
        "fields": fields or {},
        "base_version": base,
        "schema_version": SCHEMA_VERSION,
        "client_seq": seq,
    }


def _start(database_url: str, tmp: Path) -> ServerProcess:
    server = ServerProcess(database_url, tmp / "server.log")
    result = server.cli("adduser", "admin", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    server.start()
    server.api = Api(server.url)
    server.admin_token = server.api.token("admin", ADMIN_PASSWORD)
    return server


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server-sqlite")
    server = _start(f"sqlite:///{(tmp / 'server.db').as_posix()}", tmp)
    yield server
    server.stop()


def postgres_database(prefix: str = "fieldnote_test"):
    """A new, empty database on the local PostgreSQL (skips the test without one): (an
    admin connection to drop it with, its name)."""
    try:
        import psycopg

        conn = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    return conn, name


@pytest.fixture(scope="session")
def postgresql_server(tmp_path_factory):
    conn, name = postgres_database()
    tmp = tmp_path_factory.mktemp("server-postgres")
    server = _start(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", tmp)
    yield server
    server.stop()
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request):
    """The core protocol tests run against both databases."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def laptops(tmp_path):
    """Opens laptop stores (each its own file and device id); closes them afterwards."""
    opened: list[Store] = []

    def make(name: str = "laptop") -> Store:
        store = Store.open(tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.db", KEY, actor=name)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@dataclass
class Service:
    """One team on the server: caseworkers A and B, their accounts, a lead, and one case
    allocated to A. Every test gets its own (unique names), so tests share a server."""

    server: ServerProcess
    team: str
    office: Store
    ids: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def engine(self, store: Store, who: str, **kw) -> SyncEngine:
        return SyncEngine(store, self.server.url, self.tokens[who], **kw)

    def add_user(self, who: str, role: str, caseworker_id: str | None = None, team: str | None = None) -> None:
        username = f"{who}-{uuid.uuid4().hex[:8]}"
        r = self.server.api.post(
            "/admin/users",
            self.server.admin_token,
            {"username": username, "password": PASSWORD, "role": role, "team": team, "caseworker_id": caseworker_id},
        )
        assert r.status_code == 201, r.text
        self.ids[f"{who}_user"] = r.json()["id"]
        self.ids[f"{who}_username"] = username
        self.tokens[who] = self.server.api.token(username, PASSWORD)


def build_service(server: ServerProcess, laptops) -> Service:
    team = f"team-{uuid.uuid4().hex[:8]}"
    office = laptops("office")
    service = Service(server, team, office)
    service.tokens["admin"] = server.admin_token
    cl = Caseload(office, today=TODAY)
    school = cl.add_school(name="Hollowmere Primary School", urn="990001", phase="primary")
    a = cl.add_caseworker("Sam Whitfield", team=team)
    b = cl.add_caseworker("Priya Shah", team=team)
    pupil = cl.add_pupil(
        first_name="Ivy", last_name="Okafor", school_id=school, date_of_birth="2017-03-14", year_group=5
    )
    referral = cl.add_referral(
        pupil_id=pupil,
        school_id=school,
        reason="persistent_disruption",
        referral_date="2026-11-02",
        concern="Leaves the classroom.",
    )
    cl.allocate(referral, a)
    service.ids.update(school=school, cw_a=a, cw_b=b, pupil=pupil, referral=referral)
    service.engine(office, "admin").sync()
    assert office.pending_count() == 0
    service.add_user("a", "practitioner", caseworker_id=a)
    service.add_user("b", "practitioner", caseworker_id=b)
    service.add_user("lead", "team_lead", team=team)
    return service


@pytest.fixture
def service(server, laptops) -> Service:
    return build_service(server, laptops)


@pytest.fixture
def sqlite_service(sqlite_server, laptops) -> Service:
    return build_service(sqlite_server, laptops)


@contextlib.contextmanager
def fake_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A throwaway HTTP server on loopback answering with ``handler`` (a server gone wrong:
    garbage, proxies); yields its URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
