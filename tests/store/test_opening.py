"""Files that are damaged, foreign, newer or wrongly keyed get a clear error and are never changed."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from desktop.store import (
    CorruptStore,
    NewerSchema,
    NotAFieldnoteStore,
    Store,
    open_store,
)
from desktop.store.keys import KeyManager
from desktop.store.schema import LATEST_VERSION
from tests.conftest import PASSPHRASE


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def key(isolated_home):
    return KeyManager(isolated_home).obtain(PASSPHRASE)


def test_plain_sqlite_file_is_refused_unchanged(isolated_home, key):
    path = isolated_home / "fieldnote.db"
    plain = sqlite3.connect(path)
    plain.execute("CREATE TABLE notes(x)")
    plain.commit()
    plain.close()
    before = digest(path)
    with pytest.raises(NotAFieldnoteStore, match="unencrypted SQLite database"):
        Store.open(path, key)
    assert digest(path) == before


def test_random_bytes_are_refused_unchanged(isolated_home, key):
    path = isolated_home / "fieldnote.db"
    path.write_bytes(os.urandom(8192))
    before = digest(path)
    with pytest.raises(CorruptStore, match="damaged"):
        Store.open(path, key)
    assert digest(path) == before


def test_empty_file_is_refused(isolated_home, key):
    path = isolated_home / "fieldnote.db"
    path.write_bytes(b"")
    with pytest.raises(CorruptStore, match="empty"):
        Store.open(path, key)
    assert path.read_bytes() == b""


def test_damaged_first_page_is_refused_unchanged(store, isolated_home, key):
    store.create("school", {"name": "Wrenfield Academy"})
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    path = isolated_home / "fieldnote.db"
    data = bytearray(path.read_bytes())
    for i in range(100, 200):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(CorruptStore):
        Store.open(path, key)
    assert digest(path) == before


def test_damaged_later_page_is_found_by_the_page_check(isolated_home, key):
    store = Store.open(isolated_home / "fieldnote.db", key)
    with store.transaction():
        for i in range(300):
            store.create("school", {"name": f"School {i}", "address": "x" * 200})
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert store.damaged_pages() == []
    store.close()
    path = isolated_home / "fieldnote.db"
    data = bytearray(path.read_bytes())
    data[4096 * 5 + 300] ^= 0x01
    path.write_bytes(bytes(data))
    store = Store.open(path, key)  # the first page is fine, so it opens
    assert store.damaged_pages() != []
    store.close()


def test_store_made_with_another_key_is_refused(isolated_home, key, tmp_path):
    other_home = tmp_path / "other"
    other = open_store(other_home, "a different passphrase")
    other.create("school", {"name": "Elsewhere"})
    other.close()
    path = other_home / "fieldnote.db"
    before = digest(path)
    with pytest.raises(CorruptStore, match="not made with this computer's key"):
        Store.open(path, key)
    assert digest(path) == before


def test_newer_schema_is_refused_unchanged(store, isolated_home, key):
    store.conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    store.close()
    path = isolated_home / "fieldnote.db"
    before = digest(path)
    with pytest.raises(NewerSchema, match="newer version of Fieldnote"):
        Store.open(path, key)
    assert digest(path) == before


def test_encrypted_database_that_is_not_fieldnotes_is_refused(isolated_home, key):
    import sqlcipher3

    path = isolated_home / "fieldnote.db"
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("CREATE TABLE invoices(x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(NotAFieldnoteStore, match="not a Fieldnote store"):
        Store.open(path, key)
    assert digest(path) == before


def test_database_without_its_key_information_is_refused(store, isolated_home):
    store.close()
    (isolated_home / "keyinfo.json").unlink()
    with pytest.raises(NotAFieldnoteStore, match="key information"):
        open_store(isolated_home, PASSPHRASE)


def test_connection_settings(store):
    pragma = lambda name: store.conn.execute(f"PRAGMA {name}").fetchone()[0]
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") == 10000
    assert store.schema_version == LATEST_VERSION
