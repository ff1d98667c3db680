"""Sign-in cannot be turned against users or the server (issue 9 item 8): the known-laptop
exemption from an account's lock, the admin's unlock, the atomic count under a parallel
burst (both databases), the per-address limit, refresh in grace and logout."""

from __future__ import annotations

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sync.client.auth import device_account, login as laptop_login
from tests.sync.conftest import ADMIN_PASSWORD, PASSWORD
from tests.sync.fresh import fresh_server


def _new_user(server) -> str:
    name = f"user-{uuid.uuid4().hex[:8]}"
    r = server.api.post(
        "/admin/users", server.admin_token, {"username": name, "password": PASSWORD, "role": "practitioner"}
    )
    assert r.status_code == 201, r.text
    return name


def _login(server, username: str, password: str, device: str | None = None):
    body = {"username": username, "password": password}
    if device:
        body["device_token"] = device
    return requests.post(server.url + "/auth/login", json=body, timeout=60)


def test_a_laptop_that_signed_in_before_is_not_locked_out_by_strangers(server):
    user = _new_user(server)
    first = _login(server, user, PASSWORD)
    assert first.status_code == 200
    device = first.json()["device_token"]
    for _ in range(5):
        assert _login(server, user, "a stranger's guess").status_code == 401
    # The account is locked to everyone else, the right password included...
    assert _login(server, user, PASSWORD).status_code == 429
    assert _login(server, user, PASSWORD, device="made-up").status_code == 429
    # ...but not to the laptop that signed in before.
    again = _login(server, user, PASSWORD, device=device)
    assert again.status_code == 200 and again.json()["device_token"] == device
    # A known laptop has its own limit: its wrong guesses are counted too.
    for _ in range(5):
        assert _login(server, user, "typo", device=device).status_code == 401
    assert _login(server, user, PASSWORD, device=device).status_code == 429


def test_a_changed_password_forgets_the_known_laptops(sqlite_server):
    """An admin resets a password (perhaps it leaked): devices signed in with the old one
    are strangers again, so they get no exemption from the lock."""
    server = sqlite_server
    user = _new_user(server)
    device = _login(server, user, PASSWORD).json()["device_token"]
    user_id = next(u["id"] for u in server.api.get("/admin/users", server.admin_token).json() if u["username"] == user)
    new_password = "a-new-password-2"
    assert (
        server.api.patch(f"/admin/users/{user_id}", server.admin_token, {"password": new_password}).status_code == 200
    )
    for _ in range(5):
        assert _login(server, user, "a stranger's guess").status_code == 401
    assert _login(server, user, new_password, device=device).status_code == 429


def test_an_admin_clears_a_lock_by_api_or_command_line(server):
    user = _new_user(server)
    for _ in range(5):
        assert _login(server, user, "wrong").status_code == 401
    assert _login(server, user, PASSWORD).status_code == 429
    users = server.api.get("/admin/users", server.admin_token).json()
    user_id = next(u["id"] for u in users if u["username"] == user)
    practitioner = server.api.token(_new_user(server), PASSWORD)
    assert server.api.post(f"/admin/users/{user_id}/unlock", practitioner, {}).status_code == 403
    r = server.api.post(f"/admin/users/{user_id}/unlock", server.admin_token, {})
    assert r.status_code == 200 and r.json() == {"username": user, "forgotten": 5}
    assert _login(server, user, PASSWORD).status_code == 200
    for _ in range(5):
        assert _login(server, user, "wrong").status_code == 401
    assert _login(server, user, PASSWORD).status_code == 429
    result = server.cli("unlock", user)
    assert result.returncode == 0 and "5 failed sign-in(s) forgotten" in result.stdout
    assert _login(server, user, PASSWORD).status_code == 200


def test_the_laptop_keeps_and_presents_its_known_device_token(sqlite_server, memory_keyring):
    user = _new_user(sqlite_server)
    laptop_login(sqlite_server.url, user, PASSWORD)
    device = memory_keyring.get_password("Fieldnote", device_account(sqlite_server.url, user))
    assert device
    for _ in range(5):
        assert _login(sqlite_server, user, "a stranger's guess").status_code == 401
    assert _login(sqlite_server, user, PASSWORD).status_code == 429
    token = laptop_login(sqlite_server.url, user, PASSWORD)  # sends the device token
    assert sqlite_server.api.get("/auth/me", token).status_code == 200


def test_a_token_in_its_grace_period_mints_no_more_and_logout_revokes_the_chain(server):
    api = server.api
    user = _new_user(server)
    t0 = api.token(user, PASSWORD)
    t1 = api.post("/auth/refresh", t0, {}).json()["access_token"]
    # t0 is in its grace period: it still signs requests, but cannot be refreshed again.
    assert api.get("/auth/me", t0).status_code == 200
    assert api.post("/auth/refresh", t0, {}).status_code == 401
    t2 = api.post("/auth/refresh", t1, {}).json()["access_token"]
    assert api.post("/auth/refresh", t1, {}).status_code == 401
    # Parallel refreshes of one live token: exactly one new token.
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: api.post("/auth/refresh", t2, {}).status_code, range(8)))
    assert sorted(codes) == [200] + [401] * 7
    # Logging out with the newest revokes every token of the chain still in grace.
    newest = api.post("/auth/refresh", t0, {})  # (refused: t0 was replaced)
    assert newest.status_code == 401
    t4 = api.token(user, PASSWORD)
    t5 = api.post("/auth/refresh", t4, {}).json()["access_token"]
    assert api.post("/auth/logout", t5, {}).status_code == 204
    for token in (t4, t5):
        assert api.get("/auth/me", token).status_code == 401
    # Logging out with a predecessor (in grace) revokes its successor too.
    assert api.post("/auth/logout", t1, {}).status_code == 204
    for token in (t0, t1, t2):
        assert api.get("/auth/me", token).status_code == 401


def _attempts(url: str, username: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute("SELECT count(*) FROM login_attempt WHERE username = ?", (username,)).fetchone()[0]
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        return db.execute("SELECT count(*) FROM login_attempt WHERE username = %s", (username,)).fetchone()[0]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_parallel_burst_gets_at_most_five_guesses_checked(tmp_path, kind):
    with fresh_server(tmp_path, kind, login_max_failures_per_address=40) as server:
        url = server.database_url
        user = _new_user(server)
        with ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(lambda i: _login(server, user, f"guess-{i}").status_code, range(30)))
        checked = codes.count(401)
        assert 1 <= checked <= 5 and codes.count(429) == 30 - checked, codes
        # Each checked guess is one recorded attempt (refused ones are never checked).
        assert _attempts(url, user) == checked
        # The address limit (40 here) holds across accounts: guesses at other usernames
        # from this address run out, and then even a right password is refused.
        codes = [_login(server, f"nobody-{i}", "guess").status_code for i in range(45)]
        assert codes.count(401) == 40 - checked and codes[-1] == 429
        assert _login(server, "admin", ADMIN_PASSWORD).status_code == 429


def test_a_username_no_database_can_store_is_refused_with_a_reason_not_a_server_error(server):
    """A NUL in the username or password is refused before any look-up (422, saying why),
    never a 500 (PostgreSQL cannot hold NUL in text)."""
    for username, password in (("ad\x00min", PASSWORD), ("admin", "pass\x00word")):
        r = _login(server, username, password)
        assert r.status_code == 422 and "NUL" in r.json()["detail"], (username, r.text)
