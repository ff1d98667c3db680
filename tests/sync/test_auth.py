"""Accounts: sign-in, expiry, revocation, rate limit, stored secrets, admin-only API."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from sync.server.security import token_hash
from tests.sync.conftest import PASSWORD


def _db_path(server) -> str:
    return server.database_url.removeprefix("sqlite:///")


@pytest.fixture
def user(sqlite_server):
    name = f"user-{uuid.uuid4().hex[:8]}"
    r = sqlite_server.api.post(
        "/admin/users", sqlite_server.admin_token, {"username": name, "password": PASSWORD, "role": "practitioner"}
    )
    assert r.status_code == 201
    return name


def test_login_gives_a_token_that_works_and_a_wrong_password_gets_401(sqlite_server, user):
    """A right password yields a bearer token accepted by the sync API; a wrong one is 401."""
    api = sqlite_server.api
    assert api.login(user, "not the password").status_code == 401
    token = api.token(user, PASSWORD)
    assert api.get("/sync/pull", token).status_code == 200
    assert api.get("/sync/pull", "made-up-token").status_code == 401
    assert api.get("/sync/pull", None).status_code == 401


def test_logout_revokes_the_token(sqlite_server, user):
    """After logout the same token is refused."""
    api = sqlite_server.api
    token = api.token(user, PASSWORD)
    assert api.post("/auth/logout", token, {}).status_code == 204
    assert api.get("/sync/pull", token).status_code == 401


def test_an_expired_token_is_refused(sqlite_server, user):
    """Tokens carry an expiry; one past it gets 401 (expiry set in the database directly)."""
    api = sqlite_server.api
    token = api.token(user, PASSWORD)
    with sqlite3.connect(_db_path(sqlite_server)) as db:
        db.execute("UPDATE auth_token SET expires_at = 0 WHERE token_hash = ?", (token_hash(token),))
    assert api.get("/sync/pull", token).status_code == 401


def test_tokens_and_passwords_are_stored_only_as_hashes(sqlite_server, user):
    """The database holds the token's SHA-256 and an argon2 hash, never either secret."""
    token = sqlite_server.api.token(user, PASSWORD)
    raw = open(_db_path(sqlite_server), "rb").read()
    wal = _db_path(sqlite_server) + "-wal"
    raw += open(wal, "rb").read() if __import__("os").path.exists(wal) else b""
    assert token.encode() not in raw and PASSWORD.encode() not in raw
    with sqlite3.connect(_db_path(sqlite_server)) as db:
        (stored,) = db.execute("SELECT password_hash FROM app_user WHERE username = ?", (user,)).fetchone()
        assert stored.startswith("$argon2")
        assert (
            db.execute("SELECT count(*) FROM auth_token WHERE token_hash = ?", (token_hash(token),)).fetchone()[0] == 1
        )


def test_five_failures_lock_that_username_for_a_while(sqlite_server, user):
    """After 5 wrong passwords in 15 minutes even the right one gets 429; other accounts
    are unaffected (the count is per username, in the database)."""
    api = sqlite_server.api
    for _ in range(5):
        assert api.login(user, "wrong-password").status_code == 401
    assert api.login(user, PASSWORD).status_code == 429
    assert api.login("admin", "admin-password-1").status_code == 200


def test_admin_api_is_for_admins_only(sqlite_server, user):
    """A practitioner's token cannot list or create users or teams."""
    api = sqlite_server.api
    token = api.token(user, PASSWORD)
    assert api.get("/admin/users", token).status_code == 403
    assert (
        api.post("/admin/users", token, {"username": "x" + user, "password": PASSWORD, "role": "admin"}).status_code
        == 403
    )
    assert api.post("/admin/teams", token, {"name": "t"}).status_code == 403
    assert api.post("/admin/teams", sqlite_server.admin_token, {"name": f"t-{user}"}).status_code == 201


def test_deactivating_a_user_revokes_their_tokens(sqlite_server, user):
    """An administrator switching an account off ends its sessions at once."""
    api = sqlite_server.api
    token = api.token(user, PASSWORD)
    users = api.get("/admin/users", sqlite_server.admin_token).json()
    user_id = next(u["id"] for u in users if u["username"] == user)
    r = api.patch(f"/admin/users/{user_id}", sqlite_server.admin_token, {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert api.get("/sync/pull", token).status_code == 401
    assert api.login(user, PASSWORD).status_code == 401


def test_adduser_command_creates_an_account_that_can_sign_in(sqlite_server):
    """``fieldnote-server adduser`` with --password-stdin makes a working account."""
    name = f"cli-{uuid.uuid4().hex[:8]}"
    result = sqlite_server.cli(
        "adduser", name, "--role", "team_lead", "--team", "North", "--password-stdin", stdin="a-long-password\n"
    )
    assert result.returncode == 0, result.stderr
    assert sqlite_server.api.login(name, "a-long-password").status_code == 200
    again = sqlite_server.cli("adduser", name, "--role", "admin", "--password-stdin", stdin="a-long-password\n")
    assert again.returncode == 1 and "taken" in again.stderr


def test_me_says_who_the_token_belongs_to_and_when_to_refresh_it(sqlite_server, user):
    api = sqlite_server.api
    token = api.token(user, PASSWORD)
    me = api.get("/auth/me", token).json()
    assert (me["username"], me["role"], me["caseworker_id"]) == (user, "practitioner", None)
    assert me["token_refresh_after"] < me["token_expires_at"]
    assert api.get("/auth/me", None).status_code == 401
    assert api.get("/auth/me", "made-up-token").status_code == 401


def test_a_refreshed_token_works_and_the_old_one_runs_out_soon(sqlite_server, user):
    """Refreshing issues a new token with a full life; the old one keeps working only for a
    short grace period (so a lost answer does not sign the laptop out)."""
    api = sqlite_server.api
    old = api.token(user, PASSWORD)
    answer = api.post("/auth/refresh", old, {}).json()
    new = answer["access_token"]
    assert new != old and api.get("/sync/pull", new).status_code == 200
    assert api.get("/sync/pull", old).status_code == 200  # the grace period
    with sqlite3.connect(_db_path(sqlite_server)) as db:
        old_expiry, new_expiry = (
            db.execute("SELECT expires_at FROM auth_token WHERE token_hash = ?", (token_hash(t),)).fetchone()[0]
            for t in (old, new)
        )
    assert new_expiry - old_expiry > 60 * 60  # the old one: minutes; the new: hours
    assert api.post("/auth/refresh", None, {}).status_code == 401
