"""Summaries of one observation: % of intervals per code, on-task %, rates, phases, time bins.

Arithmetic (documented in docs/observation-format.md):

* Only ``coded`` intervals count. ``skipped`` (pupil out of view), ``gap``
  (app not running) and ``incomplete`` (the part interval at an early end)
  intervals are left out of every denominator and numerator; their numbers
  are reported as ``excluded``.
* Target and peer are summarised separately (BOSS: with every 5th interval
  the peer, N intervals give floor(N/5) peer and N − floor(N/5) target);
  %code = coded intervals of that subject scoring the code ÷ coded intervals
  of that subject × 100.
* On-task % = intervals scoring any on-task code ÷ coded intervals × 100
  (BOSS: AET or PET; they are exclusive, so this is %AET + %PET).
* Event rate per minute = events in coded or incomplete intervals ÷ minutes of
  those intervals. Pauses are outside observed time already; skipped and gap
  time (and events in it) are left out. The raw ``count`` includes every event.
* Phases: an interval belongs to the phase in force at its midpoint; an event
  to the phase in force when it happened. Time bins: by interval start / event time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .observation import Observation
from .ratio import Ratio, ratio
from .records import CODED, INCOMPLETE, INTERVAL_STATUSES, PEER, TARGET, Interval, LessonPhase
from .scheme import RecordingMethod

NO_PHASE = "(before any phase)"


@dataclass(frozen=True)
class SubjectSummary:
    """Interval percentages for the target or the peer within one block of intervals."""

    subject: str
    intervals: int  # all intervals of this subject in the block
    included: int  # coded intervals: the denominator
    excluded: dict[str, int]  # status -> count, for skipped/gap/incomplete
    codes: dict[str, Ratio]
    on_task: Ratio

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "intervals": self.intervals,
            "included": self.included,
            "excluded": dict(self.excluded),
            "codes": {k: v.to_dict() for k, v in self.codes.items()},
            "on_task": self.on_task.to_dict(),
        }


@dataclass(frozen=True)
class Block:
    """A set of intervals (whole observation, a phase, or a time bin) and its events."""

    label: str
    start_s: float
    end_s: float
    target: SubjectSummary
    peer: SubjectSummary | None
    events: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "target": self.target.to_dict(),
            "peer": None if self.peer is None else self.peer.to_dict(),
            "events": dict(self.events),
        }


@dataclass(frozen=True)
class EventSummary:
    """Count and rate per minute of one event code."""

    code: str
    count: int  # every occurrence
    counted_in_rate: int  # occurrences in coded or incomplete intervals
    rate_minutes: float
    rate_per_minute: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class StateSummary:
    """Total duration and bouts of one state code, and its share of observed time."""

    code: str
    seconds: float
    bouts: int
    percent_of_observed: Ratio

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "seconds": self.seconds,
            "bouts": self.bouts,
            "percent_of_observed": self.percent_of_observed.to_dict(),
        }


@dataclass(frozen=True)
class ObservationSummary:
    observation_id: str
    interval_seconds: int
    peer_every: int | None
    on_task_codes: tuple[str, ...]
    intervals: int
    statuses: dict[str, int]
    observed_seconds: float
    overall: Block
    events: dict[str, EventSummary]
    states: dict[str, StateSummary]
    by_phase: list[Block] = field(default_factory=list)
    by_time_bin: list[Block] = field(default_factory=list)
    bin_seconds: int = 300

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``fieldnote observation summary --json`` prints)."""
        return {
            "observation_id": self.observation_id,
            "interval_seconds": self.interval_seconds,
            "peer_every": self.peer_every,
            "on_task_codes": list(self.on_task_codes),
            "intervals": self.intervals,
            "statuses": dict(self.statuses),
            "observed_seconds": self.observed_seconds,
            "observed_minutes": self.observed_seconds / 60,
            "overall": self.overall.to_dict(),
            "events": {k: v.to_dict() for k, v in self.events.items()},
            "states": {k: v.to_dict() for k, v in self.states.items()},
            "by_phase": [b.to_dict() for b in self.by_phase],
            "bin_seconds": self.bin_seconds,
            "by_time_bin": [b.to_dict() for b in self.by_time_bin],
        }


