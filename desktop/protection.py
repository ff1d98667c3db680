"""Changing how the store is protected after the first run (Settings ▸ Data protection).

The store's key never changes, so the database is not rewritten: only where the key is kept.

* keyring → passphrase: the key is recorded masked by a key derived from the new passphrase
  (``keyinfo.json`` format 2, as an upgraded passphrase store has), then the keyring entry
  is deleted.
* passphrase → keyring: the key is put in the OS keyring, then ``keyinfo.json`` says so.
* passphrase → passphrase: a new passphrase (same as above with a fresh salt).

Each change first proves the current protection (the keyring entry, or the current
passphrase) by obtaining the key, and writes ``keyinfo.json`` atomically, ordered so that a
crash at any point leaves a file that still unlocks the store.
"""

from __future__ import annotations

import secrets

import keyring
import keyring.errors

from desktop.first_run import passphrase_strength
from desktop.store.errors import StoreError
from desktop.store.keys import (
    KEYRING_SERVICE,
    SCRYPT_PARAMS,
    KeyInfo,
    KeyManager,
    _mask,
    _xor,
    derive_key,
    keyring_available,
)


class ProtectionError(StoreError):
    """The change was refused; nothing was changed. The message says why."""


def change_protection(
    keys: KeyManager,
    mode: str,
    *,
    current_passphrase: str | None = None,
    new_passphrase: str | None = None,
    words: tuple[str, ...] = (),
) -> None:
    """Keep the store key in ``mode`` ("keyring" or "passphrase") from now on."""
    info = keys.info()
    if info is None:
        raise ProtectionError("There is no store to protect yet.")
    if mode == "keyring" and not keyring_available():
        raise ProtectionError("This computer has no OS keyring: keep a passphrase.")
    if mode == "keyring" and info.mode == "keyring":
        return
    if mode == "passphrase":
        strength = passphrase_strength(new_passphrase or "", words)
        if not strength.acceptable:
            raise ProtectionError(strength.message)
    key = keys.obtain(current_passphrase)  # WrongPassphrase etc. if the current one is wrong
    info = keys.info()  # obtain may have upgraded the file
    if mode == "passphrase":
        salt = secrets.token_bytes(16)
        kek = derive_key(new_passphrase, salt, SCRYPT_PARAMS)
        keys._write_info(
            KeyInfo(
                mode="passphrase",
                store_id=info.store_id,
                check=info.check,
                salt=salt.hex(),
                kdf=dict(SCRYPT_PARAMS),
                wrapped_key=_xor(key, _mask(kek)).hex(),
            )
        )
        if info.mode == "keyring":
            try:
                keyring.delete_password(KEYRING_SERVICE, info.keyring_account)
            except keyring.errors.KeyringError:
                pass  # a stale entry unlocks nothing now that keyinfo.json says passphrase
        return
    new = KeyInfo(mode="keyring", store_id=info.store_id, check=info.check)
    try:
        keyring.set_password(KEYRING_SERVICE, new.keyring_account, key.hex())
    except keyring.errors.KeyringError as exc:
        raise ProtectionError(f"The OS keyring could not store the key: {exc}. Nothing has been changed.") from exc
    keys._write_info(new)
