"""Classroom observation: coding schemes, the live engine, summaries, agreement, interchange.

No Qt here: this is the no-display core the UI and the store build on.
"""

from .engine import Clock, ObservationEngine, Prompt, SystemClock
from .errors import (
    AgreementError,
    InterchangeError,
    ObservationError,
    ObservationFinalised,
    ObservationStateError,
    ReplayError,
    SchemeError,
    SetupError,
)
from .observation import Observation, ObservationRecord, record_events
from .records import AbcRecord, EventCount, Interval, LessonPhase, ObservationSetup, Pause, StateSpan
from .scheme import Code, CodeGroup, CodingScheme, RecordingMethod, SamplePoint, boss, minute_intervals, presets

__all__ = [
    "AbcRecord",
    "AgreementError",
    "Clock",
    "Code",
    "CodeGroup",
    "CodingScheme",
    "EventCount",
    "InterchangeError",
    "Interval",
    "LessonPhase",
    "Observation",
    "ObservationEngine",
    "ObservationError",
    "ObservationFinalised",
    "ObservationRecord",
    "ObservationSetup",
    "ObservationStateError",
    "Pause",
    "Prompt",
    "RecordingMethod",
    "ReplayError",
    "SamplePoint",
    "SchemeError",
    "SetupError",
    "StateSpan",
    "SystemClock",
    "boss",
    "minute_intervals",
    "presets",
    "record_events",
]
