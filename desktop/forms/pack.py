"""The instrument pack model: what a validated pack holds.

A pack is data (see ``docs/instrument-packs.md``): items, response option
sets, scales and their scoring rules, derived scores, band tables and
normative ranges. The file format is declared in ``desktop.forms.pack_format``
(pydantic models) and read by ``desktop.forms.loader``; this module only defines
the validated shapes, so the scorer and the GUI can rely on every reference being
resolved and every band table being whole.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

PACK_FORMAT = "fieldnote-instrument-pack"
PACK_FORMAT_VERSION = 1

#: A score or answer value: integers for option sets, Decimal for numbers
#: with decimals. Never float, so that rounding and band edges are exact.
Number = Union[int, Decimal]
#: A recorded answer value: an option value (int or str) or a number.
Value = Union[int, str, Decimal]

#: The longest text a strategy in a ``strategies`` pack may have.
MAX_STRATEGY_TEXT = 4000


@dataclass(frozen=True)
class StrategyEntry:
    """One strategy of a ``strategies`` pack (a bank a service distributes): what a
    practitioner finds in the report editor's strategy search and inserts."""

    id: str
    title: str
    text: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseOption:
    """One choice on the form: the stored ``value``, its label, its score.

    ``score`` None means a recorded answer that does not enter sums or means
    (e.g. "not seen" on an audit).
    """

    value: int | str
    label: str
    score: int | None


@dataclass(frozen=True)
class ResponseSet:
    """A set of response options, or a typed number/text answer."""

    id: str
    kind: str = "options"
    label: str = ""
    options: tuple[ResponseOption, ...] = ()
    minimum: Number | None = None
    maximum: Number | None = None
    decimals: int = 0

    def score_bounds(self) -> tuple[Number | None, Number | None]:
        """Lowest and highest score an answer can give (None = unbounded)."""
        if self.kind == "options":
            scores = [o.score for o in self.options if o.score is not None]
            return (min(scores), max(scores)) if scores else (0, 0)
        return self.minimum, self.maximum

    def option(self, value: Value) -> ResponseOption | None:
        for opt in self.options:
            if opt.value == value and type(opt.value) is type(value):
                return opt
        return None


@dataclass(frozen=True)
class Item:
    """A question or criterion. ``label`` is a short neutral name; ``text``
    is the verbatim wording when a pack that holds the right supplies it."""

    id: str
    number: int
    label: str
    response_set: str
    reverse: bool = False
    text: str | None = None
    section: str | None = None
    evidence: bool = False

    @property
    def display_text(self) -> str:
        """What a form shows: the verbatim wording if installed, else the label."""
        return self.text or self.label


@dataclass(frozen=True)
class Scale:
    """A scale (or Boxall cluster, or audit tally) scored from items.

    Rules: ``sum`` (missing items count 0; missing when fewer than
    ``min_answered`` are answered), ``prorated_mean`` (mean of answered items
    times ``n``, rounded half up), ``count`` (how many answers are among
    ``values``).
    """

    id: str
    label: str
    items: tuple[str, ...]
    rule: str
    strand: str | None = None
    n: int | None = None
    min_answered: int = 0
    values: tuple[int | str, ...] = ()
    decimals: int = 0


@dataclass(frozen=True)
class DerivedScore:
    """A score computed from scales (``sum``) or an impact rule (``impact``).

    ``sum``: missing when any part is missing. ``impact``: the sum of the
    ``items`` scores, unanswered items counting 0; missing when none is
    answered; 0 when the ``gate_item`` is answered with a ``gate_zero_when``
    value (SDQ: overall difficulties "No").
    """

    id: str
    label: str
    rule: str
    of: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    gate_item: str | None = None
    gate_zero_when: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class Band:
    """A named band covering ``minimum``..``maximum`` inclusive (None = open)."""

    label: str
    minimum: Number
    maximum: Number | None


@dataclass(frozen=True)
class BandTable:
    """Bands for one score, informant and age band, with its published source.

    ``bands`` are in the order the pack lists them (that order is the band's
    rank, e.g. close to average → very high), not necessarily by score.
    """

    scheme: str
    scale: str
    informant: str
    age_band: str
    source: str
    bands: tuple[Band, ...]
    _mins: tuple[Number, ...] = field(default=(), repr=False, compare=False)
    _by_min: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        order = sorted(range(len(self.bands)), key=lambda i: self.bands[i].minimum)
        object.__setattr__(self, "_mins", tuple(self.bands[i].minimum for i in order))
        object.__setattr__(self, "_by_min", tuple(order))

    def rank_for(self, score: Number | None) -> int | None:
        """Index into ``bands`` of the band holding ``score`` (None if missing)."""
        if score is None:
            return None
        pos = bisect_right(self._mins, score) - 1
        if pos < 0:
            return None
        band = self.bands[self._by_min[pos]]
        if band.maximum is not None and score > band.maximum:
            return None
        return self._by_min[pos]

    def band_for(self, score: Number | None) -> str | None:
        """The band label holding ``score``, or None when the score is missing."""
        rank = self.rank_for(score)
        return None if rank is None else self.bands[rank].label


