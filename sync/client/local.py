"""The laptop's sync state in the store, and what the UI shows and does about it.

Tables (store migration 3): ``sync_state`` (cursor, server URL, last sync),
``sync_record`` (the server version of each record held), ``conflict`` (both values
of a field edited in two places) and ``review`` (unsent edits of a case that was
reallocated away). Outbox states: ``pending`` -> ``sent``, or ``rejected`` (needs
attention), or ``review``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from desktop.store import Store, StoreError, utc_now
from desktop.store.schema import SYNCABLE
from sync.protocol import DIGEST_SET, digest, record_hash, set_digest_of, shapes

# Among a record's pending fields: its deleted flag has an unsent change (a delete, or a
# restore, which is sent as a create of the same id). Until that is sent, the laptop's
# flag stands against pulled data.
DELETED = "__deleted__"


def entry_fields(op: str, fields: str) -> set[str]:
    """The names an outbox entry changes (its JSON ``fields``), with ``DELETED`` for a
    delete or a create (on a new record nothing is pulled, so it only matters for a
    restore)."""
    if op == "delete":
        return {DELETED}
    names = set(json.loads(fields))
    return names | {DELETED} if op == "create" else names


def get_state(store: Store, key: str, default: str | None = None) -> str | None:
    row = store.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_state(store: Store, key: str, value: str) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO sync_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def server_version(store: Store, entity: str, record_id: str) -> int | None:
    row = store.conn.execute(
        "SELECT server_version FROM sync_record WHERE entity = ? AND record_id = ?", (entity, record_id)
    ).fetchone()
    return row[0] if row else None


def server_versions(store: Store, entity: str, record_ids: list[str]) -> dict[str, int]:
    """The server versions held for these records of one type (those held), by id."""
    found: dict[str, int] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        found.update(
            store.conn.execute(
                "SELECT record_id, server_version FROM sync_record WHERE entity = ? AND "
                f"record_id IN ({', '.join('?' for _ in chunk)})",
                [entity, *chunk],
            )
        )
    return found


def set_server_versions(
    store: Store, entity: str, versions: list[tuple[str, int]], held: dict[str, int] | None = None
) -> None:
    """Record the server versions now held for records of one type (each id once).
    ``held``: their versions before, if the caller already read them (``server_versions``).
    The remembered "set" digest is brought up to date in the same transaction."""
    store.conn.execute("DELETE FROM sync_state WHERE key = 'digest'")  # the sorted one
    sums = _remembered_sums(store)
    if sums is not None:
        if held is None:
            held = server_versions(store, entity, [record_id for record_id, _ in versions])
        count, total, sum1, sum2 = sums
        for record_id, version in versions:
            old = held.get(record_id)
            if old == version:
                continue
            h1, h2 = record_hash(entity, record_id, version)
            if old is None:
                count, total = count + 1, total + version
            else:
                o1, o2 = record_hash(entity, record_id, old)
                total, h1, h2 = total + version - old, h1 - o1, h2 - o2
            sum1, sum2 = sum1 + h1, sum2 + h2
        _remember_sums(store, (count, total, sum1, sum2))
    store.conn.executemany(
        "INSERT INTO sync_record(entity, record_id, server_version) VALUES (?, ?, ?) "
        "ON CONFLICT(entity, record_id) DO UPDATE SET server_version = excluded.server_version",
        [(entity, record_id, version) for record_id, version in versions],
    )


def pending_fields_many(store: Store, entity: str, record_ids: list[str]) -> dict[str, set[str]]:
    """``pending_fields`` for many records of one type: only those with unsent edits.

    One pass over the entity's pending outbox entries (the outbox has no index by record;
    after a push there are usually none)."""
    wanted = set(record_ids)
    names: dict[str, set[str]] = {}
    for record_id, op, fields in store.conn.execute(
        "SELECT record_id, op, fields FROM outbox WHERE state = 'pending' AND entity = ?", (entity,)
    ):
        if record_id in wanted:
            names.setdefault(record_id, set()).update(entry_fields(op, fields))
    return names


def pending_fields(store: Store, entity: str, record_id: str) -> set[str]:
    """Fields with unsent local edits (and ``DELETED`` for an unsent delete or restore)."""
    names: set[str] = set()
    for op, fields in store.conn.execute(
        "SELECT op, fields FROM outbox WHERE state = 'pending' AND entity = ? AND record_id = ?", (entity, record_id)
    ):
        names |= entry_fields(op, fields)
    return names


def held_versions(store: Store) -> list[tuple[str, str, int]]:
    """(entity, id, server version) of every record this laptop holds from the server."""
    return [tuple(r) for r in store.conn.execute("SELECT entity, record_id, server_version FROM sync_record")]


def forget_digest(store: Store) -> None:
    """Drop the remembered digests: called by everything here that removes ``sync_record``
    rows, in the same transaction as the change (``set_server_versions`` keeps the "set"
    digest up to date instead)."""
    store.conn.execute("DELETE FROM sync_state WHERE key IN ('digest', 'digest_set')")


def _fingerprint(store: Store) -> tuple[int, int]:
    """(row count, sum of versions) of ``sync_record``: one quick aggregate."""
    count, total = store.conn.execute("SELECT count(*), total(server_version) FROM sync_record").fetchone()
    return count, int(total)


def _remembered_sums(store: Store) -> tuple[int, int, int, int] | None:
    """(count, sum of versions, sum1, sum2) remembered for the "set" digest."""
    value = get_state(store, "digest_set")
    try:
        sums = tuple(int(x) for x in json.loads(value)) if value else None
    except (ValueError, TypeError):
        return None
    return sums if sums is not None and len(sums) == 4 else None


def _remember_sums(store: Store, sums: tuple[int, int, int, int]) -> None:
    set_state(store, "digest_set", json.dumps(list(sums)))


def held_digest(store: Store, algorithm: str = DIGEST_SET) -> str:
    """The digest (``algorithm``: "set" or "sorted", see ``sync.protocol``) of
    ``held_versions(store)``, without hashing 200,000 records at every sync.

    "set": its sums are kept in ``sync_state`` and brought up to date by every change to
    ``sync_record`` (``set_server_versions``), so a sync that changed a few records costs a
    few hashes. "sorted": remembered until anything changes. Both are checked against a
    fingerprint of ``sync_record`` (row count and sum of versions), which catches most
    changes made any other way (a damaged or hand-edited table); those get a full
    recomputation."""
    count, total = _fingerprint(store)
    if algorithm == DIGEST_SET:
        sums = _remembered_sums(store)
        if sums is None or sums[:2] != (count, total):
            sum1 = sum2 = 0
            for entity, record_id, version in held_versions(store):
                h1, h2 = record_hash(entity, record_id, version)
                sum1, sum2 = sum1 + h1, sum2 + h2
            sums = (count, total, sum1, sum2)
            _remember_sums(store, sums)
        return set_digest_of(count, sums[2], sums[3])
    fingerprint = f"{count}:{total}"
    remembered = (get_state(store, "digest") or "").split(" ")
    if len(remembered) == 2 and remembered[0] == fingerprint:
        return remembered[1]
    value = digest(held_versions(store))
    set_state(store, "digest", f"{fingerprint} {value}")
    return value


def record_conflicts(store: Store, entity: str, record_id: str, mutation_id: str, conflicts: list[dict]) -> None:
    for c in conflicts:
        store.conn.execute(
            "INSERT OR IGNORE INTO conflict (id, entity, record_id, field, kind, local_value, "
            "remote_value, mutation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                c["id"],
                entity,
                record_id,
                c["field"],
                c["kind"],
                json.dumps(c.get("other_value")),
                json.dumps(c.get("kept_value")),
                mutation_id,
                utc_now(),
            ),
        )
        store.log("sync_conflict", entity, record_id, f"{c['field']} ({c['kind']})")


def _children(store: Store, entity: str, record_id: str) -> list[tuple[str, str]]:
    found = []
    for child, shape in shapes().items():
        if child not in SYNCABLE:
            continue
        for name, target in shape.references.items():
            if target == entity and child != entity:
                found += [
                    (child, r[0])
                    for r in store.conn.execute(f"SELECT id FROM [{child}] WHERE [{name}] = ?", (record_id,))
                ]
    return found


def case_closure(store: Store, referral_id: str) -> list[tuple[str, str]]:
    """The referral, everything hanging off it, and its pupil when no other case here
    names that pupil: what leaves the laptop when the case is reallocated. Children
    come before their parents."""
    order: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def visit(entity: str, record_id: str) -> None:
        if (entity, record_id) in seen:
            return
        seen.add((entity, record_id))
        for child in _children(store, entity, record_id):
            if entity == "pupil":
                row = store.get(child[0], child[1], include_deleted=True) or {}
                if row.get("referral_id") and ("referral", row["referral_id"]) not in seen:
                    continue  # belongs to another case still held here
            visit(*child)
        order.append((entity, record_id))

    referral = store.get("referral", referral_id, include_deleted=True)
    if referral is None:
        return []
    visit("referral", referral_id)
    pupil = referral.get("pupil_id")
    if (
        pupil
        and not store.conn.execute(
            "SELECT 1 FROM referral WHERE pupil_id = ? AND id != ?", (pupil, referral_id)
        ).fetchone()
    ):
        visit("pupil", pupil)
    school = referral.get("school_id")
    if school and not [c for c in _children(store, "school", school) if c not in seen]:
        order.append(("school", school))  # nothing left here needs it
    return order


def purge_with_review(store: Store, entity: str, record_id: str, reason: str) -> bool:
    """Remove a record from the laptop; unsent edits of it go to the review list first.
    Returns whether anything went to review."""
    pending = [
        dict(r)
        for r in store.db.query(
            "SELECT mutation_id, op, fields, created_at FROM outbox WHERE state = 'pending' "
            "AND entity = ? AND record_id = ? ORDER BY seq",
            [entity, record_id],
        )
    ]
    if pending:
        snapshot = store.get(entity, record_id, include_deleted=True)
        store.conn.execute(
            "INSERT INTO review (entity, record_id, reason, record, changes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (entity, record_id, reason, json.dumps(snapshot, default=str), json.dumps(pending), utc_now()),
        )
        store.conn.executemany(
            "UPDATE outbox SET state = 'review' WHERE mutation_id = ?", [(p["mutation_id"],) for p in pending]
        )
    store.purge_record(entity, record_id, reason)
    return bool(pending)


# -- what the UI shows ------------------------------------------------------------------------
@dataclass
class SyncStatus:
    """Everything the status indicator and the "needs attention" list need."""

    server_url: str | None
    last_synced_at: str | None
    last_error: str | None
    changes_waiting: int
    needs_attention: list[dict] = field(default_factory=list)  # rejected outbox entries
    conflicts: list[dict] = field(default_factory=list)  # open conflicts, both values
    review: list[dict] = field(default_factory=list)  # unsent edits of reallocated cases
    # Pulled records this laptop could not store (sync.client.quarantine), oldest first.
    quarantined: list[dict] = field(default_factory=list)
    last_error_kind: str | None = None  # "offline" (not reached) or "error" (anything else)

    @property
    def attention_count(self) -> int:
        return len(self.needs_attention) + len(self.conflicts) + len(self.review) + len(self.quarantined)


def quarantined(store: Store) -> list[dict]:
    """Open quarantined records, oldest first (``state`` parsed); ``sync.client.quarantine``
    keeps and settles them."""
    items = []
    for row in store.db.query("SELECT * FROM quarantine WHERE resolved_at IS NULL ORDER BY seq"):
        item = dict(row)
        try:
            item["state"] = json.loads(item["state"])
        except ValueError:
            item["state"] = {}
        items.append(item)
    return items


def sync_status(store: Store) -> SyncStatus:
    """Sync status from the store alone (no network): cheap enough for a status bar."""

    def rows(sql):
        return [dict(r) for r in store.db.query(sql)]

    conflicts = rows("SELECT * FROM conflict WHERE resolved_at IS NULL ORDER BY created_at")
    for c in conflicts:
        c["local_value"] = json.loads(c["local_value"]) if c["local_value"] else None
        c["remote_value"] = json.loads(c["remote_value"]) if c["remote_value"] else None
    return SyncStatus(
        server_url=get_state(store, "server_url"),
        last_synced_at=get_state(store, "last_synced_at"),
        last_error=get_state(store, "last_error") or None,
        changes_waiting=store.pending_count(),
        needs_attention=rows(
            "SELECT seq, mutation_id, entity, record_id, op, fields, "
            "created_at, attempts, last_error FROM outbox "
            "WHERE state = 'rejected' ORDER BY seq"
        ),
        conflicts=conflicts,
        review=rows("SELECT * FROM review WHERE resolved_at IS NULL ORDER BY seq"),
        quarantined=quarantined(store),
        last_error_kind=get_state(store, "last_error_kind") or None,
    )


def resolve_conflict(store: Store, conflict_id: str, keep: str) -> None:
    """A person's choice for a conflict: ``keep='local'`` (this laptop's side) or
    ``'remote'`` (the server's side). Whatever changes is a new, audited edit that syncs:

    * ``same_field``: local writes this laptop's value again;
    * ``edit_vs_delete`` (this laptop edited a record deleted elsewhere): local restores
      the record with this laptop's value; remote accepts the deletion;
    * ``delete_vs_edit`` (this laptop deleted a record changed elsewhere): remote restores
      the record (their change included); local lets the deletion stand;
    * ``edit_vs_final``: finalised evidence never changes, so only remote (a correction
      is made through the form or observation itself).
    """
    row = store.conn.execute(
        "SELECT entity, record_id, field, kind, local_value FROM conflict WHERE id = ? AND resolved_at IS NULL",
        (conflict_id,),
    ).fetchone()
    if row is None:
        raise StoreError("That conflict is not open.")
    entity, record_id, name, kind, local_value = row
    if keep not in ("local", "remote"):
        raise StoreError("Choose 'local' or 'remote'.")
    with store.transaction():
        if keep == "local" and not can_keep_local(kind, name):
            raise StoreError("Finalised evidence never changes; make a correction instead.")
        current = store.get(entity, record_id, include_deleted=True)
        brings_back = (kind, keep) in (("edit_vs_delete", "local"), ("delete_vs_edit", "remote"))
        if (brings_back or keep == "local") and current is None:
            raise StoreError("That record is no longer on this laptop.")
        changes = (
            {name: json.loads(local_value)} if keep == "local" and kind in ("same_field", "edit_vs_delete") else {}
        )
        if brings_back and current["deleted"]:
            store.restore(entity, record_id, changes)
        elif changes:
            store.update(entity, record_id, changes)
        store.conn.execute(
            "UPDATE conflict SET resolved_at = ?, resolution = ? WHERE id = ?", (utc_now(), keep, conflict_id)
        )
        store.log("resolve_conflict", entity, record_id, f"{name}: kept {keep}")


def can_keep_local(kind: str, name: str) -> bool:
    """Whether this laptop's side of a conflict can be kept (not for finalised evidence)."""
    return kind != "edit_vs_final" and name not in (DELETED, "(deleted)")


def dismiss_review(store: Store, review_seq: int) -> None:
    """Mark a review item dealt with (its content stays in the table)."""
    with store.transaction():
        row = store.conn.execute("SELECT entity, record_id FROM review WHERE seq = ?", (review_seq,)).fetchone()
        if row is None:
            raise StoreError("No such review item.")
        store.conn.execute("UPDATE review SET resolved_at = ? WHERE seq = ?", (utc_now(), review_seq))
        store.log("review_dismissed", row[0], row[1])
