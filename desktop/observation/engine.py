"""The live engine: the prompt schedule and the observer's actions, on an injected clock.

Time. The engine maps the monotonic clock to *observed seconds* τ through one
anchor, τ = anchor_t + (now − anchor_mono), moved only by pause/resume. Prompt
k is due at τ = k·I, i.e. at monotonic ``anchor_mono + (k·I − anchor_t)``,
computed by multiplication: no drift accumulates, and a late poll never moves
later prompts. Prompt k ends interval k (interval k is [(k−1)·I, k·I)).

Polling. The UI calls ``poll()`` from a timer (e.g. every 100 ms). Each poll
closes every interval whose end has passed. If a whole interval passed with
no poll or action inside it (app frozen, laptop asleep), nothing could have
been recorded in it, so it closes as ``gap``; all prompts due at one poll are
returned, every one but the newest marked ``missed`` so the UI alerts once.
Every action (toggle, count...) polls first, so it always lands in the
interval that contains the moment it happened.

Coding. Every interval starts uncoded (a fresh judgement): the observer keys
what they see, Enter (``same_as_last``) repeats the last interval of the same
pupil, Backspace (``none_seen``) says none of the codes was seen. An interval
that closes with no codes and no such judgement is ``uncoded``. A scheme may
opt into ``carry_over`` (momentary and whole codes stay selected). After Tab
(``skip_interval``) keys land in the next interval (``coding_target``), which
is what the window shows. The rules are in docs/observation-format.md.

Persistence. Every change is an event given to ``sink(event)`` *before* it
is applied; if the sink raises, nothing changed. After a crash,
``ObservationEngine.resume(events, ...)`` replays the log and marks the
intervals the app missed as ``gap``.

Threads. An engine is not thread-safe: one thread owns it and its sink (the
GUI thread, polling from a timer, or one worker). A sink that hands events to
another thread must keep their order and must not drop any.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

from . import events as ev
from .errors import ObservationFinalised, ObservationStateError, SchemeError
from .observation import ENDED, FINALISED, RECORDING, Observation, record_events
from .records import (
    CODED,
    GAP,
    INCOMPLETE,
    INTERVAL_STATUSES,
    MAX_LABEL,
    MAX_NOTE,
    OBSERVATION_ID,
    SKIPPED,
    UNCODED,
    AbcRecord,
    ObservationSetup,
    subject_of,
)
from .scheme import CodingScheme, RecordingMethod, SamplePoint, check_setup

Sink = Callable[[ev.ObservationEvent], None]


class Clock(Protocol):
    """Where the engine reads time: ``monotonic()`` for scheduling, ``wall()`` for records."""

    def monotonic(self) -> float: ...

    def wall(self) -> float: ...


class SystemClock:
    """The real clocks."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


@dataclass(frozen=True)
class Prompt:
    """A prompt that became due: interval ``interval`` ended at monotonic time ``due``."""

    interval: int
    due: float
    fired_at: float
    missed: bool  # a newer prompt was due at the same poll: alert for that one only
    next_subject: str | None  # who interval+1 observes; None if the observation ended

    @property
    def late_by(self) -> float:
        return self.fired_at - self.due


def new_observation_id() -> str:
    return f"obs-{uuid.uuid4().hex[:16]}"


