"""Teams, users, sign-in (throttled by account, known device and address), and token checks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.server import security
from sync.server.db import (
    app_user,
    auth_token,
    known_device,
    login_attempt,
    team,
    write_transaction,
)
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
    return User(id=row.id, username=row.username, role=row.role, team=row.team, caseworker_id=row.caseworker_id)


def ensure_team(conn: Connection, name: str) -> None:
    if conn.execute(sa.select(team.c.name).where(team.c.name == name)).first() is None:
        conn.execute(team.insert().values(name=name, created_at=time.time()))


def create_user(
    conn: Connection,
    username: str,
    password: str,
    role: str,
    team_name: str | None = None,
    caseworker_id: str | None = None,
) -> User:
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
    conn.execute(
        app_user.insert().values(
            id=user_id,
            username=username,
            password_hash=security.hash_password(password),
            role=role,
            team=team_name,
            caseworker_id=caseworker_id,
            active=True,
            created_at=time.time(),
        )
    )
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
    return [
        dict(id=r.id, username=r.username, role=r.role, team=r.team, caseworker_id=r.caseworker_id, active=r.active)
        for r in rows
    ]


# The laptops per user that keep their exemption from the account lock (most recent first).
KNOWN_DEVICES_PER_USER = 20


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the bearer token, its expiry, and the laptop's known-device
    token (new on a first sign-in from that laptop, else the one it presented)."""

    token: str
    expires_at: float
    device_token: str


def _count(conn: Connection, *where) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(login_attempt).where(login_attempt.c.success.is_(False), *where)
    ).scalar_one()


def login(
    conn: Connection,
    settings: Settings,
    username: str,
    password: str,
    address: str | None = None,
    device_token: str | None = None,
) -> SignIn | None:
    """Check a password and issue a token, or None for a wrong password. Raises AccountError
    429 when too many sign-ins have failed lately for the account (or, for a laptop that
    presents a known-device token, for that device) or from the client's address.
    ``conn`` must not be in a transaction: this opens its own, short ones.

    The count is atomic on every database: the attempt is recorded (as failed until the
    password proves right) and committed *before* the failures are counted, so of N
    parallel guesses the k-th to commit counts at least k and at most the limit are ever
    checked. Refused attempts are then removed (they were never checked, and must not
    extend a lock). The password is checked outside any transaction (SQLite's write lock
    is not held through argon2), at most one check per core at a time
    (``security.HASH_SLOTS``).

    A laptop that signed in before presents its known-device token: it is exempt from the
    account's lock (a stranger's five wrong guesses do not lock the real user out of their
    own laptop) but has its own limit, and the address limit applies to everyone.
    """
    now = time.time()
    window = now - settings.login_window_minutes * 60
    device = None
    if device_token:
        with conn.begin():
            device = conn.execute(
                sa.select(known_device.c.token_hash)
                .join(app_user, app_user.c.id == known_device.c.user_id)
                .where(
                    known_device.c.token_hash == security.token_hash(device_token),
                    app_user.c.username == username,
                    known_device.c.last_used_at > now - settings.known_device_days * 86400,
                )
            ).scalar_one_or_none()
    with write_transaction(conn):
        attempt = conn.execute(
            login_attempt.insert().values(username=username, at=now, success=False, address=address, device=device)
        ).inserted_primary_key[0]
        # Old attempts are pruned as new ones arrive (one indexed delete).
        conn.execute(
            login_attempt.delete().where(login_attempt.c.at < now - max(86400, settings.login_window_minutes * 60))
        )
    with conn.begin():
        mine = (
            login_attempt.c.device == device
            if device is not None
            else sa.and_(login_attempt.c.username == username, login_attempt.c.device.is_(None))
        )
        over = _count(conn, mine, login_attempt.c.at > window) > settings.login_max_failures
        if not over and address is not None:
            over = (
                _count(conn, login_attempt.c.address == address, login_attempt.c.at > window)
                > settings.login_max_failures_per_address
            )
    if over:
        with write_transaction(conn):
            conn.execute(login_attempt.delete().where(login_attempt.c.id == attempt))
        raise AccountError(429, "Too many failed sign-ins for this account; try again later.")
    with conn.begin():
        row = conn.execute(sa.select(app_user).where(app_user.c.username == username)).first()
    ok = security.verify_password(row.password_hash if row else None, password)
    if not (ok and row is not None and row.active):
        return None
    with write_transaction(conn):
        conn.execute(login_attempt.update().where(login_attempt.c.id == attempt).values(success=True))
        token, expires = _issue(conn, settings, row.id, now)
        if device is not None:
            conn.execute(known_device.update().where(known_device.c.token_hash == device).values(last_used_at=now))
        else:
            device_token = security.new_token()
            conn.execute(
                known_device.insert().values(
                    token_hash=security.token_hash(device_token), user_id=row.id, created_at=now, last_used_at=now
                )
            )
            # Devices unused for long, and all but a user's most recent few (a script that
            # never keeps its device token must not grow the table), are forgotten.
            recent = (
                sa.select(known_device.c.token_hash)
                .where(known_device.c.user_id == row.id)
                .order_by(known_device.c.last_used_at.desc())
                .limit(KNOWN_DEVICES_PER_USER)
            )
            conn.execute(
                known_device.delete().where(
                    sa.or_(
                        known_device.c.last_used_at < now - settings.known_device_days * 86400,
                        sa.and_(known_device.c.user_id == row.id, known_device.c.token_hash.not_in(recent)),
                    )
                )
            )
    return SignIn(token, expires, device_token)


