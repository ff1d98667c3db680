"""Applying records as the server holds them to this laptop's store.

One module for what a pull page, a push reply and a quarantine retry share: the check
that every value can be stored here (``check_values``), applying with foreign-key checks
off (``applying``: the server already checked every reference, and a page may bring a
visit before its referral) and the batched apply itself (``apply_states``). The sync
engine and ``sync.client.quarantine`` both call it; it imports neither.
"""

from __future__ import annotations

import contextlib
import json

from desktop.store import Store
from desktop.store.schema import SYNCABLE
from sync.client import local

# Columns holding JSON text: a value there must parse, or the app could not read it.
JSON_COLUMNS = {
    ("caseworker", "specialisms"),
    ("support_plan", "review_dates"),
    ("observation_event", "payload"),
    ("coding_scheme", "definition"),
}
_JSON_BY_ENTITY = {e: frozenset(n for en, n in JSON_COLUMNS if en == e) for e, _ in JSON_COLUMNS}
_NONE: frozenset[str] = frozenset()
_SQLITE_INT = (-(2**63), 2**63 - 1)


class NotStorable(ValueError):
    """A pulled value this laptop cannot hold (the message says which and why)."""


def check_values(entity: str, fields: dict) -> None:
    """Refuse values SQLite or this app cannot hold, before any write: only text, whole
    numbers within SQLite's range, finite numbers, true/false or empty; text with no NUL
    and valid Unicode; JSON columns holding JSON. (A few microseconds a record: this runs
    for every record of every page.)"""
    json_columns = _JSON_BY_ENTITY.get(entity, _NONE)
    for name, value in fields.items():
        kind = type(value)
        if kind is str:
            if "\x00" in value:
                raise NotStorable(f"{name}: the text contains a NUL character")
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise NotStorable(f"{name}: the text is not valid Unicode") from None
            if name in json_columns:
                try:
                    json.loads(value)
                except ValueError:
                    raise NotStorable(f"{name}: the text is not valid JSON") from None
        elif value is None or kind is bool:
            continue
        elif kind is int:
            if not _SQLITE_INT[0] <= value <= _SQLITE_INT[1]:
                raise NotStorable(f"{name}: the number is too large to store")
        elif kind is float:
            if value != value or value in (float("inf"), float("-inf")):
                raise NotStorable(f"{name}: not a finite number")
        else:
            raise NotStorable(f"{name}: a value of a kind this laptop cannot store")


@contextlib.contextmanager
def applying(store: Store):
    """Apply server data without per-row foreign-key checks (see the module's docstring)."""
    store.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        store.conn.execute("PRAGMA foreign_keys = ON")


def apply_states(
    store: Store, states: list[dict], *, force: bool = False, pending: dict[tuple[str, str], set[str]] | None = None
) -> int:
    """Apply records as the server holds them, keeping fields with unsent local edits
    (they win here and are pushed next). Returns how many records changed.

    Batched per record type: one query each for the server versions held, the unsent
    edits and the rows held, then ``Store.apply_remote_many`` and one ``executemany``
    for the server versions; the caller's transaction holds it all. A record given
    twice is applied at its newest version. ``pending`` ((entity, id) -> fields with
    unsent edits) is given by a caller that already knows them."""
    by_entity: dict[str, dict[str, dict]] = {}
    for state in states:
        if state["entity"] not in SYNCABLE:
            continue  # a record type from a newer server: ignored until this app knows it
        seen = by_entity.setdefault(state["entity"], {})
        earlier = seen.get(state["id"])
        if earlier is None or state["version"] >= earlier["version"]:
            seen[state["id"]] = state
    changed = 0
    for entity, by_id in by_entity.items():
        held = local.server_versions(store, entity, list(by_id))
        todo = [s for s in by_id.values() if force or held.get(s["id"]) is None or s["version"] > held[s["id"]]]
        if not todo:
            continue
        ids = [s["id"] for s in todo]
        if pending is None:
            unsent = local.pending_fields_many(store, entity, ids)
        else:
            unsent = {i: pending.get((entity, i), set()) for i in ids}
        current = store.rows_by_id(entity, ids)
        items = []
        for state in todo:
            check_values(entity, state["fields"])
            mine_pending = unsent.get(state["id"], set())
            row = current.get(state["id"])
            versions = dict(state["field_versions"])
            deleted = state["deleted"]
            if row is not None:
                mine = json.loads(row["field_versions"] or "{}")
                versions.update({k: mine[k] for k in mine_pending if k in mine})
                if local.DELETED in mine_pending:  # an unsent delete or restore
                    deleted = bool(row["deleted"])
            items.append(
                {
                    "id": state["id"],
                    "version": max(state["version"], row["version"] if row else 0),
                    "values": {k: v for k, v in state["fields"].items() if k not in mine_pending},
                    "field_versions": versions,
                    "deleted": deleted,
                }
            )
        changed += len(store.apply_remote_many(entity, items, current=current))
        local.set_server_versions(store, entity, [(s["id"], s["version"]) for s in todo], held)
    return changed


_sorted_json = json.JSONEncoder(sort_keys=True).encode  # as the store writes field versions


def field_versions_text(state: dict) -> str:
    """A record state's field versions as the store holds them (JSON, keys sorted)."""
    return _sorted_json(state["field_versions"])


def versions_held(store: Store, entity: str, ids: list[str]) -> dict[str, tuple]:
    """(version, field versions text, deleted) of the rows of ``entity`` held with these
    ids, by id."""
    found: dict[str, tuple] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for record_id, version, field_versions, deleted in store.conn.execute(
            f"SELECT id, version, field_versions, deleted FROM [{entity}] WHERE id IN "
            f"({', '.join('?' for _ in chunk)})",
            chunk,
        ):
            found[record_id] = (version, field_versions, deleted)
    return found
