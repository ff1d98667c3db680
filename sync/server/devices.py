"""What the server knows of each laptop store (device): the highest outbox number
(client_seq) it has stored a result for, and that entry's mutation id.

A laptop whose store was put back from an older copy numbers its new edits again from
where the copy stood, below what the server has seen from that device; the server would
take them for stale replays of that laptop's own earlier edits (``service._apply``'s
own-newer rule) and drop them.

Each push from a laptop names the highest number of its own the server has acknowledged
to it (``device_acked``). Numbers above that and up to the device's mark, on mutations the
server has not stored, can only come from a store put back from an older copy (or a second
copy of one store): ``check_acked`` refuses such a push before anything is applied, and the
laptop recovers (``sync.client.restore``), asking ``device_mark`` which of its unsent
changes the server already holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.server.accounts import User
from sync.server.db import device, mutation

_KNOWN_CHUNK = 500


class DeviceRewound(Exception):
    """A push numbered below what the server has stored from its device."""

    def __init__(self, high_seq: int):
        super().__init__(f"device rewound (server mark {high_seq})")
        self.high_seq = high_seq


def check_acked(conn: Connection, mutations: list[dict], acked: dict | None, known: set[str]) -> None:
    """Refuse (``DeviceRewound``) a push from a store older than what the server has seen
    from its device: a mutation of the acknowledging device, not stored here (``known``
    holds the batch's stored ids), numbered above what the laptop says was acknowledged
    to it and at or below the device's mark."""
    if not acked:
        return
    device_id, seq = acked["device_id"], acked["seq"]
    row = conn.execute(sa.select(device.c.high_seq).where(device.c.device_id == device_id)).first()
    if row is None or row.high_seq <= seq:
        return
    for m in mutations:
        if (
            m["device_id"] == device_id
            and m.get("client_seq") is not None
            and seq < m["client_seq"] <= row.high_seq
            and m["mutation_id"] not in known
        ):
            raise DeviceRewound(row.high_seq)


def note_pushed(conn: Connection, user: User, stored: list[dict], now: float) -> None:
    """Raise each device's mark to the highest client_seq among mutations just stored
    (called inside the push's write transaction, which serialises pushes)."""
    best: dict[str, dict] = {}
    for m in stored:
        seq = m.get("client_seq")
        if seq is None:
            continue
        if m["device_id"] not in best or seq > best[m["device_id"]]["client_seq"]:
            best[m["device_id"]] = m
    for device_id, m in best.items():
        row = conn.execute(sa.select(device.c.high_seq).where(device.c.device_id == device_id)).first()
        values = dict(user_id=user.id, high_seq=m["client_seq"], high_mutation_id=m["mutation_id"], updated_at=now)
        if row is None:
            conn.execute(device.insert().values(device_id=device_id, **values))
        elif m["client_seq"] > row.high_seq:
            conn.execute(device.update().where(device.c.device_id == device_id).values(**values))


def device_mark(conn: Connection, user: User, device_id: str, mutation_ids: list[str]) -> dict:
    """The device's mark (only for the user who last pushed from it, or an admin), and
    which of ``mutation_ids`` this user has pushed (a restored laptop re-sends those
    unchanged, as replays, and gives the rest new numbers)."""
    row = conn.execute(sa.select(device).where(device.c.device_id == device_id)).first()
    if row is not None and row.user_id != user.id and not user.is_admin:
        row = None
    known: list[str] = []
    ids = list(dict.fromkeys(mutation_ids))
    for start in range(0, len(ids), _KNOWN_CHUNK):
        known += [
            r[0]
            for r in conn.execute(
                sa.select(mutation.c.mutation_id).where(
                    mutation.c.mutation_id.in_(ids[start : start + _KNOWN_CHUNK]), mutation.c.user_id == user.id
                )
            )
        ]
    return {
        "device_id": device_id,
        "high_seq": row.high_seq if row is not None else None,
        "high_mutation_id": row.high_mutation_id if row is not None else None,
        "known": known,
    }
