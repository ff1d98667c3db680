"""Password hashing (argon2) and bearer tokens (random; only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Each argon2 hash or check takes 64 MiB and a core for a fraction of a second: at most one
# per core at a time, whatever the number of sign-ins waiting (60 at once took a server
# from 368 MB to 2.1 GB). Callers hold no database transaction while they wait.
HASH_SLOTS = max(1, os.cpu_count() or 1)
_slots = threading.BoundedSemaphore(HASH_SLOTS)
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _slots:
            ok = _hasher.verify(password_hash or _DUMMY_HASH, password)
        return ok and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
