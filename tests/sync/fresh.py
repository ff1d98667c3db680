"""A server process of its own for one test (its own database): for tests that would
disturb the shared session servers (records every user receives, address counts)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from tests.sync.conftest import ADMIN_PASSWORD, Api, ServerProcess, postgres_database


@contextlib.contextmanager
def fresh_server(tmp_path: Path, kind: str, **env) -> Iterator[ServerProcess]:
    """``kind`` "sqlite" or "postgresql"; ``env`` settings, e.g. login_max_failures=3."""
    dropper = name = None
    if kind == "sqlite":
        url = f"sqlite:///{(tmp_path / 'server.db').as_posix()}"
    else:
        dropper, name = postgres_database("fieldnote_fresh")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    server = ServerProcess(  # argon2 at its real cost: the sign-in burst and lock tests run here
        url,
        tmp_path / "server.log",
        env={f"FIELDNOTE_SERVER_{k.upper()}": str(v) for k, v in env.items()},
        quick_hash=False,
    )
    try:
        result = server.cli("adduser", "admin", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
        assert result.returncode == 0, result.stderr
        server.start()
        server.api = Api(server.url)
        server.admin_token = server.api.token("admin", ADMIN_PASSWORD)
        yield server
    finally:
        server.stop()
        if dropper is not None:
            dropper.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            dropper.close()
