"""One form answer per (completion, item), one observation event per (observation, seq).

Revision ID: 0005_unique_key
Revises: 0004
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0005_unique_key"
down_revision = "0004"
branch_labels = None
depends_on = None

# The store's UNIQUE indexes as sync.rules.unique_fields() reads them when this was written
# (frozen here, as a migration must be).
UNIQUE = {"form_answer": ("completion_id", "item_id"), "observation_event": ("observation_id", "seq")}


def _key(entity: str, data: dict) -> str | None:
    """sync.rules.unique_key, as it was when this was written."""
    values = [data.get(name) for name in UNIQUE[entity]]
    if any(v is None for v in values):
        return None
    return hashlib.sha256(json.dumps([entity, *values], separators=(",", ":"), ensure_ascii=True).encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("record") as batch:
        batch.add_column(sa.Column("unique_key", sa.String(64), nullable=True))
    # Keys for the records already held. A duplicate accepted before this revision keeps a
    # null key (the oldest record holds it), so the upgrade cannot fail on old data.
    record = sa.table(
        "record",
        sa.column("entity", sa.String),
        sa.column("id", sa.String),
        sa.column("data", sa.JSON),
        sa.column("seq", sa.BigInteger),
        sa.column("unique_key", sa.String),
    )
    conn = op.get_bind()
    update = (
        record.update()
        .where(record.c.entity == sa.bindparam("b_entity"), record.c.id == sa.bindparam("b_id"))
        .values(unique_key=sa.bindparam("key"))
    )
    for entity in UNIQUE:
        seen: set[str] = set()
        params = []
        rows = conn.execute(
            sa.select(record.c.id, record.c.data).where(record.c.entity == entity).order_by(record.c.seq)
        )
        for record_id, data in rows:
            key = _key(entity, data if isinstance(data, dict) else json.loads(data or "{}"))
            if key is not None and key not in seen:
                seen.add(key)
                params.append({"b_entity": entity, "b_id": record_id, "key": key})
        for start in range(0, len(params), 5000):
            conn.execute(update, params[start : start + 5000])
    op.create_index("record_unique_key", "record", ["entity", "unique_key"], unique=True)


def downgrade() -> None:
    op.drop_index("record_unique_key", table_name="record")
    with op.batch_alter_table("record") as batch:
        batch.drop_column("unique_key")