def summarise(
    observation: Observation,
    *,
    on_task_codes: Sequence[str] | None = None,
    bin_seconds: int = 300,
) -> ObservationSummary:
    """Summarise the closed intervals of ``observation`` (see the module docstring)."""
    scheme = observation.scheme
    if isinstance(bin_seconds, bool) or not isinstance(bin_seconds, int) or bin_seconds <= 0:
        raise ValueError("bin_seconds must be a whole number above 0")
    on_task = tuple(scheme.on_task_codes if on_task_codes is None else on_task_codes)
    for code_id in on_task:
        if not scheme.code(code_id).method.per_interval:
            raise ValueError(f"on-task code {code_id} does not score intervals")
    intervals = observation.intervals
    code_ids = [c.id for c in scheme.interval_codes]
    event_ids = [c.id for c in scheme.codes_by(RecordingMethod.EVENT)]
    peer_every = observation.setup.peer_every
    observed = observation.observed_s if observation.observed_s is not None else observation.last_t
    counts = observation.counts

    def block(label: str, ivs: Sequence[Interval], start: float, end: float, in_block) -> Block:
        return Block(
            label=label,
            start_s=start,
            end_s=end,
            target=_subject(TARGET, ivs, code_ids, on_task),
            peer=_subject(PEER, ivs, code_ids, on_task) if peer_every else None,
            events={c: sum(1 for e in counts if e.code == c and in_block(e)) for c in event_ids},
        )

    end_s = max([observed] + [i.end_s for i in intervals])
    overall = block("whole observation", intervals, 0.0, end_s, lambda e: True)

    status_of = {i.index: i.status for i in intervals}
    rate_intervals = [i for i in intervals if i.status in (CODED, INCOMPLETE)]
    rate_minutes = sum(i.end_s - i.start_s for i in rate_intervals) / 60
    events = {}
    for c in event_ids:
        in_rate = sum(1 for e in counts if e.code == c and status_of.get(e.interval) in (CODED, INCOMPLETE))
        events[c] = EventSummary(
            code=c,
            count=sum(1 for e in counts if e.code == c),
            counted_in_rate=in_rate,
            rate_minutes=rate_minutes,
            rate_per_minute=in_rate / rate_minutes if rate_minutes else None,
            reason=None if rate_minutes else "no coded time to divide by",
        )

    states = {}
    for code in scheme.codes_by(RecordingMethod.STATE):
        spans = [s for s in observation.state_spans if s.code == code.id]
        seconds = sum((s.end_s if s.end_s is not None else observed) - s.start_s for s in spans)
        states[code.id] = StateSummary(
            code=code.id,
            seconds=seconds,
            bouts=len(spans),
            percent_of_observed=ratio(seconds, observed, "no observed time"),
        )

    by_phase = []
    phases = observation.phases
    for label in _phase_labels(phases, intervals):
        ivs = [i for i in intervals if phase_at(phases, (i.start_s + i.end_s) / 2) == label]
        starts = [i.start_s for i in ivs] or [0.0]
        ends = [i.end_s for i in ivs] or [0.0]
        by_phase.append(
            block(label, ivs, min(starts), max(ends), lambda e, label=label: phase_at(phases, e.t) == label)
        )

    by_bin = []
    n_bins = int(end_s // bin_seconds) + (1 if end_s % bin_seconds else 0)
    for b in range(n_bins):
        lo, hi = b * bin_seconds, (b + 1) * bin_seconds
        ivs = [i for i in intervals if lo <= i.start_s < hi]
        by_bin.append(block(f"{_clock(lo)}-{_clock(hi)}", ivs, float(lo), float(hi), lambda e, lo=lo, hi=hi: lo <= e.t < hi))

    return ObservationSummary(
        observation_id=observation.id,
        interval_seconds=observation.setup.interval_seconds,
        peer_every=peer_every,
        on_task_codes=on_task,
        intervals=len(intervals),
        statuses={s: sum(1 for i in intervals if i.status == s) for s in INTERVAL_STATUSES},
        observed_seconds=observed,
        overall=overall,
        events=events,
        states=states,
        by_phase=by_phase,
        by_time_bin=by_bin,
        bin_seconds=bin_seconds,
    )


def _subject(subject: str, intervals: Iterable[Interval], code_ids: Sequence[str], on_task: Sequence[str]) -> SubjectSummary:
    mine = [i for i in intervals if i.subject == subject]
    coded = [i for i in mine if i.status == CODED]
    n = len(coded)
    empty = f"no coded {subject} intervals"
    excluded: dict[str, int] = {}
    for i in mine:
        if i.status != CODED:
            excluded[i.status] = excluded.get(i.status, 0) + 1
    return SubjectSummary(
        subject=subject,
        intervals=len(mine),
        included=n,
        excluded=excluded,
        codes={c: ratio(sum(1 for i in coded if c in i.codes), n, empty) for c in code_ids},
        on_task=ratio(sum(1 for i in coded if set(i.codes) & set(on_task)), n, empty if on_task else "no on-task codes chosen"),
    )


def phase_at(phases: Sequence[LessonPhase], t: float) -> str:
    """The label of the phase in force at observed time ``t`` (or NO_PHASE)."""
    label = NO_PHASE
    for p in phases:  # phases are in the order marked, which is time order
        if p.t <= t:
            label = p.label
    return label


def _phase_labels(phases: Sequence[LessonPhase], intervals: Sequence[Interval]) -> list[str]:
    labels: list[str] = []
    if intervals and phase_at(phases, (intervals[0].start_s + intervals[0].end_s) / 2) == NO_PHASE:
        labels.append(NO_PHASE)
    for p in phases:
        if p.label not in labels:
            labels.append(p.label)
    return labels


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"
