"""Per-record version hashes for the order-independent ("set") digest.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from sync.protocol import record_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record") as batch:
        batch.add_column(sa.Column("h1", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("h2", sa.BigInteger, nullable=False, server_default="0"))
    # Hashes for the records already held, a few thousand at a time.
    record = sa.table(
        "record",
        sa.column("entity", sa.String),
        sa.column("id", sa.String),
        sa.column("version", sa.Integer),
        sa.column("h1", sa.BigInteger),
        sa.column("h2", sa.BigInteger),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(record.c.entity, record.c.id, record.c.version)).all()
    update = (
        record.update()
        .where(record.c.entity == sa.bindparam("b_entity"), record.c.id == sa.bindparam("b_id"))
        .values(h1=sa.bindparam("v1"), h2=sa.bindparam("v2"))
    )
    for start in range(0, len(rows), 5000):
        params = []
        for entity, record_id, version in rows[start : start + 5000]:
            h1, h2 = record_hash(entity, record_id, version)
            params.append({"b_entity": entity, "b_id": record_id, "v1": h1, "v2": h2})
        conn.execute(update, params)


def downgrade() -> None:
    with op.batch_alter_table("record") as batch:
        batch.drop_column("h2")
        batch.drop_column("h1")
