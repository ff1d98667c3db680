"""The laptop's side of sync (no Qt): ``SyncEngine`` and status for the UI.

The UI runs ``SyncEngine.sync()`` through its one background helper and shows
``sync_status(store)``; see docs/sync-protocol.md.
"""

from sync.client.engine import SyncEngine, SyncReport
from sync.client.errors import AuthError, SyncError
from sync.client.local import SyncStatus, dismiss_review, resolve_conflict, sync_status

__all__ = [
    "SyncEngine",
    "SyncReport",
    "SyncError",
    "AuthError",
    "SyncStatus",
    "sync_status",
    "resolve_conflict",
    "dismiss_review",
]
