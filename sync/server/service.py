"""The sync protocol on the server: push (merge), pull (pages in scope), digest.

Push takes the single ``sync_counter`` row's lock first, so pushes commit one at a
time and sequence numbers are handed out in commit order: a pull that has seen
sequence number N can never later miss a change numbered below N.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import operator
import sqlite3
import threading
import time
import uuid
from types import SimpleNamespace
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError

from sync.protocol import (
    ACCEPTED_SCHEMA_VERSIONS,
    APPEND_ONLY,
    AUDIT_ENTITIES,
    DIGEST_SET,
    FINAL_PARENT,
    FINAL_WHEN,
    OPS,
    digest,
    record_hash,
    set_digest_of,
    shapes,
)
from sync import rules
from sync.server import attachments, authz, devices
from sync.server.accounts import User
from sync.server.db import conflict, mutation, reallocation, record, sync_counter
from sync.server.scope import CORE, in_scope, revocations

log = logging.getLogger("fieldnote.server")


class Rejected(Exception):
    """A mutation refused for good (stored, so a replay gets the same answer)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class Retry(Exception):
    """A mutation that cannot be applied yet (something it needs has not arrived)."""

    def __init__(self, message: str):
        super().__init__(message)


_PAYLOAD_KEYS = ("device_id", "entity", "record_id", "op", "fields", "base_version", "schema_version", "client_seq")
# json.dumps(..., sort_keys=True, separators=(",", ":")), the encoder made once (the text,
# and so every stored hash, is the same).
_canonical = rules.compact_json_encoder(sort_keys=True)
_SEQ = (int, type(None))  # what a client_seq may be
_text = encode_basestring_ascii  # a str as JSON text (as both encoders write it)


def payload_hash(m: dict) -> str:
    """What a mutation id is stored with: a replay must carry the same change."""
    return _payload(m)[0]


def _payload(m: dict) -> tuple[str, str]:
    """(``payload_hash``, the canonical JSON of the change's fields). The hash is of
    ``_canonical({k: m.get(k) for k in _PAYLOAD_KEYS})``; a mutation as validated (ints,
    text, a dict of fields) has its text written out here with the fields encoded once,
    and their text is what a record created from them stores. Anything else is encoded
    whole, as the definition says."""
    fields = m.get("fields")
    base, seq, schema = m.get("base_version"), m.get("client_seq"), m.get("schema_version")
    if fields.__class__ is dict and base.__class__ is int and schema.__class__ is int and seq.__class__ in _SEQ:
        try:
            fields_text = _canonical(fields)
            canonical = (
                f'{{"base_version":{base},"client_seq":{"null" if seq is None else seq},'
                f'"device_id":{_text(m["device_id"])},"entity":{_text(m["entity"])},"fields":{fields_text},'
                f'"op":{_text(m["op"])},"record_id":{_text(m["record_id"])},"schema_version":{schema}}}'
            )
        except (KeyError, TypeError):  # a value that is not text where text belongs
            pass
        else:
            return hashlib.sha256(canonical.encode()).hexdigest(), fields_text
    canonical = _canonical({k: m.get(k) for k in _PAYLOAD_KEYS})
    return hashlib.sha256(canonical.encode()).hexdigest(), ""


def record_state(row) -> dict:
    """A record as the protocol sends it."""
    return {
        "entity": row.entity,
        "id": row.id,
        "version": row.version,
        "field_versions": row.field_versions,
        "fields": row.data,
        "deleted": bool(row.deleted),
        "seq": row.seq,
    }


def current_seq(conn: Connection) -> int:
    return conn.execute(sa.select(sync_counter.c.value).where(sync_counter.c.id == 1)).scalar_one()


@dataclass
class _Push:
    conn: Connection
    user: User
    seq: int
    now: float = field(default_factory=time.time)
    retry_message: str = ""

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


# Statements built once: SQLAlchemy then reuses their compiled form and cache key, which
# matters on the push path (several lookups per mutation).
_LOAD = sa.select(record).where(record.c.entity == sa.bindparam("entity"), record.c.id == sa.bindparam("id"))
_INSERT_RECORD = record.insert()
_UPDATE_RECORD = record.update().where(record.c.entity == sa.bindparam("b_entity"), record.c.id == sa.bindparam("b_id"))
_INSERT_MUTATION = mutation.insert()


class _Encoded(sa.types.TypeDecorator):
    """A JSON column given text already encoded as JSON: the bulk INSERTs of a push encode
    their rows once, in one pass, rather than through a bind processor per value."""

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect):
        return None


def _encoded_copy(table: sa.Table) -> sa.Table:
    """``table`` as the bulk INSERTs write it: its JSON columns take encoded text."""
    return sa.Table(
        table.name,
        sa.MetaData(),
        *[
            sa.Column(c.name, _Encoded() if isinstance(c.type, sa.JSON) else c.type, primary_key=c.primary_key)
            for c in table.columns
        ],
    )


_RECORD_JSON = tuple(c.name for c in record.columns if isinstance(c.type, sa.JSON))
_MUTATION_JSON = tuple(c.name for c in mutation.columns if isinstance(c.type, sa.JSON))
_INSERT_RECORDS = _encoded_copy(record).insert()
_INSERT_MUTATIONS = _encoded_copy(mutation).insert()
_json = rules.compact_json_encoder()


def _encoded(rows: list[dict], names: tuple[str, ...]) -> list[dict]:
    """``rows`` with the values of their JSON columns ``names`` encoded (None as JSON null,
    as SQLAlchemy's JSON type stores it; text is taken as encoded already: no JSON column
    holds a bare string)."""
    out = []
    for row in rows:
        row = dict(row)
        for name in names:
            if row[name].__class__ is not str:  # text: encoded already (_bulk_create)
                row[name] = _json(row[name])
        out.append(row)
    return out


def _insert_many(conn: Connection, insert, rows: list[dict], names: tuple[str, ...]) -> None:
    """One multi-row INSERT of ``rows`` (all with the same columns), their JSON columns
    ``names`` encoded. On SQLite the driver's ``executemany`` is called directly, with the
    rows as tuples: SQLAlchemy's per-row parameter processing cost as much as the INSERT
    (the columns here need none: text, numbers, and JSON already encoded). The statement
    runs in the connection's transaction like any other."""
    if conn.dialect.name != "sqlite":
        conn.execute(insert, _encoded(rows, names))
        return
    columns = tuple(rows[0])
    if any(len(row) != len(columns) for row in rows):  # pragma: no cover - rows are alike
        conn.execute(insert, _encoded(rows, names))
        return
    get = operator.itemgetter(*columns)
    as_json = [i for i, name in enumerate(columns) if name in names]
    values = []
    for row in rows:
        value = list(get(row))
        for i in as_json:
            if value[i].__class__ is not str:  # text: encoded already (_bulk_create)
                value[i] = _json(value[i])
        values.append(value)
    sql = f"INSERT INTO {insert.table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


_INSERT_CONFLICT = conflict.insert()
_SCOPED: dict[tuple, tuple] = {}


# Records read during one push, by (entity, id), while a push runs with its batch
# prefetched (``_push_batch`` with ``fast``): filled by one query per record type for the
# whole batch, kept in step with every write below, emptied by any savepoint rollback.
_batch = threading.local()


def _cache() -> dict | None:
    return getattr(_batch, "cache", None)


