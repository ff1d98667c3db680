"""Where observations are kept, behind a small protocol the CLI (and later the UI) uses.

``FileObservationRepository`` keeps one interchange JSON file per ended
observation under ``data_dir()/observations``. It is a stand-in until the
encrypted SQLite store (which will keep the event log) implements the same
protocol. Files are written to a temporary name, flushed to disk and renamed
over, so a crash leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from .errors import ObservationError
from .interchange import read_file, to_json
from .observation import Observation
from .records import OBSERVATION_ID


class ObservationNotFound(ObservationError, KeyError):
    """No observation has that id."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class DuplicateObservation(ObservationError):
    """An observation with that id is already stored (corrections get a new id)."""


class ObservationRepository(Protocol):
    """What the CLI and UI need from any observation store."""

    def get(self, observation_id: str) -> Observation:
        """The observation, or ObservationNotFound."""
        ...

    def add(self, observation: Observation) -> None:
        """Store a new ended observation; DuplicateObservation if the id is taken."""
        ...

    def list(self) -> list[str]:
        """Ids of stored observations, sorted."""
        ...


class FileObservationRepository:
    """One JSON file per observation in ``root`` (default ``data_dir()/observations``)."""

    def __init__(self, root: str | Path | None = None) -> None:
        if root is None:
            from desktop.paths import data_dir

            root = data_dir() / "observations"
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, observation_id: str) -> Path:
        if not isinstance(observation_id, str) or not OBSERVATION_ID.match(observation_id):
            raise ObservationNotFound(f"{observation_id!r} is not an observation id")
        return self.root / f"{observation_id}.json"

    def get(self, observation_id: str) -> Observation:
        path = self._path(observation_id)
        if not path.is_file():
            raise ObservationNotFound(f"no observation {observation_id!r}")
        return read_file(path)

    def add(self, observation: Observation) -> None:
        path = self._path(observation.id)
        text = to_json(observation)  # raises for an observation still recording
        if path.exists():
            raise DuplicateObservation(f"observation {observation.id!r} is already stored")
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def list(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.json") if OBSERVATION_ID.match(p.stem))
