"""Summaries of one observation: % of intervals per code, on-task %, rates, states, phases, bins.

Every figure is defined once, in docs/observation-format.md ("How the numbers
are worked out"); this module follows it. The one attribution rule:

* every event (count, ABC record) belongs to the interval that contains it
  (the ``interval`` it names);
* every part of a state span belongs to the interval it overlaps;
* every interval - with its events and its state time - belongs to the
  subject it observes, to the lesson phase in force at its midpoint and to
  the time bin that contains its midpoint.

So each breakdown (target/peer, phases, time bins) partitions the intervals,
and its interval counts, code counts, event counts, minutes and state time
add up to the whole observation's, as the CSV's rows do.

Denominators: interval percentages count ``coded`` intervals only; rates per
minute and state-code percentages use the time of ``coded`` and
``incomplete`` intervals. ``skipped``, ``gap`` and ``uncoded`` intervals are
left out of both (and their events out of the rates), and are counted
separately. An undefined figure is ``None`` with a reason, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .observation import Observation
from .ratio import Ratio, ratio
from .records import CODED, INTERVAL_STATUSES, PEER, TARGET, TIMED_STATUSES, Interval, LessonPhase
from .scheme import RecordingMethod

NO_PHASE = "(before any phase)"
ALL = "all"
ATTRIBUTION = (
    "Each event belongs to the interval that contains it; each interval, with its events and state time, "
    "to its subject, to the phase in force at its midpoint and to the time bin containing its midpoint."
)


@dataclass(frozen=True)
class EventSummary:
    """Count and rate per minute of one event code, within some intervals."""

    code: str
    count: int  # every occurrence in these intervals
    counted_in_rate: int  # occurrences in coded or incomplete intervals
    rate_minutes: float  # minutes of coded or incomplete intervals
    rate_per_minute: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class StateSummary:
    """Time one state (duration) code was held within some intervals, and its share."""

    code: str
    seconds: float  # held within these intervals, whatever their status
    bouts: int  # spans that started in these intervals
    timed_seconds: float  # held within coded or incomplete intervals
    percent: Ratio  # timed_seconds ÷ seconds of coded or incomplete intervals × 100

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "seconds": self.seconds,
            "bouts": self.bouts,
            "timed_seconds": self.timed_seconds,
            "percent": self.percent.to_dict(),
        }


@dataclass(frozen=True)
class SubjectSummary:
    """The figures for the target, the peer, or both ("all") within one block of intervals."""

    subject: str
    intervals: int  # every interval of this subject in the block
    statuses: dict[str, int]  # status -> intervals, for every status
    included: int  # coded intervals: the denominator of the interval percentages
    excluded: dict[str, int]  # non-coded status -> intervals (only those present)
    minutes: float  # length of every interval
    timed_minutes: float  # length of coded and incomplete intervals: the rates' denominator
    codes: dict[str, Ratio]
    on_task: Ratio
    events: dict[str, EventSummary]
    states: dict[str, StateSummary]

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "intervals": self.intervals,
            "statuses": dict(self.statuses),
            "included": self.included,
            "excluded": dict(self.excluded),
            "minutes": self.minutes,
            "timed_minutes": self.timed_minutes,
            "codes": {k: v.to_dict() for k, v in self.codes.items()},
            "on_task": self.on_task.to_dict(),
            "events": {k: v.to_dict() for k, v in self.events.items()},
            "states": {k: v.to_dict() for k, v in self.states.items()},
        }


@dataclass(frozen=True)
class Block:
    """A set of intervals (whole observation, a phase, or a time bin) and what belongs to them."""

    label: str
    start_s: float
    end_s: float
    target: SubjectSummary
    peer: SubjectSummary | None  # None when the set-up observes no peer
    total: SubjectSummary  # target and peer together

    @property
    def events(self) -> dict[str, int]:
        """Event count per code in this block (target and peer)."""
        return {c: e.count for c, e in self.total.events.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "target": self.target.to_dict(),
            "peer": None if self.peer is None else self.peer.to_dict(),
            "total": self.total.to_dict(),
            "events": self.events,
        }


@dataclass(frozen=True)
class ObservationSummary:
    observation_id: str
    interval_seconds: int
    peer_every: int | None
    on_task_codes: tuple[str, ...]
    intervals: int
    statuses: dict[str, int]
    observed_seconds: float  # the length of the closed intervals (pauses are never observed time)
    overall: Block
    by_phase: list[Block] = field(default_factory=list)
    by_time_bin: list[Block] = field(default_factory=list)
    bin_seconds: int = 300

    @property
    def events(self) -> dict[str, EventSummary]:
        """Every event code over the whole observation, target and peer together."""
        return self.overall.total.events

    @property
    def states(self) -> dict[str, StateSummary]:
        return self.overall.total.states

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
            "attribution": ATTRIBUTION,
            "overall": self.overall.to_dict(),
            "events": {k: v.to_dict() for k, v in self.events.items()},
            "states": {k: v.to_dict() for k, v in self.states.items()},
            "by_phase": [b.to_dict() for b in self.by_phase],
            "bin_seconds": self.bin_seconds,
            "by_time_bin": [b.to_dict() for b in self.by_time_bin],
        }


@dataclass(frozen=True)
class _Row:
    """One closed interval with what the attribution rule gives it."""

    interval: Interval
    events: dict[str, int]  # event code -> occurrences in the interval
    state_seconds: dict[str, float]  # state code -> seconds held within the interval
    bouts: dict[str, int]  # state code -> spans starting in the interval

    @property
    def midpoint(self) -> float:
        return (self.interval.start_s + self.interval.end_s) / 2


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
    codes = _Codes(
        interval=[c.id for c in scheme.interval_codes],
        event=[c.id for c in scheme.codes_by(RecordingMethod.EVENT)],
        state=[c.id for c in scheme.codes_by(RecordingMethod.STATE)],
        on_task=on_task,
    )
    rows = attribute(observation)
    peer_every = observation.setup.peer_every
    end_s = rows[-1].interval.end_s if rows else 0.0

    def block(label: str, mine: Sequence[_Row], start: float, end: float) -> Block:
        return Block(
            label=label,
            start_s=start,
            end_s=end,
            target=_subject(TARGET, [r for r in mine if r.interval.subject == TARGET], codes),
            peer=_subject(PEER, [r for r in mine if r.interval.subject == PEER], codes) if peer_every else None,
            total=_subject(ALL, mine, codes),
        )

    overall = block("whole observation", rows, 0.0, end_s)

    by_phase = []
    phases = observation.phases
    for label in _phase_labels(phases, rows):
        mine = [r for r in rows if phase_at(phases, r.midpoint) == label]
        by_phase.append(
            block(
                label,
                mine,
                min((r.interval.start_s for r in mine), default=0.0),
                max((r.interval.end_s for r in mine), default=0.0),
            )
        )

    by_bin = []
    n_bins = max((int(r.midpoint // bin_seconds) + 1 for r in rows), default=0)
    for b in range(n_bins):
        lo, hi = b * bin_seconds, (b + 1) * bin_seconds
        mine = [r for r in rows if int(r.midpoint // bin_seconds) == b]
        by_bin.append(block(f"{_clock(lo)}-{_clock(hi)}", mine, float(lo), float(hi)))

    return ObservationSummary(
        observation_id=observation.id,
        interval_seconds=observation.setup.interval_seconds,
        peer_every=peer_every,
        on_task_codes=on_task,
        intervals=len(rows),
        statuses=dict(overall.total.statuses),
        observed_seconds=overall.total.minutes * 60,
        overall=overall,
        by_phase=by_phase,
        by_time_bin=by_bin,
        bin_seconds=bin_seconds,
    )


def attribute(observation: Observation) -> list[_Row]:
    """Each closed interval with the events it contains and the state time within it."""
    intervals = observation.intervals
    observed = observation.observed_s if observation.observed_s is not None else observation.last_t
    events: dict[int, dict[str, int]] = {}
    for e in observation.counts:
        per = events.setdefault(e.interval, {})
        per[e.code] = per.get(e.code, 0) + 1
    rows = []
    for iv in intervals:
        seconds: dict[str, float] = {}
        bouts: dict[str, int] = {}
        for s in observation.state_spans:
            end = observed if s.end_s is None else s.end_s
            overlap = min(end, iv.end_s) - max(s.start_s, iv.start_s)
            if overlap > 0:
                seconds[s.code] = seconds.get(s.code, 0.0) + overlap
            if _starts_in(s.start_s, iv, iv is intervals[-1]):
                bouts[s.code] = bouts.get(s.code, 0) + 1
        rows.append(_Row(iv, events.get(iv.index, {}), seconds, bouts))
    return rows


def _starts_in(t: float, iv: Interval, last: bool) -> bool:
    # Intervals are [start, end); a span starting at the very end belongs to the last one.
    return iv.start_s <= t < iv.end_s or (last and t == iv.end_s)


@dataclass(frozen=True)
class _Codes:
    interval: list[str]
    event: list[str]
    state: list[str]
    on_task: tuple[str, ...]


def _subject(subject: str, rows: Sequence[_Row], codes: _Codes) -> SubjectSummary:
    ivs = [r.interval for r in rows]
    coded = [i for i in ivs if i.status == CODED]
    timed = [r for r in rows if r.interval.status in TIMED_STATUSES]
    n = len(coded)
    who = "" if subject == ALL else f" {subject}"
    empty = f"no coded{who} intervals"
    statuses = {s: sum(1 for i in ivs if i.status == s) for s in INTERVAL_STATUSES}
    minutes = sum(i.end_s - i.start_s for i in ivs) / 60
    timed_minutes = sum(r.interval.end_s - r.interval.start_s for r in timed) / 60
    no_time = f"no coded{who} time to divide by"

    if not codes.on_task:
        on_task = Ratio(0, 0, "the scheme has no on-task codes")
    else:
        on_task = ratio(sum(1 for i in coded if set(i.codes) & set(codes.on_task)), n, empty)

    events = {}
    for c in codes.event:
        in_rate = sum(r.events.get(c, 0) for r in timed)
        events[c] = EventSummary(
            code=c,
            count=sum(r.events.get(c, 0) for r in rows),
            counted_in_rate=in_rate,
            rate_minutes=timed_minutes,
            rate_per_minute=in_rate / timed_minutes if timed_minutes else None,
            reason=None if timed_minutes else no_time,
        )
    states = {}
    for c in codes.state:
        held = sum(r.state_seconds.get(c, 0.0) for r in timed)
        states[c] = StateSummary(
            code=c,
            seconds=sum(r.state_seconds.get(c, 0.0) for r in rows),
            bouts=sum(r.bouts.get(c, 0) for r in rows),
            timed_seconds=held,
            percent=ratio(held, timed_minutes * 60, no_time),
        )
    return SubjectSummary(
        subject=subject,
        intervals=len(ivs),
        statuses=statuses,
        included=n,
        excluded={s: k for s, k in statuses.items() if k and s != CODED},
        minutes=minutes,
        timed_minutes=timed_minutes,
        codes={c: ratio(sum(1 for i in coded if c in i.codes), n, empty) for c in codes.interval},
        on_task=on_task,
        events=events,
        states=states,
    )


def phase_at(phases: Sequence[LessonPhase], t: float) -> str:
    """The label of the phase in force at observed time ``t`` (or NO_PHASE)."""
    label = NO_PHASE
    for p in phases:  # phases are in the order marked, which is time order
        if p.t <= t:
            label = p.label
    return label


def phase_of(phases: Sequence[LessonPhase], interval: Interval) -> str:
    """The phase an interval (and everything in it) belongs to: the one in force at its midpoint."""
    return phase_at(phases, (interval.start_s + interval.end_s) / 2)


def _phase_labels(phases: Sequence[LessonPhase], rows: Iterable[_Row]) -> list[str]:
    labels: list[str] = []
    if any(phase_at(phases, r.midpoint) == NO_PHASE for r in rows):
        labels.append(NO_PHASE)
    for p in phases:
        if p.label not in labels:
            labels.append(p.label)
    return labels


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"
