"""A process killed during a burst of edits loses nothing it had committed."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from desktop.store import open_store
from tests.conftest import PASSPHRASE

WRITER = r"""
import sys
from desktop.store import open_store
store = open_store(sys.argv[1], sys.argv[2])
school = store.create("school", {"name": "Kill test"})
n = 0
while True:
    n += 1
    if n % 3 == 0:
        store.update("school", school, {"address": f"edit {n}"})
        print(f"update {n}", flush=True)
    else:
        record = store.create("caseworker", {"name": f"worker {n}"})
        print(f"create {record}", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("run", range(5))
def test_sigkill_during_edits_keeps_every_committed_edit(isolated_home, run):
    open_store(isolated_home, PASSPHRASE).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(isolated_home), PASSPHRASE], stdout=subprocess.PIPE, text=True
    )
    acknowledged = [proc.stdout.readline().strip()]  # the writer has started (imports, key)
    deadline = time.monotonic() + random.uniform(0.3, 1.5)  # then kill at a random moment
    while time.monotonic() < deadline:
        acknowledged.append(proc.stdout.readline().strip())
    proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
    proc.wait()
    acknowledged += [line.strip() for line in proc.stdout]  # printed (so committed) before the kill
    assert len(acknowledged) > 10

    store = open_store(isolated_home, PASSPHRASE)
    try:
        assert store.integrity_ok()
        workers = {r["id"] for r in store.db["caseworker"].rows}
        created = [line.split()[1] for line in acknowledged if line.startswith("create")]
        assert set(created) <= workers
        updates = [int(line.split()[1]) for line in acknowledged if line.startswith("update")]
        (school,) = store.db["school"].rows
        if updates:
            assert int(school["address"].split()[1]) >= max(updates)
        # every stored change has its outbox entry
        assert store.pending_count() == 1 + len(workers) + (school["version"] - 1)
    finally:
        store.close()
