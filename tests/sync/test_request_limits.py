"""Request-level limits, the same on SQLite and PostgreSQL: NaN, Infinity, 1e400, NUL,
lone surrogates and over-long text in the JSON body of every endpoint give a 422 with a
reason (never a 500); bodies above the limit give a 413 with a reason."""

from __future__ import annotations

import uuid

import pytest
import requests

from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION
from sync.server.limits import MAX_JSON_BODY_BYTES, MAX_PUSH_BODY_BYTES
from tests.sync.conftest import mutation

# Raw JSON for each hostile value (Python's json would write NaN itself; these are exact).
HOSTILE = {
    "nan": "NaN",
    "infinity": "Infinity",
    "minus_infinity": "-Infinity",
    "huge": "1e400",
    "nul": '"a\\u0000b"',
    "lone_surrogate": '"a\\ud800b"',
    "nul_key": None,
}


def body(template: dict, field: str, raw: str | None) -> str:
    """``template`` as JSON with ``field``'s value replaced by the raw JSON ``raw`` (or, for
    None, a key holding a NUL added)."""
    import json

    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in template.items() if k != field]
    if raw is None:
        parts.append('"x\\u0000": 1')
        parts.append(f"{json.dumps(field)}: {json.dumps(template[field])}")
    else:
        parts.append(f"{json.dumps(field)}: {raw}")
    return "{" + ", ".join(parts) + "}"


def send(server, method: str, path: str, text: str, token: str | None = None):
    headers = {"Content-Type": "application/json", SCHEMA_HEADER: str(SCHEMA_VERSION)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.url + path, data=text.encode("utf-8"), headers=headers, timeout=60)


def endpoints(server):
    """(method, path, template body, fields to spoil, needs admin token) for every endpoint
    taking a JSON body other than push (which has its own test below)."""
    user = server.api.post(
        "/admin/users",
        server.admin_token,
        {"username": f"target-{uuid.uuid4().hex[:8]}", "password": "long-enough-1", "role": "practitioner"},
    ).json()["id"]
    return [
        ("POST", "/auth/login", {"username": "admin", "password": "x"}, ["username", "password"], False),
        ("POST", "/admin/teams", {"name": "Team North"}, ["name"], True),
        (
            "POST",
            "/admin/users",
            {
                "username": "new-user",
                "password": "long-enough-1",
                "role": "practitioner",
                "team": "North",
                "caseworker_id": "c1",
            },
            ["username", "password", "team", "caseworker_id"],
            True,
        ),
        (
            "PATCH",
            f"/admin/users/{user}",
            {"team": "North", "caseworker_id": "c1", "password": "long-enough-2"},
            ["team", "caseworker_id", "password"],
            True,
        ),
        ("POST", "/sync/digest", {"digest": "0" * 64, "algorithm": "set"}, ["digest"], True),
        ("POST", "/admin/packs", {"id": "x", "version": "1"}, ["id", "version"], True),
    ]


def test_hostile_values_in_every_json_body_are_422_with_a_reason(server):
    seen = 0
    for method, path, template, fields, admin in endpoints(server):
        for field in fields:
            for name, raw in HOSTILE.items():
                r = send(server, method, path, body(template, field, raw), server.admin_token if admin else None)
                assert r.status_code == 422, (path, field, name, r.status_code, r.text)
                assert r.json()["detail"], (path, field, name)
                seen += 1
    assert seen == 13 * len(HOSTILE)
    assert '"status": 500' not in server.log_path.read_text()


@pytest.mark.parametrize(
    "path, field, limit",
    [
        ("/admin/teams", "name", 100),
        ("/admin/users", "username", 200),
        ("/admin/users", "team", 100),
        ("/admin/users", "caseworker_id", 36),
        ("/auth/login", "username", 200),
    ],
)
def test_text_longer_than_its_column_is_422_on_both_databases(server, path, field, limit):
    template = {
        "/admin/teams": {"name": "T"},
        "/auth/login": {"username": "u", "password": "p"},
        "/admin/users": {
            "username": f"u-{uuid.uuid4().hex[:8]}",
            "password": "long-enough-1",
            "role": "team_lead",
            "team": "T",
        },
    }[path]
    import json

    r = send(server, "POST", path, json.dumps(dict(template, **{field: "é" * (limit + 8)})), server.admin_token)
    assert r.status_code == 422 and "at most" in r.text
    ok = send(server, "POST", path, json.dumps(dict(template, **{field: "é" * limit})), server.admin_token)
    assert ok.status_code in (200, 201, 401), ok.text  # 401: login with a wrong password