def _load(conn: Connection, entity: str, record_id: str):
    cache = _cache()
    if cache is not None:
        key = (entity, record_id)
        if key in cache:
            return cache[key]
        row = cache[key] = conn.execute(_LOAD, {"entity": entity, "id": record_id}).first()
        _touched(key)
        return row
    return conn.execute(_LOAD, {"entity": entity, "id": record_id}).first()


def _touched(key: tuple[str, str]) -> None:
    """Note a record read or written inside a change's savepoint (``_apply_one``)."""
    touched = getattr(_batch, "touched", None)
    if touched is not None:
        touched.add(key)


def _forget(entity: str, record_id: str) -> None:
    cache = _cache()
    if cache is not None:
        cache.pop((entity, record_id), None)
        _touched((entity, record_id))
    fresh = getattr(_batch, "fresh", None)
    if fresh:  # no longer as created in bulk (an edit, a bump)
        fresh.pop((entity, record_id), None)


def _update(conn: Connection, entity: str, record_id: str, **values) -> None:
    _forget(entity, record_id)
    conn.execute(_UPDATE_RECORD, {"b_entity": entity, "b_id": record_id, **values})


def _versioned(entity: str, record_id: str, version: int) -> dict:
    """The columns that change with a record's version: it and its digest hash."""
    h1, h2 = record_hash(entity, record_id, version)
    return {"version": version, "h1": h1, "h2": h2}


def _scoped(user: User):
    """The visible-check statement for one record of a non-admin user."""
    return _visible(user, "one", record.c.id)


def visible(conn: Connection, user: User, entity: str, record_id: str, *, fresh: bool = False) -> bool:
    """Whether ``user`` may see the record. In a batch merged set-wise (``_push_batch``
    with ``fast``) a non-admin's answers come from the batch's visibility set, filled by
    one query per record type (``_see``); only a yes is taken from it (a no, or a record
    it does not know, is asked of the database), and ``fresh`` always asks."""
    if user.is_admin:
        return _load(conn, entity, record_id) is not None
    seen = getattr(_batch, "visible", None)
    if not fresh and seen is not None:
        if seen.stale:
            _see(conn, user, [k for k, row in (_cache() or {}).items() if row is not None], renew=True)
        if (entity, record_id) in seen.keys:
            return True
    yes = conn.execute(_scoped(user), {"entity": entity, "id": record_id}).first() is not None
    if yes and not fresh and seen is not None and not seen.stale:
        seen.keys.add((entity, record_id))
    return yes


class _Seen:
    """The records of a batch known visible to its (non-admin) writer."""

    def __init__(self):
        self.keys: set[tuple[str, str]] = set()
        self.stale = False  # asked again (for the records the batch read) when next needed
        self.moved = False  # scope may have moved during the batch
        self.shared: tuple | None = None  # (schools asked, those others' records name)


def _visible(user: User, what: str, *columns):
    """``columns`` of the records ``user`` may see, of one record type: one record ("one",
    bound ``id``) or several (bound ``ids``). Built once per scope and kept: the scope
    expression is large, and building it per call costs milliseconds."""
    key = (what, *_scope_key(user))
    stmt = _SCOPED.get(key)
    if stmt is None:
        if len(_SCOPED) > 256:
            _SCOPED.clear()
        ids = (
            record.c.id == sa.bindparam("id") if what == "one" else record.c.id.in_(sa.bindparam("ids", expanding=True))
        )
        stmt = _SCOPED[key] = sa.select(*columns).where(record.c.entity == sa.bindparam("entity"), ids, in_scope(user))
    return stmt


def _visible_ids(user: User):
    """Of some ids of one record type, those ``user`` may see."""
    return _visible(user, "many", record.c.id)


_ADMIN_ROWS = sa.select(record).where(
    record.c.entity == sa.bindparam("entity"), record.c.id.in_(sa.bindparam("ids", expanding=True))
)


def _visible_rows(user: User):
    """Of some records of one record type, those ``user`` may see, whole."""
    return _visible(user, "rows", record)


def _see(conn: Connection, user: User, keys, *, renew: bool = False) -> set[tuple[str, str]]:
    """Ask, one query per record type (500 ids at a time), which of ``keys`` ``user`` may
    see; add them to the batch's visibility set (``renew``: it is rebuilt from them) and
    return them."""
    seen = _batch.visible
    if renew:
        seen.keys, seen.stale, seen.shared = set(), False, None
    by_entity: dict[str, list[str]] = {}
    for entity, record_id in keys:
        by_entity.setdefault(entity, []).append(record_id)
    found: set[tuple[str, str]] = set()
    stmt = _visible_ids(user)
    for entity, ids in by_entity.items():
        ids = sorted(set(ids))
        for start in range(0, len(ids), 500):
            found.update(
                (entity, r[0]) for r in conn.execute(stmt, {"entity": entity, "ids": ids[start : start + 500]})
            )
    seen.keys |= found
    return found


_AS_IS = frozenset({str, int, float, type(None)})  # what ``_normalise`` gives back as it is


def _normalise(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)  # what SQLite on the laptop stores
    if value is None or isinstance(value, (int, float, str)):
        return value
    raise Rejected(422, "Field values must be text, numbers or null.")


_NO_KEY = object()  # a unique key not worked out beforehand


def _denorm(conn: Connection, entity: str, record_id: str, data: dict, unique_key: Any = _NO_KEY) -> dict:
    """The scope columns copied out of a record's fields (``unique_key``: the record's, if
    already worked out from these fields)."""
    if unique_key is _NO_KEY:
        unique_key = rules.unique_key(entity, data)
    cols = dict(ref_id=None, pupil_id=None, school_id=None, caseworker_id=None, team=None, unique_key=unique_key)
    if entity == "referral":
        cols.update(
            ref_id=record_id,
            pupil_id=data.get("pupil_id"),
            school_id=data.get("school_id"),
            caseworker_id=data.get("caseworker_id"),
        )
    elif entity == "pupil":
        cols.update(pupil_id=record_id, school_id=data.get("school_id"))
    elif entity == "school":
        cols.update(school_id=record_id)
    elif entity == "caseworker":
        cols.update(caseworker_id=record_id, team=data.get("team"))
    else:
        cols.update(ref_id=data.get("referral_id"), pupil_id=data.get("pupil_id"), school_id=data.get("school_id"))
        if entity == "audit":  # a school audit is in scope through who conducts it
            cols["caseworker_id"] = data.get("conducted_by")
        for name, target in shapes()[entity].references.items():
            if target not in CORE and target != entity and data.get(name):
                parent = _load(conn, target, data[name])
                if parent is not None:
                    for key in ("ref_id", "pupil_id", "school_id"):
                        cols[key] = cols[key] or getattr(parent, key)
                    if target == "audit":
                        cols["caseworker_id"] = cols["caseworker_id"] or parent.caseworker_id
    return cols


def _bump(ctx: _Push, where) -> None:
    """Give records a fresh sequence number (same data) so pulls send them again: used
    when a change brings them into someone's scope."""
    rows = ctx.conn.execute(sa.select(record.c.entity, record.c.id).where(where).order_by(record.c.seq)).all()
    for entity, record_id in rows:
        _update(ctx.conn, entity, record_id, seq=ctx.next_seq())


def _conflict(ctx: _Push, m: dict, name: str, kind: str, kept: Any, other: Any) -> dict:
    item = {"id": str(uuid.uuid4()), "field": name, "kind": kind, "kept_value": kept, "other_value": other}
    ctx.conn.execute(
        _INSERT_CONFLICT,
        dict(
            id=item["id"],
            entity=m["entity"],
            record_id=m["record_id"],
            field=name,
            kind=kind,
            kept_value=kept,
            other_value=other,
            mutation_id=m["mutation_id"],
            device_id=m["device_id"],
            user_id=ctx.user.id,
            seq=ctx.seq,
            created_at=ctx.now,
        ),
    )
    return item


