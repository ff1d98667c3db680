"""Errors raised by the observation core.

Each subclasses ``ObservationError`` (a ``ValueError``) so the UI and the CLI
can catch one type and show the message, which is written for the user.
"""

from __future__ import annotations


class ObservationError(ValueError):
    """Base class for every observation error."""


class SchemeError(ObservationError):
    """A coding scheme is invalid; the message lists every problem found."""


class SetupError(ObservationError):
    """An observation set-up is invalid."""


class ObservationFinalised(ObservationError):
    """The observation is finalised; corrections go in a new version."""


class ObservationStateError(ObservationError):
    """The action is not possible now (paused, ended, not started...)."""


class ReplayError(ObservationError):
    """A stored event log cannot be replayed (wrong order, wrong id...)."""


class AgreementError(ObservationError):
    """Two observations cannot be compared (different interval grids...)."""


class InterchangeError(ObservationError):
    """An interchange file was rejected; nothing was imported."""


class ExportError(ObservationError):
    """An observation cannot be exported in its current state."""
