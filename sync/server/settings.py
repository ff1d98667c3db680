"""Server settings, read from the environment (``FIELDNOTE_SERVER_*``) or given by the CLI."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic_settings import BaseSettings, SettingsConfigDict

from desktop.store.private import make_private_dir


def default_database_url() -> str:
    """A SQLite file in the per-user data folder, so the server runs with no set-up."""
    folder = Path(platformdirs.user_data_dir("fieldnote-server", "Fieldnote"))
    make_private_dir(folder)  # owner-only where the OS allows
    return f"sqlite:///{(folder / 'fieldnote-server.db').as_posix()}"


class Settings(BaseSettings):
    """Every server setting and its default."""

    model_config = SettingsConfigDict(env_prefix="FIELDNOTE_SERVER_")

    database_url: str = ""
    token_ttl_minutes: int = 12 * 60  # a working day: laptops sign in each morning
    login_max_failures: int = 5  # per account (and per known device), in the window
    login_max_failures_per_address: int = 100  # per client address, in the window
    login_window_minutes: int = 15
    known_device_days: int = 180  # a laptop unused this long must sign in as a new one
    log_level: str = "INFO"
    # Completed uploads no attachment record names yet (sync.server.attachments): how many
    # megabytes a user may hold, and after how many days they are removed.
    unclaimed_upload_mb: float = 256
    unclaimed_upload_days: float = 7

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()