def _is_final(conn: Connection, entity: str, rec) -> bool:
    """Whether a record is finalised evidence (or append-only), directly or by its parent."""
    if entity in APPEND_ONLY:
        return True
    if entity in FINAL_WHEN:
        name, value = FINAL_WHEN[entity]
        if rec.data.get(name) == value:
            return True
    if entity in FINAL_PARENT:
        name, parent_entity = FINAL_PARENT[entity]
        parent = _load(conn, parent_entity, rec.data.get(name) or "")
        return parent is not None and _is_final(conn, parent_entity, parent)
    return False


def _check(ctx: _Push, m: dict, rec) -> dict:
    """Validate and authorise one mutation before merging; returns its normalised fields."""
    entity, op = m["entity"], m["op"]
    shape = shapes().get(entity)
    if shape is None:
        raise Rejected(422, f"Unknown record type {entity!r}.")
    if op not in OPS:
        raise Rejected(422, f"Unknown operation {op!r}.")
    if m["schema_version"] not in ACCEPTED_SCHEMA_VERSIONS:
        raise Rejected(
            422,
            f"This change was written by schema version {m['schema_version']}; "
            f"the server accepts versions {ACCEPTED_SCHEMA_VERSIONS[0]} to "
            f"{ACCEPTED_SCHEMA_VERSIONS[-1]}. Update "
            "Fieldnote on this laptop (or the server).",
        )
    fields = {} if op == "delete" else dict(m["fields"])
    if not shape.fields.issuperset(fields):
        unknown = set(fields) - shape.fields
        raise Rejected(422, f"{entity} has no field(s) {', '.join(sorted(map(rules.printable, unknown)))}.")
    for name, value in m["fields"].items() if fields else ():
        if value.__class__ not in _AS_IS:
            fields[name] = _normalise(value)
    if (problem := rules.first_problem(entity, fields)) is not None:  # what laptops can store
        raise Rejected(422, problem)
    if rec is None and op != "create":
        raise Retry(f"This {entity} is not on the server yet.")
    # (An admin sees every record that exists: no second query for them.)
    if rec is not None and not ctx.user.is_admin and not visible(ctx.conn, ctx.user, entity, m["record_id"]):
        raise Rejected(403, "You do not have access to this record.")
    shared = (
        _shared_schools(ctx.conn, ctx.user, m["record_id"])
        if entity == "school" and rec is not None and not ctx.user.is_admin
        else None
    )
    if (reason := authz.refusal(ctx.conn, ctx.user, entity, op, rec, fields, shared)) is not None:
        raise Rejected(403, reason)  # who may write what: sync.permissions
    nulls = [f for f in shape.not_null if f in fields and fields[f] is None]
    if nulls:
        raise Rejected(422, f"{', '.join(sorted(nulls))} cannot be empty.")
    if rec is None:
        missing = shape.required - {k for k, v in fields.items() if v is not None}
        if missing:
            raise Rejected(422, f"A new {entity} needs {', '.join(sorted(missing))}.")
    for name, target in shape.references.items():
        value = fields.get(name)
        if value is None or (rec is not None and rec.data.get(name) == value):
            continue
        if _load(ctx.conn, target, value) is None:
            raise Retry(f"{name} names a {target} that is not on the server yet.")
        # Schools are public information; anything else referred to must be in scope, or a
        # practitioner could pull a stranger's pupil into their scope by naming its id.
        if target != "school" and not ctx.user.is_admin and not visible(ctx.conn, ctx.user, target, value):
            raise Rejected(403, f"You do not have access to the {target} this names.")
    if entity == "attachment" and "sha256" in fields:
        # Rule 9: a record naming a file is complete only when the file's bytes are here
        # (and the writer holds them: knowing a hash must not give access to a file).
        if not attachments.valid_sha256(fields["sha256"]):
            raise Rejected(422, "sha256 must be 64 lowercase hexadecimal digits.")
        if not attachments.may_reference(ctx.conn, ctx.user, fields["sha256"]):
            raise Retry("The attachment's file has not been uploaded yet.")
    _check_unique(ctx, entity, m["record_id"], rec, fields)
    return fields


_DUPLICATE = (
    sa.select(record.c.id)
    .where(
        record.c.entity == sa.bindparam("entity"),
        record.c.unique_key == sa.bindparam("key"),
        record.c.id != sa.bindparam("id"),
    )
    .limit(1)
)


def _check_unique(ctx: _Push, entity: str, record_id: str, rec, fields: dict) -> None:
    """Refuse a change that would give a second record the unique key (``sync.rules``) of
    another one, tombstones included: every laptop keeps tombstones, under a UNIQUE index.
    The unique index on ``record.unique_key`` is what makes it hold: a new record that
    breaks it fails its INSERT, and ``push`` rejects it with the same reason (so the
    common case, a new record, costs no extra query). An edit of an existing record's
    key fields is checked here first."""
    names = rules.unique_fields().get(entity)
    if names is None or rec is None or not any(n in fields for n in names):
        return
    data = {**rec.data, **fields}
    key = rules.unique_key(entity, data)
    if (
        key is not None
        and ctx.conn.execute(_DUPLICATE, {"entity": entity, "key": key, "id": record_id}).first() is not None
    ):
        raise Rejected(422, rules.duplicate_message(entity, data))


