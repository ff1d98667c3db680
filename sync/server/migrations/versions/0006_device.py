"""Each laptop store's highest outbox number seen, to detect a store restored from a copy.

Revision ID: 0006_device
Revises: 0005_unique_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_device"
down_revision = "0005_unique_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("high_seq", sa.BigInteger, nullable=False),
        sa.Column("high_mutation_id", sa.String(36), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("device")
