"""Sign-in that cannot be turned against users or the server: attempts counted by account,
by client address and by known device; known devices; a refreshed token's successor.

Revision ID: 0008_signin
Revises: 0007_upload_quota
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_signin"
down_revision = "0007_upload_quota"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempt") as batch:
        batch.add_column(sa.Column("address", sa.String(64), nullable=True))
        batch.add_column(sa.Column("device", sa.String(64), nullable=True))
    op.create_index("login_attempt_address_at", "login_attempt", ["address", "at"])
    op.create_index("login_attempt_device_at", "login_attempt", ["device", "at"])
    op.create_index("login_attempt_at", "login_attempt", ["at"])
    with op.batch_alter_table("auth_token") as batch:
        batch.add_column(sa.Column("successor", sa.String(64), nullable=True))
    op.create_index("auth_token_successor", "auth_token", ["successor"])
    op.create_table(
        "known_device",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_used_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("known_device")
    op.drop_index("auth_token_successor", table_name="auth_token")
    with op.batch_alter_table("auth_token") as batch:
        batch.drop_column("successor")
    op.drop_index("login_attempt_at", table_name="login_attempt")
    op.drop_index("login_attempt_device_at", table_name="login_attempt")
    op.drop_index("login_attempt_address_at", table_name="login_attempt")
    with op.batch_alter_table("login_attempt") as batch:
        batch.drop_column("device")
        batch.drop_column("address")
