"""Writing one record as the sync server holds it, for tests that stage server data.

The sync engine applies pulled pages with ``Store.apply_remote_many``; this is the
record-at-a-time reference it is checked against (``tests/sync/test_batched.py``)
and a short way for a test to put a "pulled" version of one record in place.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.store.db import Store, utc_now


def apply_remote(
    store: Store,
    entity: str,
    record_id: str,
    values: dict[str, Any],
    *,
    version: int,
    field_versions: dict[str, int],
    deleted: bool,
) -> bool:
    """Write a record as the sync server holds it, with no outbox entry.

    ``values`` are the fields to set (the caller leaves out fields with unsent local
    edits); fields this schema does not know, from a newer server, are ignored.
    Returns whether anything changed, so re-applying the same data writes nothing.
    """
    known = store.columns(entity)
    values = {k: v for k, v in values.items() if k in known}
    current = store.get(entity, record_id, include_deleted=True)
    fv_text = json.dumps(field_versions, sort_keys=True)
    row = dict(values, version=version, field_versions=fv_text, deleted=int(bool(deleted)))
    if current is not None and all(current[k] == v for k, v in row.items()):
        return False
    row["modified_at"] = utc_now()
    with store.transaction():
        if current is None:
            row["id"] = record_id
            cols = ", ".join(f"[{c}]" for c in row)
            marks = ", ".join("?" for _ in row)
            store.conn.execute(f"INSERT INTO [{entity}] ({cols}) VALUES ({marks})", list(row.values()))
        else:
            sets = ", ".join(f"[{c}] = ?" for c in row)
            store._server_write(entity, f"UPDATE [{entity}] SET {sets} WHERE id = ?", [*row.values(), record_id])
    return True