def _apply(ctx: _Push, m: dict) -> dict:
    entity, record_id, op = m["entity"], m["record_id"], m["op"]
    rec = _load(ctx.conn, entity, record_id)
    fields = _check(ctx, m, rec)
    device, client_seq, base = m["device_id"], m.get("client_seq"), m["base_version"]
    writer = [device, client_seq]

    def own_newer(w) -> bool:
        return bool(w) and w[0] == device and w[1] is not None and client_seq is not None and w[1] > client_seq

    result = _result(m["mutation_id"], "applied", 200)
    conflicts: list[dict] = result["conflicts"]
    old_data = dict(rec.data) if rec is not None else {}
    if rec is not None and not rec.deleted and _is_final(ctx.conn, entity, rec):
        # Finalised evidence never changes; a change made elsewhere before it was seen to
        # be final is kept as a conflict for a person to turn into a correction.
        changes = {"(deleted)": True} if op == "delete" else {k: v for k, v in fields.items() if rec.data.get(k) != v}
        for name, value in sorted(changes.items()):
            conflicts.append(_conflict(ctx, m, name, "edit_vs_final", rec.data.get(name), value))
        seq = None
    elif rec is None:
        data = fields
        state = dict(
            data=data,
            **_versioned(entity, record_id, 1),
            field_versions={k: 1 for k in data},
            field_writers={k: writer for k in data},
            deleted=False,
            deleted_by=None,
        )
        seq = ctx.next_seq()
        denorm = _denorm(ctx.conn, entity, record_id, data)
        _forget(entity, record_id)
        ctx.conn.execute(
            _INSERT_RECORD, dict(entity=entity, id=record_id, seq=seq, created_by=ctx.user.id, **state, **denorm)
        )
    elif rec.deleted and op == "create" and not own_newer(rec.deleted_by):
        # Ids are never reused, so a create meeting a tombstone is a restore (undelete):
        # the record comes back, with the fields it carries.
        seq = ctx.next_seq()
        version = rec.version + 1
        changed = {k: v for k, v in fields.items() if rec.data.get(k) != v or k not in rec.data}
        data = {**rec.data, **fields}
        _update(
            ctx.conn,
            entity,
            record_id,
            data=data,
            deleted=False,
            deleted_by=None,
            seq=seq,
            field_versions={**rec.field_versions, **{k: version for k in changed}},
            field_writers={**rec.field_writers, **{k: writer for k in changed}},
            **_versioned(entity, record_id, version),
            **_denorm(ctx.conn, entity, record_id, data),
        )
    elif rec.deleted:
        if op == "delete" and not own_newer(rec.deleted_by):
            # Already deleted: remember the latest delete, so that a restore made before it
            # and arriving after it (requests reordered) stays behind it.
            _update(ctx.conn, entity, record_id, deleted_by=writer)
        elif op != "delete" and not own_newer(rec.deleted_by):
            # An edit meeting a delete: the delete stands, the edit is kept in conflicts.
            for name, value in sorted(fields.items()):
                conflicts.append(_conflict(ctx, m, name, "edit_vs_delete", rec.data.get(name), value))
        seq = None
    elif op == "delete":
        seq = ctx.next_seq()
        for name, fv in sorted(rec.field_versions.items()):
            w = rec.field_writers.get(name)
            if fv > base and not (w and w[0] == device):
                conflicts.append(_conflict(ctx, m, name, "delete_vs_edit", rec.data.get(name), None))
        _update(
            ctx.conn,
            entity,
            record_id,
            deleted=True,
            deleted_by=writer,
            seq=seq,
            **_versioned(entity, record_id, rec.version + 1),
        )
    else:
        changed = {}
        for name, value in sorted(fields.items()):
            current = rec.data.get(name)
            w = rec.field_writers.get(name)
            if w and w[0] == device:
                if own_newer(w):
                    continue  # this laptop's later edit of the field is already here
                if current != value or name not in rec.data:
                    changed[name] = value
            elif rec.field_versions.get(name, 0) > base and current != value:
                conflicts.append(_conflict(ctx, m, name, "same_field", current, value))
            elif current != value or name not in rec.data:
                changed[name] = value
        seq = None
        if changed:
            seq = ctx.next_seq()
            version = rec.version + 1
            data = {**rec.data, **changed}
            _update(
                ctx.conn,
                entity,
                record_id,
                data=data,
                seq=seq,
                **_versioned(entity, record_id, version),
                field_versions={**rec.field_versions, **{k: version for k in changed}},
                field_writers={**rec.field_writers, **{k: writer for k in changed}},
                **_denorm(ctx.conn, entity, record_id, data),
            )
    result["seq"] = seq
    if conflicts:
        result.update(
            status="conflict", code=409, error=f"{len(conflicts)} field(s) were changed elsewhere; both values kept."
        )
    if seq is not None and op != "delete":
        _follow_scope(ctx, entity, record_id, old_data, fields, created=rec is None, seq=seq)
    if not ctx.user.is_admin and not visible(ctx.conn, ctx.user, entity, record_id, fresh=True):
        raise Rejected(403, "That change would put the record outside what you may see.")
    return result


def _follow_scope(ctx: _Push, entity: str, record_id: str, old: dict, fields: dict, created: bool, seq: int) -> None:
    """Re-send records whose scope this change may have widened; log reallocations."""

    def moved(*names):
        return created or any(n in fields and fields[n] != old.get(n) for n in names)

    new = {**old, **fields}
    if entity == "referral":
        if not created and fields.get("caseworker_id", old.get("caseworker_id")) != old.get("caseworker_id"):
            ctx.conn.execute(
                reallocation.insert().values(
                    seq=seq,
                    referral_id=record_id,
                    old_caseworker_id=old.get("caseworker_id"),
                    new_caseworker_id=new.get("caseworker_id"),
                )
            )
        if moved("caseworker_id", "pupil_id", "school_id"):
            _bump(
                ctx,
                sa.or_(
                    sa.and_(record.c.entity == "pupil", record.c.id == new.get("pupil_id")),
                    sa.and_(record.c.entity == "school", record.c.id == new.get("school_id")),
                    sa.and_(record.c.entity == "caseworker", record.c.id == (new.get("caseworker_id") or "")),
                    sa.and_(record.c.entity.not_in(CORE), record.c.ref_id == record_id),
                    sa.and_(
                        record.c.entity.not_in(CORE),
                        record.c.ref_id.is_(None),
                        record.c.pupil_id == new.get("pupil_id"),
                    ),
                ),
            )
    elif entity == "caseworker" and moved("team"):
        refs = sa.select(record.c.id).where(record.c.entity == "referral", record.c.caseworker_id == record_id)
        _bump(ctx, sa.or_(record.c.id.in_(refs), sa.and_(record.c.entity.not_in(CORE), record.c.ref_id.in_(refs))))
    elif entity == "audit" and moved("conducted_by", "school_id") and new.get("school_id"):
        # Whoever conducts an audit of a school sees every audit of it (a review starts
        # from the previous one, ``scope.in_scope``): a new audit or review, or one handed
        # to another practitioner, re-sends the school and its audits with all that hangs
        # off them (ratings, judgements, actions, meetings, attachments), so a laptop that
        # pulled past them before they were in its scope receives them now.
        _bump(
            ctx,
            sa.or_(
                sa.and_(record.c.entity == "school", record.c.id == new["school_id"]),
                sa.and_(
                    record.c.school_id == new["school_id"],
                    record.c.entity.not_in(CORE),
                    sa.or_(record.c.entity.in_(AUDIT_ENTITIES), record.c.caseworker_id.is_not(None)),
                ),
            ),
        )
    elif moved("school_id") and new.get("school_id"):
        _bump(ctx, sa.and_(record.c.entity == "school", record.c.id == new["school_id"]))


def _moved_scope(m: dict, result: dict | None) -> None:
    """After a change merged on its own in a set-wise batch: if it may have moved what its
    writer sees (a case record, an audit, or a change of what a record refers to), the
    batch's visibility set is asked again before it is next used."""
    if result is None or result["seq"] is None:
        return  # nothing written (refused, waiting, or kept as a conflict)
    shape = shapes().get(m["entity"])
    if (
        m["entity"] in CORE
        or m["entity"] in AUDIT_ENTITIES
        or shape is None
        or any(name in (m.get("fields") or {}) for name in shape.references)
    ):
        _batch.visible.stale = _batch.visible.moved = True
    else:
        _batch.visible.keys.add((m["entity"], m["record_id"]))  # applied: seen (_apply)


def _shared_schools(conn: Connection, user: User, school_id: str) -> set[str] | None:
    """In a set-wise batch, which of the schools the batch read records of others name
    (for ``authz``): one query, asked again after a change that may move it; None outside
    such a batch, or for a school it did not cover (``authz`` then asks for that one)."""
    seen = getattr(_batch, "visible", None)
    if seen is None:
        return None
    if seen.stale:
        _see(conn, user, [k for k, row in (_cache() or {}).items() if row is not None], renew=True)
    if seen.shared is None:
        over = {i for (e, i), row in (_cache() or {}).items() if e == "school" and row is not None}
        seen.shared = (over, authz.shared_schools(conn, user, over))
    over, shared = seen.shared
    return shared if school_id in over else None


class _FastFailed(Exception):
    """A bulk write of a batch's new records failed: the batch is applied again, with
    every record looked up if the guess that created records were new may be what failed
    (``assumed``), else one by one."""

    def __init__(self, assumed: bool = False):
        super().__init__()
        self.assumed = assumed


