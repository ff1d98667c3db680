"""The server's schema under Alembic: the migrations build exactly the tables the code
declares, on SQLite and PostgreSQL, and data migrations fill what they add."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import sync.server.main  # noqa: F401 - imports every module that declares tables
from sync.protocol import record_hash
from sync.server.db import alembic_config, make_engine, metadata, migrate
from tests.sync.conftest import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'server.db').as_posix()}"
        return
    admin, name = postgres_database("fieldnote_mig")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_the_migrations_build_what_the_code_declares(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_a_first_version_database_hashes_its_records(database_url):
    """Records stored before the "set" digest get their hashes when the server upgrades."""
    engine = make_engine(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    rows = [("school", str(uuid.uuid4()), 1), ("visit", str(uuid.uuid4()), 7)]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO record (entity, id, data, version, field_versions, field_writers, "
                "deleted, seq) VALUES (:e, :i, '{}', :v, '{}', '{}', false, 1)"
            ),
            [{"e": e, "i": i, "v": v} for e, i, v in rows],
        )
    migrate(engine)
    with engine.connect() as conn:
        got = {(r.entity, r.id): (r.h1, r.h2) for r in conn.execute(sa.text("SELECT entity, id, h1, h2 FROM record"))}
    engine.dispose()
    assert got == {(e, i): record_hash(e, i, v) for e, i, v in rows}