def test_a_108_character_team_name_is_refused_and_nothing_breaks(server):
    """Through the admin API it is a 422; the longest allowed name works on both
    databases, for the team and for a team lead in it."""
    long_name = "A team with a very long name " * 4
    assert len(long_name[:108]) == 108
    r = server.api.post("/admin/teams", server.admin_token, {"name": long_name[:108]})
    assert r.status_code == 422
    name = f"T{uuid.uuid4().hex}" + "x" * 67
    assert len(name) == 100
    assert server.api.post("/admin/teams", server.admin_token, {"name": name}).status_code == 201
    r = server.api.post(
        "/admin/users",
        server.admin_token,
        {"username": f"lead-{uuid.uuid4().hex[:8]}", "password": "long-enough-1", "role": "team_lead", "team": name},
    )
    assert r.status_code == 201, r.text


def test_push_identifiers_with_nul_or_lone_surrogates_are_rejected_per_change(server):
    """An identifier no database can hold is refused with that change alone (422 in its
    result, nothing stored), never the whole push and never a 500."""
    token = server.admin_token
    stored: list[str] = []
    for field in ("mutation_id", "device_id", "record_id", "entity"):
        for raw in ('"a\\u0000b"', '"a\\udc00"'):
            record_id = str(uuid.uuid4())
            m = mutation("school", record_id, "create", {"name": "X"})
            inner = body(m, field, raw)
            text = '{"schema_version": %d, "mutations": [%s]}' % (SCHEMA_VERSION, inner)
            r = send(server, "POST", "/sync/push", text, token)
            assert r.status_code == 200, (field, raw, r.status_code, r.text)
            (result,) = r.json()["results"]
            assert (result["status"], result["code"]) == ("rejected", 422), (field, result)
            assert result["error"]
            stored.append(record_id)
    ids = {r["id"] for r in server.api.pull_all(token, limit=5000)}
    assert not ids & set(stored)
    assert '"status": 500' not in server.log_path.read_text()


def test_nul_in_a_path_is_a_clear_refusal(server):
    r = requests.patch(
        server.url + "/admin/users/abc%00def",
        json={"active": True},
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    )
    assert r.status_code == 422


def test_bodies_above_the_limit_are_413_with_the_limit(server):
    token = server.admin_token
    big = '{"username": "' + "u" * MAX_JSON_BODY_BYTES + '", "password": "p"}'
    r = send(server, "POST", "/auth/login", big)
    assert r.status_code == 413 and "at most 64 kB" in r.json()["detail"]
    # Without a Content-Length (streamed in chunks) the limit holds too.
    r = requests.post(
        server.url + "/admin/teams",
        data=iter([b'{"name": "', b"x" * (MAX_JSON_BODY_BYTES + 10), b'"}']),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 413
    padding = "p" * (MAX_PUSH_BODY_BYTES + 1)
    r = send(
        server,
        "POST",
        "/sync/push",
        '{"schema_version": %d, "mutations": [], "x": "%s"}' % (SCHEMA_VERSION, padding),
        token,
    )
    assert r.status_code == 413 and "16 MB" in r.json()["detail"]


def test_the_largest_legitimate_push_fits(server):
    """A full batch of 500 creates, each with several kB of notes (far more than laptops send
    in one request), is well under the push limit and is accepted."""
    token = server.admin_token
    notes = "Observed in the playground and in class. " * 99  # about 4 kB (an address holds up to 4,096 characters)
    batch = [mutation("school", str(uuid.uuid4()), "create", {"name": f"S{i}", "address": notes}) for i in range(500)]
    r = server.api.push(token, batch)
    assert r.status_code == 200, r.text[:300]
    assert len(r.request.body) < MAX_PUSH_BODY_BYTES
    assert all(res["status"] == "applied" for res in r.json()["results"])


def test_a_value_too_long_for_the_servers_column_rejects_that_change_alone(server):
    """A caseworker record whose team is longer than the server's column (108 characters;
    PostgreSQL's is varchar(100)) is rejected with a reason on both databases, that change
    alone (not a 500, not the whole push): the batch's other change is applied. (A laptop
    refuses to write it in the first place: tests/sync/test_rules.py.)"""
    worker, school = str(uuid.uuid4()), str(uuid.uuid4())
    r = server.api.push(
        server.admin_token,
        [
            mutation("caseworker", worker, "create", {"name": "Sam Whitfield", "team": "T" * 108}),
            mutation("school", school, "create", {"name": "Fernside Academy"}),
        ],
    )
    assert r.status_code == 200, r.text[:300]
    first, second = r.json()["results"]
    assert (first["status"], first["code"]) == ("rejected", 422) and "team" in first["error"]
    assert second["status"] == "applied"
    ids = {rec["id"] for rec in server.api.pull_all(server.admin_token, limit=5000)}
    assert school in ids and worker not in ids
    assert '"status": 500' not in server.log_path.read_text()
