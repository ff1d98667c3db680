"""Administration: teams and user accounts (administrators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from sync.server import accounts
from sync.server.api.deps import AdminUser, ConnDep
from sync.server.db import write_transaction
from sync.server.schemas import TeamCreate, TeamPublic, UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/teams", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, admin: AdminUser, conn: ConnDep) -> dict:
    with write_transaction(conn):
        accounts.ensure_team(conn, body.name)
    return {"name": body.name}


@router.get("/users", response_model=list[UserPublic])
def list_users(admin: AdminUser, conn: ConnDep) -> list[dict]:
    with conn.begin():
        return accounts.list_users(conn)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, admin: AdminUser, conn: ConnDep) -> dict:
    try:
        with write_transaction(conn):
            user = accounts.create_user(conn, body.username, body.password, body.role, body.team, body.caseworker_id)
    except accounts.AccountError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return dict(user.__dict__, active=True)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(
    user_id: Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")],
    body: UserUpdate,
    admin: AdminUser,
    conn: ConnDep,
) -> dict:
    if user_id == admin.id and (body.active is False or body.role not in (None, "admin")):
        raise HTTPException(409, "You cannot switch off or demote your own account.")
    try:
        with write_transaction(conn):
            user = accounts.update_user(conn, user_id, body.model_dump(exclude_unset=True))
            active = next(u["active"] for u in accounts.list_users(conn) if u["id"] == user.id)
    except accounts.AccountError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return dict(user.__dict__, active=active)


@router.post("/users/{user_id}/unlock")
def unlock_user(user_id: str, admin: AdminUser, conn: ConnDep) -> dict:
    """Forget the account's failed sign-ins, so its owner can sign in from a new laptop
    at once (a laptop it signed in from before is never locked out by others' guesses)."""
    with write_transaction(conn):
        username = next((u["username"] for u in accounts.list_users(conn) if u["id"] == user_id), None)
        if username is None:
            raise HTTPException(404, "No such user.")
        forgotten = accounts.unlock(conn, username)
    return {"username": username, "forgotten": forgotten}
