"""Per-machine settings, declared once with their defaults (no Qt).

Kept in ``config.json`` in the user's config folder (or in ``FIELDNOTE_HOME``
when that is set, so tests and portable installs stay self-contained). The data
folder itself is one of the settings, so this file cannot live inside the store.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs


@dataclass
class Settings:
    """Every setting, its type and default. ``TITLES`` gives what people see."""

    service_name: str = "Behaviour Support Service"
    practitioner_name: str = ""
    idle_lock_minutes: int = 5
    data_dir: str = ""  # empty: the platform's per-user data folder
    logo_path: str = ""  # a PNG or JPEG printed at the top of the first page of reports
    protective_marking: str = "OFFICIAL-SENSITIVE"  # printed at the top and foot of every page
    initials_in_file_names: bool = False  # "Visit report ZN …pdf" rather than the pupil's name
    unsent_reminder_days: int = 7  # remind when a change has waited unsent longer than this

    TITLES = {
        "service_name": "Service name (shown on reports)",
        "practitioner_name": "Your name (recorded in the activity log)",
        "idle_lock_minutes": "Lock after this many idle minutes",
        "data_dir": "Data folder",
        "logo_path": "Logo on reports (PNG or JPEG)",
        "protective_marking": "Protective marking on reports",
        "initials_in_file_names": "Only the pupil's initials in report file names",
        "unsent_reminder_days": "Remind me when changes have waited unsent this many days",
    }


def config_path() -> Path:
    home = os.environ.get("FIELDNOTE_HOME")
    folder = (
        Path(home).expanduser() if home else Path(platformdirs.user_config_dir("Fieldnote", "Fieldnote", roaming=True))
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "config.json"


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; defaults for anything missing, unknown or of the wrong type."""
    path = path or config_path()
    settings = Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return settings
    if not isinstance(raw, dict):
        return settings
    for f in fields(Settings):
        value = raw.get(f.name)
        if isinstance(value, type(getattr(settings, f.name))):
            setattr(settings, f.name, value)
    settings.idle_lock_minutes = max(1, min(120, settings.idle_lock_minutes))
    settings.unsent_reminder_days = max(1, min(365, settings.unsent_reminder_days))
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or config_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
    os.replace(tmp, path)
