"""A case's documents with where each file is, read from the store without Qt."""

from __future__ import annotations

from desktop.store.attachments import add_attachment
from desktop.store.documents import (
    NOT_DOWNLOADED,
    ON_LAPTOP,
    REFUSED,
    WAITING,
    case_documents,
    document_name,
    format_size,
)


def test_format_size():
    assert [format_size(n) for n in (0, 1, 1023, 1024, 250_000, 1024 * 1024, 52_428_800)] == [
        "0 KB",
        "1 KB",
        "1 KB",
        "1 KB",
        "244 KB",
        "1.0 MB",
        "50.0 MB",
    ]


def test_a_documents_status_follows_its_outbox_entry_and_its_bytes(store, case):
    """Waiting while its outbox entry is pending, on the laptop once sent, refused when the
    server rejected it, not downloaded when the record is here without its bytes."""
    first = add_attachment(store, b"report", referral_id=case["referral"], title="Report", filename="r.pdf")
    assert [(d["id"], d["status"]) for d in case_documents(store, case["referral"])] == [(first, WAITING)]
    [entry] = [e for e in store.pending_changes() if e["record_id"] == first]
    store.mark_sent([entry["mutation_id"]])
    assert case_documents(store, case["referral"])[0]["status"] == ON_LAPTOP
    second = add_attachment(store, b"letter", referral_id=case["referral"], filename="letter.pdf")
    [entry] = [e for e in store.pending_changes() if e["record_id"] == second]
    store.mark_rejected(entry["mutation_id"], "refused")
    docs = case_documents(store, case["referral"])
    assert [(d["id"], d["status"]) for d in docs] == [(second, REFUSED), (first, ON_LAPTOP)]  # newest first
    assert [document_name(d) for d in docs] == ["letter.pdf", "Report"]
    with store.transaction():
        store.conn.execute("DELETE FROM blob")
    assert {d["status"] for d in case_documents(store, case["referral"])} == {NOT_DOWNLOADED}