class ObservationEngine:
    """Drives one observation. Create with ``start``, ``resume`` or ``correct``."""

    def __init__(self, observation: Observation, sink: Sink, clock: Clock) -> None:
        self.observation = observation
        self._sink = sink
        self._clock = clock
        self._anchor_mono = clock.monotonic()
        self._anchor_t = observation.last_t
        self._paused_mono: float | None = None
        self._seen = observation.current_interval  # newest interval a poll landed in
        self._unreported: list[Prompt] = []

    # -- construction ---------------------------------------------------------
    @classmethod
    def start(
        cls,
        setup: ObservationSetup,
        scheme: CodingScheme,
        *,
        sink: Sink,
        clock: Clock | None = None,
        observation_id: str | None = None,
    ) -> "ObservationEngine":
        """Start a new observation now: emits ``ObservationStarted`` (and the first sample)."""
        clock = clock or SystemClock()
        oid = observation_id or new_observation_id()
        if not OBSERVATION_ID.match(oid):
            raise ObservationStateError(f"observation id {oid!r} must be 1-64 letters, digits, '_' or '-'")
        check_setup(scheme, setup.interval_seconds)
        engine = cls(Observation(), sink, clock)
        engine._emit(ev.ObservationStarted, 0.0, oid=oid, setup=setup, scheme=scheme)
        engine._anchor_mono, engine._anchor_t = clock.monotonic(), 0.0
        engine._sample_start(1)
        return engine

    @classmethod
    def resume(
        cls, events: Iterable[ev.ObservationEvent], *, sink: Sink, clock: Clock | None = None
    ) -> "ObservationEngine":
        """Carry on after the app stopped: replay the log, mark missed intervals ``gap``.

        Observed time is taken to have run on while the app was down (the lesson
        did), measured by the wall clock since the last event. The interval that
        was open at the crash and the one open now are both incomplete, so they
        are ``gap`` too; coding resumes with the next full interval. A pause in
        force at the crash stays in force.
        """
        clock = clock or SystemClock()
        obs = Observation.replay(events)
        if obs.status != RECORDING:
            raise ObservationStateError(f"observation {obs.id} is {obs.status}; there is nothing to resume")
        engine = cls(obs, sink, clock)
        now, wall = clock.monotonic(), clock.wall()
        if obs.paused:
            engine._anchor_mono, engine._anchor_t = now, obs.last_t
            # Count the down time as part of the pause when it is resumed.
            engine._paused_mono = now - max(0.0, wall - (obs.paused_wall or wall))
            return engine
        lost_from = obs.last_t
        t_now = lost_from + max(0.0, wall - obs.last_wall)
        engine._anchor_mono, engine._anchor_t = now, t_now
        engine._emit(ev.Restarted, t_now, lost_from_s=lost_from)
        interval_s = obs.setup.interval_seconds
        last = int(t_now // interval_s) + 1  # the interval containing t_now
        planned = obs.setup.planned_intervals
        if planned is not None:
            last = min(last, planned)
        for k in range(obs.current_interval, last + 1):
            if obs.exclusion(k) != GAP:
                engine._emit(ev.IntervalExcluded, t_now, interval=k, status=GAP)
        engine._seen = last
        engine._unreported = engine._advance(now)
        return engine

    @classmethod
    def correct(
        cls, old: Observation, *, sink: Sink, clock: Clock | None = None, observation_id: str | None = None
    ) -> "ObservationEngine":
        """Start a correction: a new version (``supersedes`` = old id) in the ended state.

        Its events copy the old record; change it with ``set_note`` and
        ``recode_interval``, then ``finalise``. The old observation is untouched.
        """
        clock = clock or SystemClock()
        oid = observation_id or new_observation_id()
        if not OBSERVATION_ID.match(oid):
            raise ObservationStateError(f"observation id {oid!r} must be 1-64 letters, digits, '_' or '-'")
        log = record_events(
            old.record(), observation_id=oid, version=old.version + 1, supersedes=old.id, finalise=False
        )
        obs = Observation()
        for event in log:
            sink(event)
            obs.apply(event)
        return cls(obs, sink, clock)

    # -- time -------------------------------------------------------------------
    @property
    def interval_seconds(self) -> int:
        return self.observation.setup.interval_seconds

    def observed_seconds(self, now: float | None = None) -> float:
        """Observed seconds (pauses left out) at monotonic ``now``."""
        if self._paused_mono is not None or self.observation.paused:
            return self._anchor_t
        now = self._clock.monotonic() if now is None else now
        return self._anchor_t + max(0.0, now - self._anchor_mono)

    def due_time(self, interval: int) -> float:
        """Monotonic time at which prompt ``interval`` is due (given no further pause)."""
        return self._anchor_mono + (interval * self.interval_seconds - self._anchor_t)

    def next_prompt_due(self) -> float | None:
        """Monotonic time of the next prompt; None while paused or once ended."""
        obs = self.observation
        if obs.status != RECORDING or obs.paused:
            return None
        return self.due_time(obs.current_interval)

    def poll(self, now: float | None = None) -> list[Prompt]:
        """Close intervals whose end has passed; return their prompts (oldest first)."""
        now = self._clock.monotonic() if now is None else now
        prompts = self._unreported + self._advance(now)
        self._unreported = []
        return prompts

    def _advance(self, now: float) -> list[Prompt]:
        obs = self.observation
        if obs.status != RECORDING or obs.paused:
            return []
        t = self.observed_seconds(now)
        interval_s = self.interval_seconds
        planned = obs.setup.planned_intervals
        prompts: list[Prompt] = []
        while obs.status == RECORDING and obs.current_interval * interval_s <= t:
            k = obs.current_interval
            status = obs.exclusion(k) or (CODED if self._seen >= k else GAP)
            codes: tuple[str, ...] = ()
            if status == CODED:
                if self._sample_point is SamplePoint.END:
                    self._emit(ev.MomentarySampled, t, interval=k, codes=self._momentary_now())
                codes = obs.pending_codes()
                if not codes and not obs.judged and obs.scheme.interval_codes:
                    status = UNCODED  # the observer recorded nothing: no judgement, not "none seen"
            self._emit(
                ev.IntervalClosed,
                t,
                interval=k,
                subject=subject_of(k, obs.setup.peer_every),
                status=status,
                codes=codes,
                start_s=float((k - 1) * interval_s),
                end_s=float(k * interval_s),
            )
            finished = planned is not None and k >= planned
            if finished:
                self._emit(ev.Ended, float(k * interval_s), reason="completed")
            prompts.append(
                Prompt(
                    interval=k,
                    due=self.due_time(k),
                    fired_at=now,
                    missed=False,
                    next_subject=None if finished else subject_of(k + 1, obs.setup.peer_every),
                )
            )
            if not finished:
                self._sample_start(k + 1, t)
        if obs.status == RECORDING:
            self._seen = obs.current_interval
        for i in range(len(prompts) - 1):
            prompts[i] = dataclasses.replace(prompts[i], missed=True)
        return prompts

    # -- the observer's actions ------------------------------------------------
    def press(self, key: str) -> str:
        """Handle a key press: toggles or counts the code on that key; returns its id."""
        code = self.observation.scheme.by_key(key)
        if code is None:
            raise SchemeError(f"no code on key {key!r}")
        if code.method is RecordingMethod.EVENT:
            self.count(code.id)
        else:
            self.toggle(code.id)
        return code.id

    def toggle(self, code_id: str) -> bool:
        """Switch a code on if off, off if on, in the interval a key lands in; returns the new setting."""
        code = self._toggleable(code_id)
        t = self._live()
        return self._set_code(code.id, code.id not in self.observation.keyed(), t)

    def set_code(self, code_id: str, on: bool) -> bool:
        """Set a code on or off: in the current interval (partial) or the live state (others)."""
        code = self._toggleable(code_id)
        return self._set_code(code.id, bool(on), self._live())

    def _toggleable(self, code_id: str):
        code = self.observation.scheme.code(code_id)
        if code.method is RecordingMethod.EVENT:
            raise SchemeError(f"{code.label} is an event code: count it, do not toggle it")
        return code

    def coding_target(self) -> int:
        """The interval a code key lands in now (the screen shows this one); raises if none can.

        Normally the current interval. After Tab (the current interval skipped)
        or a restart (the current interval a gap), keys go to the next interval.
        """
        obs = self.observation
        k = obs.current_interval
        if obs.exclusion(k) is None:
            return k
        planned = obs.setup.planned_intervals
        if planned is not None and k >= planned:
            raise ObservationStateError(
                f"interval {k} is {obs.exclusion(k)} and it is the last one: there is no interval left to code"
            )
        if obs.exclusion(k + 1) is not None:
            raise ObservationStateError(f"intervals {k} and {k + 1} are both marked {obs.exclusion(k + 1)}")
        return k + 1

    def grace_left(self, now: float | None = None) -> float | None:
        """Seconds left to key the current interval's start sample; None if it does not apply."""
        obs = self.observation
        if obs.status != RECORDING or self._sample_point is not SamplePoint.START:
            return None
        k = obs.current_interval
        if obs.exclusion(k) is not None:
            return None
        return max(
            0.0, obs.scheme.momentary_grace_seconds - (self.observed_seconds(now) - (k - 1) * self.interval_seconds)
        )

    def _set_code(self, code_id: str, on: bool, t: float) -> bool:
        obs = self.observation
        method = obs.scheme.code(code_id).method
        if method is RecordingMethod.STATE:  # a duration: it runs now, whatever the interval
            self._emit(ev.CodeToggled, t, code=code_id, on=on, interval=obs.current_interval)
            return on
        k = self.coding_target()
        if k != obs.current_interval:  # keyed ahead, after Tab: the next interval starts with it
            self._emit(ev.CodeToggled, t, code=code_id, on=on, interval=k)
            return on
        # With start sampling, a momentary key counts only within the grace
        # period after the prompt (the observer looks, then keys).
        in_grace = t - (k - 1) * self.interval_seconds <= obs.scheme.momentary_grace_seconds
        start_sample = method is RecordingMethod.MOMENTARY and self._sample_point is SamplePoint.START
        if start_sample and not in_grace and not obs.scheme.carry_over:
            raise ObservationStateError(
                f"too late for interval {k}'s sample: momentary codes are sampled at the prompt, with "
                f"{obs.scheme.momentary_grace_seconds:g} s to key what you saw; key it after the next prompt"
            )
        self._emit(ev.CodeToggled, t, code=code_id, on=on, interval=k)
        if start_sample and in_grace:
            self._emit(ev.MomentarySampled, t, interval=k, codes=self._momentary_now())
        return on

    def same_as_last(self) -> tuple[str, ...]:
        """Enter: code the interval a key lands in exactly as the last closed interval of the same pupil.

        Refused (nothing recorded) if that interval was not coded, or there is none yet.
        """
        obs = self.observation
        t = self._live()
        k = self.coding_target()
        subject = subject_of(k, obs.setup.peer_every)
        previous = next((i for i in reversed(obs.intervals) if i.subject == subject), None)
        if previous is None:
            raise ObservationStateError(f"there is no earlier {subject} interval to repeat")
        if previous.status != CODED:
            raise ObservationStateError(
                f"interval {previous.index} was {previous.status}: there are no codes to repeat; key this one"
            )
        self._code_interval(k, previous.codes, previous.index, t)
        return previous.codes

    def none_seen(self) -> int:
        """Backspace: the interval a key lands in is coded with none of the interval codes."""
        t = self._live()
        k = self.coding_target()
        self._code_interval(k, (), None, t)
        return k

    def _code_interval(self, k: int, codes: tuple[str, ...], source: int | None, t: float) -> None:
        obs = self.observation
        self._emit(ev.IntervalCoded, t, interval=k, codes=tuple(codes), from_interval=source)
        if k == obs.current_interval and self._sample_point is SamplePoint.START:
            self._emit(ev.MomentarySampled, t, interval=k, codes=self._momentary_now())

    def count(self, code_id: str) -> None:
        """Count one occurrence of an event code now."""
        obs = self.observation
        if obs.scheme.code(code_id).method is not RecordingMethod.EVENT:
            raise SchemeError(f"{code_id} is not an event code")
        t = self._live()
        self._emit(ev.EventCounted, t, code=code_id, interval=obs.current_interval)

    def record_abc(self, antecedent: str, behaviour: str, consequence: str) -> AbcRecord:
        """Record an ABC incident now."""
        for name, text in (("antecedent", antecedent), ("behaviour", behaviour), ("consequence", consequence)):
            _check_text(name, text, MAX_NOTE)
        t = self._live()
        self._emit(
            ev.AbcRecorded,
            t,
            antecedent=antecedent,
            behaviour=behaviour,
            consequence=consequence,
            interval=self.observation.current_interval,
        )
        return self.observation.abc_records[-1]

    def set_note(self, text: str, interval: int | None = None) -> None:
        """Set the note of ``interval`` (default: the current one). Allowed while paused and after end."""
        _check_text("note", text, MAX_NOTE)
        obs = self.observation
        self._not_finalised()
        if obs.status == RECORDING and not obs.paused:
            self._unreported += self._advance(self._clock.monotonic())
        if obs.status == RECORDING:
            interval = obs.current_interval if interval is None else interval
            if not 1 <= interval <= obs.current_interval:
                raise ObservationStateError(f"interval {interval} has not started")
            t = self.observed_seconds()
        else:
            if interval is None or not 1 <= interval <= len(obs.intervals):
                raise ObservationStateError("say which interval the note is for (1 to %d)" % len(obs.intervals))
            t = obs.observed_s
        self._emit(ev.NoteSet, t, interval=interval, text=text)

    def mark_phase(self, label: str) -> None:
        """A lesson phase starts now (e.g. 'starter', 'main task', 'plenary')."""
        _check_text("phase label", label, MAX_LABEL)
        if not label.strip():
            raise ObservationStateError("a phase needs a label")
        t = self._live()
        self._emit(ev.PhaseMarked, t, label=label)

    def skip_interval(self) -> int:
        """Mark the current interval skipped (pupil out of view); returns its number."""
        obs = self.observation
        self._live()
        k = obs.current_interval
        if obs.exclusion(k):
            raise ObservationStateError(f"interval {k} is already marked {obs.exclusion(k)}")
        self._emit(ev.IntervalExcluded, self.observed_seconds(), interval=k, status=SKIPPED)
        return k

    def pause(self) -> None:
        """Stop observed time (fire drill); the schedule moves on by the paused time."""
        t = self._live()
        now = self._clock.monotonic()
        self._emit(ev.Paused, t)
        self._paused_mono = now
        self._anchor_t = t

    def resume_after_pause(self) -> float:
        """Restart observed time; returns the seconds paused."""
        obs = self.observation
        self._recording()
        if not obs.paused:
            raise ObservationStateError("the observation is not paused")
        now = self._clock.monotonic()
        paused_for = max(0.0, now - (self._paused_mono if self._paused_mono is not None else now))
        self._emit(ev.Resumed, self._anchor_t, paused_for=paused_for)
        self._paused_mono = None
        self._anchor_mono = now
        self._seen = obs.current_interval
        return paused_for

    def end(self) -> None:
        """Stop recording now. A part-finished interval closes as ``incomplete``."""
        obs = self.observation
        self._recording()
        if obs.paused:
            self.resume_after_pause()
        now = self._clock.monotonic()
        self._unreported += self._advance(now)
        if obs.status != RECORDING:
            return  # the planned duration was reached on this very poll
        t = self.observed_seconds(now)
        k = obs.current_interval
        start = (k - 1) * self.interval_seconds
        if t > start or obs.current_touched():
            status = obs.exclusion(k) or INCOMPLETE
            codes: tuple[str, ...] = ()
            if status == INCOMPLETE:
                sample = obs.momentary_sample(k) if self._sample_point is SamplePoint.START else self._momentary_now()
                codes = obs.codes_for_close(sample or ())
            self._emit(
                ev.IntervalClosed,
                t,
                interval=k,
                subject=subject_of(k, obs.setup.peer_every),
                status=status,
                codes=codes,
                start_s=float(start),
                end_s=t,
            )
        planned = obs.setup.planned_intervals
        full = sum(1 for i in obs.intervals if i.status != INCOMPLETE)
        reason = "ended_early" if planned is not None and full < planned else "ended"
        self._emit(ev.Ended, t, reason=reason)

    def recode_interval(self, interval: int, codes: Iterable[str], status: str = CODED) -> None:
        """Correct a closed interval after the end (before finalising)."""
        obs = self.observation
        self._not_finalised()
        if obs.status != ENDED:
            raise ObservationStateError("intervals can be corrected only after the observation has ended")
        if not 1 <= interval <= len(obs.intervals):
            raise ObservationStateError(f"there is no interval {interval}")
        if status not in INTERVAL_STATUSES:
            raise ObservationStateError(f"status must be one of {', '.join(INTERVAL_STATUSES)}")
        wanted = set(codes)
        for code_id in wanted:
            if not obs.scheme.code(code_id).method.per_interval:
                raise SchemeError(f"{code_id} does not score intervals")
        for group in obs.scheme.groups:
            if group.exclusive and len(wanted & {c.id for c in obs.scheme.codes_in_group(group.id)}) > 1:
                raise SchemeError(f"only one code of '{group.label}' can be scored in an interval")
        if status in (SKIPPED, GAP, UNCODED) and wanted:
            raise ObservationStateError(f"a {status} interval has no codes")
        ordered = tuple(c.id for c in obs.scheme.codes if c.id in wanted)
        self._emit(ev.IntervalRecoded, obs.observed_s, interval=interval, status=status, codes=ordered)

    def finalise(self) -> None:
        """Lock the ended observation; later changes need ``correct``."""
        obs = self.observation
        self._not_finalised()
        if obs.status != ENDED:
            raise ObservationStateError("end the observation before finalising it")
        self._emit(ev.Finalised, obs.observed_s)

    # -- internals ---------------------------------------------------------------
    @property
    def _sample_point(self) -> SamplePoint:
        return self.observation.scheme.sample_at

    def _momentary_now(self) -> tuple[str, ...]:
        obs = self.observation
        return tuple(c.id for c in obs.scheme.codes_by(RecordingMethod.MOMENTARY) if c.id in obs.selection)

    def _sample_start(self, k: int, t: float = 0.0) -> None:
        obs = self.observation
        if self._sample_point is SamplePoint.START and obs.exclusion(k) is None:
            self._emit(ev.MomentarySampled, t, interval=k, codes=self._momentary_now())

    def _not_finalised(self) -> None:
        if self.observation.status == FINALISED:
            raise ObservationFinalised(
                f"observation {self.observation.id} is finalised; start a correction (a new version) to change it"
            )

    def _recording(self) -> None:
        self._not_finalised()
        if self.observation.status != RECORDING:
            raise ObservationStateError(f"observation {self.observation.id} has ended")

    def _live(self) -> float:
        """Check we can code now, poll, and return observed seconds."""
        self._recording()
        if self.observation.paused:
            raise ObservationStateError("the observation is paused; resume it to carry on coding")
        now = self._clock.monotonic()
        self._unreported += self._advance(now)
        if self.observation.status != RECORDING:
            raise ObservationStateError(f"observation {self.observation.id} has ended")
        return self.observed_seconds(now)

    def _emit(self, cls: type[ev.ObservationEvent], t: float, oid: str | None = None, **fields) -> ev.ObservationEvent:
        obs = self.observation
        event = cls(observation_id=oid or obs.id, seq=obs.next_seq, t=float(t), wall=self._clock.wall(), **fields)
        self._sink(event)  # persist first: if this raises, nothing has changed
        obs.apply(event)
        return event


def _check_text(name: str, text: object, limit: int) -> None:
    if not isinstance(text, str):
        raise ObservationStateError(f"{name} must be text")
    if len(text) > limit:
        raise ObservationStateError(f"{name} is longer than {limit} characters")