@dataclass(frozen=True)
class BandScheme:
    """A named banding (e.g. four-band, three-band) made of band tables."""

    id: str
    label: str
    tables: tuple[BandTable, ...]


@dataclass(frozen=True)
class NormativeRange:
    """A range drawn on charts, e.g. a Boxall cluster's competence range."""

    scale: str
    informant: str
    age_band: str
    minimum: Number
    maximum: Number
    label: str
    source: str


@dataclass(frozen=True)
class Section:
    """A group of items shown together (a form section or an audit area)."""

    id: str
    label: str


@dataclass(frozen=True)
class JudgementLevel:
    """One level of a section judgement scale, e.g. Stabilise (rank 1)."""

    value: str
    label: str
    rank: int


@dataclass(frozen=True)
class JudgementScale:
    """An ordered scale for a section's overall judgement (ranks run 1..n, no gaps)."""

    id: str
    label: str
    levels: tuple[JudgementLevel, ...]

    def level(self, value: str) -> JudgementLevel | None:
        for lv in self.levels:
            if lv.value == value:
                return lv
        return None


@dataclass(frozen=True)
class AuditSection:
    """An audit area's judgement scale and its "evidence of effective practice" guidance."""

    section: str
    judgement_scale: str | None = None
    guidance: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditSpec:
    """The audit part of a ``kind: "audit"`` pack (its ``audit`` field).

    ``rating_scale``: the response set rated criteria use (its scored options are
    the levels, lowest score first; "not seen" and "not applicable" are always
    allowed and never counted). ``guidance``: per criterion, a descriptor per
    rating value. ``keys`` and ``colours``: a level's own key and colour, when given.
    """

    rating_scale: str
    judgement_scales: tuple[JudgementScale, ...] = ()
    sections: tuple[AuditSection, ...] = ()
    guidance: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Per rating level (value): the single key that rates with it, and its colour
    #: (``#RRGGBB``); levels not listed get the window's derived key and colour.
    keys: dict[str, str] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)


@dataclass
class InstrumentPack:
    """A validated instrument pack (or audit template, or wording overlay).

    Built only by ``desktop.forms.loader``; every id it refers to resolves.
    ``score_ranges`` holds each scale's and derived score's min..max
    (max None = unbounded), which band tables were checked against.
    """

    id: str
    version: str
    title: str
    kind: str
    licence: str
    source: str
    synthetic: bool
    informants: tuple[str, ...]
    age_bands: tuple[str, ...]
    response_sets: dict[str, ResponseSet]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    derived: tuple[DerivedScore, ...]
    band_schemes: tuple[BandScheme, ...]
    normative_ranges: tuple[NormativeRange, ...]
    sections: tuple[Section, ...] = ()
    structure: str | None = None
    extends: str | None = None
    notes: str = ""
    #: The audit part of an audit template (None for instruments).
    audit: AuditSpec | None = None
    #: The pupils' ages (whole years, both included) the instrument is for; None: any age.
    age_range: tuple[int, int] | None = None
    score_ranges: dict[str, tuple[Number, Number | None]] = field(default_factory=dict)
    #: Decimal places each scale and derived score is rounded to (half up).
    score_decimals: dict[str, int] = field(default_factory=dict)
    #: Where the pack came from: "built-in" or the installed file's path.
    origin: str = ""
    #: Id and version of the wording overlay applied, if any.
    wording: str | None = None
    #: A ``strategies`` pack's strategies (empty for every other kind).
    strategies: tuple[StrategyEntry, ...] = ()
    _plans: dict = field(default_factory=dict, repr=False, compare=False)

    def fits_age(self, age: int | None) -> bool:
        """Whether the instrument is for a pupil of this age (whole years); a pupil whose age
        is not known fits every instrument, as does an instrument with no age range."""
        if age is None or self.age_range is None:
            return True
        return self.age_range[0] <= age <= self.age_range[1]

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if none)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def score_ids(self) -> tuple[str, ...]:
        """Scale ids then derived score ids, in pack order (the output order)."""
        return tuple(s.id for s in self.scales) + tuple(d.id for d in self.derived)

    def band_scheme(self, scheme_id: str | None = None) -> BandScheme | None:
        """The named scheme, or the pack's first (default) scheme."""
        if scheme_id is None:
            return self.band_schemes[0] if self.band_schemes else None
        for scheme in self.band_schemes:
            if scheme.id == scheme_id:
                return scheme
        return None

    def band_table(self, scheme_id: str | None, scale_id: str, informant: str, age_band: str) -> BandTable | None:
        """The band table for this score, informant and age band, if the pack has one."""
        scheme = self.band_scheme(scheme_id)
        if scheme is None:
            return None
        for table in scheme.tables:
            if (table.scale, table.informant, table.age_band) == (scale_id, informant, age_band):
                return table
        return None

    def normative_range(self, scale_id: str, informant: str, age_band: str) -> NormativeRange | None:
        for rng in self.normative_ranges:
            if (rng.scale, rng.informant, rng.age_band) == (scale_id, informant, age_band):
                return rng
        return None
