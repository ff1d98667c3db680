"""Coding schemes as data: which codes an observer can press and how each is scored.

A ``CodingScheme`` is an immutable value. Editing returns a new scheme
(``with_code``, ``without_code``, ``replace``), which is validated as a whole,
so the UI can never hold a half-valid scheme. Built-in presets are copied
(``copy()``: new id, same content) before a practitioner edits them.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .errors import SchemeError

MAX_LABEL = 200
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_CODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")


class RecordingMethod(str, Enum):
    """How a code is scored (see docs/observation-format.md)."""

    MOMENTARY = "momentary"  # present at the interval's sampling instant
    PARTIAL = "partial"  # occurred at any time in the interval
    WHOLE = "whole"  # lasted the whole interval
    EVENT = "event"  # a count per occurrence
    STATE = "state"  # a duration between start and stop

    @property
    def per_interval(self) -> bool:
        """True for methods that score an interval (shown as interval columns)."""
        return self in (RecordingMethod.MOMENTARY, RecordingMethod.PARTIAL, RecordingMethod.WHOLE)

    @property
    def live(self) -> bool:
        """True for codes held as the pupil's current state across intervals."""
        return self in (RecordingMethod.MOMENTARY, RecordingMethod.WHOLE, RecordingMethod.STATE)


class SamplePoint(str, Enum):
    """When momentary codes are sampled within an interval."""

    START = "start"
    END = "end"


@dataclass(frozen=True)
class CodeGroup:
    """A named set of codes; in an exclusive group selecting one deselects the others."""

    id: str
    label: str
    exclusive: bool = False


