"""Casework is never cached on the way (issue 9, item 11): every answer of the server,
authenticated or not, success or error, carries ``Cache-Control: no-store`` (against a real
server process)."""

from __future__ import annotations

import requests

from tests.sync.conftest import mutation


def test_every_casework_answer_says_no_store(sqlite_service):
    server, token = sqlite_service.server, sqlite_service.tokens["a"]
    api = server.api
    answers = {
        "login": api.login(sqlite_service.ids["a_username"], "practitioner-pw-1"),
        "wrong login": api.login(sqlite_service.ids["a_username"], "wrong"),
        "me": api.get("/auth/me", token),
        "pull": api.get("/sync/pull", token, cursor=0),
        "digest": api.get("/sync/digest", token),
        "push": api.push(token, [mutation("school", sqlite_service.ids["school"], fields={"area": "North"}, base=1)]),
        "no token": api.get("/sync/pull", None, cursor=0),
        "bad token": api.get("/auth/me", "not-a-token"),
        "admin list": api.get("/admin/users", sqlite_service.tokens["admin"]),
        "admin refused": api.get("/admin/users", token),
        "attachment status": api.get("/attachments/" + "0" * 64 + "/status", token),
        "not found": api.get("/no/such/path", token),
        "invalid body": requests.post(
            server.url + "/sync/push", data=b"{", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ),
        "health": requests.get(server.url + "/health", timeout=30),
        "refresh": api.post("/auth/refresh", token, {}),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses["me"] == 200 and statuses["pull"] == 200 and statuses["no token"] == 401
    assert statuses["push"] == 200 and statuses["invalid body"] in (400, 422)
    missing = {
        name: r.headers.get("Cache-Control")
        for name, r in answers.items()
        if r.headers.get("Cache-Control") != "no-store"
    }
    assert missing == {}
