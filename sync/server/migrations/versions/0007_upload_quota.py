"""Completed uploads no record names: when a record was first seen naming them.

Revision ID: 0007_upload_quota
Revises: 0006_device
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_upload_quota"
down_revision = "0006_device"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no attachment record was seen naming the file yet (sync/server/attachments.py,
    # quota and expiry of unclaimed uploads).
    with op.batch_alter_table("blob_upload") as batch:
        batch.add_column(sa.Column("claimed_at", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blob_upload") as batch:
        batch.drop_column("claimed_at")
