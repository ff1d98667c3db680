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


class Unreachable(SyncError):
    """The server could not be reached (network errors, or 502/503/504, after retries)."""


def describe_failure(exc: BaseException) -> str:
    """A clear message for something that went wrong during a sync outside the protocol's
    own checks (never an exception's class name)."""
    import requests

    from desktop.store import StoreError

    kept = "Your changes are kept on this laptop and will be sent next time."
    if isinstance(exc, StoreError):
        return f"{exc} {kept}"
    if isinstance(exc, requests.RequestException):
        return "The connection to the server broke off part way, so the sync stopped. " + kept
    module = type(exc).__module__ or ""
    if module.startswith(("sqlcipher3", "sqlite3")):
        return "This laptop's store could not be written during the sync, so it stopped (is the disk full?). " + kept
    return (
        "The server's answer was not understood, so the sync stopped. "
        + kept
        + " If this keeps happening, tell your IT lead."
    )
