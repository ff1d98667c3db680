"""Accounts, tokens, login attempts, records, mutations, conflicts, reallocations.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(200), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("team", sa.String(100), sa.ForeignKey("team.name"), nullable=True),
        sa.Column("caseworker_id", sa.String(36), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "auth_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("login_attempt_user_at", "login_attempt", ["username", "at"])
    op.create_table(
        "sync_counter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO sync_counter (id, value) VALUES (1, 0)")
    op.create_table(
        "record",
        sa.Column("entity", sa.String(40), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("field_versions", sa.JSON, nullable=False),
        sa.Column("field_writers", sa.JSON, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("deleted_by", sa.JSON, nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("ref_id", sa.String(36), nullable=True),
        sa.Column("pupil_id", sa.String(36), nullable=True),
        sa.Column("school_id", sa.String(36), nullable=True),
        sa.Column("caseworker_id", sa.String(36), nullable=True),
        sa.Column("team", sa.String(100), nullable=True),
    )
    op.create_index("record_seq", "record", ["seq"])
    op.create_index("record_ref", "record", ["entity", "ref_id"])
    op.create_index("record_caseworker", "record", ["entity", "caseworker_id"])
    op.create_index("record_pupil", "record", ["entity", "pupil_id"])
    op.create_index("record_school", "record", ["entity", "school_id"])
    op.create_index("record_team", "record", ["entity", "team"])
    op.create_table(
        "mutation",
        sa.Column("mutation_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "conflict",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("kept_value", sa.JSON, nullable=True),
        sa.Column("other_value", sa.JSON, nullable=True),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("resolved_at", sa.Float, nullable=True),
    )
    op.create_index("conflict_record", "conflict", ["entity", "record_id"])
    op.create_table(
        "reallocation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("old_caseworker_id", sa.String(36), nullable=True),
        sa.Column("new_caseworker_id", sa.String(36), nullable=True),
    )
    op.create_index("reallocation_seq", "reallocation", ["seq"])


def downgrade() -> None:
    for name in (
        "reallocation",
        "conflict",
        "mutation",
        "record",
        "sync_counter",
        "login_attempt",
        "auth_token",
        "app_user",
        "team",
    ):
        op.drop_table(name)
