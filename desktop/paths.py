"""Where Fieldnote keeps its files.

``FIELDNOTE_HOME`` overrides everything (tests, portable installs, several
stores on one machine); then the data folder chosen in Settings; otherwise the
per-user data folder from platformdirs
(``%LOCALAPPDATA%\\Fieldnote`` on Windows, ``~/.local/share/fieldnote`` on
Linux, ``~/Library/Application Support/Fieldnote`` on macOS).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Fieldnote"
APP_AUTHOR = "Fieldnote"


def is_frozen() -> bool:
    """True in a PyInstaller build (``sys.frozen`` set, files unpacked under ``_MEIPASS``)."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_root() -> Path:
    """Where the read-only files shipped with the app live: the source checkout's root,
    or the frozen build's bundle folder (``sys._MEIPASS``, ``_internal`` in a onedir
    build). The spec (``packaging/fieldnote.spec``) lays files out under it exactly as
    they are in the checkout, so every caller resolves the same relative path either way."""
    if is_frozen():
        return Path(sys._MEIPASS)
    return Path(__file__).resolve().parent.parent


def resource(*parts: str) -> Path:
    """A shipped file or folder, e.g. ``resource("assets", "fonts")``."""
    return resource_root().joinpath(*parts)


def data_dir() -> Path:
    """The data folder, created if missing (owner-only where the OS allows)."""
    override = os.environ.get("FIELDNOTE_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        from desktop.config import load_settings

        chosen = load_settings().data_dir
        path = (
            Path(chosen).expanduser()
            if chosen
            else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))
        )
    from desktop.store.private import make_private_dir

    return make_private_dir(path)  # owner-only where the OS allows


def packs_dir() -> Path:
    """Installed instrument packs and audit templates (JSON files)."""
    path = data_dir() / "packs"
    path.mkdir(parents=True, exist_ok=True)
    return path