# Record types a new record of which can be written in bulk: the merge of a create that
# meets no record is then only checks and an INSERT. Excluded: what ``_follow_scope`` acts
# on when created (referrals, caseworkers, anything naming a school), and attachments
# (their bytes are checked per change).
_NOT_BULK = frozenset({"referral", "caseworker", "attachment"})


def push(
    conn: Connection, user: User, mutations: list[dict], device_acked: dict | None = None, *, as_sent: bool = False
) -> list[dict]:
    """Apply an ordered batch of mutations inside the caller's write transaction.

    ``device_acked`` ({"device_id", "seq"}: the highest of its own outbox numbers the
    laptop knows the server stored) lets the server refuse, before applying anything, a
    batch from a store put back from an older copy (``devices.DeviceRewound``).

    A batch (an initial push of imported or seeded records, anyone's) is applied with its
    records read in one query per record type, and the new records that meet nothing
    (a create of an id the server does not hold) written with one multi-row INSERT, their
    mutation rows likewise: the same checks and results as one at a time, far fewer
    statements. For a user other than an admin, scope is asked set-wise too: which of the
    records the batch names they may see, one query per record type (again after a change
    that may move scope), and whether every record written in bulk is theirs to see, one
    query per record type at each bulk write. Should a bulk write fail, or a record
    written in bulk fall outside the writer's scope, the batch is rolled back and applied
    one by one (which refuses what it must, with the reason).

    The records the batch creates are first taken to be new, as they nearly always are
    (ids are UUIDs, and a replayed change is known by its mutation id): neither they nor
    the unique keys they take are looked up. The database checks the guess where it
    writes them (the primary key and the unique index refuse a record that exists), and
    the batch's end checks it for those not written; a wrong guess redoes the batch with
    every record looked up.

    ``as_sent``: the laptop takes a result marked ``as_sent`` for a record stored exactly
    as its create sent it (version 1, every field at version 1, the fields as sent), so
    the record is not sent back (docs/sync-protocol.md, "Push").
    """
    conn.execute(
        sync_counter.update().where(sync_counter.c.id == 1).values(value=sync_counter.c.value)
    )  # the lock that orders all pushes
    if len(mutations) > 1:
        for assume_new in (True, False):
            savepoint = conn.begin_nested()
            try:
                results = _push_batch(
                    conn, user, mutations, device_acked, fast=True, as_sent=as_sent, assume_new=assume_new
                )
            except _FastFailed as exc:
                savepoint.rollback()
                if not exc.assumed:
                    break  # not the guess about new records: one by one
            except BaseException:
                savepoint.rollback()
                raise
            else:
                savepoint.commit()
                return results
    return _push_batch(conn, user, mutations, device_acked, fast=False, as_sent=as_sent)


def _prefetch(conn: Connection, mutations: list[dict], assumed: set[tuple[str, str]] = frozenset()) -> dict:
    """Every record the batch names (its records, and the records their fields refer to),
    by (entity, id), None for those the server does not hold: one query per record type.
    Those ``assumed`` new are not looked up (None), nor who holds the unique keys they
    would take (see ``push``)."""
    wanted: dict[str, set[str]] = {}
    known_shapes = shapes()
    for m in mutations:
        if not isinstance(m.get("record_id"), str) or m.get("entity") not in known_shapes:
            continue
        if (m["entity"], m["record_id"]) not in assumed:
            wanted.setdefault(m["entity"], set()).add(m["record_id"])
        fields = m.get("fields") or {}
        for name, target in known_shapes[m["entity"]].references.items():
            value = fields.get(name)
            if isinstance(value, str):
                wanted.setdefault(target, set()).add(value)
    cache: dict = {}
    # The unique keys (sync.rules) the batch's new records would take, and who holds them.
    # Worked out once per create, of the values as they are stored (``_normalise``), and
    # kept by mutation for ``_bulkable`` and ``_bulk_create``.
    keys: dict[str, set[str]] = {}
    _batch.keys = by_mutation = {}
    unique = rules.unique_fields()
    for m in mutations:
        names = unique.get(m.get("entity"))
        if m.get("op") == "create" and names is not None and m.get("entity") in known_shapes:
            fields = m.get("fields") or {}
            try:
                key = rules.unique_key(m["entity"], {n: _normalise(fields.get(n)) for n in names})
            except (TypeError, ValueError, Rejected):
                continue
            by_mutation[id(m)] = key
            if key is not None and (m["entity"], m["record_id"]) not in assumed:
                keys.setdefault(m["entity"], set()).add(key)
    taken: dict[tuple[str, str], str] = {}
    for entity, values in keys.items():
        values = sorted(values)
        for start in range(0, len(values), 500):
            for row in conn.execute(
                sa.select(record.c.id, record.c.unique_key).where(
                    record.c.entity == entity, record.c.unique_key.in_(values[start : start + 500])
                )
            ):
                taken[(entity, row.unique_key)] = row.id
    _batch.taken = taken
    for key in assumed:
        cache[key] = None
    for entity, ids in wanted.items():
        ids = sorted(i for i in ids if (entity, i) not in assumed and rules.id_problem(i) is None)
        for i in ids:
            cache[(entity, i)] = None
        for start in range(0, len(ids), 500):
            for row in conn.execute(
                sa.select(record).where(record.c.entity == entity, record.c.id.in_(ids[start : start + 500]))
            ):
                cache[(entity, row.id)] = row
    return cache


def _bulk_create(ctx: _Push, m: dict, fields: dict, pending: list[dict], fields_text: str = "") -> dict:
    """Merge a create that meets no record: queue its row for the multi-row INSERT (and
    hold it in the batch's cache, so later changes in the batch see it). ``fields_text``:
    the fields' canonical JSON (``_payload``), stored as the record's data when they were
    stored as sent (no true/false made 1/0)."""
    entity, record_id = m["entity"], m["record_id"]
    writer = [m["device_id"], m.get("client_seq")]
    seq = ctx.next_seq()
    names = tuple(fields)
    field_versions = dict.fromkeys(names, 1)
    row = dict(
        entity=entity,
        id=record_id,
        seq=seq,
        created_by=ctx.user.id,
        data=fields,
        **_versioned(entity, record_id, 1),
        field_versions=field_versions,
        field_writers=dict.fromkeys(names, writer),
        deleted=False,
        deleted_by=None,
        **_denorm(ctx.conn, entity, record_id, fields, _batch.keys.get(id(m), _NO_KEY)),
    )
    rec = _cache()[(entity, record_id)] = SimpleNamespace(**row)
    # The row's JSON columns as text now: the same text the INSERT would encode (the
    # field versions and writers of a new record repeat one value, so no encoder runs).
    as_sent = bool(fields_text) and not any(v.__class__ is bool for v in m["fields"].values())
    row.update(
        data=fields_text if as_sent else fields,
        field_versions=_ones_text(names),
        field_writers=_same_for_all(names, _json(writer)),
        deleted_by="null",
    )
    pending.append(row)
    _batch.pending[(entity, record_id)] = row
    if getattr(_batch, "visible", None) is not None:
        _batch.visible.keys.add((entity, record_id))  # checked at the bulk write (flush)
    _batch.fresh[(entity, record_id)] = rec
    if as_sent:
        _batch.as_sent[(entity, record_id)] = id(m)
    if row["unique_key"] is not None:
        _batch.taken[(entity, row["unique_key"])] = record_id
    return _result(m["mutation_id"], "applied", 200, seq=seq)


