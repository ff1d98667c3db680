"""Completed uploads no record names ("unclaimed") are bounded: a per-user quota (413 with
the reason beyond it) and an expiry (removed after N days by ``prune``, which the server
runs at most hourly and ``fieldnote-server prune-uploads`` runs on demand). A file a record
names, even a deleted one, is never removed. Both databases, real server processes."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
import requests
import sqlalchemy as sa

from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION
from sync.server.db import make_engine
from tests.sync.conftest import ADMIN_PASSWORD, Api, ServerProcess, mutation, postgres_database

QUOTA_MB = 0.01  # 10,485 bytes: three files of 4,000 bytes do not fit


def _start_with_quota(database_url, tmp):
    server = ServerProcess(
        database_url, tmp / "server.log", env={"FIELDNOTE_SERVER_UNCLAIMED_UPLOAD_MB": str(QUOTA_MB)}
    )
    result = server.cli("adduser", "admin", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    server.start()
    server.api = Api(server.url)
    server.admin_token = server.api.token("admin", ADMIN_PASSWORD)
    return server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def quota_server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"quota-{request.param}")
    if request.param == "sqlite":
        server = _start_with_quota(f"sqlite:///{(tmp / 'server.db').as_posix()}", tmp)
        yield server
        server.stop()
        return
    conn, name = postgres_database("fieldnote_quota")
    server = _start_with_quota(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", tmp)
    yield server
    server.stop()
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _user(server) -> str:
    username = f"p-{uuid.uuid4().hex[:8]}"
    r = server.api.post(
        "/admin/users",
        server.admin_token,
        {"username": username, "password": "practitioner-pw-1", "role": "practitioner"},
    )
    assert r.status_code == 201, r.text
    return server.api.token(username, "practitioner-pw-1")


def _upload(server, token, data: bytes) -> requests.Response:
    sha = hashlib.sha256(data).hexdigest()
    return requests.put(
        f"{server.url}/attachments/{sha}",
        data=data,
        headers={SCHEMA_HEADER: str(SCHEMA_VERSION), "Authorization": f"Bearer {token}"},
        params={"size": len(data), "offset": 0},
        timeout=60,
    )


def _status(server, token, data: bytes) -> dict:
    sha = hashlib.sha256(data).hexdigest()
    return requests.get(
        f"{server.url}/attachments/{sha}/status", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ).json()


def _claim(server, token, data: bytes) -> str:
    """Push an attachment record (with only a school: the writer's own) naming the file."""
    school = str(uuid.uuid4())
    record = str(uuid.uuid4())
    results = server.api.push(
        token,
        [
            mutation("school", school, "create", {"name": "Fernside Academy"}),
            mutation(
                "attachment",
                record,
                "create",
                {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "title": "Logo", "school_id": school},
            ),
        ],
    ).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    return record


def _rows(server, sql: str, **params) -> list:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def test_unclaimed_uploads_are_limited_per_user_until_a_record_names_them(quota_server):
    token, other = _user(quota_server), _user(quota_server)
    files = [os.urandom(4000) for _ in range(3)]
    assert _upload(quota_server, token, files[0]).json()["complete"] is True
    assert _upload(quota_server, token, files[1]).json()["complete"] is True
    refused = _upload(quota_server, token, files[2])
    assert refused.status_code == 413
    assert "no record names yet" in refused.json()["detail"]
    assert _status(quota_server, token, files[2])["received"] == 0  # nothing kept
    # The quota is per user: someone else may upload.
    assert _upload(quota_server, other, files[2]).status_code == 200
    # Once a record names one of the files, it no longer counts.
    _claim(quota_server, token, files[0])
    assert _upload(quota_server, token, files[2]).json()["complete"] is True


def test_prune_removes_old_unclaimed_files_and_keeps_claimed_ones(quota_server):
    token = _user(quota_server)
    claimed, unclaimed = os.urandom(3000), os.urandom(3000)
    deleted_claim = os.urandom(3000)
    partial = os.urandom(3000)
    assert _upload(quota_server, token, claimed).json()["complete"] is True
    _claim(quota_server, token, claimed)
    assert _upload(quota_server, token, deleted_claim).json()["complete"] is True
    record = _claim(quota_server, token, deleted_claim)
    r = quota_server.api.push(token, [mutation("attachment", record, "delete", {}, base=1)])
    assert r.json()["results"][0]["status"] == "applied"
    assert _upload(quota_server, token, unclaimed).json()["complete"] is True
    sha = hashlib.sha256(partial).hexdigest()
    requests.put(
        f"{quota_server.url}/attachments/{sha}",
        data=partial[:1000],
        headers={"Authorization": f"Bearer {token}"},
        params={"size": len(partial), "offset": 0},
        timeout=60,
    ).raise_for_status()

    # Younger than the expiry: nothing goes.
    kept = quota_server.cli("prune-uploads")
    assert kept.returncode == 0 and "removed 0 unclaimed file(s)" in kept.stdout
    result = quota_server.cli("prune-uploads", "--days", "0")
    assert result.returncode == 0, result.stderr
    assert "unclaimed file(s)" in result.stdout
    assert _status(quota_server, token, unclaimed) == {
        "sha256": hashlib.sha256(unclaimed).hexdigest(),
        "size": None,
        "received": 0,
        "complete": False,
    }
    gone = hashlib.sha256(unclaimed).hexdigest()
    assert _rows(quota_server, "SELECT count(*) FROM blob WHERE sha256 = :s", s=gone)[0][0] == 0
    assert _rows(quota_server, "SELECT count(*) FROM blob_chunk WHERE sha256 = :s", s=gone)[0][0] == 0
    assert _status(quota_server, token, partial)["received"] == 0  # the idle partial upload
    for data in (claimed, deleted_claim):  # named by a record (a deleted one too): kept
        assert _status(quota_server, token, data)["complete"] is True
        held = hashlib.sha256(data).hexdigest()
        assert _rows(quota_server, "SELECT count(*) FROM blob WHERE sha256 = :s", s=held)[0][0] == 1
    # The bytes of a kept file can still be downloaded by the admin.
    r = requests.get(
        f"{quota_server.url}/attachments/{hashlib.sha256(claimed).hexdigest()}",
        headers={"Authorization": f"Bearer {quota_server.admin_token}"},
        timeout=60,
    )
    assert r.status_code == 200 and r.content == claimed
