"""The store's encryption key: made once, kept in the OS keyring or derived from a passphrase.

Two modes, chosen at first run and recorded in ``keyinfo.json`` beside the
database (that file holds no secret: a mode, a random store id, the scrypt salt
and parameters, and an HMAC "check" of the key so that a wrong passphrase is
told apart from a damaged file):

* ``keyring`` — a random 256-bit key is generated and kept in the OS keyring
  (Windows Credential Manager, macOS Keychain, Secret Service). Preferred.
* ``passphrase`` — where the machine has no keyring backend, the key is
  derived from a passphrase with scrypt. The passphrase is asked for at start,
  or read from ``FIELDNOTE_PASSPHRASE`` for scripted and headless use (less
  safe: environment variables can leak into process listings and logs).

The key itself is never written to disk.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors

from desktop.store.errors import KeyMissing, PassphraseRequired, StoreError, WrongPassphrase

KEYRING_SERVICE = "Fieldnote"
PASSPHRASE_ENV = "FIELDNOTE_PASSPHRASE"
MIN_PASSPHRASE_LENGTH = 8
# scrypt at n=2**15, r=8 costs ~32 MB and ~0.1 s here: slow for guessing, quick to unlock.
SCRYPT_PARAMS = {"n": 2**15, "r": 8, "p": 1}
_CHECK_LABEL = b"fieldnote key check v1"


def keyring_available() -> bool:
    """True when a real OS keyring backend is present (not the fail/null backends)."""
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if module.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", []))
    return getattr(backend, "priority", 1) > 0


def _check_value(key: bytes) -> str:
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()


def derive_key(passphrase: str, salt: bytes, params: dict | None = None) -> bytes:
    p = params or SCRYPT_PARAMS
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=p["n"], r=p["r"], p=p["p"],
        maxmem=256 * 1024 * 1024, dklen=32,
    )


@dataclass
class KeyInfo:
    """What ``keyinfo.json`` records (no secrets)."""

    mode: str  # "keyring" or "passphrase"
    store_id: str
    check: str
    salt: str | None = None
    kdf: dict | None = None

    @property
    def keyring_account(self) -> str:
        return f"store-key:{self.store_id}"


class KeyManager:
    """Finds, creates and verifies the key for the store in ``home``."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.info_path = self.home / "keyinfo.json"

    # -- key information file --------------------------------------------------
    def info(self) -> KeyInfo | None:
        if not self.info_path.exists():
            return None
        try:
            raw = json.loads(self.info_path.read_text(encoding="utf-8"))
            return KeyInfo(
                mode=raw["mode"], store_id=raw["store_id"], check=raw["check"],
                salt=raw.get("salt"), kdf=raw.get("kdf"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"The key information file {self.info_path} is damaged ({exc}). "
                "Nothing has been changed; restore it from a backup."
            ) from exc

    def _write_info(self, info: KeyInfo) -> None:
        data = {"format": 1, "mode": info.mode, "store_id": info.store_id, "check": info.check}
        if info.salt:
            data.update(salt=info.salt, kdf=info.kdf)
        tmp = self.info_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, self.info_path)

    @property
    def mode(self) -> str | None:
        info = self.info()
        return info.mode if info else None

    def needs_passphrase(self) -> bool:
        """Whether unlocking (or creating) the store needs a passphrase from the user."""
        info = self.info()
        if info is None:
            return not keyring_available()
        return info.mode == "passphrase"

    # -- obtaining the key -----------------------------------------------------
    def obtain(self, passphrase: str | None = None) -> bytes:
        """The store key, creating it on first run.

        ``passphrase`` falls back to ``FIELDNOTE_PASSPHRASE``. Raises
        ``PassphraseRequired``, ``WrongPassphrase`` or ``KeyMissing``.
        """
        if passphrase is None:
            passphrase = os.environ.get(PASSPHRASE_ENV) or None
        info = self.info()
        if info is None:
            return self._create(passphrase)
        if info.mode == "keyring":
            try:
                stored = keyring.get_password(KEYRING_SERVICE, info.keyring_account)
            except keyring.errors.KeyringError as exc:
                raise KeyMissing(f"The OS keyring could not be read: {exc}") from exc
            if stored is None:
                raise KeyMissing(
                    "This store's key is not in this computer's keyring (was the data folder "
                    "copied from another computer or user account?). Nothing has been changed."
                )
            key = bytes.fromhex(stored)
        else:
            if not passphrase:
                raise PassphraseRequired("Enter the passphrase that unlocks Fieldnote's data.")
            key = derive_key(passphrase, bytes.fromhex(info.salt or ""), info.kdf)
        if not hmac.compare_digest(_check_value(key), info.check):
            raise WrongPassphrase(
                "That passphrase does not unlock this store." if info.mode == "passphrase"
                else "The key in the keyring does not match this store."
            )
        return key

    def verify_passphrase(self, passphrase: str) -> bool:
        """For the idle lock: does this passphrase unlock the store?"""
        try:
            self.obtain(passphrase)
            return True
        except StoreError:
            return False

    def _create(self, passphrase: str | None) -> bytes:
        self.home.mkdir(parents=True, exist_ok=True)
        store_id = str(uuid.uuid4())
        if keyring_available() and not passphrase:
            key = secrets.token_bytes(32)
            info = KeyInfo(mode="keyring", store_id=store_id, check=_check_value(key))
            keyring.set_password(KEYRING_SERVICE, info.keyring_account, key.hex())
        else:
            if not passphrase:
                raise PassphraseRequired(
                    "This computer has no OS keyring. Choose a passphrase to protect "
                    "Fieldnote's data (at least 8 characters)."
                )
            if len(passphrase) < MIN_PASSPHRASE_LENGTH:
                raise PassphraseRequired(
                    f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters."
                )
            salt = secrets.token_bytes(16)
            key = derive_key(passphrase, salt)
            info = KeyInfo(mode="passphrase", store_id=store_id, check=_check_value(key),
                           salt=salt.hex(), kdf=dict(SCRYPT_PARAMS))
        self._write_info(info)
        return key
