"""Revision 0005_unique_key: records already held get their unique keys; a duplicate the
server accepted before it keeps a null key (the oldest record holds it), so the upgrade
never fails on old data; afterwards the database itself refuses a second holder."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from sync import rules
from sync.server.db import alembic_config, make_engine, migrate
from tests.sync.test_migrations import database_url  # noqa: F401 - the fixture (both databases)


def test_upgrading_fills_unique_keys_and_tolerates_old_duplicates(database_url):  # noqa: F811
    engine = make_engine(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    completion, observation = str(uuid.uuid4()), str(uuid.uuid4())
    first, duplicate, other, event = (str(uuid.uuid4()) for _ in range(4))
    rows = [
        ("form_answer", first, {"completion_id": completion, "item_id": "q1"}, 1),
        ("form_answer", duplicate, {"completion_id": completion, "item_id": "q1"}, 2),
        ("form_answer", other, {"completion_id": completion, "item_id": "q2"}, 3),
        ("observation_event", event, {"observation_id": observation, "seq": 1, "type": "started", "payload": "{}"}, 4),
        ("visit", str(uuid.uuid4()), {"notes": "x"}, 5),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO record (entity, id, data, version, field_versions, field_writers, "
                "deleted, seq) VALUES (:e, :i, :d, 1, '{}', '{}', false, :s)"
            ),
            [{"e": e, "i": i, "d": json.dumps(d), "s": s} for e, i, d, s in rows],
        )
    migrate(engine)
    with engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT id, unique_key FROM record")).all())
    assert keys[first] == rules.unique_key("form_answer", rows[0][2])
    assert keys[duplicate] is None
    assert keys[other] == rules.unique_key("form_answer", rows[2][2])
    assert keys[event] == rules.unique_key("observation_event", rows[3][2])
    assert keys[rows[4][1]] is None
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE record SET unique_key = :k WHERE id = :i"), {"k": keys[first], "i": duplicate})
    engine.dispose()
