"""The idle lock's rules (no Qt): the unlock PIN, and how fast wrong guesses may come.

In passphrase mode the lock opens with the passphrase that unlocks the store. In keyring
mode the store's key comes from the OS keyring with no question asked, so on a logged-in
laptop left unattended the keyring alone proves nothing: the lock opens with a PIN the
practitioner chose instead (at least ``MIN_PIN_DIGITS`` digits).

The PIN is kept only as a salted scrypt hash, in the store's ``meta`` table: inside the
encrypted database (so it cannot be guessed offline without the store key) and never
synced (``meta`` is this laptop's own). A PIN is short, so the hash alone is not what
keeps it safe; the throttle is: after ``FREE_ATTEMPTS`` wrong tries each further try
waits ``FIRST_DELAY`` seconds, doubling up to ``MAX_DELAY``. The count of wrong tries is
kept in the store too, so quitting and restarting Fieldnote does not reset it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from desktop.store.errors import StoreError

MIN_PIN_DIGITS = 4
MAX_PIN_DIGITS = 12
# scrypt at n=2**14 takes ~30-60 ms: slow for guessing, instant for the person unlocking.
PIN_SCRYPT_PARAMS = {"n": 2**14, "r": 8, "p": 1}
_PIN_MAXMEM = 64 * 1024 * 1024
FREE_ATTEMPTS = 5
FIRST_DELAY = 30.0
MAX_DELAY = 15 * 60.0

PIN_META = "unlock_pin"
FAILURES_META = "unlock_failures"


class MetaStore(Protocol):
    """What the lock needs of a store: its local, encrypted, unsynced key-value table."""

    def meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be a PIN (in the user's words), or None if it can."""
    if not pin.isascii() or not pin.isdigit():
        return "A PIN is digits only (0-9)."
    if len(pin) < MIN_PIN_DIGITS:
        return f"Use at least {MIN_PIN_DIGITS} digits."
    if len(pin) > MAX_PIN_DIGITS:
        return f"Use at most {MAX_PIN_DIGITS} digits."
    return None


def hash_pin(pin: str, params: dict | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex) for a valid PIN; ``ValueError`` otherwise."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    p = params or PIN_SCRYPT_PARAMS
    salt = secrets.token_bytes(16)
    digest = _scrypt(pin, salt, p["n"], p["r"], p["p"])
    return f"scrypt${p['n']}${p['r']}${p['p']}${salt.hex()}${digest.hex()}"


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=_PIN_MAXMEM, dklen=32)


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches a hash from ``hash_pin``; False for a damaged hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        n, r, p = int(n), int(r), int(p)
        if scheme != "scrypt" or not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        expected = bytes.fromhex(digest)
        got = _scrypt(pin, bytes.fromhex(salt), n, r, p)
    except (ValueError, UnicodeEncodeError, MemoryError):
        return False
    return hmac.compare_digest(got, expected)


def delay_after(failures: int) -> float:
    """Seconds to wait before the next try after ``failures`` wrong tries in a row."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(FIRST_DELAY * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY)


class UnlockThrottle:
    """Counts wrong tries in a row and says how long to wait before the next one.

    ``failures`` starts from a saved count; if that already calls for a wait, the wait
    runs from now (a restart does not skip it)."""

    def __init__(self, failures: int = 0, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.failures = max(0, failures)
        self.next_try = clock() + delay_after(self.failures) if self.failures else clock()

    def wait_seconds(self) -> float:
        return max(0.0, self.next_try - self.clock())

    def failed(self) -> None:
        self.failures += 1
        self.next_try = self.clock() + delay_after(self.failures)

    def succeeded(self) -> None:
        self.failures = 0
        self.next_try = self.clock()


class UnlockPin:
    """The PIN and the wrong-try count, kept in the store's ``meta`` table."""

    def __init__(self, store: MetaStore):
        self.store = store

    def is_set(self) -> bool:
        return bool(self.store.meta(PIN_META))

    def set(self, pin: str) -> None:
        """Keep a new PIN (its hash); ``ValueError`` saying why if it is not a valid PIN."""
        self.store.set_meta(PIN_META, hash_pin(pin))

    def matches(self, pin: str) -> bool:
        stored = self.store.meta(PIN_META)
        return bool(stored) and verify_pin(pin, stored)

    def failures(self) -> int:
        try:
            return max(0, int(self.store.meta(FAILURES_META, "0") or 0))
        except ValueError:
            return FREE_ATTEMPTS  # a damaged count errs on the careful side

    def save_failures(self, n: int) -> None:
        self.store.set_meta(FAILURES_META, str(n))


@dataclass(frozen=True)
class UnlockResult:
    ok: bool
    message: str = ""


class Unlocker:
    """Decides what opens the lock and checks a try, throttled.

    ``method()`` is ``"passphrase"`` (passphrase mode), ``"pin"`` (keyring mode with a
    PIN set) or ``"none"`` (keyring mode with no PIN yet: nothing typed here can open
    the lock; the user is told to quit and restart, then set a PIN)."""

    def __init__(
        self,
        needs_passphrase: Callable[[], bool],
        verify_passphrase: Callable[[str], bool],
        pin: UnlockPin,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.needs_passphrase = needs_passphrase
        self.verify_passphrase = verify_passphrase
        self.pin = pin
        self.throttle = UnlockThrottle(pin.failures(), clock)

    def method(self) -> str:
        try:
            if self.needs_passphrase():
                return "passphrase"
        except StoreError:
            return "passphrase"  # key information unreadable: only the passphrase could tell
        return "pin" if self.pin.is_set() else "none"

    def wait_message(self) -> str:
        wait = self.throttle.wait_seconds()
        if not wait:
            return ""
        return (
            f"Too many wrong tries. Wait {_duration(wait)}, then try again. "
            "Anything being recorded carries on meanwhile."
        )

    def attempt(self, secret: str) -> UnlockResult:
        """Try ``secret``; a try during a wait is refused without being checked."""
        method = self.method()
        if method == "none":
            return UnlockResult(
                False,
                "No PIN is set on this laptop, so this lock cannot be "
                "opened here. Quit Fieldnote (everything is saved), "
                "start it again, and set a PIN in Settings.",
            )
        waiting = self.wait_message()
        if waiting:
            return UnlockResult(False, waiting)
        what = "passphrase" if method == "passphrase" else "PIN"
        if not secret:
            return UnlockResult(False, f"Type your {what}, then press Enter.")
        ok = self.verify_passphrase(secret) if method == "passphrase" else self.pin.matches(secret)
        if ok:
            self.throttle.succeeded()
            self._save(0)
            return UnlockResult(True)
        self.throttle.failed()
        self._save(self.throttle.failures)
        left = FREE_ATTEMPTS - self.throttle.failures
        if left > 0:
            tries = "try" if left == 1 else "tries"
            return UnlockResult(
                False, f"That {what} did not unlock Fieldnote. {left} more {tries} before Fieldnote makes you wait."
            )
        return UnlockResult(False, f"That {what} did not unlock Fieldnote. " + self.wait_message())

    def _save(self, failures: int) -> None:
        try:
            self.pin.save_failures(failures)
        except Exception:  # a read-only or busy store: the count still holds in memory
            pass


def _duration(seconds: float) -> str:
    seconds = math.ceil(seconds)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
