"""Request and response bodies: separate Create/Update/Public models per resource."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from typing_extensions import NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field, with_config

from sync import rules
from sync.protocol import MAX_PUSH_BATCH
from sync.server.limits import SafeStr

# Lengths match the columns the values are stored in (sync.server.db): the same limits on
# SQLite (which would store anything) and PostgreSQL (which would refuse, with a 500).
ID_LENGTH = 36  # app_user.id, record ids, mutation and device ids
USERNAME_LENGTH = 200  # app_user.username, login_attempt.username
TEAM_LENGTH = 100  # team.name, app_user.team, record.team
PASSWORD_LENGTH = 1000  # hashed, never stored as sent
Id = Field(min_length=1, max_length=ID_LENGTH)
Scalar = str | int | float | bool | None
BIG = 2**62


class HealthPublic(BaseModel):
    status: Literal["ok"]
    schema_versions: list[int]


class LoginIn(BaseModel):
    username: SafeStr = Field(min_length=1, max_length=USERNAME_LENGTH)
    password: SafeStr = Field(min_length=1, max_length=PASSWORD_LENGTH)
    # Given to a laptop at its first successful sign-in; exempts it from the account's
    # failure lock (docs/sync-protocol.md, "Signing in safely").
    device_token: SafeStr | None = Field(default=None, max_length=200)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: float
    device_token: str | None = None


class TeamCreate(BaseModel):
    name: SafeStr = Field(min_length=1, max_length=TEAM_LENGTH)


class TeamPublic(BaseModel):
    name: str


class UserCreate(BaseModel):
    username: SafeStr = Field(min_length=1, max_length=USERNAME_LENGTH)
    password: SafeStr = Field(min_length=8, max_length=PASSWORD_LENGTH)
    role: Literal["practitioner", "team_lead", "admin"]
    team: SafeStr | None = Field(default=None, min_length=1, max_length=TEAM_LENGTH)
    caseworker_id: SafeStr | None = Field(default=None, min_length=1, max_length=ID_LENGTH)


class UserUpdate(BaseModel):
    role: Literal["practitioner", "team_lead", "admin"] | None = None
    team: SafeStr | None = Field(default=None, min_length=1, max_length=TEAM_LENGTH)
    caseworker_id: SafeStr | None = Field(default=None, min_length=1, max_length=ID_LENGTH)
    active: bool | None = None
    password: SafeStr | None = Field(default=None, min_length=8, max_length=PASSWORD_LENGTH)


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


# A mutation's ids and record type are checked per mutation by the push itself
# (service._ids_problem: at most 36 characters, no NUL, valid Unicode), so one unfit
# mutation is rejected (422) on its own and never fails the request; the limits are
# documented here but not enforced by the parser.
MutationId = Field(json_schema_extra={"minLength": 1, "maxLength": 36})


@with_config(ConfigDict(extra="forbid"))
class MutationIn(TypedDict):
    """One outbox entry, as the laptop wrote it. A typed dict, not a model: a push is
    validated straight into the dicts ``service.push`` takes (building and dumping 2,000
    models a batch cost as much as validating them). Absent ``fields`` and ``client_seq``
    mean ``{}`` and null (``mutation_defaults``)."""

    mutation_id: Annotated[str, MutationId]
    device_id: Annotated[str, MutationId]
    entity: Annotated[str, Field(json_schema_extra={"minLength": 1, "maxLength": 40})]
    record_id: Annotated[str, MutationId]
    op: Literal["create", "update", "delete"]
    fields: NotRequired[Annotated[dict[str, Scalar], Field(max_length=200)]]
    base_version: Annotated[int, Field(ge=0, le=2**31)]
    schema_version: Annotated[int, Field(ge=0, le=2**31)]
    client_seq: NotRequired[Annotated[int | None, Field(ge=0, le=BIG)]]


def mutation_defaults(m: MutationIn) -> dict:
    """``m`` with the values of the keys it may leave out (what the payload hash covers)."""
    m.setdefault("fields", {})
    m.setdefault("client_seq", None)
    return m


class DeviceAcked(BaseModel):
    """The highest of its own outbox numbers a laptop knows the server stored."""

    model_config = ConfigDict(extra="forbid")

    device_id: str = Id
    seq: int = Field(ge=0, le=BIG)


class PushIn(BaseModel):
    schema_version: int = Field(ge=0, le=2**31)
    mutations: list[MutationIn] = Field(max_length=MAX_PUSH_BATCH)
    device_acked: DeviceAcked | None = None
    # The laptop takes ``as_sent`` results (MutationResult): a record stored exactly as its
    # create sent it is not sent back. Laptops from before it send nothing: every record.
    as_sent: bool = False


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
    # Instead of ``record`` (asked for with ``as_sent`` in the push): the record is stored
    # exactly as this change, a create, sent it, at version 1 with every field at 1.
    as_sent: bool = False


class PushPublic(BaseModel):
    results: list[MutationResult]
    cursor: int
    # Refused, nothing applied: the laptop's store is older than what the server has seen
    # from its device (results is then empty; see sync.server.devices).
    device_rewound: bool = False
    device_high_seq: int | None = None


class RecordRef(BaseModel):
    entity: str
    id: str


class PullPublic(BaseModel):
    records: list[RecordState]
    revoked: list[RecordRef]
    next_cursor: int
    has_more: bool


class DigestIn(BaseModel):
    digest: str = Field(min_length=64, max_length=64, pattern=rules.SHA256_PATTERN)
    # Laptops from before the "set" digest send no algorithm: theirs is "sorted".
    algorithm: Literal["set", "sorted"] = "sorted"


class DigestPublic(BaseModel):
    match: bool
    server_cursor: int
    count: int
    algorithm: Literal["set", "sorted"]


class DeviceIn(BaseModel):
    """A laptop store asking what the server has seen from it (``POST /sync/device``)."""

    model_config = ConfigDict(extra="forbid")

    device_id: str = Id
    mutation_ids: list[Annotated[str, Id]] = Field(default_factory=list, max_length=MAX_PUSH_BATCH)


class DevicePublic(BaseModel):
    device_id: str
    high_seq: int | None
    high_mutation_id: str | None
    known: list[str]
