"""Sign-in under load: memory of a PostgreSQL-backed server while 60 laptops sign in at once.

Starts a real server process (``python -m sync.server.cli serve``) on a scratch PostgreSQL
database (127.0.0.1:5432, user postgres), adds 60 practitioners, then has all 60 sign in
at the same moment (60 threads, right passwords). The server's resident memory (psutil
RSS) is sampled every 10 ms from before the burst until the last answer. Issue 9 item 8:
before, 60 logins took a server from 368 MB to 2.1 GB (argon2 takes 64 MiB a check, one
check per thread at once); argon2 now runs at most one check per core.

``--code DIR`` runs the server from another checkout (e.g. ``--code /work/main`` for the
figures before the change). Usage: ``python bench/logins.py [--code DIR] [--users 60]``.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-1"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", default=str(ROOT), help="checkout to run the server from")
    parser.add_argument("--users", type=int, default=60)
    args = parser.parse_args()
    name = f"fieldnote_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(f"{PG}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "PYTHONPATH": args.code, "FIELDNOTE_SERVER_LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "sync.server.cli"]
    port = _port()
    server = None
    try:
        subprocess.run([*cli, "migrate", "--database", url], env=env, check=True, capture_output=True, cwd=args.code)
        users = [f"bench-{i:03d}" for i in range(args.users)]
        _add_users(url, users)
        log = tempfile.TemporaryFile()
        server = subprocess.Popen(
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--database", url],
            env=env,
            cwd=args.code,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.05)
        proc = psutil.Process(server.pid)
        # One sign-in first, so the baseline includes a warmed-up process (imports, pool).
        requests.post(base + "/auth/login", json={"username": users[0], "password": PASSWORD}, timeout=60)
        time.sleep(1.0)
        baseline = proc.memory_info().rss
        peak = [baseline]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        barrier = threading.Barrier(len(users))

        def login(user: str) -> int:
            barrier.wait()
            return requests.post(
                base + "/auth/login", json={"username": user, "password": PASSWORD}, timeout=300
            ).status_code

        start = time.perf_counter()
        with ThreadPoolExecutor(len(users)) as pool:
            codes = list(pool.map(login, users))
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        after = proc.memory_info().rss
        mb = 1024 * 1024
        result = {
            "bench": "logins",
            "code": args.code,
            "database": "postgresql",
            "users": len(users),
            "ok": codes.count(200),
            "other_statuses": sorted(c for c in codes if c != 200),
            "seconds": round(seconds, 2),
            "rss_before_mb": round(baseline / mb, 1),
            "rss_peak_mb": round(peak[0] / mb, 1),
            "rss_after_mb": round(after / mb, 1),
            "cores": os.cpu_count(),
        }
        print(json.dumps(result))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _add_users(url: str, users: list[str]) -> None:
    """Accounts straight into the database (one argon2 hash, shared: setting up 60 users
    through the CLI would take a process each)."""
    from argon2 import PasswordHasher

    digest = PasswordHasher().hash(PASSWORD)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        for user in users:
            db.execute(
                "INSERT INTO app_user (id, username, password_hash, role, active, "
                "created_at) VALUES (%s, %s, %s, 'practitioner', true, %s)",
                (str(uuid.uuid4()), user, digest, time.time()),
            )


if __name__ == "__main__":
    main()
