"""The server process: health, OpenAPI, CLI, logs without personal data, several processes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from sync.protocol import ACCEPTED_SCHEMA_VERSIONS

from tests.sync.conftest import ROOT, ServerProcess, mutation


def test_health_and_openapi(sqlite_server):
    """/health answers ok with the accepted schema versions; /openapi.json lists the API."""
    health = requests.get(sqlite_server.url + "/health", timeout=10).json()
    assert health["status"] == "ok"
    assert health["schema_versions"] == list(ACCEPTED_SCHEMA_VERSIONS)
    paths = requests.get(sqlite_server.url + "/openapi.json", timeout=10).json()["paths"]
    assert {
        "/auth/login",
        "/auth/logout",
        "/sync/push",
        "/sync/pull",
        "/sync/digest",
        "/admin/users",
        "/admin/teams",
        "/health",
        "/attachments/{sha256}",
        "/attachments/{sha256}/status",
    } <= set(paths)


def test_server_command_has_help_for_every_subcommand():
    """``fieldnote-server`` and each of its commands explain themselves."""
    for args in ([], ["serve"], ["adduser"], ["migrate"]):
        result = subprocess.run(
            [sys.executable, "-m", "sync.server.cli", *args, "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0 and "usage: fieldnote-server" in result.stdout


def test_logs_are_json_and_carry_no_personal_data(sqlite_service, laptops):
    """Every log line is a JSON object; names and notes synced through the server never
    appear in its log (ids and counts only)."""
    service = sqlite_service
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    laptop.update("pupil", service.ids["pupil"], {"upn": "A123456789012"})
    laptop.create(
        "visit",
        {
            "referral_id": service.ids["referral"],
            "visit_date": "2026-11-20",
            "visit_type": "review",
            "notes": "Disclosed a worry at home.",
        },
    )
    service.engine(laptop, "a").sync()
    text = service.server.log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "push" for line in lines)
    for secret in ("Ivy", "Okafor", "A123456789012", "Disclosed", service.ids["a_username"], "Leaves the classroom"):
        assert secret not in text


def test_two_server_processes_share_one_database(postgresql_server, tmp_path):
    """The server keeps no state in memory: a second process over the same PostgreSQL
    database sees the first one's tokens and data."""
    second = ServerProcess(postgresql_server.database_url, tmp_path / "second.log")
    second.start()
    try:
        from tests.sync.conftest import Api

        token = postgresql_server.admin_token
        m = mutation("school", "5c7d5d1e-0000-4000-8000-00000000abcd", "create", {"name": "Shared School"})
        assert postgresql_server.api.push(token, [m]).json()["results"][0]["status"] == "applied"
        records = Api(second.url).pull_all(token)
        assert any(r["fields"].get("name") == "Shared School" for r in records)
        again = Api(second.url).push(token, [m]).json()["results"][0]
        assert again["status"] == "applied"  # a replay, answered by the other process
    finally:
        second.stop()


def _fuzz(server, cwd, *options: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            server.url + "/openapi.json",
            "-H",
            f"Authorization: Bearer {server.admin_token}",
            "-H",
            "X-Fieldnote-Schema: " + str(__import__("sync.protocol").protocol.SCHEMA_VERSION),
            "--exclude-path",
            "/auth/logout",
            "--checks",
            "not_a_server_error",
            "--seed",
            "1",
            *options,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert '"status": 500' not in server.log_path.read_text()


def test_fuzzing_the_api_finds_no_server_error(tmp_path):
    """Schemathesis generates requests from /openapi.json (signed in as an administrator):
    none gets a 500."""
    from tests.sync.conftest import _start

    server = _start(f"sqlite:///{(tmp_path / 'fuzz.db').as_posix()}", tmp_path)
    try:
        _fuzz(server, tmp_path, "--max-examples", "15")
    finally:
        server.stop()


@pytest.mark.slow
def test_fuzzing_the_postgresql_server_finds_no_server_error(tmp_path):
    """The same against a PostgreSQL-backed server, which refuses what SQLite stores (NUL,
    over-long text, non-finite numbers), with more examples per operation and a time
    budget: none gets a 500."""
    from tests.sync.conftest import _start, postgres_database

    conn, name = postgres_database("fieldnote_fuzz")
    server = _start(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", tmp_path)
    try:
        # No stateful phase: it follows links to PATCH the administrator's own account
        # (a new password revokes the fuzzer's token, and everything after is a 401).
        _fuzz(
            server,
            tmp_path,
            "--max-examples",
            "100",
            "--max-time",
            "60",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-allow-x00",
            "true",
        )
    finally:
        server.stop()
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
