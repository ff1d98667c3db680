"""Changing the protection mode keeps the store's key: the same store opens afterwards."""

from __future__ import annotations

import pytest

from desktop.protection import ProtectionError, change_protection
from desktop.store import Store, open_store
from desktop.store.db import store_path
from desktop.store.errors import PassphraseRequired, WrongPassphrase
from desktop.store.keys import KEYRING_SERVICE, KeyManager
from tests.conftest import PASSPHRASE

NEW = "kettle drum orange sky"


def one_record(home, key) -> str:
    store = Store.open(store_path(home), key)
    try:
        return store.conn.execute("SELECT name FROM school").fetchone()[0]
    finally:
        store.close()


def make_store(home, passphrase=None):
    store = open_store(home, passphrase)
    store.create("school", {"name": "Hollowmere Primary School"})
    store.close()


def test_keyring_to_passphrase_and_back(isolated_home, memory_keyring):
    make_store(isolated_home)
    keys = KeyManager(isolated_home)
    account = keys.info().keyring_account
    key = keys.obtain()
    change_protection(keys, "passphrase", new_passphrase=NEW)
    assert keys.info().mode == "passphrase"
    assert (KEYRING_SERVICE, account) not in memory_keyring.secrets  # the key left the keyring
    with pytest.raises(PassphraseRequired):
        keys.obtain()
    assert keys.obtain(NEW) == key and one_record(isolated_home, keys.obtain(NEW)) == "Hollowmere Primary School"
    with pytest.raises(WrongPassphrase):
        change_protection(keys, "keyring", current_passphrase="not it")
    change_protection(keys, "keyring", current_passphrase=NEW)
    assert keys.info().mode == "keyring" and keys.obtain() == key
    assert memory_keyring.secrets[(KEYRING_SERVICE, account)] == key.hex()


def test_a_new_passphrase_replaces_the_old(isolated_home):
    make_store(isolated_home, PASSPHRASE)
    keys = KeyManager(isolated_home)
    key = keys.obtain(PASSPHRASE)
    change_protection(keys, "passphrase", current_passphrase=PASSPHRASE, new_passphrase=NEW)
    assert keys.obtain(NEW) == key
    with pytest.raises(WrongPassphrase):
        keys.obtain(PASSPHRASE)


def test_refusals_change_nothing(isolated_home):
    make_store(isolated_home, PASSPHRASE)
    keys = KeyManager(isolated_home)
    before = keys.info_path.read_bytes()
    with pytest.raises(ProtectionError, match="no OS keyring"):
        change_protection(keys, "keyring", current_passphrase=PASSPHRASE)
    with pytest.raises(ProtectionError, match="very common"):
        change_protection(keys, "passphrase", current_passphrase=PASSPHRASE, new_passphrase="password1234")
    with pytest.raises(WrongPassphrase):
        change_protection(keys, "passphrase", current_passphrase="wrong one", new_passphrase=NEW)
    assert keys.info_path.read_bytes() == before
