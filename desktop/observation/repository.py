"""Where observations are kept, behind a small protocol the CLI (and later the UI) uses.

``StoreObservationRepository`` (store_repository.py) implements it over the
encrypted store, keeping each observation as its event log.
"""

from __future__ import annotations

from typing import Protocol

from .errors import ObservationError
from .observation import Observation


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
