"""The encrypted local store (no Qt).

``Store`` and its helpers load ``desktop.store.db`` (and SQLCipher) on first use, so that
importing a pure module of this package (``desktop.store.schema``, ``errors``) does not:
the sync server and ``sync.rules`` read the schema without needing the laptop's database.
"""

from desktop.store.errors import (
    CorruptStore,
    KeyInfoDamaged,
    KeyMissing,
    NewerSchema,
    NotAFieldnoteStore,
    PassphraseRequired,
    StoreError,
    ValidationError,
    WrongPassphrase,
)

_FROM_DB = frozenset({"Store", "new_id", "open_store", "opened", "utc_now"})

__all__ = [
    "Store",
    "new_id",
    "open_store",
    "opened",
    "utc_now",
    "CorruptStore",
    "KeyInfoDamaged",
    "KeyMissing",
    "NewerSchema",
    "NotAFieldnoteStore",
    "PassphraseRequired",
    "StoreError",
    "ValidationError",
    "WrongPassphrase",
]


def __getattr__(name: str):
    if name in _FROM_DB:
        from desktop.store import db

        return getattr(db, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
