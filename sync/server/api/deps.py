"""Dependencies shared by the routers: the database connection and the signed-in user."""

from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Connection

from sync.protocol import ACCEPTED_SCHEMA_VERSIONS, SCHEMA_HEADER
from sync.server import accounts
from sync.server.accounts import User
from sync.server.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_conn(request: Request) -> Iterator[Connection]:
    """One connection per request; routes open their own transactions on it."""
    with request.app.state.engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[Connection, Depends(get_conn)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_current_user(request: Request, conn: ConnDep, credentials: BearerDep) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "Sign in first.", headers={"WWW-Authenticate": "Bearer"})
    with conn.begin():
        user = accounts.user_for_token(conn, credentials.credentials)
    if user is None:
        raise HTTPException(
            401, "Your sign-in has expired or was revoked; sign in again.", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise HTTPException(403, "Only an administrator can do that.")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


def check_schema(x_fieldnote_schema: Annotated[int | None, Header(alias=SCHEMA_HEADER)] = None) -> None:
    """Refuse clients whose store schema the server does not speak."""
    if x_fieldnote_schema is not None and x_fieldnote_schema not in ACCEPTED_SCHEMA_VERSIONS:
        raise HTTPException(426, schema_message(x_fieldnote_schema))


def schema_message(version: int) -> str:
    return (
        f"This laptop's Fieldnote uses data schema {version}; the server accepts "
        f"{ACCEPTED_SCHEMA_VERSIONS[0]} to {ACCEPTED_SCHEMA_VERSIONS[-1]}. Update Fieldnote "
        "(or ask your administrator to update the server)."
    )
