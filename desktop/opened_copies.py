"""Decrypted copies of documents opened in the laptop's own app, kept private (no Qt).

Opening a document writes its bytes to a folder of its own under
``<data folder>/opened-documents/``. Both folders are owner-only (0700) and the file is
owner-only (0600) from the moment it exists: the folder is made private before the file
is written, so no other user on the laptop can reach it even for an instant. The copies
go when Fieldnote quits, at the next start if a crash left any, and after a day for a
long-running session (``prune``). Fieldnote cannot know when another app closes a file
it opened through the operating system, so those three are when they are removed. On
Windows the per-user data folder's ACL keeps them private (``desktop.store.private``).
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import time
import uuid
from pathlib import Path

from desktop.store.attachments import export_attachment
from desktop.store.private import make_private_dir, make_private_file

OPENED_FOLDER = "opened-documents"  # in the data folder; everything in it is disposable
KEPT_SECONDS = 24 * 3600


def opened_root(store_path: Path | str) -> Path:
    return Path(store_path).parent / OPENED_FOLDER


def write_opened_copy(store, doc: dict, root: Path) -> Path:
    """Write the document's checked bytes, owner-only, to a new private folder under
    ``root``; returns the file's path (with an extension the laptop can open it by)."""
    make_private_dir(root)
    folder = make_private_dir(root / uuid.uuid4().hex[:12])
    path = export_attachment(store, doc["id"], folder)
    make_private_file(path)
    if not path.suffix and doc.get("media_type"):  # so the laptop knows what opens it
        ext = mimetypes.guess_extension(doc["media_type"])
        if ext:
            path = path.replace(path.with_name(path.name + ext))
    return path


def clear(root: Path) -> None:
    """Remove every opened copy (at start and at quit)."""
    shutil.rmtree(root, ignore_errors=True)


def prune(root: Path, kept_seconds: float = KEPT_SECONDS, now: float | None = None) -> int:
    """Remove copies opened more than ``kept_seconds`` ago (a file still open in an app on
    Windows cannot be removed; it goes next time). Returns how many folders went."""
    if not root.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - kept_seconds
    removed = 0
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def write_private_bytes(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` (a rendered report to open), the folder and its
    parent owner-only and the file created 0600."""
    make_private_dir(folder.parent)
    make_private_dir(folder)
    path = folder / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as fh:
        fh.write(data)
    make_private_file(path)
    return path
