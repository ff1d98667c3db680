"""Backup and restore of the laptop's store (issue 12, item 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.store import open_store
from desktop.store.backup import BackupRefused, make_backup, restore_backup, unsent_reminder
from desktop.store.errors import WrongPassphrase
from tests.conftest import PASSPHRASE, file_bytes

WRITER = r"""
import sys
from desktop.store import keys
keys.SCRYPT_PARAMS = {"n": 2**14, "r": 8, "p": 1}  # as the test's own store was made
from desktop.store import open_store
store = open_store(sys.argv[1], sys.argv[2])
print("ready", flush=True)
n = 0
while sys.stdin.readline().strip() != "stop":
    for _ in range(20):
        n += 1
        store.create("caseworker", {"name": f"writer {n}"})
    print(n, flush=True)
store.close()
"""


def _ids(store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT id FROM caseworker")}


def test_backup_while_another_process_writes_restores_every_committed_edit(isolated_home, tmp_path):
    store = open_store(isolated_home, PASSPHRASE)
    for n in range(50):
        store.create("caseworker", {"name": f"before {n}"})
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(isolated_home), PASSPHRASE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        for _ in range(5):  # the writer commits batches of edits, interleaved with the backup
            writer.stdin.write("go\n")
            writer.stdin.flush()
            writer.stdout.readline()
        committed = _ids(store)  # everything committed before the backup began
        writer.stdin.write("go\n")  # and the writer keeps writing while it runs
        writer.stdin.flush()
        manifest = make_backup(store, isolated_home / "keyinfo.json", tmp_path / "b.fnbackup")
        writer.stdout.readline()
        writer.stdin.write("stop\n")
        writer.stdin.flush()
        assert writer.wait(timeout=60) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
        store.close()
    assert len(committed) >= 150
    target = tmp_path / "restored"
    assert restore_backup(tmp_path / "b.fnbackup", target, PASSPHRASE)["db_sha256"] == manifest["db_sha256"]
    restored = open_store(target, PASSPHRASE)
    try:
        assert restored.integrity_ok()
        assert committed <= _ids(restored)
        assert restored.audit_trail()[-1]["action"] == "restore"
    finally:
        restored.close()


@pytest.fixture
def backup_file(store, isolated_home, tmp_path):
    store.create("caseworker", {"name": "Sam Whitfield"})
    out = tmp_path / "store.fnbackup"
    make_backup(store, isolated_home / "keyinfo.json", out)
    return out


def _empty_target(tmp_path) -> Path:
    target = tmp_path / "target"
    target.mkdir()
    return target


def test_restore_into_an_empty_folder(backup_file, tmp_path):
    target = _empty_target(tmp_path)
    restore_backup(backup_file, target, PASSPHRASE)
    restored = open_store(target, PASSPHRASE)
    try:
        assert [r["name"] for r in restored.db["caseworker"].rows] == ["Sam Whitfield"]
        assert restored.pending_count() == 1  # the unsent change travels with the backup
    finally:
        restored.close()


def test_refuses_a_truncated_backup(backup_file, tmp_path):
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[: len(data) // 2])
    target = _empty_target(tmp_path)
    with pytest.raises(BackupRefused, match="incomplete or damaged"):
        restore_backup(backup_file, target, PASSPHRASE)
    assert list(target.iterdir()) == []


def test_refuses_a_backup_whose_database_was_altered(backup_file, tmp_path):
    with zipfile.ZipFile(backup_file) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    db = bytearray(members["fieldnote.db"])
    db[5000] ^= 0xFF
    members["fieldnote.db"] = bytes(db)
    with zipfile.ZipFile(backup_file, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    target = _empty_target(tmp_path)
    with pytest.raises(BackupRefused, match="does not match its checksum"):
        restore_backup(backup_file, target, PASSPHRASE)
    assert list(target.iterdir()) == []


def test_refuses_a_backup_made_with_another_key(backup_file, tmp_path):
    # The database of this backup, with the key information of another store (another key).
    other_home = tmp_path / "other"
    open_store(other_home, PASSPHRASE).close()
    other_info = (other_home / "keyinfo.json").read_text()
    with zipfile.ZipFile(backup_file) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["store_id"] = json.loads(other_info)["store_id"]
    members.update({"keyinfo.json": other_info.encode(), "manifest.json": json.dumps(manifest).encode()})
    with zipfile.ZipFile(backup_file, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    target = _empty_target(tmp_path)
    with pytest.raises(BackupRefused, match="not made with the key"):
        restore_backup(backup_file, target, PASSPHRASE)
    assert list(target.iterdir()) == []


def test_refuses_the_wrong_passphrase(backup_file, tmp_path):
    target = _empty_target(tmp_path)
    with pytest.raises(WrongPassphrase):
        restore_backup(backup_file, target, "not the passphrase")
    assert list(target.iterdir()) == []


def test_refuses_a_target_with_unsent_changes(backup_file, tmp_path):
    target = tmp_path / "target"
    other = open_store(target, PASSPHRASE)
    other.create("caseworker", {"name": "Not yet sent"})
    other.close()
    before = file_bytes(target)
    with pytest.raises(BackupRefused, match="1 change\\(s\\) not yet sent"):
        restore_backup(backup_file, target, PASSPHRASE)
    assert file_bytes(target) == before


def test_replaces_a_store_with_nothing_unsent_keeping_it_aside(backup_file, tmp_path):
    target = tmp_path / "target"
    other = open_store(target, PASSPHRASE)
    other.create("caseworker", {"name": "Already sent"})
    other.mark_sent([r["mutation_id"] for r in other.pending_changes()])
    other.close()
    restore_backup(backup_file, target, PASSPHRASE)
    restored = open_store(target, PASSPHRASE)
    try:
        assert [r["name"] for r in restored.db["caseworker"].rows] == ["Sam Whitfield"]
    finally:
        restored.close()
    kept = list((target / "backups").glob("replaced-by-restore-*/fieldnote.db"))
    assert len(kept) == 1


def test_backup_and_restore_commands(store, isolated_home, tmp_path, monkeypatch, capsys):
    from desktop.cli import main

    store.create("caseworker", {"name": "Sam Whitfield"})
    store.close()
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "cli.fnbackup"
    assert main(["backup", "-o", str(out)]) == 0
    assert "1 change(s) not yet sent" in capsys.readouterr().out
    # The same data folder has an unsent change: restore is refused, clearly.
    assert main(["restore", str(out)]) == 1
    assert "not yet sent to the server" in capsys.readouterr().err
    monkeypatch.setenv("FIELDNOTE_HOME", str(tmp_path / "fresh"))
    assert main(["restore", str(out)]) == 0
    restored = open_store(tmp_path / "fresh", PASSPHRASE)
    try:
        assert restored.pending_count() == 1
    finally:
        restored.close()


def test_unsent_reminder_after_the_set_number_of_days(store):
    assert unsent_reminder(store, 7) is None
    store.create("caseworker", {"name": "Sam Whitfield"})
    now = datetime.now(timezone.utc)
    assert unsent_reminder(store, 7, now + timedelta(days=6)) is None
    message = unsent_reminder(store, 7, now + timedelta(days=8))
    assert message.startswith("1 change(s) have not reached the server")
    assert unsent_reminder(store, 10, now + timedelta(days=8)) is None
    store.mark_sent([r["mutation_id"] for r in store.pending_changes()])
    assert unsent_reminder(store, 7, now + timedelta(days=8)) is None
