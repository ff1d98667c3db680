"""``fieldnote-server backup``: a consistent copy of the server's database (issue 12, item 6).

* **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``), one step, so the
  copy is the database as committed when it began, while the server keeps serving. Never a
  file copy of a live database (its ``-wal`` holds commits the main file lacks).
* **PostgreSQL**: ``pg_dump --format=custom`` (one consistent snapshot, taken without
  stopping the server processes); restore with ``pg_restore --clean --dbname=...``.
  ``pg_dump`` must be on the PATH, of the server's major version or newer.

The copy is written beside ``out`` and renamed into place only once complete. Attachments'
bytes live in the database (``blob_chunk``), so the one file holds everything.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be made; the message says why (nothing is left at ``out``)."""


def backup(database_url: str, out: Path | str) -> str:
    """Back up the database at ``database_url`` to ``out``; returns what was done."""
    url = make_url(database_url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            what = _sqlite(url, partial)
        elif url.get_backend_name() == "postgresql":
            what = _postgres(url, partial)
        else:
            raise BackupError(f"Backing up a {url.get_backend_name()} database is not supported.")
        os.replace(partial, out)
    finally:
        if partial.exists():
            partial.unlink()
    return what


def _sqlite(url, partial: Path) -> str:
    source_path = url.database
    if not source_path or not Path(source_path).exists():
        raise BackupError(f"There is no SQLite database at {source_path}.")
    source = sqlite3.connect(f"file:{Path(source_path).resolve().as_posix()}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # pages=-1: all of it, in one read transaction
        target.execute("PRAGMA journal_mode = DELETE")
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if ok != "ok":
        raise BackupError(f"The copy failed its integrity check ({ok}).")
    return "SQLite online backup"


def _postgres(url, partial: Path) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump was not found on the PATH; install the PostgreSQL client tools of the server's version."
        )
    plain = url.set(drivername="postgresql")
    env = dict(os.environ)
    if plain.password:
        env["PGPASSWORD"] = plain.password
        plain = plain.set(password=None)
    result = subprocess.run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            f"--file={partial}",
            f"--dbname={plain.render_as_string(hide_password=False)}",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-500:]}")
    return "pg_dump (custom format; restore with pg_restore)"
