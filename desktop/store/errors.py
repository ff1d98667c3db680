"""Errors the store raises, each with a message a practitioner can act on.

The store never overwrites or "repairs" a file it could not open: every one of
these is raised before anything is written.
"""

from __future__ import annotations


class StoreError(Exception):
    """A store problem with a message fit to show to the user."""


class PassphraseRequired(StoreError):
    """No OS keyring is available, so the store needs a passphrase."""


class WrongPassphrase(StoreError):
    """The passphrase (or key) does not unlock this store."""


class KeyMissing(StoreError):
    """The store's key should be in the OS keyring but is not there."""


class KeyInfoDamaged(StoreError):
    """``keyinfo.json`` is unreadable, malformed or holds values no Fieldnote wrote."""


class NotAFieldnoteStore(StoreError):
    """The file opened, but it is not a Fieldnote database."""


class NewerSchema(StoreError):
    """The store was written by a newer Fieldnote than this one."""


class CorruptStore(StoreError):
    """The file is damaged (or does not match its key information)."""


class ValidationError(StoreError):
    """A record failed validation; ``problems`` maps field to message."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))
