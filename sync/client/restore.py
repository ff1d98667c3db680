"""A laptop store put back from an older copy of its data folder (issue 9, item 4).

The copy carries the laptop's device id and its outbox numbering (``outbox.seq``, sent as
``client_seq``) as they stood when it was made. Its new edits would be numbered again from
there, below what the server has already stored from that device, and the server would
take them for stale copies of that laptop's own later edits and drop them.

So each push names the highest of this device's numbers the server has acknowledged to
this store (``device_acked``; kept in ``sync_state`` as ``acked_seq:<device id>`` with the
outbox states after every push reply). The server knows the highest it has stored from the
device (``sync.server.devices``); a mutation it has not stored, numbered above what this
store was told and at or below that mark, can only come from an older copy of the store
(or a second copy in use), and the server refuses the batch (``device_rewound``) before
applying anything. A lost reply is no such case: the entries it acknowledged are replays
the server recognises by their mutation ids.

Recovery (``renew_device``): a new device id; each unsent outbox entry the server already
holds (sent from the newer copy) stays exactly as it is, so it is replayed and answered
with the server's stored result; every other unsent entry is renumbered under the new
device id with a new mutation id (same change, same base version), so the server applies
it (or records a conflict) like any other laptop's edit. The sync then pulls the whole
scope again, which brings back what the newer copy had sent.
"""

from __future__ import annotations

import json

from desktop.store import Store, new_id
from sync.client import local
from sync.client.errors import SyncError
from sync.client.transport import Transport

_CHUNK = 500  # mutation ids per question (the server's limit)


def _acked_key(device_id: str) -> str:
    return f"acked_seq:{device_id}"


def acked_in(store: Store, rows: list[dict], results: list[dict]) -> int | None:
    """The highest outbox number of this device among ``rows`` the server stored a result
    for (None if none)."""
    device = store.device_id
    seqs = [
        row["seq"] for row, result in zip(rows, results) if result["status"] != "retry" and row["device_id"] == device
    ]
    return max(seqs) if seqs else None


def note_acked(store: Store, rows: list[dict], results: list[dict]) -> None:
    """Remember the highest outbox number of this device the server stored a result for
    (inside the caller's transaction, with the outbox states)."""
    high = acked_in(store, rows, results)
    if high is None:
        return
    key = _acked_key(store.device_id)
    if high > int(local.get_state(store, key, "0") or 0):
        local.set_state(store, key, str(high))


class Rewound(Exception):
    """The server refused a push: this store is older than what it has seen from its
    device."""


def acked(store: Store) -> dict | None:
    """What a push says the server acknowledged to this store (None before the first
    acknowledgement this store remembers: the server then checks nothing)."""
    device = store.device_id
    seq = local.get_state(store, _acked_key(device))
    return {"device_id": device, "seq": int(seq)} if seq else None


def _ask(transport: Transport, device_id: str, mutation_ids: list[str]) -> dict:
    answer = transport.post("/sync/device", {"device_id": device_id, "mutation_ids": mutation_ids})
    if not isinstance(answer.get("known"), list):
        raise SyncError("The server's answer was not understood (device). Nothing local was changed.")
    return answer


def renew_device(store: Store, transport: Transport) -> int:
    """New device id; unsent entries the server lacks get new numbers and mutation ids."""
    pending = store.pending_changes()
    known: set[str] = set()
    by_device: dict[str, list[str]] = {}
    for e in pending:
        by_device.setdefault(e["device_id"], []).append(e["mutation_id"])
    for device_id, ids in by_device.items():
        for start in range(0, len(ids), _CHUNK):
            known |= set(_ask(transport, device_id, ids[start : start + _CHUNK])["known"])
    old_device, device = store.device_id, new_id()
    columns = [
        r[1] for r in store.conn.execute("PRAGMA table_info(outbox)") if r[1] not in ("seq", "mutation_id", "device_id")
    ]
    moved = 0
    with store.transaction():
        store.set_meta("device_id", device)
        for e in pending:  # oldest first: the new numbers keep their order
            if e["mutation_id"] in known:
                continue  # replayed unchanged; the server answers with what it stored
            store.conn.execute(
                f"INSERT INTO outbox (mutation_id, device_id, {', '.join(columns)}) "
                f"VALUES (?, ?, {', '.join('?' for _ in columns)})",
                [new_id(), device, *(e[c] for c in columns)],
            )
            # The insert trigger captured today's server version; the edit was made on
            # the one it names.
            store.conn.execute("UPDATE outbox SET server_base = ? WHERE seq = last_insert_rowid()", (e["server_base"],))
            store.conn.execute("DELETE FROM outbox WHERE seq = ?", (e["seq"],))
            moved += 1
        local.set_state(
            store,
            "device_renewed",
            json.dumps({"old": old_device, "new": device, "renumbered": moved, "replayed": len(pending) - moved}),
        )
        store.log(
            "device_renewed", None, None, f"store restored from an older copy; {moved} unsent change(s) renumbered"
        )
    return moved