@functools.lru_cache(maxsize=512)
def _ones_text(names: tuple[str, ...]) -> str:
    """``_json(dict.fromkeys(names, 1))``: a new record's field versions."""
    return _json(dict.fromkeys(names, 1))


@functools.lru_cache(maxsize=512)
def _keys_text(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_text(name) + ":" for name in names)


def _same_for_all(names: tuple[str, ...], value_text: str) -> str:
    """``_json(dict.fromkeys(names, value))``, given ``value``'s JSON text."""
    return "{" + ",".join([key + value_text for key in _keys_text(names)]) + "}"


def _mergeable(ctx: _Push, m: dict) -> bool:
    """Whether ``m`` edits a record created in bulk earlier in the batch and not yet
    written (a record finalised, an observation ended), in a way that is merged into its
    pending row exactly as ``_apply`` would merge it after the INSERT: an edit by the
    laptop that wrote the record's fields, of no field that names another record, moves
    scope or is part of a unique key, of a record that is not final (anything else, and
    anything the checks refuse, goes the usual way)."""
    entity, fields = m["entity"], m.get("fields")
    key = (entity, m["record_id"])
    if (
        m["op"] != "update"
        or key not in _batch.pending
        or key not in _batch.fresh
        or entity in CORE
        or entity in AUDIT_ENTITIES
        or not isinstance(fields, dict)
    ):
        return False
    shape = shapes().get(entity)
    if (
        shape is None
        or any(name in shape.references for name in fields)
        or any(name in fields for name in rules.unique_fields().get(entity, ()))
    ):
        return False
    rec = _cache().get(key)
    if rec is None or rec.deleted or _is_final(ctx.conn, entity, rec):
        return False
    device = m["device_id"]
    return all(w[0] == device for name in fields if (w := rec.field_writers.get(name)) is not None)


def _merge_pending(ctx: _Push, m: dict) -> dict:
    """Merge an edit ``_mergeable`` allows into its record's pending row (the else branch
    of ``_apply``, with no conflict possible): checks, then the row, the batch's cache and
    the state the reply sends are all the record as merged."""
    entity, record_id = m["entity"], m["record_id"]
    key = (entity, record_id)
    rec = _cache()[key]
    fields = _check(ctx, m, rec)
    device, client_seq = m["device_id"], m.get("client_seq")
    writer = [device, client_seq]
    changed = {}
    for name, value in sorted(fields.items()):
        w = rec.field_writers.get(name)
        if w and w[1] is not None and client_seq is not None and w[1] > client_seq:
            continue  # this laptop's later edit of the field is already here
        if rec.data.get(name) != value or name not in rec.data:
            changed[name] = value
    seq = None
    if changed:
        seq = ctx.next_seq()
        version = rec.version + 1
        data = {**rec.data, **changed}
        merged = dict(
            data=data,
            seq=seq,
            **_versioned(entity, record_id, version),
            field_versions={**rec.field_versions, **{k: version for k in changed}},
            field_writers={**rec.field_writers, **{k: writer for k in changed}},
            **_denorm(ctx.conn, entity, record_id, data),
        )
        _batch.pending[key].update(merged)
        _cache()[key] = _batch.fresh[key] = SimpleNamespace(**{**vars(rec), **merged})
    return _result(m["mutation_id"], "applied", 200, seq=seq)


def _bulk_kind(m: dict) -> bool:
    """Whether ``m`` is a create of a kind written in bulk when it meets nothing."""
    return (
        m["op"] == "create"
        and m["entity"] not in _NOT_BULK
        and "school_id" not in (m.get("fields") or {})
        and m["entity"] in shapes()
    )


def _bulkable(ctx: _Push, m: dict) -> bool:
    """Whether ``m`` creates a record that meets nothing: no record of its id, and no other
    record holding its unique key (as far as the batch's reads tell; a key taken by an
    edit earlier in the batch fails the multi-row INSERT, and the batch is redone)."""
    entity = m["entity"]
    if not (_bulk_kind(m) and _cache().get((entity, m["record_id"]), 0) is None):
        return False
    if rules.unique_fields().get(entity) is None:
        return True
    key = _batch.keys.get(id(m), _NO_KEY)
    if key is _NO_KEY:
        return False
    return key is None or (entity, key) not in _batch.taken


