"""Sync: a team lead's first sync, a no-op sync, and 20 laptops syncing at once.

Starts a real server (SQLite file, loopback port), seeds a team's caseload through the
protocol, then times:
* first sync of the lead's caseload into an empty encrypted store, against a baseline of
  bulk-inserting the same rows into a plain SQLite file from one JSON file;
* a sync with nothing to do (push, pull, digest);
* 20 concurrent laptops each pushing one edit and pulling: p50/p95 per sync.
The last line printed is one JSON object.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from desktop.store import Store  # noqa: E402
from desktop.store.schema import MIGRATIONS  # noqa: E402
from sync.client.engine import SyncEngine  # noqa: E402
from sync.protocol import SCHEMA_VERSION  # noqa: E402

REFERRALS = int(os.environ.get("BENCH_REFERRALS", "400"))
VISITS_PER_REFERRAL = 3
CLIENTS = 20
KEY = bytes(range(32))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(tmp: Path):
    db = f"sqlite:///{(tmp / 'server.db').as_posix()}"
    cli = [sys.executable, "-m", "sync.server.cli"]
    subprocess.run([*cli, "adduser", "admin", "--role", "admin", "--password-stdin",
                    "--database", db], input="admin-password\n", text=True, check=True,
                   capture_output=True, cwd=ROOT)
    port = _port()
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen([*cli, "serve", "--port", str(port), "--database", db],
                            stdout=log, stderr=log, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=1).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def _token(url, username, password):
    r = requests.post(url + "/auth/login", json={"username": username, "password": password})
    r.raise_for_status()
    return r.json()["access_token"]


def _m(entity, op, fields, record_id=None):
    return {"mutation_id": str(uuid.uuid4()), "device_id": "bench", "entity": entity,
            "record_id": record_id or str(uuid.uuid4()), "op": op, "fields": fields,
            "base_version": 0, "schema_version": SCHEMA_VERSION, "client_seq": None}


def _seed(url, admin):
    team = "Bench Team"
    workers = [_m("caseworker", "create", {"name": f"Worker {i}", "team": team})
               for i in range(8)]
    schools = [_m("school", "create", {"name": f"School {i}", "urn": f"99{i:04d}"})
               for i in range(40)]
    batch = workers + schools
    for i in range(REFERRALS):
        school = schools[i % len(schools)]["record_id"]
        pupil = _m("pupil", "create", {"first_name": f"Pupil{i}", "last_name": "Bench",
                                       "school_id": school, "year_group": 5})
        referral = _m("referral", "create", {
            "pupil_id": pupil["record_id"], "school_id": school, "referral_date": "2026-10-01",
            "reason": "attendance", "concern": "x" * 200, "status": "allocated",
            "caseworker_id": workers[i % len(workers)]["record_id"]})
        batch += [pupil, referral]
        batch += [_m("visit", "create", {"referral_id": referral["record_id"],
                                         "visit_date": "2026-10-10", "visit_type": "review",
                                         "notes": "n" * 500}) for _ in range(VISITS_PER_REFERRAL)]
    headers = {"Authorization": f"Bearer {admin}"}
    for start in range(0, len(batch), 500):
        r = requests.post(url + "/sync/push", headers=headers, json={
            "schema_version": SCHEMA_VERSION, "mutations": batch[start:start + 500]})
        r.raise_for_status()
    r = requests.post(url + "/admin/users", headers=headers, json={
        "username": "lead", "password": "lead-password", "role": "team_lead", "team": team})
    r.raise_for_status()
    return len(batch)


def _baseline(tmp: Path, records: list[dict]) -> float:
    """Bulk insert of the same rows into plain SQLite from one JSON file."""
    source = tmp / "caseload.json"
    source.write_text(json.dumps(records))
    target = tmp / "baseline.db"
    started = time.perf_counter()
    rows = json.loads(source.read_text())
    conn = sqlite3.connect(target)
    for _v, _n, statements in MIGRATIONS:
        for sql in statements:
            conn.execute(sql)
    with conn:
        for r in rows:
            values = dict(r["fields"], id=r["id"], version=r["version"],
                          field_versions=json.dumps(r["field_versions"]),
                          modified_at="2026-11-23", deleted=int(r["deleted"]))
            cols = ", ".join(f"[{c}]" for c in values)
            conn.execute(f"INSERT INTO [{r['entity']}] ({cols}) VALUES "
                         f"({', '.join('?' for _ in values)})", list(values.values()))
    conn.close()
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, url = _server(tmp)
        try:
            admin = _token(url, "admin", "admin-password")
            seeded = _seed(url, admin)
            lead = _token(url, "lead", "lead-password")

            store = Store.open(tmp / "lead.db", KEY, actor="lead")
            started = time.perf_counter()
            report = SyncEngine(store, url, lead, page_size=500).sync()
            first = time.perf_counter() - started
            started = time.perf_counter()
            SyncEngine(store, url, lead).sync()
            noop = time.perf_counter() - started
            records = []
            cursor = 0
            while True:
                page = requests.get(url + "/sync/pull", params={"cursor": cursor, "limit": 1000},
                                    headers={"Authorization": f"Bearer {lead}"}).json()
                records += page["records"]
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            baseline = _baseline(tmp, records)
            referral = next(r["id"] for r in records if r["entity"] == "referral")
            store.close()

            times: list[float] = []
            errors: list[str] = []
            barrier = threading.Barrier(CLIENTS)

            def one(i):
                # Each laptop opens its own store in its own thread (SQLite connections are
                # per thread), syncs once, edits the same referral, then all sync at once.
                s = Store.open(tmp / f"c{i}.db", KEY, actor=f"c{i}")
                try:
                    SyncEngine(s, url, lead, page_size=500).sync(verify=False)
                    s.update("referral", referral, {"concern": f"edit {i}"})
                    barrier.wait()
                    t = time.perf_counter()
                    try:
                        SyncEngine(s, url, lead).sync()
                    except Exception as exc:  # noqa: BLE001 - reported, not hidden
                        errors.append(type(exc).__name__)
                    times.append(time.perf_counter() - t)
                finally:
                    s.close()

            threads = [threading.Thread(target=one, args=(i,)) for i in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    times.sort()
    result = {
        "bench": "sync",
        "records_seeded": seeded,
        "lead_records": report.received,
        "first_sync_s": round(first, 3),
        "baseline_bulk_insert_s": round(baseline, 3),
        "first_sync_vs_baseline": round(first / baseline, 1),
        "noop_sync_s": round(noop, 3),
        "concurrent_clients": CLIENTS,
        "concurrent_p50_s": round(statistics.median(times), 3),
        "concurrent_p95_s": round(times[int(0.95 * (len(times) - 1))], 3),
        "concurrent_errors": len(errors),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
