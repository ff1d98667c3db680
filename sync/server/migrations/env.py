"""Alembic environment: runs on the connection ``sync.server.db.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from sync.server.db import make_engine, metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