def _push_batch(
    conn: Connection,
    user: User,
    mutations: list[dict],
    device_acked: dict | None,
    *,
    fast: bool,
    as_sent: bool = False,
    assume_new: bool = False,
) -> list[dict]:
    ctx = _Push(conn, user, current_seq(conn))
    results: list[dict] = []
    waiting: set[tuple[str, str]] = set()
    # Mutation ids already stored, fetched for the whole batch at once; an id repeated
    # within the batch is looked up again when met (its first copy is stored by then).
    # Ids no database can store (NUL, broken Unicode) are refused one by one and not stored.
    unfit = {i: problem for i, m in enumerate(mutations) if (problem := _ids_problem(m)) is not None}
    ids = list({m["mutation_id"] for i, m in enumerate(mutations) if i not in unfit})
    known = {}
    for start in range(0, len(ids), 500):
        known.update(
            (row.mutation_id, row)
            for row in conn.execute(sa.select(mutation).where(mutation.c.mutation_id.in_(ids[start : start + 500])))
        )
    devices.check_acked(conn, mutations, device_acked, set(known))
    met: set[str] = set()
    stored: list[dict] = []  # new mutations whose result is stored (for devices' marks)
    pending_records: list[dict] = []  # new records for the multi-row INSERT (fast)
    pending_mutations: list[dict] = []  # mutation rows, in order, not yet written

    scoped = fast and not user.is_admin  # scope asked set-wise (see push)

    def flush() -> None:
        try:
            if pending_records:
                _insert_many(conn, _INSERT_RECORDS, pending_records, _RECORD_JSON)
            if pending_mutations:
                _insert_many(conn, _INSERT_MUTATIONS, pending_mutations, _MUTATION_JSON)
        except (sa.exc.IntegrityError, sqlite3.IntegrityError) as exc:
            raise _FastFailed(assumed=bool(assumed)) from exc  # a record or key taken after all?
        except (DataError, UnicodeEncodeError, sqlite3.DataError) as exc:
            raise _FastFailed() from exc
        if scoped and pending_records:
            # Every record written in bulk must be one its writer may see (one at a time,
            # ``_apply`` refuses it otherwise): asked for them all at once.
            bulk = {(r["entity"], r["id"]) for r in pending_records}
            if _see(conn, user, bulk) != bulk:
                raise _FastFailed()
        written.update((r["entity"], r["id"]) for r in pending_records if (r["entity"], r["id"]) in assumed)
        pending_records.clear()
        pending_mutations.clear()
        _batch.pending.clear()  # written: an edit of them now goes one by one

    # Records created by changes not met before, taken to be new (see ``push``); those
    # the bulk INSERT wrote (its primary key checked the guess).
    assumed: set[tuple[str, str]] = set()
    written: set[tuple[str, str]] = set()
    if assume_new:
        assumed = {
            (m["entity"], m["record_id"])
            for i, m in enumerate(mutations)
            if i not in unfit and m["mutation_id"] not in known and _bulk_kind(m)
        }
    _batch.cache = _prefetch(conn, [m for i, m in enumerate(mutations) if i not in unfit], assumed) if fast else None
    _batch.visible = _Seen() if scoped else None
    if scoped:  # which of the records the batch names already exist and are in scope
        _see(conn, user, [k for k, row in _batch.cache.items() if row is not None])
    # The states of records created in bulk, as written: the reply needs no read of them
    # unless another change in the batch (which may bump any record) went one by one.
    _batch.fresh = {}
    _batch.as_sent = {}  # of those, the ones stored exactly as a create sent them: (its id())
    _batch.pending = {}  # (entity, id) -> its row in pending_records
    try:
        for i, m in enumerate(mutations):
            if i in unfit:
                results.append(_result(rules.printable(m["mutation_id"]), "rejected", 422, unfit[i]))
                continue
            digest_, fields_text = _payload(m)
            if m["mutation_id"] in met:
                flush()
                prior = conn.execute(sa.select(mutation).where(mutation.c.mutation_id == m["mutation_id"])).first()
            else:
                prior = known.get(m["mutation_id"])
            met.add(m["mutation_id"])
            if prior is not None:
                if prior.payload_hash == digest_ and prior.user_id == user.id:
                    results.append(dict(prior.result))
                else:
                    results.append(
                        _result(
                            m["mutation_id"],
                            "rejected",
                            409,
                            "This mutation id was already used for a different change; nothing was overwritten.",
                        )
                    )
                continue
            key = (m["entity"], m["record_id"])
            if key in waiting:
                results.append(_retry(m, "An earlier change to this record is waiting."))
                continue
            if fast and (_bulkable(ctx, m) or _mergeable(ctx, m)):
                # Checks only (they read through the batch's cache, and write nothing).
                try:
                    if m["op"] == "create":
                        result = _bulk_create(ctx, m, _check(ctx, m, None), pending_records, fields_text)
                    else:
                        result = _merge_pending(ctx, m)
                except Retry as exc:
                    waiting.add(key)
                    results.append(_retry(m, str(exc)))
                    continue
                except Rejected as exc:
                    result = _result(m["mutation_id"], "rejected", exc.code, str(exc))
            else:
                flush()
                result = _apply_one(ctx, m)
                if scoped:
                    _moved_scope(m, result)
                if result is None:  # to be retried
                    waiting.add(key)
                    results.append(_retry(m, ctx.retry_message))
                    continue
            row = dict(
                mutation_id=m["mutation_id"],
                user_id=user.id,
                device_id=m["device_id"],
                payload_hash=digest_,
                result=result,
                created_at=ctx.now,
            )
            if fast:
                pending_mutations.append(row)
            else:
                conn.execute(_INSERT_MUTATION, row)
            stored.append(m)
            results.append(result)
        flush()
        if assumed - written and _exists(conn, assumed - written):
            raise _FastFailed(assumed=True)  # a record taken to be new was there after all
        fresh = _batch.fresh
        if scoped and _batch.visible.moved and fresh:
            # Scope moved after some were written: they are sent back only if still seen.
            still = _see(conn, user, fresh)
            fresh = {k: v for k, v in fresh.items() if k in still}
    finally:
        _batch.cache = None
        stored_as_sent = _batch.as_sent if as_sent else {}
        _batch.fresh = {}
        _batch.as_sent = {}
        _batch.pending = {}
        _batch.keys = {}
        _batch.visible = None
    devices.note_pushed(conn, user, stored, ctx.now)
    conn.execute(sync_counter.update().where(sync_counter.c.id == 1).values(value=ctx.seq))
    _attach_states(conn, user, mutations, results, fresh, stored_as_sent)
    return results


_ANY_OF = (
    sa.select(record.c.id)
    .where(record.c.entity == sa.bindparam("entity"), record.c.id.in_(sa.bindparam("ids", expanding=True)))
    .limit(1)
)


def _exists(conn: Connection, keys: set[tuple[str, str]]) -> bool:
    """Whether any of these records is on the server: one query per record type (500 at a time)."""
    by_entity: dict[str, list[str]] = {}
    for entity, record_id in keys:
        by_entity.setdefault(entity, []).append(record_id)
    for entity, ids in by_entity.items():
        for start in range(0, len(ids), 500):
            if conn.execute(_ANY_OF, {"entity": entity, "ids": ids[start : start + 500]}).first() is not None:
                return True
    return False


def _apply_one(ctx: _Push, m: dict) -> dict | None:
    """One mutation merged in its own savepoint: its result, or None (the reason in
    ``ctx.retry_message``) when it must wait."""
    conn = ctx.conn
    savepoint = conn.begin_nested()
    _batch.touched = set()
    try:
        result = _apply(ctx, m)
    except Retry as exc:
        savepoint.rollback()
        _drop_cache()
        ctx.retry_message = str(exc)
        return None
    except Rejected as exc:
        savepoint.rollback()
        _drop_cache()
        result = _result(m["mutation_id"], "rejected", exc.code, str(exc))
    except sa.exc.IntegrityError:
        # Only the unique index on (entity, unique_key) can refuse a write here: a new
        # record repeating another's key (see _check_unique).
        savepoint.rollback()
        _drop_cache()
        result = _result(m["mutation_id"], "rejected", 422, rules.duplicate_message(m["entity"], m.get("fields") or {}))
    except (DataError, UnicodeEncodeError):
        # A value the database refused (too long for its column, text it cannot hold)
        # that no check before it caught: this change alone is rejected, never the whole
        # push (a laptop's outbox would stop there) and never a 500.
        savepoint.rollback()
        _drop_cache()
        log.warning("value refused by the database", extra={"event": "data_error", "entity": m["entity"]})
        result = _result(
            m["mutation_id"],
            "rejected",
            422,
            "A value in this change cannot be stored on the server (too long, or not valid text or number).",
        )
    else:
        savepoint.commit()
    finally:
        _batch.touched = None
    return result


def _drop_cache() -> None:
    """A savepoint rolled back: what the cache read or wrote inside it may be gone (read
    again when next needed); the rest of the batch's reads still stand."""
    cache = _cache()
    if cache is not None:
        for key in _batch.touched or ():
            cache.pop(key, None)


def _fresh_state(rec) -> dict:
    """A record created (and maybe edited) in bulk in this batch, as the protocol sends it."""
    return {
        "entity": rec.entity,
        "id": rec.id,
        "version": rec.version,
        "field_versions": rec.field_versions,
        "fields": rec.data,
        "deleted": False,
        "seq": rec.seq,
    }


def _attach_states(
    conn: Connection,
    user: User,
    mutations: list[dict],
    results: list[dict],
    fresh: dict | None = None,
    as_sent: dict[tuple[str, str], int] | None = None,
) -> None:
    """Each applied (or conflicting) result carries its record as now stored and visible
    to ``user``: read in one query per record type (500 at a time; for anyone but an admin,
    those in their scope), but for ``fresh`` ones (created in bulk, untouched since: their
    state as written). The create that wrote a fresh record in ``as_sent`` (by the id() of
    the mutation), the record still at version 1, is marked ``as_sent`` instead (the laptop
    knows that state: it sent it)."""
    fresh = fresh or {}
    states: dict[tuple[str, str], dict | None] = {}
    keys = list(
        dict.fromkeys(
            (m["entity"], m["record_id"])
            for result, m in zip(results, mutations)
            if result["status"] in ("applied", "conflict") and (m["entity"], m["record_id"]) not in fresh
        )
    )
    by_entity: dict[str, list[str]] = {}
    for entity, record_id in keys:
        by_entity.setdefault(entity, []).append(record_id)
    stmt = _ADMIN_ROWS if user.is_admin else _visible_rows(user)
    for entity, ids in by_entity.items():
        for start in range(0, len(ids), 500):
            for row in conn.execute(stmt, {"entity": entity, "ids": ids[start : start + 500]}):
                states[(entity, row.id)] = record_state(row)
    for result, m in zip(results, mutations):
        if result["status"] in ("applied", "conflict"):
            key = (m["entity"], m["record_id"])
            rec = fresh.get(key)
            if rec is not None:
                if as_sent and as_sent.get(key) == id(m) and rec.version == 1:
                    result["as_sent"] = True
                    continue
                state = states.get(key)
                if state is None:
                    state = states[key] = _fresh_state(rec)
            else:
                state = states.get(key)
            if state is not None:
                result["record"] = dict(state)