def unlock(conn: Connection, username: str) -> int:
    """Forget an account's failed sign-ins (an administrator's way out of a lock); returns
    how many were forgotten."""
    return conn.execute(
        login_attempt.delete().where(login_attempt.c.username == username, login_attempt.c.success.is_(False))
    ).rowcount


def _issue(conn: Connection, settings: Settings, user_id: str, now: float) -> tuple[str, float]:
    token = security.new_token()
    expires = now + settings.token_ttl_minutes * 60
    conn.execute(
        auth_token.insert().values(
            token_hash=security.token_hash(token), user_id=user_id, created_at=now, expires_at=expires
        )
    )
    return token, expires


# How long a token replaced by ``refresh`` keeps working: if the answer carrying the new
# token is lost, the laptop can still sign the retry with the old one.
REFRESH_GRACE_SECONDS = 5 * 60


def refresh(conn: Connection, settings: Settings, token: str, user: User) -> tuple[str, float]:
    """A new token for the holder of a live one (a laptop that syncs stays signed in); the
    old token stops working a few minutes later. A token already replaced (in its grace
    period) mints no more: AccountError 401. The claim is one conditional UPDATE, so two
    refreshes racing with the same token get one new token between them."""
    now = time.time()
    new = security.new_token()
    claimed = conn.execute(
        auth_token.update()
        .where(auth_token.c.token_hash == security.token_hash(token), auth_token.c.successor.is_(None))
        .values(successor=security.token_hash(new))
    ).rowcount
    if claimed != 1:
        raise AccountError(401, "This sign-in has already been renewed; use the new one or sign in again.")
    conn.execute(
        auth_token.update()
        .where(
            auth_token.c.token_hash == security.token_hash(token), auth_token.c.expires_at > now + REFRESH_GRACE_SECONDS
        )
        .values(expires_at=now + REFRESH_GRACE_SECONDS)
    )
    expires = now + settings.token_ttl_minutes * 60
    conn.execute(
        auth_token.insert().values(
            token_hash=security.token_hash(new), user_id=user.id, created_at=now, expires_at=expires
        )
    )
    return new, expires


def token_times(conn: Connection, token: str) -> tuple[float, float]:
    """(created_at, expires_at) of a token."""
    row = conn.execute(
        sa.select(auth_token.c.created_at, auth_token.c.expires_at).where(
            auth_token.c.token_hash == security.token_hash(token)
        )
    ).one()
    return row.created_at, row.expires_at


def user_for_token(conn: Connection, token: str) -> User | None:
    """The active user a live token belongs to, or None (unknown, expired or revoked)."""
    row = conn.execute(
        sa.select(app_user)
        .join(auth_token, auth_token.c.user_id == app_user.c.id)
        .where(
            auth_token.c.token_hash == security.token_hash(token),
            auth_token.c.expires_at > time.time(),
            auth_token.c.revoked_at.is_(None),
            app_user.c.active.is_(True),
        )
    ).first()
    return _user(row) if row else None


def revoke(conn: Connection, token: str) -> None:
    """Sign out: revoke the token and every token in its refresh chain (the one it replaced,
    still in its grace period, and any that replaced it)."""
    family = {security.token_hash(token)}
    frontier = set(family)
    while frontier:
        rows = conn.execute(
            sa.select(auth_token.c.token_hash, auth_token.c.successor).where(
                sa.or_(auth_token.c.token_hash.in_(frontier), auth_token.c.successor.in_(frontier))
            )
        ).all()
        found = {h for row in rows for h in row if h is not None}
        frontier = found - family
        family |= found
    conn.execute(
        auth_token.update()
        .where(auth_token.c.token_hash.in_(family), auth_token.c.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )


def revoke_all(conn: Connection, user_id: str) -> None:
    conn.execute(
        auth_token.update()
        .where(auth_token.c.user_id == user_id, auth_token.c.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )
    # A password changed (perhaps because it leaked) or an account closed: the laptops it
    # signed in from are strangers again.
    conn.execute(known_device.delete().where(known_device.c.user_id == user_id))
