"""The idle lock's rules: PIN hashing, the PIN kept in the store, throttled tries."""

from __future__ import annotations

import pytest

from desktop import security
from desktop.security import (
    FREE_ATTEMPTS,
    UnlockPin,
    Unlocker,
    UnlockThrottle,
    delay_after,
    hash_pin,
    pin_problem,
    verify_pin,
)
from tests.conftest import PASSPHRASE


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_pin_rules():
    assert pin_problem("1234") is None and pin_problem("123456789012") is None
    assert "at least 4" in pin_problem("123")
    assert "at most" in pin_problem("1234567890123")
    assert "digits only" in pin_problem("12a4")
    assert "digits only" in pin_problem("١٢٣٤")  # Arabic-Indic digits are not 0-9
    with pytest.raises(ValueError, match="at least 4"):
        hash_pin("12")


def test_a_pin_is_kept_only_as_a_salted_slow_hash():
    first, second = hash_pin("2468"), hash_pin("2468")
    assert "2468" not in first
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 32
    assert first != second  # a fresh salt each time
    assert verify_pin("2468", first) and verify_pin("2468", second)
    assert not verify_pin("2469", first) and not verify_pin("", first)


@pytest.mark.parametrize(
    "damaged",
    ["", "scrypt$1$8$1$00$00", "bcrypt$16384$8$1$00$00", "scrypt$16384$8$1$zz$00", "scrypt$x$8$1$00$00", "junk"],
)
def test_a_damaged_hash_matches_nothing(damaged):
    assert not verify_pin("2468", damaged)


def test_delays_grow_after_five_wrong_tries_and_stop_growing():
    assert [delay_after(n) for n in range(FREE_ATTEMPTS)] == [0.0] * FREE_ATTEMPTS
    assert [delay_after(n) for n in (5, 6, 7, 8)] == [30.0, 60.0, 120.0, 240.0]
    assert delay_after(50) == security.MAX_DELAY == 900.0


def test_throttle_counts_from_a_saved_count_and_a_success_clears_it():
    clock = Clock()
    fresh = UnlockThrottle(clock=clock)
    assert fresh.wait_seconds() == 0
    restarted = UnlockThrottle(failures=6, clock=clock)
    assert restarted.wait_seconds() == 60.0  # a restart does not skip the wait
    clock.now += 60
    assert restarted.wait_seconds() == 0
    restarted.succeeded()
    assert restarted.failures == 0 and restarted.wait_seconds() == 0


def test_the_pin_lives_in_the_store_and_is_not_in_clear(store, isolated_home):
    pin = UnlockPin(store)
    assert not pin.is_set()
    pin.set("97531")
    assert pin.is_set() and pin.matches("97531") and not pin.matches("97530")
    assert "97531" not in store.meta(security.PIN_META)
    with pytest.raises(ValueError):
        pin.set("12")
    assert pin.matches("97531")  # a refused new PIN leaves the old one


def _pin_unlocker(store, clock):
    pin = UnlockPin(store)
    pin.set("4826")
    return Unlocker(lambda: False, lambda _s: pytest.fail("no passphrase in keyring mode"), pin, clock)


def test_keyring_mode_needs_the_pin_and_wrong_tries_are_throttled(store):
    clock = Clock()
    unlocker = _pin_unlocker(store, clock)
    assert unlocker.method() == "pin"
    assert not unlocker.attempt("").ok
    for n in range(1, FREE_ATTEMPTS):
        result = unlocker.attempt("0000")
        assert not result.ok and f"{FREE_ATTEMPTS - n} more" in result.message
    fifth = unlocker.attempt("0000")
    assert not fifth.ok and "Wait 30 seconds" in fifth.message
    during = unlocker.attempt("4826")  # even the right PIN waits
    assert not during.ok and "Wait 30 seconds" in during.message
    clock.now += 30
    sixth = unlocker.attempt("1111")
    assert not sixth.ok and "Wait 1 minute" in sixth.message
    clock.now += 60
    assert unlocker.attempt("4826").ok
    assert store.meta(security.FAILURES_META) == "0"


def test_the_wrong_try_count_survives_a_restart(store):
    clock = Clock()
    unlocker = _pin_unlocker(store, clock)
    for _ in range(FREE_ATTEMPTS):
        unlocker.attempt("0000")
    again = Unlocker(lambda: False, lambda _s: False, UnlockPin(store), clock)
    result = again.attempt("4826")
    assert not result.ok and "Wait 30 seconds" in result.message


def test_keyring_mode_with_no_pin_cannot_be_opened_here(store):
    unlocker = Unlocker(lambda: False, lambda _s: True, UnlockPin(store), Clock())
    assert unlocker.method() == "none"
    result = unlocker.attempt("anything")
    assert not result.ok and "No PIN is set" in result.message


def test_passphrase_mode_uses_the_passphrase(store, isolated_home):
    from desktop.store.keys import KeyManager

    keys = KeyManager(isolated_home)
    unlocker = Unlocker(keys.needs_passphrase, keys.verify_passphrase, UnlockPin(store), Clock())
    assert unlocker.method() == "passphrase"
    wrong = unlocker.attempt("not the passphrase")
    assert not wrong.ok and "passphrase did not unlock" in wrong.message
    assert unlocker.attempt(PASSPHRASE).ok


def test_damaged_key_information_while_locked_asks_for_the_passphrase(store):
    """Never "none" (which would suggest setting a PIN) and never a crash of the lock."""
    from desktop.store.errors import KeyInfoDamaged

    def damaged():
        raise KeyInfoDamaged("The key information file is damaged.")

    unlocker = Unlocker(damaged, lambda _s: False, UnlockPin(store), Clock())
    assert unlocker.method() == "passphrase"
    assert not unlocker.attempt("anything").ok