def _ids_problem(m: dict) -> str | None:
    return (
        rules.id_problem(m["mutation_id"], "The change's id")
        or rules.id_problem(m["device_id"], "The laptop's device id")
        or rules.id_problem(m["record_id"])
        or ((not m["entity"] or rules.text_problem(m["entity"], 40)) and "The record type is not one the server knows.")
    )


def _result(mutation_id: str, status: str, code: int, error: str | None = None, seq: int | None = None) -> dict:
    """A mutation's result, as the push reply sends it and the mutation table stores it."""
    return {"mutation_id": mutation_id, "status": status, "code": code, "error": error, "seq": seq, "conflicts": []}


def _retry(m: dict, message: str) -> dict:
    return _result(m["mutation_id"], "retry", 404, message)


_PAGE_COLUMNS = (
    record.c.entity,
    record.c.id,
    record.c.version,
    sa.cast(record.c.field_versions, sa.Text).label("field_versions"),
    sa.cast(record.c.data, sa.Text).label("data"),
    record.c.deleted,
    record.c.seq,
)
_ADMIN_PAGE = (
    sa.select(*_PAGE_COLUMNS)
    .where(record.c.seq > sa.bindparam("cursor"), record.c.seq <= sa.bindparam("high"))
    .order_by(record.c.seq)
    .limit(sa.bindparam("limit"))
)
_ADMIN_DIGEST = sa.select(record.c.entity, record.c.id, record.c.version)
_SET_SUMS = (
    sa.func.count(),
    sa.func.coalesce(sa.func.sum(record.c.h1), 0),
    sa.func.coalesce(sa.func.sum(record.c.h2), 0),
)
_ADMIN_SET = sa.select(*_SET_SUMS)
_PULLS: dict[tuple, tuple] = {}
_DIGESTS: dict[tuple, tuple[str, int]] = {}


def _scope_key(user: User) -> tuple:
    return (user.id, user.role, user.team, user.caseworker_id)


def _pull_statements(user: User) -> tuple:
    """(page, revocations, sorted digest rows, set digest sums) statements for ``user``'s
    scope, built once per scope."""
    if user.is_admin:
        return _ADMIN_PAGE, None, _ADMIN_DIGEST, _ADMIN_SET
    key = _scope_key(user)
    stmts = _PULLS.get(key)
    if stmts is None:
        if len(_PULLS) > 256:
            _PULLS.clear()
        scope = in_scope(user)
        stmts = _PULLS[key] = (
            sa.select(*_PAGE_COLUMNS)
            .where(record.c.seq > sa.bindparam("cursor"), record.c.seq <= sa.bindparam("high"), scope)
            .order_by(record.c.seq)
            .limit(sa.bindparam("limit")),
            revocations(user, sa.bindparam("after"), sa.bindparam("upto")),
            sa.select(record.c.entity, record.c.id, record.c.version).where(scope),
            sa.select(*_SET_SUMS).where(scope),
        )
    return stmts


def _page(conn: Connection, user: User, cursor: int, limit: int):
    high = current_seq(conn)
    page_stmt, revoked_stmt = _pull_statements(user)[:2]
    rows = conn.execute(page_stmt, {"cursor": cursor, "high": high, "limit": limit + 1}).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1].seq if has_more else max(high, cursor)
    revoked = (
        []
        if revoked_stmt is None
        else [
            {"entity": "referral", "id": r[0]}
            for r in conn.execute(revoked_stmt, {"after": cursor, "upto": next_cursor}).all()
        ]
    )
    return rows, revoked, next_cursor, has_more


def pull(conn: Connection, user: User, cursor: int, limit: int) -> dict:
    """One page of record states changed after ``cursor``, in ``user``'s scope."""
    rows, revoked, next_cursor, has_more = _page(conn, user, cursor, limit)
    records = [
        {
            "entity": r.entity,
            "id": r.id,
            "version": r.version,
            "field_versions": json.loads(r.field_versions),
            "fields": json.loads(r.data),
            "deleted": bool(r.deleted),
            "seq": r.seq,
        }
        for r in rows
    ]
    return {"records": records, "revoked": revoked, "next_cursor": next_cursor, "has_more": has_more}


_text = json.encoder.encode_basestring_ascii  # a str as a JSON string literal (C speed)


def pull_json(conn: Connection, user: User, cursor: int, limit: int) -> tuple[bytes, dict]:
    """``pull`` rendered straight to the JSON body: the stored JSON of each record's fields
    and field versions is copied as text, not parsed and re-encoded (at a thousand records a
    page that round trip, and validating it, cost more than the query). Returns the body
    and counts for the log."""
    rows, revoked, next_cursor, has_more = _page(conn, user, cursor, limit)
    parts = [
        '{"entity":%s,"id":%s,"version":%d,"field_versions":%s,"fields":%s,"deleted":%s,'
        '"seq":%d}'
        % (_text(r.entity), _text(r.id), r.version, r.field_versions, r.data, "true" if r.deleted else "false", r.seq)
        for r in rows
    ]
    body = '{"records":[%s],"revoked":%s,"next_cursor":%d,"has_more":%s}' % (
        ",".join(parts),
        json.dumps(revoked),
        next_cursor,
        "true" if has_more else "false",
    )
    return body.encode(), {"records": len(rows), "revoked": len(revoked)}


def _server_digest(conn: Connection, user: User, algorithm: str) -> tuple[str, int]:
    statements = _pull_statements(user)
    if algorithm == DIGEST_SET:
        count, sum1, sum2 = conn.execute(statements[3]).one()
        return set_digest_of(int(count), int(sum1), int(sum2)), int(count)
    rows = conn.execute(statements[2]).all()
    return digest((r[0], r[1], r[2]) for r in rows), len(rows)


def check_digest(conn: Connection, user: User, client_digest: str, algorithm: str = DIGEST_SET) -> dict:
    """Compare a client's digest of (entity, id, version) with the server's, in scope.

    "set" is one aggregate query over the stored per-record hashes; "sorted" (laptops
    from before "set") reads every row in scope. The server's digest depends only on the
    scope (the user's role, team and caseworker record) and the data, and every change
    to the data moves the sequence counter; so it is remembered per (scope, counter,
    algorithm) in this process. It is remembered only when the counter did not move
    while it was computed (on PostgreSQL each statement sees the latest commit)."""
    high = current_seq(conn)
    key = (_scope_key(user), high, algorithm)
    cached = _DIGESTS.get(key)
    if cached is None:
        cached = _server_digest(conn, user, algorithm)
        if current_seq(conn) == high:
            if len(_DIGESTS) > 1024:
                _DIGESTS.clear()
            _DIGESTS[key] = cached
    server, count = cached
    return {"match": server == client_digest, "server_cursor": high, "count": count, "algorithm": algorithm}
