"""Sign in (a bearer token with an expiry) and sign out (revokes it)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response

from sync.server import accounts
from sync.server.api.deps import BearerDep, ConnDep, CurrentUser, SettingsDep
from sync.server.db import write_transaction
from sync.server.schemas import LoginIn, MePublic, TokenPublic

router = APIRouter(prefix="/auth", tags=["auth"])
log = logging.getLogger("fieldnote.server")


@router.post(
    "/login",
    response_model=TokenPublic,
    responses={401: {"description": "Wrong username or password"}, 429: {"description": "Too many failed attempts"}},
)
def login(body: LoginIn, request: Request, conn: ConnDep, settings: SettingsDep) -> dict:
    address = request.client.host if request.client else None
    if not all(_storable(v) for v in (body.username, body.password, body.device_token or "")):
        # No account has such a name (PostgreSQL cannot even store it): a wrong sign-in,
        # answered without touching the database.
        raise HTTPException(401, "Wrong username or password.")
    try:
        issued = accounts.login(conn, settings, body.username, body.password, address, body.device_token)
    except accounts.AccountError as exc:
        log.info("login refused", extra={"event": "login", "outcome": "rate_limited"})
        raise HTTPException(exc.status, str(exc)) from None
    if issued is None:
        log.info("login failed", extra={"event": "login", "outcome": "failed"})
        raise HTTPException(401, "Wrong username or password.")
    log.info("login", extra={"event": "login", "outcome": "ok"})
    return {"access_token": issued.token, "expires_at": issued.expires_at, "device_token": issued.device_token}


def _storable(text: str) -> bool:
    """Text every database can hold: no NUL, no lone surrogate."""
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


@router.get("/me", response_model=MePublic, responses={401: {"description": "Not signed in"}})
def me(user: CurrentUser, conn: ConnDep, credentials: BearerDep) -> dict:
    """The signed-in user (a laptop notices a different user, or a changed scope) and the
    token's times: a laptop refreshes its token once half its life has passed."""
    with conn.begin():
        created, expires = accounts.token_times(conn, credentials.credentials)
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "team": user.team,
        "caseworker_id": user.caseworker_id,
        "token_expires_at": expires,
        "token_refresh_after": created + (expires - created) / 2,
    }


@router.post("/refresh", response_model=TokenPublic, responses={401: {"description": "Not signed in"}})
def refresh(user: CurrentUser, conn: ConnDep, credentials: BearerDep, settings: SettingsDep) -> dict:
    """A fresh token for a live one; the old one keeps working for five minutes but cannot
    be refreshed again (401)."""
    try:
        with write_transaction(conn):
            token, expires = accounts.refresh(conn, settings, credentials.credentials, user)
    except accounts.AccountError as exc:
        raise HTTPException(exc.status, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    log.info("token refreshed", extra={"event": "refresh", "user_id": user.id})
    return {"access_token": token, "expires_at": expires}


@router.post("/logout", status_code=204, response_class=Response)
def logout(user: CurrentUser, conn: ConnDep, credentials: BearerDep) -> Response:
    """Revokes the token and its refresh chain (the token it replaced, still in grace)."""
    with write_transaction(conn):
        accounts.revoke(conn, credentials.credentials)
    return Response(status_code=204)
