"""The encrypted local store (no Qt)."""
from desktop.store.db import Store, new_id, open_store, opened, utc_now
from desktop.store.errors import (
    CorruptStore, KeyInfoDamaged, KeyMissing, NewerSchema, NotAFieldnoteStore,
    PassphraseRequired, StoreError, ValidationError, WrongPassphrase,
)

__all__ = [
    "Store", "new_id", "open_store", "opened", "utc_now", "CorruptStore", "KeyInfoDamaged",
    "KeyMissing",
    "NewerSchema", "NotAFieldnoteStore", "PassphraseRequired", "StoreError", "ValidationError",
    "WrongPassphrase",
]
