"""Attachments in the store: bytes kept once per content, encrypted, checked when read."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from desktop.store import attachments as att
from desktop.store.attachments import (
    AttachmentDamaged,
    AttachmentError,
    AttachmentNotHere,
    AttachmentTooLarge,
    add_attachment,
    attachments_for,
    collect_garbage,
    export_attachment,
    missing_blobs,
    read_attachment,
)


def _count(store, table):
    return store.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]


def test_adding_a_file_writes_bytes_record_outbox_and_audit_together(store, case, tmp_path):
    """The record names the bytes by SHA-256 and goes to the outbox; the bytes are read
    back intact; the media type and file name come from the file."""
    data = os.urandom(300_000)
    path = tmp_path / "Review report.pdf"
    path.write_bytes(data)
    attachment_id = add_attachment(store, path, referral_id=case["referral"])
    row = store.get("attachment", attachment_id)
    assert (row["sha256"], row["size"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (row["media_type"], row["filename"], row["title"]) == (
        "application/pdf",
        "Review report.pdf",
        "Review report.pdf",
    )
    assert read_attachment(store, attachment_id) == data
    [entry] = [e for e in store.pending_changes() if e["entity"] == "attachment"]
    assert entry["op"] == "create" and json.loads(entry["fields"])["sha256"] == row["sha256"]
    assert [e["action"] for e in store.audit_trail("attachment", attachment_id)] == ["create"]
    [listed] = attachments_for(store, case["referral"])
    assert listed["id"] == attachment_id and listed["held"] is True


def test_the_bytes_are_encrypted_at_rest(store, case):
    """The file's bytes are inside the SQLCipher store, not readable in the file on disk."""
    marker = b"PUPIL-REPORT-" + os.urandom(16).hex().encode()
    add_attachment(store, marker * 100, referral_id=case["referral"], title="Report")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = store.path.read_bytes()
    wal = store.path.with_name(store.path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert marker not in raw


def test_the_same_bytes_attached_twice_are_stored_once(store, case):
    data = os.urandom(10_000)
    first = add_attachment(store, data, referral_id=case["referral"], title="One")
    second = add_attachment(store, data, school_id=case["school"], title="Two")
    assert first != second and _count(store, "blob") == 1
    assert read_attachment(store, first) == read_attachment(store, second) == data


def test_files_above_the_limit_are_refused_with_nothing_written(store, case, tmp_path, monkeypatch):
    monkeypatch.setattr(att, "MAX_ATTACHMENT_BYTES", 1000)
    before = store.pending_count()
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(AttachmentTooLarge, match="at most"):
        add_attachment(store, big, referral_id=case["referral"])
    with pytest.raises(AttachmentTooLarge):
        add_attachment(store, b"x" * 1001, referral_id=case["referral"])
    assert _count(store, "blob") == 0 and _count(store, "attachment") == 0
    assert store.pending_count() == before


def test_the_default_limit_is_fifty_megabytes():
    assert att.MAX_ATTACHMENT_BYTES == 50 * 1024 * 1024


def test_a_missing_file_or_an_unknown_case_is_a_clear_error(store, case, tmp_path):
    with pytest.raises(AttachmentError, match="no file"):
        add_attachment(store, tmp_path / "nope.pdf", referral_id=case["referral"])
    with pytest.raises(AttachmentError, match="case is not on this laptop"):
        add_attachment(store, b"abc", referral_id="00000000-0000-4000-8000-000000000000")


def test_reading_checks_the_hash_and_says_when_bytes_have_not_arrived(store, case):
    attachment_id = add_attachment(store, b"original bytes", referral_id=case["referral"], title="Plan")
    sha = store.get("attachment", attachment_id)["sha256"]
    store.conn.execute("UPDATE blob SET data = ? WHERE sha256 = ?", (b"tampered bytes", sha))
    with pytest.raises(AttachmentDamaged):
        read_attachment(store, attachment_id)
    store.conn.execute("DELETE FROM blob")
    with pytest.raises(AttachmentNotHere, match="next sync"):
        read_attachment(store, attachment_id)
    assert missing_blobs(store) == [{"sha256": sha, "size": len(b"original bytes")}]
    assert attachments_for(store, case["referral"])[0]["held"] is False


def test_export_writes_the_file_under_its_name(store, case, tmp_path):
    data = os.urandom(5000)
    attachment_id = add_attachment(
        store, data, referral_id=case["referral"], filename="../../Plan: week 1.pdf", media_type="application/pdf"
    )
    out = tmp_path / "out"
    out.mkdir()
    written = export_attachment(store, attachment_id, out)
    assert written.parent == out and written.name == "Plan_ week 1.pdf"
    assert written.read_bytes() == data
    assert export_attachment(store, attachment_id, tmp_path / "copy.pdf").read_bytes() == data
    assert list(out.iterdir()) == [written]  # no temporary file left behind


def test_garbage_collection_keeps_what_is_named_or_unsent(store, case):
    """A deleted attachment's bytes go once the delete is sent; bytes still named by a live
    record, or by a change not yet sent, stay."""
    kept = add_attachment(store, b"kept", referral_id=case["referral"], title="Kept")
    gone = add_attachment(store, b"gone", referral_id=case["referral"], title="Gone")
    shared = os.urandom(100)
    add_attachment(store, shared, referral_id=case["referral"], title="A")
    deleted_twin = add_attachment(store, shared, school_id=case["school"], title="B")
    att.delete_attachment(store, gone)
    att.delete_attachment(store, deleted_twin)
    assert store.get("attachment", gone) is None  # a tombstone
    assert collect_garbage(store) == 0  # the create of "gone" is not sent yet: kept
    store.mark_sent([e["mutation_id"] for e in store.pending_changes()])
    assert collect_garbage(store) == 1
    held = {r[0] for r in store.conn.execute("SELECT sha256 FROM blob")}
    assert held == {hashlib.sha256(b"kept").hexdigest(), hashlib.sha256(shared).hexdigest()}
    assert read_attachment(store, kept) == b"kept"
    with pytest.raises(AttachmentError):
        read_attachment(store, gone)
