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

Raising the scrypt cost: a store made with older (weaker) parameters keeps its key; the
next unlock with the right passphrase re-derives a key-encryption key at today's
parameters with a new salt and records the store key masked by it (``wrapped_key``,
format 2). Only ``keyinfo.json`` is rewritten, atomically (a temporary file made durable,
then renamed over the old one), so a crash leaves either the old file or the new one, and
either unlocks the store; the database is not rewritten.
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

from desktop.store.errors import (
    KeyInfoDamaged,
    KeyMissing,
    PassphraseRequired,
    StoreError,
    WrongPassphrase,
)
from desktop.store.private import make_private_dir, write_private_text

KEYRING_SERVICE = "Fieldnote"
PASSPHRASE_ENV = "FIELDNOTE_PASSPHRASE"
MIN_PASSPHRASE_LENGTH = 8
# scrypt at n=2**17, r=8, p=1 (OWASP's current minimum) needs 128 MiB and ~0.4-1 s: slow
# for guessing, bearable once at unlock. Older stores (n=2**15) are upgraded as they unlock.
RECOMMENDED_SCRYPT_PARAMS = {"n": 2**17, "r": 8, "p": 1}
SCRYPT_PARAMS = dict(RECOMMENDED_SCRYPT_PARAMS)  # what new keys use (tests may lower it)
SCRYPT_MAXMEM = 256 * 1024 * 1024  # hashlib's default (32 MiB) refuses n=2**17
# What a keyinfo.json may ask for: anything else is damage or tampering, refused before
# scrypt runs (an absurd n would exhaust memory or run for hours).
_N_RANGE = (2**10, 2**20)
_R_RANGE, _P_RANGE = (1, 32), (1, 16)
_CHECK_LABEL = b"fieldnote key check v1"
_WRAP_LABEL = b"fieldnote key wrap v1"


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
        passphrase.encode("utf-8"),
        salt=salt,
        n=p["n"],
        r=p["r"],
        p=p["p"],
        maxmem=SCRYPT_MAXMEM,
        dklen=32,
    )


def _mask(kek: bytes) -> bytes:
    return hmac.new(kek, _WRAP_LABEL, hashlib.sha256).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def weaker_than_current(kdf: dict) -> bool:
    """Whether scrypt parameters cost less than today's."""
    return (kdf["n"] * kdf["r"], kdf["p"]) < (SCRYPT_PARAMS["n"] * SCRYPT_PARAMS["r"], SCRYPT_PARAMS["p"])


def _hex(raw: dict, name: str, lengths: tuple[int, int]) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise ValueError(f"'{name}' is missing or not text")
    try:
        n = len(bytes.fromhex(value))
    except ValueError:
        raise ValueError(f"'{name}' is not hexadecimal") from None
    if not lengths[0] <= n <= lengths[1]:
        raise ValueError(f"'{name}' has the wrong length")
    return value


def _kdf(raw: dict) -> dict:
    kdf = raw.get("kdf")
    if not isinstance(kdf, dict):
        raise ValueError("the scrypt parameters ('kdf') are missing")
    params = {}
    for name, (low, high) in (("n", _N_RANGE), ("r", _R_RANGE), ("p", _P_RANGE)):
        v = kdf.get(name)
        if type(v) is not int:
            raise ValueError(f"the scrypt parameter '{name}' is missing or not a whole number")
        if not low <= v <= high:
            raise ValueError(f"the scrypt parameter '{name}' ({v}) is outside {low}-{high}")
        params[name] = v
    if params["n"] & (params["n"] - 1):
        raise ValueError(f"the scrypt parameter 'n' ({params['n']}) is not a power of two")
    if 128 * params["r"] * (params["n"] + params["p"] + 2) > SCRYPT_MAXMEM:
        raise ValueError("the scrypt parameters would need more memory than Fieldnote allows")
    return params


