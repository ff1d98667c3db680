"""Teams, users, sign-in with a per-username rate limit, and token checks."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.server import security
from sync.server.db import app_user, auth_token, login_attempt, team
from sync.server.settings import Settings

ROLES = ("practitioner", "team_lead", "admin")


class AccountError(Exception):
    """A request about accounts that cannot be done; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class User:
    """Who is asking: what scope computation and authorisation need."""

    id: str
    username: str
    role: str
    team: str | None
    caseworker_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row) -> User:
    return User(id=row.id, username=row.username, role=row.role, team=row.team,
                caseworker_id=row.caseworker_id)


def ensure_team(conn: Connection, name: str) -> None:
    if conn.execute(sa.select(team.c.name).where(team.c.name == name)).first() is None:
        conn.execute(team.insert().values(name=name, created_at=time.time()))


def create_user(conn: Connection, username: str, password: str, role: str,
                team_name: str | None = None, caseworker_id: str | None = None) -> User:
    """Add an account (its team is created if new). Raises AccountError."""
    if role not in ROLES:
        raise AccountError(422, f"Role must be one of {', '.join(ROLES)}.")
    if len(password) < 8:
        raise AccountError(422, "The password must be at least 8 characters.")
    if role == "team_lead" and not team_name:
        raise AccountError(422, "A team lead needs a team.")
    if conn.execute(sa.select(app_user.c.id).where(app_user.c.username == username)).first():
        raise AccountError(409, "That username is taken.")
    if team_name:
        ensure_team(conn, team_name)
    user_id = str(uuid.uuid4())
    conn.execute(app_user.insert().values(
        id=user_id, username=username, password_hash=security.hash_password(password), role=role,
        team=team_name, caseworker_id=caseworker_id, active=True, created_at=time.time()))
    return User(user_id, username, role, team_name, caseworker_id)


def update_user(conn: Connection, user_id: str, changes: dict) -> User:
    row = conn.execute(sa.select(app_user).where(app_user.c.id == user_id)).first()
    if row is None:
        raise AccountError(404, "No such user.")
    values = {k: v for k, v in changes.items() if k in {"team", "caseworker_id"}}
    values.update({k: changes[k] for k in ("role", "active") if changes.get(k) is not None})
    if "role" in values and values["role"] not in ROLES:
        raise AccountError(422, f"Role must be one of {', '.join(ROLES)}.")
    if values.get("team"):
        ensure_team(conn, values["team"])
    if changes.get("password"):
        if len(changes["password"]) < 8:
            raise AccountError(422, "The password must be at least 8 characters.")
        values["password_hash"] = security.hash_password(changes["password"])
    if values:
        conn.execute(app_user.update().where(app_user.c.id == user_id).values(**values))
    if values.get("active") is False or "password_hash" in values:
        revoke_all(conn, user_id)
    return _user(conn.execute(sa.select(app_user).where(app_user.c.id == user_id)).first())


def list_users(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.select(app_user).order_by(app_user.c.username)).all()
    return [dict(id=r.id, username=r.username, role=r.role, team=r.team,
                 caseworker_id=r.caseworker_id, active=r.active) for r in rows]


def login(conn: Connection, settings: Settings, username: str,
          password: str) -> tuple[str, float] | None:
    """Check a password and issue a token: (token, expires_at), or None for a wrong password
    (returned, not raised, so that the caller commits the failed attempt). Raises
    AccountError 429 when the account has had too many failures lately.

    Failed attempts are counted per username in the database, so the limit holds across
    server processes; a successful sign-in does not clear earlier failures.
    """
    now = time.time()
    window_start = now - settings.login_window_minutes * 60
    failures = conn.execute(sa.select(sa.func.count()).select_from(login_attempt).where(
        login_attempt.c.username == username, login_attempt.c.at > window_start,
        login_attempt.c.success.is_(False))).scalar_one()
    if failures >= settings.login_max_failures:
        raise AccountError(429, "Too many failed sign-ins for this account; try again later.")
    row = conn.execute(sa.select(app_user).where(app_user.c.username == username)).first()
    ok = security.verify_password(row.password_hash if row else None, password)
    ok = ok and row is not None and row.active
    conn.execute(login_attempt.insert().values(username=username, at=now, success=ok))
    if not ok:
        return None
    return _issue(conn, settings, row.id, now)


def _issue(conn: Connection, settings: Settings, user_id: str, now: float) -> tuple[str, float]:
    token = security.new_token()
    expires = now + settings.token_ttl_minutes * 60
    conn.execute(auth_token.insert().values(
        token_hash=security.token_hash(token), user_id=user_id, created_at=now, expires_at=expires))
    return token, expires


# How long a token replaced by ``refresh`` keeps working: if the answer carrying the new
# token is lost, the laptop can still sign the retry with the old one.
REFRESH_GRACE_SECONDS = 5 * 60


def refresh(conn: Connection, settings: Settings, token: str, user: User) -> tuple[str, float]:
    """A new token for the holder of a live one (a laptop that syncs stays signed in); the
    old token stops working a few minutes later."""
    now = time.time()
    issued = _issue(conn, settings, user.id, now)
    conn.execute(auth_token.update().where(
        auth_token.c.token_hash == security.token_hash(token),
        auth_token.c.expires_at > now + REFRESH_GRACE_SECONDS)
        .values(expires_at=now + REFRESH_GRACE_SECONDS))
    return issued


def token_times(conn: Connection, token: str) -> tuple[float, float]:
    """(created_at, expires_at) of a token."""
    row = conn.execute(sa.select(auth_token.c.created_at, auth_token.c.expires_at).where(
        auth_token.c.token_hash == security.token_hash(token))).one()
    return row.created_at, row.expires_at


def user_for_token(conn: Connection, token: str) -> User | None:
    """The active user a live token belongs to, or None (unknown, expired or revoked)."""
    row = conn.execute(
        sa.select(app_user).join(auth_token, auth_token.c.user_id == app_user.c.id).where(
            auth_token.c.token_hash == security.token_hash(token),
            auth_token.c.expires_at > time.time(),
            auth_token.c.revoked_at.is_(None),
            app_user.c.active.is_(True))).first()
    return _user(row) if row else None


def revoke(conn: Connection, token: str) -> None:
    conn.execute(auth_token.update().where(
        auth_token.c.token_hash == security.token_hash(token),
        auth_token.c.revoked_at.is_(None)).values(revoked_at=time.time()))


def revoke_all(conn: Connection, user_id: str) -> None:
    conn.execute(auth_token.update().where(
        auth_token.c.user_id == user_id, auth_token.c.revoked_at.is_(None)).values(
        revoked_at=time.time()))
