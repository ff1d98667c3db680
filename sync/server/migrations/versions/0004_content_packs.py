"""Instrument packs and audit templates published from the server.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per published (pack id, version); the body is the pack's JSON exactly as
    # published, addressed by its SHA-256 (sync/server/content.py).
    op.create_table(
        "content_pack",
        sa.Column("pack_id", sa.String(200), primary_key=True),
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("published_at", sa.Float, nullable=False),
        sa.Column("published_by", sa.String(36), nullable=True),
        sa.Column("withdrawn_at", sa.Float, nullable=True),
        sa.Column("withdrawn_by", sa.String(36), nullable=True),
    )
    op.create_index("content_pack_sha256", "content_pack", ["sha256"])


def downgrade() -> None:
    op.drop_index("content_pack_sha256", table_name="content_pack")
    op.drop_table("content_pack")
