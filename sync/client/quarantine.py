"""Pulled records this laptop cannot store: kept aside with the reason, never a stop.

A record from the server (a pull page, or a push reply) that fails to apply here — a
constraint or trigger of this store, a unique index, a value of a kind SQLite cannot
hold, text in a JSON column that is not JSON — goes to the ``quarantine`` table (store
migration 8) as the server sent it, and the rest of the page is applied and the cursor
moves on (no record can stop a sync). The server version is recorded as received
(``sync_record``), so the digest still matches and the record is not fetched again.

A person then deals with it from Needs attention (or ``fieldnote sync --quarantine``):

* **retry** applies the kept state again (after an app or pack upgrade, say); if it now
  applies, the item is settled (``retried``), else it stays with the new reason;
* **dismiss** settles it without applying (this laptop goes without that version).

A newer version of the record that applies (a later pull, a full re-sync) settles the
item by itself (``superseded``); a full re-sync that no longer gives the record settles it
as ``out of scope``.
"""

from __future__ import annotations

import json
import re

import sqlcipher3

from desktop.store import Store, StoreError, utc_now
from desktop.store.schema import SYNCABLE
from sync.client import apply, local

# What a record failing to apply raises. Not ``OperationalError`` (disk full, I/O error,
# a locked store): that is this laptop's trouble, not the record's, and stops the sync.
APPLY_ERRORS = (
    sqlcipher3.IntegrityError,
    sqlcipher3.InterfaceError,
    sqlcipher3.ProgrammingError,
    sqlcipher3.DataError,
    StoreError,
    ValueError,
    TypeError,
    OverflowError,
    KeyError,
)


def reason_for(exc: BaseException) -> str:
    """Why a record could not be stored, in words an administrator can act on."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, apply.NotStorable):
        return f"A value cannot be stored here ({text})."
    match = re.match(r"(UNIQUE|NOT NULL) constraint failed: (.*)", text)
    if match:
        names = " and ".join(c.strip().split(".")[-1].replace("_", " ") for c in match[2].split(","))
        if match[1] == "NOT NULL":
            return f"A required detail is missing ({names})."
        return f"Another record here has the same {names}; that must be unique."
    match = re.match(r"CHECK constraint failed: (.*)", text)
    if match:
        return f"A value is not one this version of Fieldnote accepts ({match[1]})."
    if isinstance(exc, sqlcipher3.IntegrityError):
        return f"This laptop's rules refuse the record ({text})."
    if isinstance(exc, StoreError):
        return text
    return f"A value cannot be stored here ({text})."


def hold(store: Store, state: dict, reason: str) -> None:
    """Keep a record that could not be applied (the newest version per record), and count
    its server version as received. Runs inside the caller's transaction."""
    entity, record_id = str(state.get("entity")), str(state.get("id"))
    text = json.dumps(state, default=str, ensure_ascii=True)
    with store.transaction():
        open_row = store.conn.execute(
            "SELECT seq, version FROM quarantine WHERE entity = ? AND record_id = ? AND resolved_at IS NULL",
            (entity, record_id),
        ).fetchone()
        if open_row is None:
            store.conn.execute(
                "INSERT INTO quarantine (entity, record_id, version, state, reason, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (entity, record_id, int(state["version"]), text, reason, utc_now()),
            )
        elif int(state["version"]) >= open_row[1]:
            store.conn.execute(
                "UPDATE quarantine SET version = ?, state = ?, reason = ?, attempts = attempts + 1 WHERE seq = ?",
                (int(state["version"]), text, reason, open_row[0]),
            )
        if entity in SYNCABLE:
            local.set_server_versions(store, entity, [(record_id, int(state["version"]))])
        store.log("sync_quarantine", entity if entity in SYNCABLE else None, record_id, reason[:200])


def open_items(store: Store) -> list[dict]:
    """Open quarantined records, oldest first (``state`` parsed)."""
    return local.quarantined(store)


def open_count(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM quarantine WHERE resolved_at IS NULL").fetchone()[0]


def settle_applied(store: Store, states: list[dict], *, force: bool) -> None:
    """Records of ``states`` just applied: open items for them are settled when the applied
    version is newer (or was applied again by a full re-sync). Cheap when nothing is open."""
    if not states or not open_count(store):
        return
    for state in states:
        store.conn.execute(
            "UPDATE quarantine SET resolved_at = ?, resolution = 'superseded' WHERE "
            "resolved_at IS NULL AND entity = ? AND record_id = ? AND "
            f"(version < ? OR {1 if force else 0})",
            (utc_now(), state["entity"], state["id"], state["version"]),
        )


def settle_gone(store: Store, gone: set[tuple[str, str]]) -> None:
    """A full re-sync no longer gives these records: their items are settled."""
    if not gone or not open_count(store):
        return
    store.conn.executemany(
        "UPDATE quarantine SET resolved_at = ?, resolution = 'out of scope' WHERE "
        "resolved_at IS NULL AND entity = ? AND record_id = ?",
        [(utc_now(), entity, record_id) for entity, record_id in gone],
    )


def _item(store: Store, seq: int) -> dict:
    row = store.conn.execute(
        "SELECT entity, record_id, state FROM quarantine WHERE seq = ? AND resolved_at IS NULL", (seq,)
    ).fetchone()
    if row is None:
        raise StoreError(f"Item {seq} is not waiting in the quarantine.")
    return {"entity": row[0], "record_id": row[1], "state": row[2]}


def retry(store: Store, seq: int) -> str | None:
    """Apply a quarantined record again. Returns None when it is now stored (the item is
    settled), else the reason it still cannot be (the item stays, with that reason)."""
    item = _item(store, seq)
    state = json.loads(item["state"])
    try:
        with apply.applying(store), store.transaction():
            apply.apply_states(store, [state], force=True)
            store.conn.execute(
                "UPDATE quarantine SET resolved_at = ?, resolution = 'retried' WHERE seq = ?", (utc_now(), seq)
            )
            store.log("quarantine_retried", item["entity"], item["record_id"])
        return None
    except APPLY_ERRORS as exc:
        reason = reason_for(exc)
        with store.transaction():
            store.conn.execute("UPDATE quarantine SET reason = ?, attempts = attempts + 1 WHERE seq = ?", (reason, seq))
        return reason


def retry_all(store: Store) -> tuple[int, int]:
    """Retry every open item: (how many are now stored, how many still cannot be)."""
    stored = failed = 0
    for item in open_items(store):
        if retry(store, item["seq"]) is None:
            stored += 1
        else:
            failed += 1
    return stored, failed


def dismiss(store: Store, seq: int) -> None:
    """Settle an item without storing it: this laptop goes without that version (a newer
    one from the server is still applied when it comes). Audited; the item stays on file."""
    item = _item(store, seq)
    with store.transaction():
        store.conn.execute(
            "UPDATE quarantine SET resolved_at = ?, resolution = 'dismissed' WHERE seq = ?", (utc_now(), seq)
        )
        store.log("quarantine_dismissed", item["entity"], item["record_id"])