def parse_info(raw) -> "KeyInfo":
    """A ``KeyInfo`` from the parsed JSON, every field checked; ``ValueError`` saying what
    is wrong otherwise."""
    if not isinstance(raw, dict):
        raise ValueError("it does not hold a JSON object")
    fmt = raw.get("format", 1)
    if fmt not in (1, 2) or type(fmt) is not int:
        raise ValueError(f"its format ({fmt!r}) is not one this version knows")
    mode = raw.get("mode")
    if mode not in ("keyring", "passphrase"):
        raise ValueError("its 'mode' is missing or not 'keyring' or 'passphrase'")
    store_id = raw.get("store_id")
    try:
        store_id = str(uuid.UUID(store_id)) if isinstance(store_id, str) else None
    except ValueError:
        store_id = None
    if store_id is None:
        raise ValueError("its 'store_id' is missing or not a store id")
    check = _hex(raw, "check", (32, 32))
    if mode == "keyring":
        return KeyInfo(mode=mode, store_id=store_id, check=check)
    return KeyInfo(
        mode=mode,
        store_id=store_id,
        check=check,
        salt=_hex(raw, "salt", (16, 64)),
        kdf=_kdf(raw),
        wrapped_key=_hex(raw, "wrapped_key", (32, 32)) if fmt == 2 else None,
    )


@dataclass
class KeyInfo:
    """What ``keyinfo.json`` records (no secrets)."""

    mode: str  # "keyring" or "passphrase"
    store_id: str
    check: str
    salt: str | None = None
    kdf: dict | None = None
    wrapped_key: str | None = None  # the store key masked by the passphrase's (format 2)

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
            text = self.info_path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise self._damaged("it is not text") from None
        except OSError as exc:
            raise KeyInfoDamaged(
                f"The key information file {self.info_path} could not be read "
                f"({exc.strerror or exc}). Nothing has been changed."
            ) from exc
        try:
            return parse_info(json.loads(text))
        except json.JSONDecodeError:
            raise self._damaged("it is not valid JSON") from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise self._damaged(str(exc)) from None

    def _damaged(self, what: str) -> KeyInfoDamaged:
        return KeyInfoDamaged(
            f"The key information file {self.info_path} is damaged: {what}. Nothing has been "
            "changed; restore keyinfo.json from a backup of the data folder, or contact your "
            "service's IT lead."
        )

    def _write_info(self, info: KeyInfo) -> None:
        data = {
            "format": 2 if info.wrapped_key else 1,
            "mode": info.mode,
            "store_id": info.store_id,
            "check": info.check,
        }
        if info.salt:
            data.update(salt=info.salt, kdf=info.kdf)
        if info.wrapped_key:
            data.update(wrapped_key=info.wrapped_key)
        make_private_dir(self.home)
        write_private_text(self.info_path, json.dumps(data, indent=2))

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
            try:
                key = bytes.fromhex(stored)
            except (ValueError, TypeError):
                key = b""  # told below: it does not match
        else:
            if not passphrase:
                raise PassphraseRequired("Enter the passphrase that unlocks Fieldnote's data.")
            try:
                key = derive_key(passphrase, bytes.fromhex(info.salt), info.kdf)
            except (ValueError, MemoryError):
                raise self._damaged("its scrypt parameters cannot be used on this computer") from None
            if info.wrapped_key:
                key = _xor(bytes.fromhex(info.wrapped_key), _mask(key))
        if not hmac.compare_digest(_check_value(key), info.check):
            raise WrongPassphrase(
                "That passphrase does not unlock this store."
                if info.mode == "passphrase"
                else "The key in the keyring does not match this store."
            )
        if info.mode == "passphrase" and weaker_than_current(info.kdf):
            self._upgrade(info, passphrase, key)
        return key

    def _upgrade(self, info: KeyInfo, passphrase: str, key: bytes) -> None:
        """Keep the store key, protected from now on by today's scrypt parameters."""
        salt = secrets.token_bytes(16)
        kek = derive_key(passphrase, salt, SCRYPT_PARAMS)
        new = KeyInfo(
            mode="passphrase",
            store_id=info.store_id,
            check=info.check,
            salt=salt.hex(),
            kdf=dict(SCRYPT_PARAMS),
            wrapped_key=_xor(key, _mask(kek)).hex(),
        )
        try:
            self._write_info(new)
        except OSError:
            pass  # a read-only data folder: the old file still unlocks; tried again next time

    def verify_passphrase(self, passphrase: str) -> bool:
        """For the idle lock: does this passphrase unlock the store?"""
        try:
            self.obtain(passphrase)
            return True
        except StoreError:
            return False

    def _create(self, passphrase: str | None) -> bytes:
        make_private_dir(self.home)
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
                raise PassphraseRequired(f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters.")
            salt = secrets.token_bytes(16)
            key = derive_key(passphrase, salt)
            info = KeyInfo(
                mode="passphrase", store_id=store_id, check=_check_value(key), salt=salt.hex(), kdf=dict(SCRYPT_PARAMS)
            )
        self._write_info(info)
        return key
