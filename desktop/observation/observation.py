"""``Observation``: the state of one observation, changed only by applying events.

There is exactly one way to change an observation: ``apply(event)``. The live
engine builds events and applies them; ``Observation.replay(events)`` applies
a stored log to a fresh object. Both paths therefore give the same state.

``record()`` is the durable part (what an export contains) and
``record_events(record)`` turns a record back into a canonical event log, so
an imported observation can be stored as events like any other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from . import events as ev
from .errors import ObservationFinalised, ObservationStateError, ReplayError
from .records import (
    CODED,
    EXCLUDED_STATUSES,
    GAP,
    INTERVAL_STATUSES,
    MAX_LABEL,
    MAX_NOTE,
    NO_CODES_STATUSES,
    SKIPPED,
    AbcRecord,
    EventCount,
    Interval,
    PEER,
    TARGET,
    LessonPhase,
    ObservationSetup,
    Pause,
    StateSpan,
    subject_of,
)
from .scheme import CodingScheme, RecordingMethod, SamplePoint

RECORDING = "recording"
ENDED = "ended"
FINALISED = "finalised"
END_REASONS = ("completed", "ended_early", "ended")


def iso_utc(wall: float) -> str:
    """Unix time as ISO 8601 UTC to the second, e.g. ``2025-03-04T09:15:00Z``."""
    return datetime.fromtimestamp(int(wall), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> float:
    """Inverse of ``iso_utc``; ValueError if not in that form."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class ObservationRecord:
    """The durable content of an ended observation: what export writes and import reads."""

    id: str
    version: int
    supersedes: str | None
    state: str  # "ended" or "finalised"
    setup: ObservationSetup
    scheme: CodingScheme
    started_at: str
    ended_at: str
    end_reason: str
    observed_s: float
    intervals: tuple[Interval, ...]
    counts: tuple[EventCount, ...] = ()
    abc: tuple[AbcRecord, ...] = ()
    phases: tuple[LessonPhase, ...] = ()
    pauses: tuple[Pause, ...] = ()
    states: tuple[StateSpan, ...] = ()


