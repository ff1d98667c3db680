"""Schema changes only through numbered, transactional migrations."""

from __future__ import annotations

import pytest

from desktop.store import Store
from desktop.store import schema
from desktop.store.keys import KeyManager
from tests.conftest import PASSPHRASE


@pytest.fixture
def key(isolated_home):
    return KeyManager(isolated_home).obtain(PASSPHRASE)


def _rows_for_version(store: Store, version: int) -> None:
    """Data a user of that schema version could have had."""
    if version >= 1:
        school = store.create("school", {"name": "Saltings Primary School"})
        pupil = store.create("pupil", {"school_id": school, "first_name": "Leo", "last_name": "Ward"})
        store.create(
            "referral", {"pupil_id": pupil, "school_id": school, "referral_date": "2026-01-05", "reason": "attendance"}
        )


@pytest.mark.parametrize("version", range(0, schema.LATEST_VERSION))
def test_opens_a_database_made_at_every_earlier_version(isolated_home, key, version):
    path = isolated_home / "fieldnote.db"
    old = Store.open(path, key, target_version=version)
    assert old.schema_version == version
    if version == 1:
        old.log = lambda *a, **k: None  # version 1 had no audit trail to write to
    _rows_for_version(old, version)
    old.close()

    store = Store.open(path, key)
    assert store.schema_version == schema.LATEST_VERSION
    if version >= 1:
        assert [r["name"] for r in store.db["school"].rows] == ["Saltings Primary School"]
        assert store.db["referral"].count == 1
        assert store.pending_count() == 3  # the old outbox survives the upgrade
        backups = list((isolated_home / "backups").glob(f"fieldnote-schema{version}-*.db"))
        assert len(backups) == 1
    store.create("school", {"name": "After upgrade"})  # and the upgraded store works
    assert "audit_log" in store.db.table_names()
    store.close()


def test_a_failing_migration_leaves_the_previous_version_intact(isolated_home, key, monkeypatch):
    path = isolated_home / "fieldnote.db"
    Store.open(path, key).close()
    broken = (
        schema.LATEST_VERSION + 1,
        "broken",
        [
            "CREATE TABLE half_done (x)",
            "CREATE TABLE school (x)",  # fails: the table exists
        ],
    )
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    monkeypatch.setattr(schema, "LATEST_VERSION", broken[0])
    import desktop.store.db as db

    monkeypatch.setattr(db, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(db, "LATEST_VERSION", broken[0])
    with pytest.raises(Exception, match="already exists"):
        Store.open(path, key)
    monkeypatch.undo()
    store = Store.open(path, key)
    assert store.schema_version == schema.LATEST_VERSION
    assert "half_done" not in store.db.table_names()
    store.close()


def test_versions_are_numbered_in_order():
    numbers = [v for v, _, _ in schema.MIGRATIONS]
    assert numbers == list(range(1, len(numbers) + 1))
