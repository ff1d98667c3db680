"""Attachments: content-addressed blobs, uploaded in chunks.

Tables as declared in ``sync.server.attachments``: ``blob_upload`` (each user's upload of
a file: declared size, bytes received, verified or not), ``blob_chunk`` (the bytes, one
row per chunk as sent) and ``blob`` (files whose bytes were verified, once per content).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_upload",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("blob_upload_user", "blob_upload", ["user_id", "complete", "updated_at"])
    op.create_table(
        "blob_chunk",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("byte_offset", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("byte_count", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for name in ("blob", "blob_chunk", "blob_upload"):
        op.drop_table(name)
