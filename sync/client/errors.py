"""Errors the sync engine raises, each with a message fit to show to a practitioner."""
from __future__ import annotations


class SyncError(Exception):
    """Sync could not finish; local data is as it was before the step that failed."""


class AuthError(SyncError):
    """The server does not accept the sign-in (missing, expired or revoked token)."""


class Refused(SyncError):
    """The server answered the request with an error status (``status``)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class SchemaMismatch(SyncError):
    """This laptop's data schema is one the server does not accept."""