class Observation:
    """One observation. Build it with ``replay`` (or through ``ObservationEngine``)."""

    def __init__(self) -> None:
        self.id: str = ""
        self.setup: ObservationSetup | None = None
        self.scheme: CodingScheme | None = None
        self.version = 1
        self.supersedes: str | None = None
        self.status = RECORDING
        self.started_wall = 0.0
        self.ended_wall: float | None = None
        self.end_reason: str | None = None
        self.observed_s: float | None = None
        self._intervals: list[Interval] = []
        self.current_interval = 1
        self._excluded: dict[int, str] = {}
        # The pupil's live state, kept per subject so that a peer interval
        # starts from the peer's last state and the target's is kept for after.
        self._live: dict[str, frozenset[str]] = {TARGET: frozenset(), PEER: frozenset()}
        self._states: frozenset[str] = frozenset()  # state (duration) codes held: the target's
        self._partial: frozenset[str] = frozenset()  # partial codes toggled this interval
        self._whole_held: frozenset[str] = frozenset()  # whole codes held since interval start
        # True once the observer made a judgement of the current interval's codes
        # (a code key, Enter "same as last", Backspace "none seen"); an interval
        # closing with no codes and no judgement is ``uncoded``.
        self._judged = False
        # Codes keyed for the next interval while the current one is skipped
        # (after Tab) or a gap: (live, partial). The screen shows that interval.
        self._ahead: tuple[frozenset[str], frozenset[str]] | None = None
        self._samples: dict[int, tuple[str, ...]] = {}
        self._pending_notes: dict[int, str] = {}
        self._counts: list[EventCount] = []
        self._abc: list[AbcRecord] = []
        self._phases: list[LessonPhase] = []
        self._pauses: list[Pause] = []
        self._spans: list[StateSpan] = []
        self._restarts: list[tuple[float, float]] = []
        self.paused = False
        self.paused_wall: float | None = None
        self.last_t = 0.0
        self.last_wall = 0.0
        self.next_seq = 0

    # -- building ---------------------------------------------------------
    @classmethod
    def replay(cls, events: Iterable[ev.ObservationEvent]) -> "Observation":
        """Rebuild an observation from its event log (in ``seq`` order, starting at 0)."""
        obs = cls()
        for event in events:
            obs.apply(event)
        if obs.setup is None:
            raise ReplayError("the event log is empty")
        return obs

    def apply(self, e: ev.ObservationEvent) -> None:
        """Apply one event; ReplayError/ObservationStateError if it does not fit the state."""
        if self.status == FINALISED:
            raise ObservationFinalised(f"observation {self.id} is finalised; make a new version to correct it")
        if e.seq != self.next_seq:
            raise ReplayError(f"event seq {e.seq} out of order (expected {self.next_seq})")
        if isinstance(e, ev.ObservationStarted):
            if e.seq != 0:
                raise ReplayError("observation_started must be the first event")
        elif e.seq == 0:
            raise ReplayError("the first event must be observation_started")
        elif e.observation_id != self.id:
            raise ReplayError(f"event {e.seq} belongs to observation {e.observation_id!r}, not {self.id!r}")
        handler = getattr(self, "_on_" + e.TYPE)
        handler(e)
        self.last_t = e.t
        self.last_wall = e.wall
        self.next_seq = e.seq + 1

    # -- handlers (one per event type) -------------------------------------
    def _on_observation_started(self, e: ev.ObservationStarted) -> None:
        if not isinstance(e.setup, ObservationSetup) or not isinstance(e.scheme, CodingScheme):
            raise ReplayError("observation_started needs a setup and a scheme")
        self.id = e.observation_id
        self.setup, self.scheme = e.setup, e.scheme
        self.version, self.supersedes = e.version, e.supersedes
        self.started_wall = e.wall

    def _on_code_toggled(self, e: ev.CodeToggled) -> None:
        self._need(RECORDING)
        code = self._code(e.code)
        if code.method is RecordingMethod.EVENT:
            raise ReplayError(f"{code.id} is an event code; count it instead of toggling it")
        if code.method is RecordingMethod.STATE:
            # State codes may arrive for earlier intervals in a canonical log.
            self._need_interval(e.interval)
            before = self._states
            self._states = self._switch(before, code.id, e.on)
            for code_id in before - self._states:
                self._spans = [
                    dataclasses.replace(s, end_s=e.t) if s.code == code_id and s.end_s is None else s
                    for s in self._spans
                ]
            for code_id in sorted(self._states - before):
                self._spans.append(StateSpan(code_id, e.t, None))
            return
        if self._is_ahead(e.interval):
            live, partial = self._ahead_draft()
            if code.method is RecordingMethod.PARTIAL:
                partial = self._switch(partial, code.id, e.on)
            else:
                live = self._switch(live, code.id, e.on)
            self._ahead = (live, partial)
            return
        self._need_current(e.interval)
        self._judged = True
        if code.method is RecordingMethod.PARTIAL:
            self._partial = self._switch(self._partial, code.id, e.on)
            return
        subject = subject_of(e.interval, self.setup.peer_every)
        before = self._live[subject]
        self._live[subject] = self._switch(before, code.id, e.on)
        # A whole-interval code scores only if held from the start: losing it
        # mid-interval drops it, gaining it mid-interval does not add it.
        self._whole_held = self._whole_held - (before - self._live[subject])

    def _on_interval_coded(self, e: ev.IntervalCoded) -> None:
        self._need(RECORDING)
        self._check_codes(e.codes, (RecordingMethod.MOMENTARY, RecordingMethod.PARTIAL, RecordingMethod.WHOLE))
        for group in self.scheme.groups:
            if group.exclusive and len(set(e.codes) & {c.id for c in self.scheme.codes_in_group(group.id)}) > 1:
                raise ReplayError(f"two codes of the exclusive group {group.id!r}")
        partial_ids = {c.id for c in self.scheme.codes_by(RecordingMethod.PARTIAL)}
        partial = frozenset(c for c in e.codes if c in partial_ids)
        live = frozenset(e.codes) - partial
        if self._is_ahead(e.interval):
            self._ahead = (live, partial)
            return
        self._need_current(e.interval)
        self._live[subject_of(e.interval, self.setup.peer_every)] = live
        self._partial = partial
        self._whole_held = live & {c.id for c in self.scheme.codes_by(RecordingMethod.WHOLE)}
        self._judged = True

    def _is_ahead(self, interval: int) -> bool:
        """True if ``interval`` is the next one and the current one is excluded (keys go ahead)."""
        return interval == self.current_interval + 1 and self.current_interval in self._excluded

    def _ahead_draft(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._ahead is not None:
            return self._ahead
        nxt = subject_of(self.current_interval + 1, self.setup.peer_every)
        return (self._live[nxt] if self.scheme.carry_over else frozenset(), frozenset())

    def _on_momentary_sampled(self, e: ev.MomentarySampled) -> None:
        self._need(RECORDING)
        self._need_current(e.interval)
        self._check_codes(e.codes, (RecordingMethod.MOMENTARY,))
        self._samples[e.interval] = tuple(e.codes)

    def _on_interval_excluded(self, e: ev.IntervalExcluded) -> None:
        self._need(RECORDING)
        if e.status not in (SKIPPED, GAP):
            raise ReplayError(f"an interval can only be excluded as skipped or gap, not {e.status!r}")
        if e.interval < self.current_interval:
            raise ReplayError(f"interval {e.interval} is already closed")
        self._excluded[e.interval] = e.status

    def _on_interval_closed(self, e: ev.IntervalClosed) -> None:
        self._need(RECORDING)
        self._need_current(e.interval)
        if e.status not in INTERVAL_STATUSES:
            raise ReplayError(f"unknown interval status {e.status!r}")
        if e.subject != subject_of(e.interval, self.setup.peer_every):
            raise ReplayError(f"interval {e.interval} observes the {subject_of(e.interval, self.setup.peer_every)}")
        self._check_codes(e.codes, (RecordingMethod.MOMENTARY, RecordingMethod.PARTIAL, RecordingMethod.WHOLE))
        if e.status in NO_CODES_STATUSES and e.codes:
            raise ReplayError(f"a {e.status} interval has no codes")
        self._intervals.append(
            Interval(
                index=e.interval,
                subject=e.subject,
                status=e.status,
                codes=tuple(e.codes),
                start_s=e.start_s,
                end_s=e.end_s,
                note=self._pending_notes.pop(e.interval, ""),
            )
        )
        self._samples.pop(e.interval, None)
        self._excluded.pop(e.interval, None)
        self.current_interval = e.interval + 1
        nxt = subject_of(self.current_interval, self.setup.peer_every)
        self._partial = frozenset()
        self._judged = False
        if self._ahead is not None:  # keyed after Tab: the new interval starts with them
            self._live[nxt], self._partial = self._ahead
            self._judged = True
        elif not self.scheme.carry_over:  # every interval a fresh judgement
            self._live = {TARGET: frozenset(), PEER: frozenset()}
        self._ahead = None
        whole = {c.id for c in self.scheme.codes_by(RecordingMethod.WHOLE)}
        self._whole_held = self._live[nxt] & whole

    def _on_interval_recoded(self, e: ev.IntervalRecoded) -> None:
        self._need(ENDED)
        if not 1 <= e.interval <= len(self._intervals):
            raise ReplayError(f"there is no interval {e.interval} to correct")
        if e.status not in INTERVAL_STATUSES:
            raise ReplayError(f"unknown interval status {e.status!r}")
        self._check_codes(e.codes, (RecordingMethod.MOMENTARY, RecordingMethod.PARTIAL, RecordingMethod.WHOLE))
        old = self._intervals[e.interval - 1]
        self._intervals[e.interval - 1] = dataclasses.replace(old, status=e.status, codes=tuple(e.codes))

    def _on_event_counted(self, e: ev.EventCounted) -> None:
        self._need(RECORDING)
        if self._code(e.code).method is not RecordingMethod.EVENT:
            raise ReplayError(f"{e.code} is not an event code")
        self._need_interval(e.interval)
        self._counts.append(EventCount(e.code, e.t, e.interval))

    def _on_abc_recorded(self, e: ev.AbcRecorded) -> None:
        self._need(RECORDING)
        self._need_interval(e.interval)
        for name in ("antecedent", "behaviour", "consequence"):
            text = getattr(e, name)
            if not isinstance(text, str) or len(text) > MAX_NOTE:
                raise ReplayError(f"ABC {name} must be text of at most {MAX_NOTE} characters")
        self._abc.append(AbcRecord(e.antecedent, e.behaviour, e.consequence, e.t, e.interval))

    def _on_note_set(self, e: ev.NoteSet) -> None:
        self._need(RECORDING, ENDED)
        if not isinstance(e.text, str) or len(e.text) > MAX_NOTE:
            raise ReplayError(f"a note must be text of at most {MAX_NOTE} characters")
        if 1 <= e.interval <= len(self._intervals):
            self._intervals[e.interval - 1] = dataclasses.replace(self._intervals[e.interval - 1], note=e.text)
        elif e.interval == self.current_interval and self.status == RECORDING:
            self._pending_notes[e.interval] = e.text
        else:
            raise ReplayError(f"there is no interval {e.interval} to note")

    def _on_phase_marked(self, e: ev.PhaseMarked) -> None:
        self._need(RECORDING)
        if not isinstance(e.label, str) or not e.label.strip() or len(e.label) > MAX_LABEL:
            raise ReplayError(f"a phase label must be 1-{MAX_LABEL} characters")
        self._phases.append(LessonPhase(e.label, e.t))

    def _on_paused(self, e: ev.Paused) -> None:
        self._need(RECORDING)
        if self.paused:
            raise ObservationStateError("already paused")
        self.paused, self.paused_wall = True, e.wall

    def _on_resumed(self, e: ev.Resumed) -> None:
        self._need(RECORDING)
        if not self.paused:
            raise ObservationStateError("not paused")
        self._pauses.append(Pause(e.t, e.paused_for))
        self.paused, self.paused_wall = False, None

    def _on_restarted(self, e: ev.Restarted) -> None:
        self._need(RECORDING)
        self._restarts.append((e.lost_from_s, e.t))

    def _on_ended(self, e: ev.Ended) -> None:
        self._need(RECORDING)
        if e.reason not in END_REASONS:
            raise ReplayError(f"unknown end reason {e.reason!r}")
        self._spans = [dataclasses.replace(s, end_s=e.t) if s.end_s is None else s for s in self._spans]
        if self.paused:
            self._pauses.append(Pause(e.t, max(0.0, e.wall - (self.paused_wall or e.wall))))
        self.status, self.end_reason = ENDED, e.reason
        self.ended_wall, self.observed_s = e.wall, e.t
        # The live state means nothing once recording stops.
        self._live = {TARGET: frozenset(), PEER: frozenset()}
        self._states = self._partial = self._whole_held = frozenset()
        self._judged, self._ahead = False, None
        self._samples.clear()
        self._excluded.clear()
        self._pending_notes.clear()
        self.paused, self.paused_wall = False, None

    def _on_finalised(self, e: ev.Finalised) -> None:
        self._need(ENDED)
        self.status = FINALISED

    # -- checks -------------------------------------------------------------
    def _need(self, *statuses: str) -> None:
        if self.setup is None:
            raise ReplayError("the first event must be observation_started")
        if self.status not in statuses:
            raise ObservationStateError(
                f"observation {self.id} is {self.status}; that needs it {' or '.join(statuses)}"
            )

    def _need_current(self, interval: int) -> None:
        if interval != self.current_interval:
            raise ReplayError(f"interval {interval} is not the current interval ({self.current_interval})")

    def _need_interval(self, interval: int) -> None:
        if not isinstance(interval, int) or not 1 <= interval <= self.current_interval:
            raise ReplayError(f"interval {interval} has not started")

    def _code(self, code_id: str):
        try:
            return self.scheme.code(code_id)
        except Exception:
            raise ReplayError(f"code {code_id!r} is not in the scheme") from None

    def _check_codes(self, codes: Iterable[str], methods: tuple[RecordingMethod, ...]) -> None:
        codes = tuple(codes)
        if len(set(codes)) != len(codes):
            raise ReplayError("a code is listed twice")
        for code_id in codes:
            if self._code(code_id).method not in methods:
                raise ReplayError(f"{code_id} cannot be scored this way")

    def _switch(self, selected: frozenset[str], code_id: str, on: bool) -> frozenset[str]:
        if not on:
            return selected - {code_id}
        group = self.scheme.code(code_id).group
        if group is not None and self.scheme.group(group).exclusive:
            selected = selected - {c.id for c in self.scheme.codes_in_group(group)}
        return selected | {code_id}

    # -- reading ------------------------------------------------------------
    @property
    def intervals(self) -> tuple[Interval, ...]:
        """Closed intervals, in order."""
        return tuple(self._intervals)

    @property
    def counts(self) -> tuple[EventCount, ...]:
        return tuple(self._counts)

    @property
    def abc_records(self) -> tuple[AbcRecord, ...]:
        return tuple(self._abc)

    @property
    def phases(self) -> tuple[LessonPhase, ...]:
        return tuple(self._phases)

    @property
    def pauses(self) -> tuple[Pause, ...]:
        return tuple(self._pauses)

    @property
    def state_spans(self) -> tuple[StateSpan, ...]:
        return tuple(self._spans)

    @property
    def restarts(self) -> tuple[tuple[float, float], ...]:
        """(lost_from_s, back_at_s) for each restart after the app stopped."""
        return tuple(self._restarts)

    @property
    def current_subject(self) -> str:
        """'target' or 'peer': who the current interval observes."""
        return subject_of(self.current_interval, self.setup.peer_every)

    @property
    def selection(self) -> frozenset[str]:
        """Momentary and whole codes selected for the current subject, plus state codes held."""
        return self._live[self.current_subject] | self._states

    @property
    def partial_codes(self) -> frozenset[str]:
        """Partial-interval codes toggled on in the current interval."""
        return self._partial

    @property
    def current_exclusion(self) -> str | None:
        """'skipped' or 'gap' if the current interval will close excluded."""
        return self._excluded.get(self.current_interval)

    def exclusion(self, interval: int) -> str | None:
        return self._excluded.get(interval)

    def momentary_sample(self, interval: int) -> tuple[str, ...] | None:
        return self._samples.get(interval)

    def pending_codes(self) -> tuple[str, ...]:
        """What the current interval scores if it closed now, with ``sample`` as momentary."""
        return self.codes_for_close(self._samples.get(self.current_interval, ()))

    def codes_for_close(self, momentary: Iterable[str]) -> tuple[str, ...]:
        """The current interval's codes given its momentary sample, in scheme order.

        Whole-interval codes: with carry-over, scored if held since the interval
        started; without it, keying one is the judgement that it lasted the interval.
        """
        if self.scheme.carry_over:
            whole = self._whole_held
        else:
            whole = self._live[self.current_subject] & {c.id for c in self.scheme.codes_by(RecordingMethod.WHOLE)}
        scored = set(momentary) | self._partial | whole
        return tuple(c.id for c in self.scheme.codes if c.id in scored)

    @property
    def judged(self) -> bool:
        """True if the observer made a judgement of the current interval's codes."""
        return self._judged

    @property
    def coding_interval(self) -> int:
        """The interval a code key lands in now: the current one, or the next if the current is excluded."""
        k = self.current_interval
        planned = self.setup.planned_intervals
        if k not in self._excluded or (planned is not None and k >= planned):
            return k  # (after the last planned interval there is none for keys to go to)
        return k + 1

    def shown_codes(self) -> frozenset[str]:
        """Interval codes the coding interval scores if nothing else is keyed (what the screen lights)."""
        if self.current_interval in self._excluded:
            live, partial = self._ahead_draft()
            return live | partial
        if self.scheme.sample_at is SamplePoint.START:
            momentary = self._samples.get(self.current_interval, ())
        else:
            ids = {c.id for c in self.scheme.codes_by(RecordingMethod.MOMENTARY)}
            momentary = self._live[self.current_subject] & ids
        return frozenset(self.codes_for_close(momentary))

    def keyed(self) -> frozenset[str]:
        """Codes the observer has switched on for the coding interval (and state codes held)."""
        if self.current_interval in self._excluded:
            live, partial = self._ahead_draft()
            return live | partial | self._states
        return self.selection | self._partial

    def current_touched(self) -> bool:
        """True if anything was recorded against the current interval."""
        k = self.current_interval
        return bool(
            self._judged
            or self._partial
            or k in self._pending_notes
            or any(c.interval == k for c in self._counts)
            or any(a.interval == k for a in self._abc)
        )

    @property
    def is_recording(self) -> bool:
        return self.status == RECORDING

    @property
    def is_finalised(self) -> bool:
        return self.status == FINALISED

    def snapshot(self) -> dict[str, Any]:
        """Every piece of state, for comparing two observations (replay tests)."""
        return {k: v for k, v in vars(self).items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Observation) and self.snapshot() == other.snapshot()

    __hash__ = None  # type: ignore[assignment]  # mutable until finalised

    def __repr__(self) -> str:
        return f"<Observation {self.id} {self.status} intervals={len(self._intervals)}>"

    # -- the durable record ------------------------------------------------
    def record(self) -> ObservationRecord:
        """The durable record; ObservationStateError while still recording."""
        if self.status == RECORDING:
            raise ObservationStateError(f"observation {self.id} is still recording; end it first")
        return ObservationRecord(
            id=self.id,
            version=self.version,
            supersedes=self.supersedes,
            state=self.status,
            setup=self.setup,
            scheme=self.scheme,
            started_at=iso_utc(self.started_wall),
            ended_at=iso_utc(self.ended_wall),
            end_reason=self.end_reason,
            observed_s=self.observed_s,
            intervals=self.intervals,
            counts=self.counts,
            abc=self.abc_records,
            phases=self.phases,
            pauses=self.pauses,
            states=self.state_spans,
        )


def record_events(
    record: ObservationRecord,
    *,
    observation_id: str | None = None,
    version: int | None = None,
    supersedes: str | None = None,
    finalise: bool | None = None,
) -> list[ev.ObservationEvent]:
    """A canonical event log that replays to ``record`` (optionally as a new version).

    Used to store an imported observation, and to start a correction: pass a
    new ``observation_id``, ``version`` and ``supersedes`` and ``finalise=False``.
    """
    oid = observation_id or record.id
    start_wall = parse_iso_utc(record.started_at)
    end_wall = parse_iso_utc(record.ended_at)
    out: list[ev.ObservationEvent] = []

    def add(cls, t: float, wall: float | None = None, **fields):
        out.append(cls(observation_id=oid, seq=len(out), t=t, wall=start_wall if wall is None else wall, **fields))

    add(
        ev.ObservationStarted,
        0.0,
        setup=record.setup,
        scheme=record.scheme,
        version=record.version if version is None else version,
        supersedes=record.supersedes if observation_id is None else supersedes,
    )
    for iv in record.intervals:
        if iv.note:
            add(ev.NoteSet, iv.start_s, interval=iv.index, text=iv.note)
        add(
            ev.IntervalClosed,
            iv.end_s,
            interval=iv.index,
            subject=iv.subject,
            status=iv.status,
            codes=iv.codes,
            start_s=iv.start_s,
            end_s=iv.end_s,
        )
    for c in record.counts:
        add(ev.EventCounted, c.t, code=c.code, interval=c.interval)
    for a in record.abc:
        add(
            ev.AbcRecorded,
            a.t,
            antecedent=a.antecedent,
            behaviour=a.behaviour,
            consequence=a.consequence,
            interval=a.interval,
        )
    for p in record.phases:
        add(ev.PhaseMarked, p.t, label=p.label)
    for p in record.pauses:
        add(ev.Paused, p.t)
        add(ev.Resumed, p.t, paused_for=p.duration_s)
    for s in record.states:
        add(ev.CodeToggled, s.start_s, code=s.code, on=True, interval=1)
        add(ev.CodeToggled, s.end_s, code=s.code, on=False, interval=1)
    add(ev.Ended, record.observed_s, wall=end_wall, reason=record.end_reason)
    if finalise if finalise is not None else record.state == FINALISED:
        add(ev.Finalised, record.observed_s, wall=end_wall)
    return out


# Statuses re-exported for callers that only import this module.
__all__ = [
    "Observation",
    "ObservationRecord",
    "record_events",
    "RECORDING",
    "ENDED",
    "FINALISED",
    "CODED",
    "EXCLUDED_STATUSES",
]
