"""A stray -wal never touches the store (issue 9, item 3).

Each case builds a real store, leaves a journal beside it as a crash would (the files
copied while the connection is open, between transactions), and opens it again: the
store's own journal is kept and applied; a journal that is not the store's is moved into a
dated quarantine folder, the user is told, and the store is opened without it, unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.store import CorruptStore, Store, open_store
from desktop.store import walguard
from desktop.store.keys import KeyManager
from desktop.store.schema import APPLICATION_ID
from tests.conftest import PASSPHRASE

KEY = bytes(range(32))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def crash_image(store: Store, folder: Path) -> Path:
    """The database and its journal as a power cut now would leave them."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "fieldnote.db"
    shutil.copy(store.path, db)
    shutil.copy(walguard.wal_path(store.path), walguard.wal_path(db))
    return db


def schools(store: Store) -> list[str]:
    return sorted(r["name"] for r in store.db.query("SELECT name FROM school"))


def store_with_schools(path: Path, key: bytes, names: list[str]) -> None:
    s = Store.open(path, key)
    for n in names:
        s.create("school", {"name": n})
    s.close()


def quarantined(home: Path) -> list[Path]:
    return sorted(p for p in (home / "quarantine").rglob("*") if p.is_file()) if (home / "quarantine").exists() else []


def open_and_check(db: Path, key: bytes, expected_schools: list[str]) -> Store:
    before = digest(db)
    s = Store.open(db, key)
    try:
        assert schools(s) == expected_schools
        assert s.integrity_ok()
    finally:
        s.close()
    assert digest(db) == before  # "the store itself was not changed" is true
    return s


def test_the_stores_own_journal_after_a_crash_is_kept_and_applied(tmp_path):
    live = Store.open(tmp_path / "live.db", KEY)
    live.create("school", {"name": "Checkpointed"})
    live.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    live.create("school", {"name": "Only in the journal"})
    db = crash_image(live, tmp_path / "after-crash")
    live.close()
    s = Store.open(db, KEY)
    try:
        assert schools(s) == ["Checkpointed", "Only in the journal"]
        assert s.notices == [] and quarantined(db.parent) == []
        assert s.integrity_ok()
    finally:
        s.close()


@pytest.mark.parametrize("other_key", [bytes(range(1, 33)), KEY], ids=["other-key", "same-key"])
def test_a_journal_from_another_fieldnote_store_is_moved_aside(tmp_path, other_key):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "fieldnote.db"
    store_with_schools(db, KEY, ["Ours"])
    other = Store.open(tmp_path / "other.db", other_key)
    other.create("school", {"name": "Theirs"})
    other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for i in range(30):
        other.create("school", {"name": f"Theirs {i}", "address": "x" * 300})
    stray = walguard.wal_path(crash_image(other, tmp_path / "their-crash"))
    other.close()
    shutil.copy(stray, walguard.wal_path(db))
    s = open_and_check(db, KEY, ["Ours"])
    assert len(s.notices) == 1
    assert "does not belong to this store" in s.notices[0]
    assert "the store itself was not changed" in s.notices[0]
    moved = quarantined(home)
    assert [p.name for p in moved] == ["fieldnote.db-wal"] or sorted(p.name for p in moved) == [
        "fieldnote.db-shm",
        "fieldnote.db-wal",
    ]
    wal = next(p for p in moved if p.name == "fieldnote.db-wal")
    assert digest(wal) == digest(stray)  # kept, byte for byte, for whoever needs it
    assert str(wal.parent) in s.notices[0]
    # Opening again is quiet: nothing is left to judge.
    assert open_and_check(db, KEY, ["Ours"]).notices == []


def test_an_older_store_put_back_beside_a_newer_journal_is_opened_without_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "fieldnote.db"
    store_with_schools(db, KEY, [f"Early {i}" for i in range(20)])
    older = tmp_path / "older.db"
    shutil.copy(db, older)
    s = Store.open(db, KEY)
    with s.transaction():
        for i in range(300):
            s.create("school", {"name": f"Later {i}", "address": "y" * 200})
    s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for row in list(s.db.query("SELECT id FROM school LIMIT 150")):
        s.update("school", row["id"], {"area": "Moved"})
    newer = crash_image(s, tmp_path / "newer")
    s.close()
    # The pair really is inconsistent: read through the journal, it fails its check.
    pair = tmp_path / "pair"
    pair.mkdir()
    shutil.copy(older, pair / "fieldnote.db")
    shutil.copy(walguard.wal_path(newer), walguard.wal_path(pair / "fieldnote.db"))
    assert walguard._probe(walguard._uri(pair / "fieldnote.db", mode="ro"), KEY, APPLICATION_ID, full=True) is not None
    # Put the older file back beside the newer journal, as a restore from a copy would.
    shutil.copy(older, db)
    shutil.copy(walguard.wal_path(newer), walguard.wal_path(db))
    s = open_and_check(db, KEY, sorted(f"Early {i}" for i in range(20)))
    assert len(s.notices) == 1 and "does not belong" in s.notices[0]
    assert digest(db) == digest(older)


