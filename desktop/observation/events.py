"""The observation's event log: one small immutable record per state change.

The engine hands every event to a ``sink`` *before* applying it, so a store
that commits each event at once never holds less than the screen showed.
``Observation.replay(events)`` rebuilds the full state from the log.

Every event carries:

* ``observation_id`` - which observation it belongs to;
* ``seq`` - 0, 1, 2 ... with no gaps (the store's ordering key);
* ``t`` - observed seconds (pauses left out) when it happened;
* ``wall`` - Unix time when it happened (used to measure a crash gap).

``event_to_dict`` / ``event_from_dict`` give a JSON form with a ``type`` key,
for storing one row per event.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import ReplayError
from .records import ObservationSetup
from .scheme import CodingScheme


@dataclass(frozen=True, kw_only=True)
class ObservationEvent:
    """Fields common to every event."""

    TYPE: ClassVar[str] = ""
    observation_id: str
    seq: int
    t: float
    wall: float


@dataclass(frozen=True, kw_only=True)
class ObservationStarted(ObservationEvent):
    """Always ``seq`` 0: the set-up and scheme in force for the whole observation."""

    TYPE: ClassVar[str] = "observation_started"
    setup: ObservationSetup
    scheme: CodingScheme
    version: int = 1
    supersedes: str | None = None


@dataclass(frozen=True, kw_only=True)
class CodeToggled(ObservationEvent):
    """A code was switched on or off by the observer in ``interval``.

    Partial codes toggle in the current interval's set; momentary, whole and
    state codes toggle the pupil's live state. Switching on a code in an
    exclusive group switches the others in the group off (no extra event).
    """

    TYPE: ClassVar[str] = "code_toggled"
    code: str
    on: bool
    interval: int


@dataclass(frozen=True, kw_only=True)
class MomentarySampled(ObservationEvent):
    """The momentary codes selected at ``interval``'s sampling instant (last one wins)."""

    TYPE: ClassVar[str] = "momentary_sampled"
    interval: int
    codes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class IntervalCoded(ObservationEvent):
    """The observer set ``interval``'s codes in one act: exactly ``codes``.

    ``from_interval`` is the interval copied ("same as last interval", Enter),
    or None for "nothing of these seen" (Backspace: coded, with no codes).
    """

    TYPE: ClassVar[str] = "interval_coded"
    interval: int
    codes: tuple[str, ...]
    from_interval: int | None = None


@dataclass(frozen=True, kw_only=True)
class IntervalExcluded(ObservationEvent):
    """``interval`` (current or later) will close as ``skipped`` or ``gap``."""

    TYPE: ClassVar[str] = "interval_excluded"
    interval: int
    status: str


@dataclass(frozen=True, kw_only=True)
class IntervalClosed(ObservationEvent):
    """An interval is finished: its status and every code it scored. The record that matters."""

    TYPE: ClassVar[str] = "interval_closed"
    interval: int
    subject: str
    status: str
    codes: tuple[str, ...]
    start_s: float
    end_s: float


@dataclass(frozen=True, kw_only=True)
class IntervalRecoded(ObservationEvent):
    """A correction to a closed interval, made after the observation ended."""

    TYPE: ClassVar[str] = "interval_recoded"
    interval: int
    status: str
    codes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EventCounted(ObservationEvent):
    """One occurrence of an event (frequency) code."""

    TYPE: ClassVar[str] = "event_counted"
    code: str
    interval: int


@dataclass(frozen=True, kw_only=True)
class AbcRecorded(ObservationEvent):
    """An ABC incident record."""

    TYPE: ClassVar[str] = "abc_recorded"
    antecedent: str
    behaviour: str
    consequence: str
    interval: int


@dataclass(frozen=True, kw_only=True)
class NoteSet(ObservationEvent):
    """The note for ``interval`` was set (replaces any earlier note)."""

    TYPE: ClassVar[str] = "note_set"
    interval: int
    text: str


@dataclass(frozen=True, kw_only=True)
class PhaseMarked(ObservationEvent):
    """A lesson phase starts at ``t``."""

    TYPE: ClassVar[str] = "phase_marked"
    label: str


@dataclass(frozen=True, kw_only=True)
class Paused(ObservationEvent):
    """Observed time stops at ``t`` (fire drill, pupil out of the room...)."""

    TYPE: ClassVar[str] = "paused"


@dataclass(frozen=True, kw_only=True)
class Resumed(ObservationEvent):
    """Observed time runs again; the schedule moved on by ``paused_for`` seconds."""

    TYPE: ClassVar[str] = "resumed"
    paused_for: float


@dataclass(frozen=True, kw_only=True)
class Restarted(ObservationEvent):
    """The app came back after stopping; observed time ``lost_from_s``..``t`` went unrecorded."""

    TYPE: ClassVar[str] = "restarted"
    lost_from_s: float


@dataclass(frozen=True, kw_only=True)
class Ended(ObservationEvent):
    """Recording stopped: ``completed`` (planned duration reached), ``ended_early`` or ``ended``."""

    TYPE: ClassVar[str] = "ended"
    reason: str


@dataclass(frozen=True, kw_only=True)
class Finalised(ObservationEvent):
    """The observation is locked; any correction is a new version."""

    TYPE: ClassVar[str] = "finalised"


EVENT_TYPES: dict[str, type[ObservationEvent]] = {
    cls.TYPE: cls
    for cls in (
        ObservationStarted,
        CodeToggled,
        MomentarySampled,
        IntervalCoded,
        IntervalExcluded,
        IntervalClosed,
        IntervalRecoded,
        EventCounted,
        AbcRecorded,
        NoteSet,
        PhaseMarked,
        Paused,
        Resumed,
        Restarted,
        Ended,
        Finalised,
    )
}


def event_to_dict(event: ObservationEvent) -> dict[str, Any]:
    """A JSON-ready dict with a ``type`` key; inverse of ``event_from_dict``."""
    out: dict[str, Any] = {"type": event.TYPE}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, (ObservationSetup, CodingScheme)):
            value = value.to_dict()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def event_from_dict(data: Any) -> ObservationEvent:
    """Rebuild an event from ``event_to_dict`` output; ReplayError if malformed."""
    if not isinstance(data, dict):
        raise ReplayError("an event must be an object")
    cls = EVENT_TYPES.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ReplayError(f"unknown event type {data.get('type')!r}")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is not dataclasses.MISSING:
                continue
            raise ReplayError(f"{cls.TYPE} event is missing {f.name!r}")
        value = data[f.name]
        if f.name == "setup":
            value = ObservationSetup.from_dict(value)
        elif f.name == "scheme":
            value = CodingScheme.from_dict(value)
        elif f.name == "codes":
            if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                raise ReplayError(f"{cls.TYPE} event: codes must be a list of strings")
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)
