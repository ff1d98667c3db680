"""Request and response bodies: separate Create/Update/Public models per resource."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.protocol import MAX_PUSH_BATCH

Id = Field(min_length=1, max_length=36)
Scalar = str | int | float | bool | None
BIG = 2**62


class HealthPublic(BaseModel):
    status: Literal["ok"]
    schema_versions: list[int]


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    # Given to a laptop at its first successful sign-in; exempts it from the account's
    # failure lock (docs/sync-protocol.md, "Signing in safely").
    device_token: str | None = Field(default=None, max_length=200)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: float
    device_token: str | None = None


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TeamPublic(BaseModel):
    name: str


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1000)
    role: Literal["practitioner", "team_lead", "admin"]
    team: str | None = Field(default=None, min_length=1, max_length=100)
    caseworker_id: str | None = Field(default=None, min_length=1, max_length=36)


class UserUpdate(BaseModel):
    role: Literal["practitioner", "team_lead", "admin"] | None = None
    team: str | None = Field(default=None, min_length=1, max_length=100)
    caseworker_id: str | None = Field(default=None, min_length=1, max_length=36)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1000)


class MePublic(BaseModel):
    """Who a token belongs to, what decides their scope, and when to refresh the token."""

    id: str
    username: str
    role: str
    team: str | None
    caseworker_id: str | None
    token_expires_at: float
    token_refresh_after: float


class UserPublic(BaseModel):
    id: str
    username: str
    role: str
    team: str | None
    caseworker_id: str | None
    active: bool = True


class MutationIn(BaseModel):
    """One outbox entry, as the laptop wrote it."""

    model_config = ConfigDict(extra="forbid")

    mutation_id: str = Id
    device_id: str = Id
    entity: str = Field(min_length=1, max_length=40)
    record_id: str = Id
    op: Literal["create", "update", "delete"]
    fields: dict[str, Scalar] = Field(default_factory=dict, max_length=200)
    base_version: int = Field(ge=0, le=2**31)
    schema_version: int = Field(ge=0, le=2**31)
    client_seq: int | None = Field(default=None, ge=0, le=BIG)


class PushIn(BaseModel):
    schema_version: int = Field(ge=0, le=2**31)
    mutations: list[MutationIn] = Field(max_length=MAX_PUSH_BATCH)


class ConflictPublic(BaseModel):
    id: str
    field: str
    kind: Literal["same_field", "edit_vs_delete", "delete_vs_edit", "edit_vs_final"]
    kept_value: Any = None
    other_value: Any = None


class RecordState(BaseModel):
    entity: str
    id: str
    version: int
    field_versions: dict[str, int]
    fields: dict[str, Any]
    deleted: bool
    seq: int


class MutationResult(BaseModel):
    mutation_id: str
    status: Literal["applied", "conflict", "rejected", "retry"]
    code: int
    error: str | None = None
    seq: int | None = None
    conflicts: list[ConflictPublic] = []
    record: RecordState | None = None


class PushPublic(BaseModel):
    results: list[MutationResult]
    cursor: int


class RecordRef(BaseModel):
    entity: str
    id: str


class PullPublic(BaseModel):
    records: list[RecordState]
    revoked: list[RecordRef]
    next_cursor: int
    has_more: bool


class DigestIn(BaseModel):
    digest: str = Field(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")
    # Laptops from before the "set" digest send no algorithm: theirs is "sorted".
    algorithm: Literal["set", "sorted"] = "sorted"


class DigestPublic(BaseModel):
    match: bool
    server_cursor: int
    count: int
    algorithm: Literal["set", "sorted"]