def test_random_bytes_as_a_journal_are_moved_aside(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "fieldnote.db"
    store_with_schools(db, KEY, ["Ours"])
    walguard.wal_path(db).write_bytes(os.urandom(40_000))
    s = open_and_check(db, KEY, ["Ours"])
    assert len(s.notices) == 1 and "not an SQLite journal" in s.notices[0]
    assert [p.name for p in quarantined(home)] == ["fieldnote.db-wal"]


def test_a_journal_beside_a_store_that_cannot_be_read_is_left_and_nothing_changes(tmp_path):
    """The store itself is the problem (another key): the refusal says nothing changed, and
    it is true of the store and its journal."""
    other = Store.open(tmp_path / "other.db", bytes(range(1, 33)))
    other.create("school", {"name": "Theirs"})
    db = crash_image(other, tmp_path / "home")
    other.close()
    wal = walguard.wal_path(db)
    before = (digest(db), digest(wal))
    with pytest.raises(CorruptStore, match="It has not been changed"):
        Store.open(db, KEY)
    assert (digest(db), digest(wal)) == before
    assert quarantined(db.parent) == []


def test_the_command_line_prints_what_was_moved(tmp_path, isolated_home, monkeypatch, capsys):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    s = open_store(isolated_home)
    s.create("school", {"name": "Ours"})
    s.close()
    walguard.wal_path(isolated_home / "fieldnote.db").write_bytes(os.urandom(5000))
    assert main(["activity", "-o", str(tmp_path / "audit.csv")]) == 0
    err = capsys.readouterr().err
    assert "fieldnote.db-wal" in err and "moved to" in err and str(isolated_home / "quarantine") in err


def test_the_wal_header_check_follows_sqlites_rules(tmp_path):
    live = Store.open(tmp_path / "live.db", KEY)
    live.create("school", {"name": "A"})
    data = walguard.wal_path(live.path).read_bytes()
    live.close()
    assert walguard.wal_header_problem(data) is None
    assert walguard.committed_frames(data) >= 1
    damaged = bytearray(data)
    damaged[20] ^= 0xFF  # a salt byte: the header checksum no longer matches
    assert walguard.wal_header_problem(bytes(damaged)) == "its header is damaged"
    assert walguard.committed_frames(data[:32]) == 0


def test_a_second_connection_in_the_same_process_does_not_judge_the_live_journal(isolated_home):
    key = KeyManager(isolated_home).obtain(PASSPHRASE)
    first = Store.open(isolated_home / "fieldnote.db", key)
    first.create("school", {"name": "Live"})
    assert walguard.wal_path(first.path).stat().st_size > 0
    second = Store.open(first.path, key)
    try:
        assert second.notices == [] and schools(second) == ["Live"]
    finally:
        second.close()
        first.close()


def test_a_journal_another_process_is_writing_is_left_alone(tmp_path):
    """A live journal (the app open while a command runs) is never judged or moved, even
    when it would not pass for the store's own: only SQLite's lock on the -shm decides."""
    import subprocess
    import sys
    import textwrap

    db = tmp_path / "fieldnote.db"
    store_with_schools(db, KEY, ["Ours"])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, sqlcipher3
        c = sqlcipher3.connect({str(db)!r}, isolation_level=None)
        c.execute("PRAGMA key = \\"x'{KEY.hex()}'\\"")
        c.execute("INSERT INTO meta(key, value) VALUES ('live', '1')")
        print("ready", flush=True)
        sys.stdin.readline()
        c.close()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert walguard.in_use_elsewhere(db) == (os.name == "posix")
        if os.name == "posix":
            assert walguard.check_wal(db, KEY, APPLICATION_ID) is None
            assert quarantined(tmp_path) == []
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    assert walguard.in_use_elsewhere(db) is False


def test_a_journal_with_no_complete_frame_is_left_to_sqlite(tmp_path):
    """A valid header whose frames are torn or absent: SQLite applies none of it (and starts
    the journal afresh), so it is neither judged nor moved, and the store opens as it is."""
    live = Store.open(tmp_path / "live.db", KEY)
    live.create("school", {"name": "A"})
    header = walguard.wal_path(live.path).read_bytes()[: 32 + 24 + 100]  # a torn first frame
    live.close()
    home = tmp_path / "home"
    home.mkdir()
    db = home / "fieldnote.db"
    store_with_schools(db, KEY, ["Ours"])
    walguard.wal_path(db).write_bytes(header)
    assert walguard.wal_header_problem(header) is None and walguard.committed_frames(header) == 0
    assert open_and_check(db, KEY, ["Ours"]).notices == []
    assert quarantined(home) == []


def test_damaged_copies_of_a_foreign_journal_never_change_the_store(tmp_path):
    """Thirty foreign journals with bytes flipped here and there (headers, frame headers,
    page images): each time the store opens with its own content, unchanged and sound."""
    import random

    home = tmp_path / "home"
    home.mkdir()
    db = home / "fieldnote.db"
    store_with_schools(db, KEY, ["Ours"])
    other = Store.open(tmp_path / "other.db", KEY)
    other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for i in range(10):
        other.create("school", {"name": f"Theirs {i}"})
    stray = walguard.wal_path(other.path).read_bytes()
    other.close()
    rng = random.Random(9)
    before = digest(db)
    for _ in range(30):
        data = bytearray(stray)
        for _ in range(rng.randint(1, 4)):
            data[rng.choice([rng.randrange(32), rng.randrange(32, 32 + 24), rng.randrange(len(data))])] ^= (
                1 << rng.randrange(8)
            )
        walguard.wal_path(db).write_bytes(bytes(data))
        s = Store.open(db, KEY)
        try:
            assert schools(s) == ["Ours"] and s.integrity_ok()
        finally:
            s.close()
        assert digest(db) == before
        assert (
            not walguard.wal_path(db).exists()
            or walguard.wal_path(db).stat().st_size == 0
            or walguard.committed_frames(walguard.wal_path(db).read_bytes()) == 0
        )
