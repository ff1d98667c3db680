"""``python -m tests.sync.quick_hash ARGS``: ``python -m sync.server.cli ARGS`` with argon2 at
1 MiB and one pass instead of the default 64 MiB and three.

Every sign-in and every new account on a test server hashes a password (about 1,300 per
run: each ``service`` fixture adds three users and signs each in); at the real cost that
was a fifth of the whole suite's time. As with ``quick_scrypt`` on the laptop side
(tests/conftest.py), only the cost changes: the hashes are still argon2id, checked the same
way, and servers of their own (tests/sync/fresh.py, the sign-in burst and lock tests) keep
the real parameters."""

from __future__ import annotations

import sys

from argon2 import PasswordHasher

from sync.server import security

security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
security._DUMMY_HASH = security._hasher.hash("not a real password")

if __name__ == "__main__":
    from sync.server.cli import main

    sys.exit(main())