@dataclass(frozen=True)
class Code:
    """One code: ``id`` is what is stored, ``key`` the keyboard key that toggles it."""

    id: str
    key: str
    label: str
    colour: str
    method: RecordingMethod
    group: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CodingScheme:
    """A complete, validated coding scheme."""

    id: str
    name: str
    interval_seconds: int
    codes: tuple[Code, ...]
    groups: tuple[CodeGroup, ...] = ()
    sample_at: SamplePoint = SamplePoint.END
    # Seconds after a START sample during which changing a momentary code
    # still revises that sample (BOSS code sheets allow 3 s to look and key).
    momentary_grace_seconds: float = 0.0
    peer_every: int | None = None
    on_task_codes: tuple[str, ...] = ()
    description: str = ""
    # False (the default): every interval starts uncoded, a fresh judgement.
    # True: momentary and whole codes stay selected into the next interval
    # until changed (shown in the window while on).
    carry_over: bool = False

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise SchemeError("invalid coding scheme: " + "; ".join(problems))

    # -- look-ups ---------------------------------------------------------
    def code(self, code_id: str) -> Code:
        """The code with this id; SchemeError if there is none."""
        for c in self.codes:
            if c.id == code_id:
                return c
        raise SchemeError(f"code {code_id!r} is not in scheme {self.name!r}")

    def has_code(self, code_id: str) -> bool:
        return any(c.id == code_id for c in self.codes)

    def by_key(self, key: str) -> Code | None:
        """The code a key press toggles, or None."""
        for c in self.codes:
            if c.key == key:
                return c
        return None

    def group(self, group_id: str) -> CodeGroup:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise SchemeError(f"group {group_id!r} is not in scheme {self.name!r}")

    def codes_in_group(self, group_id: str) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.group == group_id)

    def codes_by(self, *methods: RecordingMethod) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.method in methods)

    @property
    def interval_codes(self) -> tuple[Code, ...]:
        """Codes that score intervals (momentary, partial, whole), in scheme order."""
        return tuple(c for c in self.codes if c.method.per_interval)

    # -- editing ----------------------------------------------------------
    def copy(self, *, new_id: str | None = None, name: str | None = None) -> "CodingScheme":
        """A deep copy with a new id, ready to edit (all parts are immutable)."""
        return dataclasses.replace(
            self, id=new_id or f"scheme-{uuid.uuid4().hex[:12]}", name=name or f"{self.name} (copy)"
        )

    def replace(self, **changes: Any) -> "CodingScheme":
        """A new scheme with fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def with_code(self, code: Code) -> "CodingScheme":
        """Add a code, or replace the code with the same id."""
        codes = [c for c in self.codes if c.id != code.id]
        index = next((i for i, c in enumerate(self.codes) if c.id == code.id), len(codes))
        codes.insert(index, code)
        return dataclasses.replace(self, codes=tuple(codes))

    def without_code(self, code_id: str) -> "CodingScheme":
        """Remove a code (and from the on-task set)."""
        self.code(code_id)
        return dataclasses.replace(
            self,
            codes=tuple(c for c in self.codes if c.id != code_id),
            on_task_codes=tuple(c for c in self.on_task_codes if c != code_id),
        )

    # -- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (see docs/observation-format.md, ``scheme``)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "interval_seconds": self.interval_seconds,
            "sample_at": self.sample_at.value,
            "momentary_grace_seconds": self.momentary_grace_seconds,
            "peer_every": self.peer_every,
            "on_task_codes": list(self.on_task_codes),
            "carry_over": self.carry_over,
            "groups": [{"id": g.id, "label": g.label, "exclusive": g.exclusive} for g in self.groups],
            "codes": [
                {
                    "id": c.id,
                    "key": c.key,
                    "label": c.label,
                    "colour": c.colour,
                    "method": c.method.value,
                    "group": c.group,
                    "description": c.description,
                }
                for c in self.codes
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> "CodingScheme":
        """Build and validate a scheme from ``to_dict`` output; SchemeError on any problem."""
        if not isinstance(data, dict):
            raise SchemeError("scheme must be an object")
        try:
            codes = tuple(
                Code(
                    id=_str(c, "id"),
                    key=_str(c, "key"),
                    label=_str(c, "label"),
                    colour=_str(c, "colour"),
                    method=_enum(RecordingMethod, c.get("method"), "code method"),
                    group=_opt_str(c, "group"),
                    description=_str(c, "description", default=""),
                )
                for c in _list(data, "codes")
            )
            groups = tuple(
                CodeGroup(
                    id=_str(g, "id"),
                    label=_str(g, "label"),
                    exclusive=_bool(g, "exclusive", default=False),
                )
                for g in _list(data, "groups", default=[])
            )
            on_task = _list(data, "on_task_codes", default=[])
            if not all(isinstance(x, str) for x in on_task):
                raise SchemeError("on_task_codes must be a list of strings")
            grace = data.get("momentary_grace_seconds", 0.0)
            if isinstance(grace, bool) or not isinstance(grace, (int, float)):
                raise SchemeError("momentary_grace_seconds must be a number")
            return cls(
                id=_str(data, "id"),
                name=_str(data, "name"),
                description=_str(data, "description", default=""),
                interval_seconds=data.get("interval_seconds"),  # type-checked in validation
                codes=codes,
                groups=groups,
                sample_at=_enum(SamplePoint, data.get("sample_at", "end"), "sample_at"),
                momentary_grace_seconds=float(grace),
                peer_every=data.get("peer_every"),
                on_task_codes=tuple(on_task),
                carry_over=_bool(data, "carry_over", default=False),
            )
        except (TypeError, AttributeError) as exc:
            # A code or group entry that is not an object lands here.
            raise SchemeError(f"malformed scheme: {exc}") from None


_SELECTION_OF = {
    RecordingMethod.MOMENTARY: "live",
    RecordingMethod.WHOLE: "live",
    RecordingMethod.PARTIAL: "partial",
    RecordingMethod.STATE: "state",
}


def check_setup(scheme: CodingScheme, interval_seconds: int, *, recording: bool = True) -> None:
    """Refuse a scheme that cannot work with a set-up's interval length (SetupError).

    The grace period must be shorter than the interval actually used (the
    set-up's, not the scheme's default); and a scheme that samples at the
    interval start without carry-over needs a grace period to record with
    (``recording``), or no momentary code could ever be keyed into a sample.
    """
    from .errors import SetupError

    if scheme.sample_at is not SamplePoint.START:
        return
    grace = scheme.momentary_grace_seconds
    if grace >= interval_seconds:
        raise SetupError(
            f"the scheme's {grace:g} s grace period for keying the sample must be shorter than the "
            f"{interval_seconds} s interval"
        )
    if recording and not grace and not scheme.carry_over and scheme.codes_by(RecordingMethod.MOMENTARY):
        raise SetupError(
            "this scheme samples momentary codes at the interval start with no grace period, so no key "
            "press could ever reach a sample: give it a grace period (e.g. 3 s) or sample at the end"
        )


def _problems(s: CodingScheme) -> list[str]:
    """Every problem with a scheme, so the editor can show them all at once."""
    p: list[str] = []
    if not isinstance(s.id, str) or not _CODE_ID.match(s.id or ""):
        p.append(f"scheme id {s.id!r} must be 1-40 letters, digits, '_', '.', ':' or '-'")
    if not isinstance(s.name, str) or not s.name.strip():
        p.append("scheme name must not be empty")
    elif len(s.name) > MAX_LABEL:
        p.append(f"scheme name is longer than {MAX_LABEL} characters")
    if not isinstance(s.description, str) or len(s.description) > 10_000:
        p.append("scheme description must be text of at most 10000 characters")
    if isinstance(s.interval_seconds, bool) or not isinstance(s.interval_seconds, int) or s.interval_seconds <= 0:
        p.append(f"interval_seconds must be a whole number of seconds above 0, not {s.interval_seconds!r}")
    if s.peer_every is not None and (
        isinstance(s.peer_every, bool) or not isinstance(s.peer_every, int) or s.peer_every < 2
    ):
        p.append(f"peer_every must be empty or a whole number of at least 2, not {s.peer_every!r}")
    if not isinstance(s.sample_at, SamplePoint):
        p.append("sample_at must be 'start' or 'end'")
    grace = s.momentary_grace_seconds
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not (0 <= grace < 3600):
        p.append("momentary_grace_seconds must be a number from 0")
    # A grace period with "end" sampling is accepted and has no effect; the
    # grace is checked against the set-up's interval (check_setup), not here.
    if not isinstance(s.carry_over, bool):
        p.append("carry_over must be true or false")
    if not isinstance(s.codes, tuple) or not s.codes:
        p.append("a scheme needs at least one code")
        return p

    group_ids = [g.id for g in s.groups]
    for dup in sorted({g for g in group_ids if group_ids.count(g) > 1}):
        p.append(f"duplicate group id {dup!r}")
    for g in s.groups:
        if not isinstance(g.id, str) or not _CODE_ID.match(g.id):
            p.append(f"group id {g.id!r} must be 1-40 letters, digits, '_', '.', ':' or '-'")
        if not isinstance(g.label, str) or not g.label.strip() or len(g.label) > MAX_LABEL:
            p.append(f"group {g.id!r} needs a label of 1-{MAX_LABEL} characters")
        if not isinstance(g.exclusive, bool):
            p.append(f"group {g.id!r}: exclusive must be true or false")

    ids = [c.id for c in s.codes]
    keys = [c.key for c in s.codes]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        p.append(f"duplicate code id {dup!r}")
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        owners = ", ".join(c.id for c in s.codes if c.key == dup)
        p.append(f"key {dup!r} is used by more than one code ({owners})")
    for c in s.codes:
        if not isinstance(c.id, str) or not _CODE_ID.match(c.id):
            p.append(f"code id {c.id!r} must be 1-40 letters, digits, '_', '.', ':' or '-'")
        if not isinstance(c.key, str) or len(c.key) != 1 or not c.key.isprintable() or c.key.isspace():
            p.append(f"code {c.id!r}: key must be one printable, non-space character, not {c.key!r}")
        if not isinstance(c.label, str) or not c.label.strip():
            p.append(f"code {c.id!r} needs a label")
        elif len(c.label) > MAX_LABEL:
            p.append(f"code {c.id!r}: label is longer than {MAX_LABEL} characters")
        if not isinstance(c.colour, str) or not _COLOUR.match(c.colour):
            p.append(f"code {c.id!r}: colour must be a hex colour like '#1F77B4', not {c.colour!r}")
        if not isinstance(c.method, RecordingMethod):
            p.append(f"code {c.id!r}: unknown recording method {c.method!r}")
        if c.group is not None and c.group not in group_ids:
            p.append(f"code {c.id!r} refers to unknown group {c.group!r}")
        if not isinstance(c.description, str) or len(c.description) > 10_000:
            p.append(f"code {c.id!r}: description must be text of at most 10000 characters")

    for g in s.groups:
        if not g.exclusive:
            continue
        methods = {c.method for c in s.codes if c.group == g.id}
        # Exclusivity acts within one selection: the pupil's live state
        # (momentary, whole), the interval's partial set, or the held states.
        if RecordingMethod.EVENT in methods:
            p.append(f"exclusive group {g.id!r} contains event codes, which cannot be exclusive")
        elif len({_SELECTION_OF.get(m) for m in methods}) > 1:
            p.append(f"exclusive group {g.id!r} mixes partial, state and momentary/whole codes")

    for code_id in s.on_task_codes:
        if code_id not in ids:
            p.append(f"on-task code {code_id!r} is not in the scheme")
        else:
            method = next(c.method for c in s.codes if c.id == code_id)
            if isinstance(method, RecordingMethod) and not method.per_interval:
                p.append(f"on-task code {code_id!r} must be an interval code (momentary, partial or whole)")
    if len(set(s.on_task_codes)) != len(s.on_task_codes):
        p.append("on_task_codes lists a code twice")
    return p


# -- small typed readers for from_dict (errors name the field) -----------
def _str(d: dict, name: str, default: str | None = None) -> str:
    value = d.get(name, default)
    if not isinstance(value, str):
        raise SchemeError(f"scheme field {name!r} must be text")
    return value


def _opt_str(d: dict, name: str) -> str | None:
    value = d.get(name)
    if value is not None and not isinstance(value, str):
        raise SchemeError(f"scheme field {name!r} must be text or null")
    return value


def _bool(d: dict, name: str, default: bool) -> bool:
    value = d.get(name, default)
    if not isinstance(value, bool):
        raise SchemeError(f"scheme field {name!r} must be true or false")
    return value


def _list(d: dict, name: str, default: list | None = None) -> list:
    value = d.get(name, default)
    if not isinstance(value, list):
        raise SchemeError(f"scheme field {name!r} must be a list")
    return value


def _enum(kind, value, what: str):
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise SchemeError(f"{what} must be one of {allowed}, not {value!r}") from None


# -- presets --------------------------------------------------------------
MINUTE_INTERVALS_ID = "preset.minute-intervals"
BOSS_ID = "preset.boss"


def minute_intervals() -> CodingScheme:
    """The service's own practice: a prompt every minute, one behaviour and the lesson context.

    Behaviour and context are momentary, sampled at the prompt that ends the
    interval: the observer keeps the current state selected while watching and
    the prompt records it. Each group is exclusive (one behaviour, one context).
    """
    M = RecordingMethod.MOMENTARY
    return CodingScheme(
        id=MINUTE_INTERVALS_ID,
        name="Minute intervals",
        description="One target pupil, a prompt every minute, an optional comparison peer.",
        interval_seconds=60,
        sample_at=SamplePoint.END,
        peer_every=None,
        groups=(
            CodeGroup("behaviour", "Target behaviour", exclusive=True),
            CodeGroup("context", "Lesson context", exclusive=True),
        ),
        codes=(
            Code("ON", "1", "On task", "#2CA02C", M, "behaviour"),
            Code("OFF-P", "2", "Off task: passive", "#BCBD22", M, "behaviour"),
            Code("OFF-V", "3", "Off task: verbal", "#FF7F0E", M, "behaviour"),
            Code("OFF-M", "4", "Off task: motor", "#9467BD", M, "behaviour"),
            Code("DIS", "5", "Disruptive", "#D62728", M, "behaviour"),
            Code("TWC", "q", "Teacher-directed, whole class", "#1F77B4", M, "context"),
            Code("GRP", "w", "Group work", "#17BECF", M, "context"),
            Code("IND", "e", "Independent work", "#8C564B", M, "context"),
            Code("TRN", "r", "Transition", "#7F7F7F", M, "context"),
        ),
        on_task_codes=("ON",),
    )


def boss() -> CodingScheme:
    """BOSS (Shapiro): 15 s intervals, every 5th observes a peer, on-task = AET + PET.

    AET/PET are momentary, sampled at the interval start with a 3 s grace, as
    on the BOSS code sheet; the off-task codes are partial interval and any
    number may be scored in one interval; TDI is partial interval here.
    """
    M, P = RecordingMethod.MOMENTARY, RecordingMethod.PARTIAL
    return CodingScheme(
        id=BOSS_ID,
        name="BOSS",
        description="Behavioral Observation of Students in Schools (E. S. Shapiro).",
        interval_seconds=15,
        sample_at=SamplePoint.START,
        momentary_grace_seconds=3.0,
        peer_every=5,
        groups=(
            CodeGroup("engaged", "Engaged time", exclusive=True),
            CodeGroup("off_task", "Off-task behaviour", exclusive=False),
        ),
        codes=(
            Code("AET", "a", "Active engaged time", "#2CA02C", M, "engaged"),
            Code("PET", "s", "Passive engaged time", "#98DF8A", M, "engaged"),
            Code("OFT-M", "j", "Off-task motor", "#9467BD", P, "off_task"),
            Code("OFT-V", "k", "Off-task verbal", "#FF7F0E", P, "off_task"),
            Code("OFT-P", "l", "Off-task passive", "#BCBD22", P, "off_task"),
            Code("TDI", "t", "Teacher-directed instruction", "#1F77B4", P),
        ),
        on_task_codes=("AET", "PET"),
    )


def presets() -> tuple[CodingScheme, ...]:
    """The built-in schemes. Copy one (``copy()``) before editing it."""
    return (minute_intervals(), boss())


def preset(scheme_id: str) -> CodingScheme:
    for s in presets():
        if s.id == scheme_id:
            return s
    raise SchemeError(f"no built-in scheme {scheme_id!r}")
