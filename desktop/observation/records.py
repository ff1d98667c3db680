"""The observation's value records: set-up, intervals, counts, ABC incidents, phases.

All are frozen dataclasses. Times called ``t``/``start_s``/``end_s`` are
*observed seconds*: seconds since the observation started, with pauses left
out, so interval k always spans [(k-1)·I, k·I).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Any

from .errors import SetupError

MAX_LABEL = 200
MAX_NOTE = 10_000
# Ids become file names in the file repository, so keep them path-safe.
OBSERVATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

TARGET = "target"
PEER = "peer"
SUBJECTS = (TARGET, PEER)

CODED = "coded"
SKIPPED = "skipped"  # the observer could not see the pupil (or chose to skip)
GAP = "gap"  # the app was not running or not polling: nothing could be recorded
INCOMPLETE = "incomplete"  # the observation ended part-way through this interval
UNCODED = "uncoded"  # the observer recorded nothing in it: no judgement was made
INTERVAL_STATUSES = (CODED, SKIPPED, GAP, INCOMPLETE, UNCODED)
EXCLUDED_STATUSES = (SKIPPED, GAP, INCOMPLETE, UNCODED)  # left out of every interval percentage
NO_CODES_STATUSES = (SKIPPED, GAP, UNCODED)  # these never carry codes
# Intervals whose time counts for rates per minute and state-code percentages.
TIMED_STATUSES = (CODED, INCOMPLETE)


def subject_of(index: int, peer_every: int | None) -> str:
    """Who interval ``index`` (1-based) observes: every Nth interval is the peer."""
    return PEER if peer_every and index % peer_every == 0 else TARGET


@dataclass(frozen=True)
class ObservationSetup:
    """What the observer enters before starting; validated on construction."""

    case_id: str
    pupil: str = ""
    school: str = ""
    lesson: str = ""
    teacher: str = ""
    setting: str = ""
    class_size: int | None = None
    adults_present: int | None = None
    interval_seconds: int = 60
    planned_duration_seconds: int | None = None
    peer_every: int | None = None
    prompt_audible: bool = True
    prompt_visual: bool = True

    def __post_init__(self) -> None:
        problems = []
        for name in ("case_id", "pupil", "school", "lesson", "teacher", "setting"):
            value = getattr(self, name)
            if not isinstance(value, str):
                problems.append(f"{name} must be text")
            elif len(value) > MAX_LABEL:
                problems.append(f"{name} is longer than {MAX_LABEL} characters")
        if isinstance(self.case_id, str) and not self.case_id.strip():
            problems.append("case_id must not be empty")
        for name, low, high in (
            ("class_size", 0, 1000),
            ("adults_present", 0, 100),
            ("planned_duration_seconds", 1, 24 * 3600),
        ):
            value = getattr(self, name)
            if value is not None and not _int_in(value, low, high):
                problems.append(f"{name} must be empty or a whole number from {low} to {high}")
        if not _int_in(self.interval_seconds, 1, 3600):
            problems.append(
                f"interval_seconds must be a whole number of seconds from 1 to 3600, not {self.interval_seconds!r}"
            )
        if self.peer_every is not None and not _int_in(self.peer_every, 2, 1000):
            problems.append("peer_every must be empty (no peer) or a whole number of at least 2")
        for name in ("prompt_audible", "prompt_visual"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} must be true or false")
        if problems:
            raise SetupError("invalid observation set-up: " + "; ".join(problems))

    @property
    def planned_intervals(self) -> int | None:
        """Intervals in the planned duration (a final part interval counts as one)."""
        if self.planned_duration_seconds is None:
            return None
        return math.ceil(self.planned_duration_seconds / self.interval_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any) -> "ObservationSetup":
        """Build from ``to_dict`` output; SetupError on unknown or missing fields."""
        if not isinstance(data, dict):
            raise SetupError("setup must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SetupError(f"unknown setup field(s): {', '.join(map(str, unknown))}")
        if "case_id" not in data:
            raise SetupError("setup is missing case_id")
        return cls(**data)


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class Interval:
    """One closed interval: who was observed, its status, the codes scored and a note."""

    index: int
    subject: str
    status: str
    codes: tuple[str, ...]
    start_s: float
    end_s: float
    note: str = ""

    @property
    def included(self) -> bool:
        """True if the interval counts in percentages (only fully coded intervals do)."""
        return self.status == CODED


@dataclass(frozen=True)
class EventCount:
    """One occurrence of an event (frequency) code."""

    code: str
    t: float
    interval: int


@dataclass(frozen=True)
class AbcRecord:
    """An incident: antecedent, behaviour, consequence, as free text, with its time."""

    antecedent: str
    behaviour: str
    consequence: str
    t: float
    interval: int


@dataclass(frozen=True)
class LessonPhase:
    """A lesson phase (e.g. 'starter', 'main task') that runs from ``t`` to the next one."""

    label: str
    t: float


@dataclass(frozen=True)
class Pause:
    """A pause (fire drill): observed time stood still at ``t`` for ``duration_s`` real seconds."""

    t: float
    duration_s: float


@dataclass(frozen=True)
class StateSpan:
    """A duration (state) code held from ``start_s`` to ``end_s`` (None while still held)."""

    code: str
    start_s: float
    end_s: float | None

    @property
    def seconds(self) -> float:
        return 0.0 if self.end_s is None else self.end_s - self.start_s
