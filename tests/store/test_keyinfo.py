"""keyinfo.json: a damaged or tampered file gives a clear message, never a traceback; the
scrypt cost is today's and older stores are upgraded as they unlock, safely; the data
folder and its files are owner-only where the OS allows (issue 9, item 11)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat

import pytest

from desktop.cli import main
from desktop.store import KeyInfoDamaged, Store, WrongPassphrase, open_store
from desktop.store import keys as keys_module
from desktop.store.keys import KeyManager
from tests.conftest import PASSPHRASE

OLD_PARAMS = {"n": 2**15, "r": 8, "p": 1}  # what Fieldnote used before


def info_of(home):
    return json.loads((home / "keyinfo.json").read_text())


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def made(isolated_home):
    """A passphrase store with one school; closed."""
    store = open_store(isolated_home, PASSPHRASE)
    store.create("school", {"name": "Wrenfield Academy"})
    store.close()
    return isolated_home


def _set(field, value):
    def change(raw):
        raw[field] = value
        return raw

    return change


def _set_kdf(field, value):
    def change(raw):
        raw["kdf"][field] = value
        return raw

    return change


def _drop(field):
    def change(raw):
        raw.pop(field)
        return raw

    return change


TAMPERED = {
    "non-hex salt": (_set("salt", "zz" * 16), "'salt' is not hexadecimal"),
    "short salt": (_set("salt", "ab"), "'salt' has the wrong length"),
    "salt a number": (_set("salt", 12), "'salt' is missing or not text"),
    "absurd n": (_set_kdf("n", 2**40), "scrypt parameter 'n'"),
    "n not a power of two": (_set_kdf("n", 100_000), "not a power of two"),
    "r as text": (_set_kdf("r", "8"), "scrypt parameter 'r' is missing or not a whole number"),
    "p zero": (_set_kdf("p", 0), r"scrypt parameter 'p' \(0\) is outside"),
    "r*n too much memory": (
        lambda raw: raw | {"kdf": {"n": 2**20, "r": 32, "p": 1}},
        "scrypt parameter 'r'|more memory",
    ),
    "kdf not an object": (_set("kdf", [1, 2]), "scrypt parameters"),
    "missing check": (_drop("check"), "'check' is missing"),
    "missing mode": (_drop("mode"), "'mode' is missing"),
    "unknown mode": (_set("mode", "plaintext"), "'mode'"),
    "store id not an id": (_set("store_id", "../../etc"), "'store_id'"),
    "unknown format": (_set("format", 9), "format"),
    "wrapped key not hex": (
        lambda raw: raw | {"format": 2, "wrapped_key": "x" * 64},
        "'wrapped_key' is not hexadecimal",
    ),
    "a JSON list": (lambda raw: [raw], "does not hold a JSON object"),
}


@pytest.mark.parametrize("case", list(TAMPERED), ids=list(TAMPERED))
def test_a_tampered_keyinfo_gives_a_clear_message_and_changes_nothing(made, case, capsys, monkeypatch):
    change, expected = TAMPERED[case]
    path = made / "keyinfo.json"
    path.write_text(json.dumps(change(info_of(made))))
    before = (digest(path), digest(made / "fieldnote.db"))
    with pytest.raises(KeyInfoDamaged, match=expected) as raised:
        open_store(made, PASSPHRASE)
    assert "is damaged" in str(raised.value) and "Nothing has been changed" in str(raised.value)
    # The command line says it in one line, no traceback.
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    assert main(["activity"]) == 1
    err = capsys.readouterr().err
    assert "is damaged" in err and "Traceback" not in err
    assert (digest(path), digest(made / "fieldnote.db")) == before


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b""], ids=["not JSON", "not text", "empty"])
def test_a_keyinfo_that_is_not_json_is_refused_clearly(made, content):
    (made / "keyinfo.json").write_bytes(content)
    with pytest.raises(KeyInfoDamaged, match="is damaged: it is not (valid JSON|text)"):
        open_store(made, PASSPHRASE)


def test_new_stores_use_todays_scrypt_parameters(isolated_home, monkeypatch):
    monkeypatch.setattr(keys_module, "SCRYPT_PARAMS", dict(keys_module.RECOMMENDED_SCRYPT_PARAMS))
    assert keys_module.RECOMMENDED_SCRYPT_PARAMS == {"n": 2**17, "r": 8, "p": 1}
    open_store(isolated_home, PASSPHRASE).close()
    info = info_of(isolated_home)
    assert info["kdf"] == {"n": 2**17, "r": 8, "p": 1} and info["format"] == 1
    store = open_store(isolated_home, PASSPHRASE)
    store.close()
    assert info_of(isolated_home) == info  # nothing to upgrade


def test_a_store_with_old_parameters_is_upgraded_as_it_unlocks(isolated_home, monkeypatch):
    monkeypatch.setattr(keys_module, "SCRYPT_PARAMS", dict(OLD_PARAMS))
    store = open_store(isolated_home, PASSPHRASE)
    store.create("school", {"name": "Wrenfield Academy"})
    store.close()
    old_info = info_of(isolated_home)
    assert old_info["kdf"] == OLD_PARAMS
    saved_old = isolated_home.parent / "keyinfo-old.json"
    shutil.copy(isolated_home / "keyinfo.json", saved_old)

    monkeypatch.setattr(keys_module, "SCRYPT_PARAMS", dict(keys_module.RECOMMENDED_SCRYPT_PARAMS))
    # A wrong passphrase upgrades nothing.
    with pytest.raises(WrongPassphrase):
        open_store(isolated_home, "not the passphrase")
    assert info_of(isolated_home) == old_info
    key = KeyManager(isolated_home).obtain(PASSPHRASE)
    new_info = info_of(isolated_home)
    assert new_info["kdf"] == keys_module.RECOMMENDED_SCRYPT_PARAMS and new_info["format"] == 2
    assert new_info["salt"] != old_info["salt"] and new_info["check"] == old_info["check"]
    assert key.hex() not in json.dumps(new_info)
    # The store key is unchanged: the database was not rewritten and opens with it.
    store = Store.open(isolated_home / "fieldnote.db", key)
    assert [r["name"] for r in store.db.query("SELECT name FROM school")] == ["Wrenfield Academy"]
    store.close()
    # The upgraded file unlocks with the passphrase, and refuses a wrong one.
    assert KeyManager(isolated_home).obtain(PASSPHRASE) == key
    assert not KeyManager(isolated_home).verify_passphrase("not the passphrase")
    # A crash before the new file was renamed into place leaves the old one (and perhaps a
    # half-written temporary file): it still unlocks, and is upgraded again.
    shutil.copy(saved_old, isolated_home / "keyinfo.json")
    (isolated_home / "keyinfo.json.tmp").write_text('{"format": 2, "mode": "pass')
    assert KeyManager(isolated_home).obtain(PASSPHRASE) == key
    assert info_of(isolated_home)["format"] == 2


def test_a_keyinfo_asking_for_weaker_parameters_cannot_unlock_with_them(made):
    """Tampering the cost down does not help a guesser: the key no longer matches."""
    raw = info_of(made)
    raw["kdf"] = {"n": 2**10, "r": 1, "p": 1}
    (made / "keyinfo.json").write_text(json.dumps(raw))
    with pytest.raises(WrongPassphrase):
        open_store(made, PASSPHRASE)


posix_only = pytest.mark.skipif(os.name != "posix", reason="owner-only modes are POSIX")


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_the_data_folder_and_its_files_are_owner_only(isolated_home, monkeypatch):
    from desktop import paths

    old_umask = os.umask(0o022)
    try:
        monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
        home = paths.data_dir()
        store = open_store(home)
        store.create("school", {"name": "Wrenfield Academy"})
        assert mode(home) == 0o700
        for name in ("fieldnote.db", "fieldnote.db-wal", "fieldnote.db-shm", "keyinfo.json"):
            assert mode(home / name) == 0o600, name
        store.close()
    finally:
        os.umask(old_umask)


@posix_only
def test_backups_made_before_a_migration_are_owner_only(isolated_home):
    old_umask = os.umask(0o022)
    try:
        key = KeyManager(isolated_home).obtain(PASSPHRASE)
        Store.open(isolated_home / "fieldnote.db", key, target_version=1).close()
        Store.open(isolated_home / "fieldnote.db", key).close()
        backups = isolated_home / "backups"
        (backup,) = list(backups.iterdir())
        assert mode(backups) == 0o700 and mode(backup) == 0o600
    finally:
        os.umask(old_umask)


@posix_only
def test_the_servers_sqlite_file_is_owner_only(tmp_path):
    from sync.server.db import make_engine, migrate

    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "server" / "fieldnote-server.db"
        engine = make_engine(f"sqlite:///{path.as_posix()}")
        migrate(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM app_user").fetchone()
            for name in ("fieldnote-server.db", "fieldnote-server.db-wal", "fieldnote-server.db-shm"):
                assert mode(path.parent / name) == 0o600, name
        engine.dispose()
        assert mode(path.parent) == 0o700
    finally:
        os.umask(old_umask)


def test_private_helpers_do_nothing_where_there_are_no_posix_modes(tmp_path, monkeypatch):
    """On Windows (no POSIX modes) the helpers make the folder and file and call no chmod."""
    from desktop.store import private

    monkeypatch.setattr(private, "POSIX", False)
    calls = []
    monkeypatch.setattr(private.os, "chmod", lambda *a: calls.append(a))
    private.make_private_dir(tmp_path / "a" / "b")
    private.write_private_text(tmp_path / "a" / "b" / "f.json", "{}")
    private.make_private_file(tmp_path / "a" / "b" / "f.json")
    assert calls == [] and (tmp_path / "a" / "b" / "f.json").read_text() == "{}"
