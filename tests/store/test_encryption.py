"""The store is encrypted at rest and its key never reaches the disk in clear."""

from __future__ import annotations

import json

import pytest

from desktop.store import (
    KeyMissing,
    PassphraseRequired,
    Store,
    WrongPassphrase,
    open_store,
)
from desktop.store.keys import KeyManager
from tests.conftest import PASSPHRASE, file_bytes


def _fill(store):
    school = store.create("school", {"name": "Hollowmere Primary School", "area": "Ashbridge North"})
    store.create(
        "pupil",
        {"school_id": school, "first_name": "Zebedee", "last_name": "Quillfeather", "date_of_birth": "2016-05-01"},
    )


def test_database_file_is_not_plain_sqlite_and_holds_no_names(store, isolated_home):
    """Neither the database nor its WAL shows the SQLite header or a school or pupil name."""
    _fill(store)
    everything = file_bytes(isolated_home)  # WAL not yet checkpointed: check it too
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = (isolated_home / "fieldnote.db").read_bytes()
    assert not db.startswith(b"SQLite format 3")
    for blob in (everything, db, file_bytes(isolated_home)):
        for name in (b"Hollowmere", b"Zebedee", b"Quillfeather", "Quillfeather".encode("utf-16-le")):
            assert name not in blob


def test_passphrase_mode_key_is_never_written(isolated_home):
    keys = KeyManager(isolated_home)
    key = keys.obtain(PASSPHRASE)
    store = Store.open(isolated_home / "fieldnote.db", key)
    _fill(store)
    store.close()
    disk = file_bytes(isolated_home)
    assert key not in disk and key.hex().encode() not in disk
    assert PASSPHRASE.encode() not in disk
    info = json.loads((isolated_home / "keyinfo.json").read_text())
    assert info["mode"] == "passphrase" and set(info) == {"format", "mode", "store_id", "check", "salt", "kdf"}


def test_no_keyring_and_no_passphrase_asks_for_one(isolated_home):
    with pytest.raises(PassphraseRequired):
        open_store(isolated_home)
    assert not (isolated_home / "fieldnote.db").exists()


def test_short_passphrase_is_refused_at_creation(isolated_home):
    with pytest.raises(PassphraseRequired, match="at least 8"):
        open_store(isolated_home, "short")


def test_wrong_passphrase_is_told_apart_and_changes_nothing(store, isolated_home):
    _fill(store)
    store.close()
    before = (isolated_home / "fieldnote.db").read_bytes()
    with pytest.raises(WrongPassphrase, match="does not unlock"):
        open_store(isolated_home, "not the passphrase")
    assert (isolated_home / "fieldnote.db").read_bytes() == before


def test_passphrase_from_environment(isolated_home, monkeypatch):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    store = open_store(isolated_home)
    _fill(store)
    store.close()
    monkeypatch.delenv("FIELDNOTE_PASSPHRASE")
    with pytest.raises(PassphraseRequired):
        open_store(isolated_home)
    assert open_store(isolated_home, PASSPHRASE).get  # opens with the same passphrase typed in


def test_keyring_mode_makes_a_random_key_and_keeps_it_in_the_keyring(isolated_home, memory_keyring):
    store = open_store(isolated_home)
    _fill(store)
    store.close()
    info = json.loads((isolated_home / "keyinfo.json").read_text())
    assert info["mode"] == "keyring" and "salt" not in info
    (secret,) = memory_keyring.secrets.values()
    assert len(bytes.fromhex(secret)) == 32
    assert secret.encode() not in file_bytes(isolated_home)
    reopened = open_store(isolated_home)
    assert reopened.db["pupil"].count == 1
    reopened.close()


def test_keyring_key_missing_gives_a_clear_error(isolated_home, memory_keyring):
    open_store(isolated_home).close()
    memory_keyring.secrets.clear()
    with pytest.raises(KeyMissing, match="not in this computer's keyring"):
        open_store(isolated_home)


def test_lock_screen_check_of_passphrase(store, isolated_home):
    keys = KeyManager(isolated_home)
    assert keys.verify_passphrase(PASSPHRASE)
    assert not keys.verify_passphrase(PASSPHRASE + "x")
