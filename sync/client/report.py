"""What one sync did (``SyncReport``), and how an answer the laptop does not understand is
refused (``need``): shared by the engine and the modules it calls (attachments, packs),
which import this and never the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.client.errors import SyncError


def need(condition: Any, what: str, unchanged: str = "Nothing local was changed.") -> None:
    """Refuse a server answer that fails a check: a clear ``SyncError`` naming ``what``."""
    if not condition:
        raise SyncError(f"The server's answer was not understood ({what}). {unchanged}")


@dataclass
class SyncReport:
    """What one ``sync()`` did (counts only)."""

    sent: int = 0
    rejected: int = 0
    waiting: int = 0
    conflicts: int = 0
    received: int = 0
    purged: int = 0
    to_review: int = 0
    pages: int = 0
    digest_match: bool | None = None
    resynced: bool = False
    cursor: int = 0
    uploaded: int = 0  # attachment files whose bytes were sent
    downloaded: int = 0  # attachment files whose bytes were fetched
    attachments_waiting: int = 0  # files that could not be moved this time (either way)
    packs_installed: int = 0  # packs and templates installed (or updated) from the server
    packs_removed: int = 0  # packs the server withdrew, removed from this laptop
    # The store was put back from an older copy: it took a new device identity, this many
    # unsent changes were renumbered under it, and the whole scope was pulled again.
    device_renewed: bool = False
    renumbered: int = 0
    quarantined: int = 0  # pulled records this laptop could not store (sync.client.quarantine)
    errors: list[str] = field(default_factory=list)
