"""A process killed mid-audit loses no rating it had shown as saved (SIGKILL, 20 runs)."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from desktop.audits.records import AuditRecords
from desktop.store import open_store
from tests.conftest import PASSPHRASE

# Rates criteria round and round (each rating overwrites the last of that criterion) and
# prints "saved CRITERION VALUE N" only after rate() returned: what the screen would show.
WRITER = r"""
import sys
from desktop.audits.records import AuditRecords
from desktop.store import open_store
store = open_store(sys.argv[1], sys.argv[2])
records = AuditRecords(store)
school = store.create("school", {"name": "Kill test school"})
aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05")
crits = [c.id for c in records.template("behaviour-audit").criteria.values() if c.kind == "rated"]
print(f"audit {aid}", flush=True)
levels = ["red", "amber", "green", "not_seen"]
n = 0
while True:
    n += 1
    cid = crits[n % len(crits)]
    value = levels[(n // len(crits)) % len(levels)]
    print(f"rating {cid} {value} {n}", flush=True)
    records.rate(aid, cid, value)
    if n % 4 == 0:
        records.note(aid, cid, f"note {n}")
        print(f"note {cid} {n}", flush=True)
    print(f"saved {cid} {value} {n}", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("run", range(20))
def test_sigkill_mid_audit_keeps_every_rating_shown_as_saved(isolated_home, run):
    open_store(isolated_home, PASSPHRASE).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(isolated_home), PASSPHRASE], stdout=subprocess.PIPE, text=True
    )
    first = proc.stdout.readline().strip()
    assert first.startswith("audit "), first
    audit_id = first.split()[1]
    lines = []
    deadline = time.monotonic() + random.uniform(0.2, 1.2)
    while time.monotonic() < deadline:
        lines.append(proc.stdout.readline().strip())
    proc.kill()
    proc.wait()
    lines += [line.strip() for line in proc.stdout]
    saved: dict[str, tuple[str, int]] = {}
    intended: dict[str, list[tuple[str, int]]] = {}
    notes: dict[str, int] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "saved":
            saved[parts[1]] = (parts[2], int(parts[3]))
        elif len(parts) == 4 and parts[0] == "rating":
            intended.setdefault(parts[1], []).append((parts[2], int(parts[3])))
        elif len(parts) == 3 and parts[0] == "note":
            notes[parts[1]] = int(parts[2])
    assert len(saved) > 3

    store = open_store(isolated_home, PASSPHRASE)
    try:
        assert store.integrity_ok()
        snap = AuditRecords(store).snapshot(audit_id)
        for cid, (value, n) in saved.items():
            # The last value shown as saved, or a later one being written when the kill
            # came (committed, or not, before its "saved" could be printed).
            allowed = {value} | {v for v, m in intended.get(cid, []) if m > n}
            assert snap.value(cid) in allowed, (cid, value, snap.value(cid))
        for cid, n in notes.items():
            evidence = snap.ratings[cid]["evidence"]
            assert evidence is not None and int(evidence.split()[1]) >= n
    finally:
        store.close()
