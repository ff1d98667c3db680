"""A laptop store put back from an older copy of its data folder (issue 9, item 4).

The copy carries the laptop's device id and its outbox numbering (``outbox.seq``, sent as
``client_seq``) as they stood when it was made. Its new edits would be numbered again from
there, below what the server has already stored from that device, and the server would
take them for stale copies of that laptop's own later edits and drop them. So before each
push the laptop asks the server for its device's mark (``POST /sync/device``: the highest
``client_seq`` stored from this device and that entry's mutation id) and compares it with
its own outbox:

* the outbox holds that number with the same mutation id: all is well;
* it holds that number with another mutation id: the store was put back and has since
  numbered new edits past the copy (or two copies of one store are in use);
* it no longer holds that number: all is well if the server acknowledged that number to
  this store (sent entries are pruned after 30 days; ``acked_seq:<device>`` in
  ``sync_state`` remembers the highest acknowledged), otherwise the store was put back.

Recovery, before the push: a new device id; each unsent outbox entry the server already
holds (it was sent from the newer copy) stays exactly as it is, so it is replayed and
answered with the server's stored result; every other unsent entry is renumbered under the
new device id with a new mutation id (same change, same base version), so the server
applies it (or records a conflict) like any other laptop's edit. The sync then pulls the
whole scope again, which brings back what the newer copy had sent.
"""
from __future__ import annotations

import json

from desktop.store import Store, new_id
from sync.client import local
from sync.client.errors import Refused, SyncError
from sync.client.transport import Transport

_CHUNK = 500  # mutation ids per question (the server's limit)


def _acked_key(device_id: str) -> str:
    return f"acked_seq:{device_id}"


def note_acked(store: Store, rows: list[dict], results: list[dict]) -> None:
    """Remember the highest outbox number of this device the server stored a result for
    (inside the caller's transaction, with the outbox states)."""
    seqs = [row["seq"] for row, result in zip(rows, results)
            if result["status"] != "retry" and row["device_id"] == store.device_id]
    if not seqs:
        return
    key = _acked_key(store.device_id)
    if max(seqs) > int(local.get_state(store, key, "0") or 0):
        local.set_state(store, key, str(max(seqs)))


def _ask(transport: Transport, device_id: str, mutation_ids: list[str]) -> dict:
    answer = transport.post("/sync/device", {"device_id": device_id,
                                             "mutation_ids": mutation_ids})
    high, mid = answer.get("high_seq"), answer.get("high_mutation_id")
    if not (high is None or (isinstance(high, int) and isinstance(mid, str))) \
            or not isinstance(answer.get("known"), list):
        raise SyncError("The server's answer was not understood (device). Nothing local "
                        "was changed.")
    return answer


def rewound(store: Store, high_seq: int | None, high_mutation_id: str | None) -> bool:
    """Whether this store is older than what the server has stored from its device."""
    if high_seq is None:
        return False
    row = store.conn.execute("SELECT mutation_id FROM outbox WHERE seq = ?",
                             (high_seq,)).fetchone()
    if row is not None:
        return row[0] != high_mutation_id
    acked = local.get_state(store, _acked_key(store.device_id))
    if acked is not None:
        return int(acked) < high_seq
    # A store from before acknowledgements were remembered: it cannot have pruned a
    # number it never issued.
    issued = store.conn.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return (issued[0] if issued else 0) < high_seq


def check_device(store: Store, transport: Transport) -> int | None:
    """Ask the server about this store's device; if the store was put back from an older
    copy, give it a new device identity and renumber what the server lacks. Returns the
    number of entries renumbered, or None when nothing was wrong (or the server predates
    device marks)."""
    try:
        mark = _ask(transport, store.device_id, [])
    except Refused as exc:
        if exc.status in (404, 405):
            return None  # a server from before device marks
        raise
    if not rewound(store, mark["high_seq"], mark["high_mutation_id"]):
        return None
    return renew_device(store, transport)


def renew_device(store: Store, transport: Transport) -> int:
    """New device id; unsent entries the server lacks get new numbers and mutation ids."""
    pending = store.pending_changes()
    known: set[str] = set()
    by_device: dict[str, list[str]] = {}
    for e in pending:
        by_device.setdefault(e["device_id"], []).append(e["mutation_id"])
    for device_id, ids in by_device.items():
        for start in range(0, len(ids), _CHUNK):
            known |= set(_ask(transport, device_id, ids[start:start + _CHUNK])["known"])
    old_device, device = store.device_id, new_id()
    columns = [r[1] for r in store.conn.execute("PRAGMA table_info(outbox)")
               if r[1] not in ("seq", "mutation_id", "device_id")]
    moved = 0
    with store.transaction():
        store.set_meta("device_id", device)
        for e in pending:  # oldest first: the new numbers keep their order
            if e["mutation_id"] in known:
                continue  # replayed unchanged; the server answers with what it stored
            store.conn.execute(
                f"INSERT INTO outbox (mutation_id, device_id, {', '.join(columns)}) "
                f"VALUES (?, ?, {', '.join('?' for _ in columns)})",
                [new_id(), device, *(e[c] for c in columns)])
            # The insert trigger captured today's server version; the edit was made on
            # the one it names.
            store.conn.execute("UPDATE outbox SET server_base = ? WHERE seq = "
                               "last_insert_rowid()", (e["server_base"],))
            store.conn.execute("DELETE FROM outbox WHERE seq = ?", (e["seq"],))
            moved += 1
        local.set_state(store, "device_renewed", json.dumps(
            {"old": old_device, "new": device, "renumbered": moved,
             "replayed": len(pending) - moved}))
        store.log("device_renewed", None, None,
                  f"store restored from an older copy; {moved} unsent change(s) renumbered")
    return moved
