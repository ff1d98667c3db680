"""Owner-only files and folders, where the operating system allows it.

On POSIX systems folders holding children's data are made 0700 and files 0600. On
Windows ``os.chmod`` can only toggle the read-only flag, and a per-user data folder
(``%LOCALAPPDATA%``) is already private to its user through its inherited ACL, so these
helpers do nothing there (no POSIX-only call is made unguarded).
"""

from __future__ import annotations

import os
from pathlib import Path

POSIX = os.name == "posix"


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing; make ``path`` itself owner-only."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if POSIX:
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass  # not ours to change (a shared folder chosen in Settings): leave it
    return path


def make_private_file(path: Path) -> None:
    """Make an existing file owner-only (read and write)."""
    if POSIX:
        try:
            os.chmod(path, 0o600)
        except OSError:
            pass  # vanished meanwhile (a -shm), or not ours


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, flushed to disk, then
    renamed over it), created owner-only, so a crash leaves the old file or the new one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    make_private_file(tmp)  # O_CREAT's mode is not applied to a file that already existed
    os.replace(tmp, path)
