"""A case's documents as the Documents tab lists them: each attachment with where its file
is (on this laptop and sent, waiting to upload, not downloaded yet, or refused), read
from the attachment records, the blobs held and the outbox (no Qt).
"""

from __future__ import annotations

from desktop.store.attachments import attachments_for
from desktop.store.db import Store

ON_LAPTOP, WAITING, NOT_DOWNLOADED, REFUSED = (
    "On this laptop",
    "Waiting to upload",
    "Not downloaded yet",
    "Not uploaded: needs attention",
)
#: What each status means, in the user's words (the list's tooltips).
STATUS_TIPS = {
    ON_LAPTOP: "The file is on this laptop (encrypted) and has been sent to the server.",
    WAITING: "The file is on this laptop (encrypted); it is sent to the server at the next sync (F9 syncs now).",
    NOT_DOWNLOADED: "The record has arrived but the file itself has not yet: it is fetched at "
    "the next sync (F9 syncs now).",
    REFUSED: "The server did not accept this file: see Sync ▸ Needs attention… (Ctrl+Shift+E).",
}
# A demo store never syncs: its files are not "waiting" for anything.
DEMO_ONLY = "On this laptop (demo data, never synced)"
STATUS_TIPS[DEMO_ONLY] = "Demonstration data never leaves this laptop: the file is not sent anywhere."


def format_size(size: int) -> str:
    """Bytes as people read a file size: ``0 KB``, ``1 KB`` (for 1–1,023 bytes), ``240 KB``,
    ``2.4 MB``."""
    if size <= 0:
        return "0 KB"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def document_name(doc: dict) -> str:
    """What a document is called: its title, else its file name."""
    return doc.get("title") or doc.get("filename") or "this document"


def unsent_states(store: Store, attachment_ids: list[str]) -> dict[str, set[str]]:
    """The states of the outbox entries, not yet sent, that carry each record's file
    ("pending", or a state needing attention or review)."""
    found: dict[str, set[str]] = {}
    if not attachment_ids:
        return found
    marks = ",".join("?" * len(attachment_ids))
    for record_id, state in store.conn.execute(
        "SELECT record_id, state FROM outbox WHERE entity = 'attachment' AND state != 'sent' "
        f"AND json_extract(fields, '$.sha256') IS NOT NULL AND record_id IN ({marks})",
        attachment_ids,
    ):
        found.setdefault(record_id, set()).add(state)
    return found


def document_status(row: dict, states) -> str:
    """Where an attachment's file is, given its row (``held``) and its unsent outbox states."""
    if not row["held"]:
        return NOT_DOWNLOADED
    if "pending" in states:
        return WAITING
    if states:  # refused by the server, or held for review
        return REFUSED
    return ON_LAPTOP


def case_documents(store: Store, referral_id: str) -> list[dict]:
    """A case's documents, newest first, each attachment row with its ``status``."""
    rows = list(reversed(attachments_for(store, referral_id)))
    unsent = unsent_states(store, [r["id"] for r in rows])
    documents = [dict(r, status=document_status(r, unsent.get(r["id"], ()))) for r in rows]
    if store.meta("demo") == "1":
        for d in documents:
            d["status"] = DEMO_ONLY if d["status"] == WAITING else d["status"]
    return documents
