"""The instrument pack file format, declared once (pydantic v2 models).

What a pack file may hold — instruments, audit templates, wording overlays and strategy
banks (``docs/instrument-packs.md``) — is declared here and nowhere else. The laptop's
loader (``desktop.forms.loader``) and the sync server's ``publish-pack`` both validate
through these models, and the JSON Schema authors validate against
(``docs/schemas/pack.schema.json``) is generated from them::

    python -m desktop.forms.pack_format > docs/schemas/pack.schema.json

The models state the shape (fields, types, which fields each kind allows). What JSON
Schema cannot say — duplicate ids, references that must resolve, a rating outside its
scale, judgement scale gaps, band tables that must cover a score's possible range — are
model validators here, with messages that name the problem and where it is.

``validate_pack(data)`` turns pydantic's errors into those located messages
(``scales[0] 'a': unknown item 'nope'``) and, when some parts of a pack are malformed,
still checks the references among the parts that are whole, so an author sees every
problem in one go. A fault is reported once: a scale refused for its own fault is not
reported again by the scores and band tables built on it.

Imports neither Qt nor the laptop's store: the server imports it.
"""

import json
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError

from desktop.forms.pack import MAX_STRATEGY_TEXT, PACK_FORMAT, PACK_FORMAT_VERSION, Number
from sync.rules import PACK_ID_PATTERN, valid_content_id

#: Rating values every rated audit criterion accepts besides its scale's levels; never
#: counted in a denominator.
AUDIT_UNRATED = ("not_seen", "not_applicable")
#: Keys an audit level may not take: N and X rate "not seen" / "not applicable".
AUDIT_RESERVED_KEYS = ("N", "X")
_KEY = re.compile(r"[A-Za-z]")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")

#: Not a web address: the schema is published in the repository, docs/schemas/pack.schema.json.
SCHEMA_ID = "urn:fieldnote:schema:instrument-pack:1"


class PackProblems(ValueError):
    """Problems a model validator found, each a sentence naming the fault and its place."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# -- field types ---------------------------------------------------------------------------
# Each scalar type checks its value itself first, so a wrong value is reported in the
# pack author's words ("must be an id ..., found 3"), and carries the JSON Schema
# constraint that says the same thing to a schema validator.


def _expect(expected: str, ok) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not ok(value):
            raise PydanticCustomError("pack_type", "must be {expected}", {"expected": expected})
        return value

    return BeforeValidator(check)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _nonblank(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


ID_EXPECTED = "an id (letters, digits, '.', '_' or '-')"
#: An id: a pack's, an item's, a scale's... (installed files are stored as ``<id>.json``).
Id = Annotated[str, StringConstraints(pattern=PACK_ID_PATTERN), _expect(ID_EXPECTED, valid_content_id)]
#: Text that must say something.
Text = Annotated[str, StringConstraints(pattern=r"\S"), _expect("a non-empty string", _nonblank)]
#: Text that may be empty.
AnyText = Annotated[str, _expect("a string", lambda v: isinstance(v, str))]
Int = Annotated[int, _expect("an integer", _is_int)]
Places = Annotated[int, Field(ge=0), _expect("an integer", _is_int)]
Bool = Annotated[bool, _expect("true or false", lambda v: isinstance(v, bool))]


def _number(value: Any) -> Number:
    if isinstance(value, float):  # a pack built in Python rather than read from JSON
        value = Decimal(repr(value))
    if _is_int(value) or (isinstance(value, Decimal) and value.is_finite()):
        return value
    raise PydanticCustomError("pack_type", "must be {expected}", {"expected": "a number"})


def _value(value: Any) -> int | str:
    if _is_int(value) or (isinstance(value, str) and value != ""):
        return value
    raise PydanticCustomError("pack_type", "must be {expected}", {"expected": "an integer or a non-empty string"})


#: A score, bound or band edge: an integer or an exact decimal (read as Decimal, never float).
Num = Annotated[Number, PlainValidator(_number), WithJsonSchema({"type": "number"})]
#: A recorded answer value: an integer or non-empty text.
Value = Annotated[
    Union[int, str],
    PlainValidator(_value),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1}]}),
]


def _distinct(values: list, info: ValidationInfo) -> list:
    seen, twice = set(), []
    for v in values:
        key = (type(v), v)
        if key in seen and v not in twice:
            twice.append(v)
        seen.add(key)
    if twice:
        raise PackProblems([f"{info.field_name} lists {_describe(v)} twice" for v in twice])
    return values


#: Ids, each at most once.
IdList = Annotated[list[Id], AfterValidator(_distinct), Field(json_schema_extra={"uniqueItems": True})]


def _tagged(field_name: str, default: str | None, choices: dict[str, type]) -> Any:
    """A union chosen by ``field_name`` (``kind``, ``rule``); ``default`` when it is absent."""

    def tag(value: Any) -> str | None:
        if not isinstance(value, dict):
            return None
        if field_name not in value:
            return None if default is None else f"{field_name}:{default}"
        got = value[field_name]
        return f"{field_name}:{got}" if isinstance(got, str) else f"{field_name}:?"

    tag.__name__ = field_name
    tag.default_tag = default  # for the JSON Schema (``_PackSchema``)
    members = tuple(Annotated[cls, Tag(f"{field_name}:{name}")] for name, cls in choices.items())
    return Annotated[Union[members], Discriminator(tag)]


class _Obj(BaseModel):
    """Every object may carry ``notes`` (free text); any other unknown field is refused, so
    a misspelt field cannot silently fall back to its default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    notes: AnyText = None


# -- response sets -------------------------------------------------------------------------


class ResponseOption(_Obj):
    """One choice: the value recorded, its label, and its score (null: a recorded answer
    that enters no sum or mean, e.g. an audit's "not seen")."""

    value: Value
    label: Text
    score: Annotated[Union[int, None], _expect("an integer or null", lambda v: v is None or _is_int(v))]


class OptionsSet(_Obj):
    """Answers chosen from options."""

    id: Id
    kind: Literal["options"] = "options"
    label: AnyText = ""
    options: Annotated[list[ResponseOption], Field(min_length=1)]

    @model_validator(mode="after")
    def distinct_values(self) -> "OptionsSet":
        seen: set = set()
        twice = []
        for opt in self.options:
            key = (type(opt.value), opt.value)
            if key in seen:
                twice.append(opt.value)
            seen.add(key)
        if twice:
            raise PackProblems([f"duplicate option value {_describe(v)}" for v in twice])
        return self


class NumberSet(_Obj):
    """A number answer, its own score: ``minimum`` (required), ``maximum`` (none = unbounded),
    ``decimals`` (default 0)."""

    id: Id
    kind: Literal["number"]
    label: AnyText = ""
    minimum: Num
    maximum: Num = None
    decimals: Places = 0

    @model_validator(mode="after")
    def bounds_fit(self) -> "NumberSet":
        problems = []
        step = _step(self.decimals)
        for key, bound in (("minimum", self.minimum), ("maximum", self.maximum)):
            if bound is not None and Decimal(bound) != Decimal(bound).quantize(Decimal(step)):
                problems.append(f"field '{key}' {bound} has more than {self.decimals} decimal place(s)")
        if self.maximum is not None and self.minimum > self.maximum:
            problems.append(f"minimum {self.minimum} is above maximum {self.maximum}")
        if problems:
            raise PackProblems(problems)
        return self

    def score_bounds(self) -> tuple[Number, Number | None]:
        exact = int if self.decimals == 0 else Decimal
        return exact(self.minimum), None if self.maximum is None else exact(self.maximum)


class TextSet(_Obj):
    """A text answer: recorded, never scored."""

    id: Id
    kind: Literal["text"]
    label: AnyText = ""


ResponseSet = _tagged("kind", "options", {"options": OptionsSet, "number": NumberSet, "text": TextSet})


def _options_bounds(rs: OptionsSet) -> tuple[int, int]:
    scores = [o.score for o in rs.options if o.score is not None]
    return (min(scores), max(scores)) if scores else (0, 0)


def _has_option(rs: Any, value: Any) -> bool:
    return isinstance(rs, OptionsSet) and any(o.value == value and type(o.value) is type(value) for o in rs.options)


# -- items, sections, scales, derived scores -----------------------------------------------


class Section(_Obj):
    """A group of items shown together (a form section or an audit area)."""

    id: Id
    label: Text


class Item(_Obj):
    """A question or criterion."""

    id: Id
    number: Annotated[Int, Field(description="Unique within its section.")]
    label: Annotated[Text, Field(description="A short neutral name.")]
    response_set: Id
    reverse: Annotated[Bool, Field(description="Options only: score becomes lowest + highest - score.")] = False
    text: Annotated[Text, Field(description="Verbatim wording, shown instead of the label.")] = None
    section: Id = None
    evidence: Annotated[Bool, Field(description="The form records evidence notes with the rating.")] = False


class SumScoring(_Obj):
    """Sum of item scores; unanswered items count 0; missing when fewer than
    ``min_answered`` (default: all items) are answered."""

    rule: Literal["sum"]
    min_answered: Int = None
    decimals: Places = 0


class ProratedMeanScoring(_Obj):
    """Mean of answered item scores times ``n`` (default: the number of items), rounded
    half up; missing when fewer than ``min_answered`` are answered."""

    rule: Literal["prorated_mean"]
    n: Annotated[int, Field(ge=1), _expect("an integer", _is_int)] = None
    min_answered: Int
    decimals: Places = 0


class CountScoring(_Obj):
    """How many answers are among ``values``."""

    rule: Literal["count"]
    values: Annotated[list[Value], Field(min_length=1)]
    min_answered: Int = None
    decimals: Places = 0


Scoring = _tagged("rule", None, {"sum": SumScoring, "prorated_mean": ProratedMeanScoring, "count": CountScoring})


class Scale(_Obj):
    """A scale (or Boxall cluster, or audit tally) scored from items. An item may be in only
    one scale of a ``strand``; scales without one form the default strand."""

    id: Id
    label: Text
    strand: Text = None
    items: Annotated[IdList, Field(min_length=1)]
    scoring: Scoring

    @model_validator(mode="after")
    def min_answered_fits(self) -> "Scale":
        m, count = self.scoring.min_answered, len(self.items)
        if m is not None and not 0 <= m <= count:
            raise PackProblems([f"min_answered {m} must be between 0 and the {count} item(s) of the scale"])
        return self


class Gate(_Obj):
    """The impact score is 0 when ``item`` is answered with a ``zero_when`` value."""

    item: Id
    zero_when: Annotated[list[Value], Field(min_length=1)]


class DerivedSum(_Obj):
    """The sum of scales or derived scores listed earlier; missing if any part is missing."""

    id: Id
    label: Text
    rule: Literal["sum"]
    of: Annotated[IdList, Field(min_length=1)]


class DerivedImpact(_Obj):
    """The sum of the item scores, unanswered items counting 0; missing when none is answered."""

    id: Id
    label: Text
    rule: Literal["impact"]
    items: Annotated[IdList, Field(min_length=1)]
    gate: Gate = None


Derived = _tagged("rule", None, {"sum": DerivedSum, "impact": DerivedImpact})


# -- bands and ranges ----------------------------------------------------------------------


class Band(_Obj):
    """A named band, ``min`` to ``max`` inclusive (``max`` null: no upper limit)."""

    label: Text
    min: Num
    max: Annotated[
        Union[Number, None],
        PlainValidator(lambda v: None if v is None else _number(v)),
        WithJsonSchema({"type": ["number", "null"]}),
    ]

    @model_validator(mode="after")
    def forwards(self) -> "Band":
        if self.max is not None and self.min > self.max:
            raise PackProblems([f"band '{self.label}' runs backwards ({self.min} to {self.max})"])
        return self


class BandTable(_Obj):
    """Bands for one score, informant and age band, in rank order, with their published source."""

    scale: Id
    informant: Id
    age_band: Id
    source: Text
    bands: Annotated[list[Band], Field(min_length=1)]

    @model_validator(mode="after")
    def distinct_labels(self) -> "BandTable":
        labels = [b.label for b in self.bands]
        twice = [lb for i, lb in enumerate(labels) if lb in labels[:i]]
        if twice:
            raise PackProblems([f"duplicate band label '{lb}'" for lb in twice])
        return self


class BandScheme(_Obj):
    """A named banding (four-band, three-band...); the first scheme is the default."""

    id: Id
    label: Text
    tables: list[BandTable]


class NormativeRange(_Obj):
    """A range drawn on charts (e.g. a Boxall competence range)."""

    scale: Id
    informant: Id
    age_band: Id
    min: Num
    max: Num
    label: Text = "normative range"
    source: Text

    @model_validator(mode="after")
    def forwards(self) -> "NormativeRange":
        if self.min > self.max:
            raise PackProblems([f"range runs backwards ({self.min} to {self.max})"])
        return self


# -- audits --------------------------------------------------------------------------------

#: The widest ages (in whole years) an instrument's ``age_range`` may give.
AGE_LIMITS = (0, 25)


class AgeRange(_Obj):
    """The pupils' ages (whole years, both included) an instrument is for."""

    min: Int
    max: Int

    @model_validator(mode="after")
    def ordered(self):
        if not AGE_LIMITS[0] <= self.min <= self.max <= AGE_LIMITS[1]:
            raise PackProblems(
                [
                    f"age_range: ages must run from 'min' up to 'max', within {AGE_LIMITS[0]} to "
                    f"{AGE_LIMITS[1]} years (found {self.min} to {self.max})"
                ]
            )
        return self


class JudgementLevel(_Obj):
    value: Id
    label: Text
    rank: Int


class JudgementScale(_Obj):
    """An ordered scale for a section's overall judgement: ranks run 1..n without gaps."""

    id: Id
    label: Text
    levels: Annotated[list[JudgementLevel], Field(min_length=2)]

    @model_validator(mode="after")
    def ranks_run_on(self) -> "JudgementScale":
        values = [lv.value for lv in self.levels]
        problems = [f"duplicate level '{v}' (levels[{i}])" for i, v in enumerate(values) if v in values[:i]]
        ranks = sorted(lv.rank for lv in self.levels)
        if ranks != list(range(1, len(ranks) + 1)):
            missing = sorted(set(range(1, max(ranks) + 1)) - set(ranks))
            repeated = sorted({x for x in ranks if ranks.count(x) > 1})
            detail = "; ".join(
                filter(
                    None,
                    [
                        f"rank {', '.join(map(str, missing))} missing" if missing else "",
                        f"rank {', '.join(map(str, repeated))} repeated" if repeated else "",
                    ],
                )
            )
            problems.append(
                f"judgement scale has gaps: ranks must run 1 to {len(ranks)} ({detail or 'ranks start above 1'})"
            )
        if problems:
            raise PackProblems(problems)
        return self


class AuditSection(_Obj):
    """An audit area's judgement scale and its "evidence of effective practice" guidance."""

    section: Id
    judgement_scale: Id = None
    guidance: list[Text] = []


class CriterionGuidance(_Obj):
    """A descriptor per rating value of one criterion."""

    item: Id
    guidance: dict[str, AnyText]


class AuditLevel(_Obj):
    """A rating level's own key (one letter; N and X rate "not seen" / "not applicable") and
    colour (#RRGGBB); a level not described gets the window's derived key and colour."""

    value: Value
    key: Annotated[
        str,
        _expect("a string", lambda v: isinstance(v, str)),
        WithJsonSchema({"type": "string", "pattern": f"^{_KEY.pattern}$"}),
    ] = None
    colour: Annotated[
        str,
        _expect("a string", lambda v: isinstance(v, str)),
        WithJsonSchema({"type": "string", "pattern": f"^{_COLOUR.pattern}$"}),
    ] = None

    @model_validator(mode="after")
    def key_and_colour(self) -> "AuditLevel":
        problems = []
        if self.key is not None:
            if not _KEY.fullmatch(self.key):
                problems.append(f"level '{self.value}': key '{self.key}' must be a single letter A-Z")
            elif self.key.upper() in AUDIT_RESERVED_KEYS:
                problems.append(
                    f"level '{self.value}': key '{self.key.upper()}' is kept for "
                    f"{'not seen' if self.key.upper() == 'N' else 'not applicable'}"
                )
        if self.colour is not None and not _COLOUR.fullmatch(self.colour):
            problems.append(f"level '{self.value}': colour '{self.colour}' must be #RRGGBB")
        if problems:
            raise PackProblems(problems)
        return self


class AuditSpec(_Obj):
    """An audit template's ``audit`` field. ``rating_scale``: the response set rated criteria
    use ("not_seen" and "not_applicable" are always allowed and never counted)."""

    rating_scale: Id
    judgement_scales: list[JudgementScale] = []
    sections: list[AuditSection] = []
    criteria: list[CriterionGuidance] = []
    levels: list[AuditLevel] = []


# -- strategies ----------------------------------------------------------------------------


class Strategy(_Obj):
    """One strategy of a bank: found in the report editor's strategy search and inserted."""

    id: Id
    title: Text
    text: Annotated[
        str, StringConstraints(pattern=r"\S", max_length=MAX_STRATEGY_TEXT), _expect("a non-empty string", _nonblank)
    ]
    tags: Annotated[list[Text], Field(description="The Boxall strand, behaviour or situation it addresses.")] = []


class WordingItem(_Obj):
    """Verbatim wording for an item of the pack a wording pack extends."""

    id: Id
    text: Text


# -- packs ---------------------------------------------------------------------------------


@dataclass
class Refused:
    """What was refused for its own fault, so the checks built on it stay quiet about it."""

    items: set[str] = field(default_factory=set)
    sets: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)
    scores: set[str] = field(default_factory=set)
    score_items: set[str] = field(default_factory=set)
    judgement_scales: set[str] = field(default_factory=set)
    #: Top-level lists refused whole (``informants``, ``age_bands``).
    lists: set[str] = field(default_factory=set)
    strategies: set[str] = field(default_factory=set)


class _Pack(_Obj):
    """What every pack holds, whatever its kind."""

    format: Literal["fieldnote-instrument-pack"]
    format_version: Literal[1]
    id: Annotated[Id, Field(description="Installed files are stored as ``<id>.json``.")]
    version: Text
    title: Text
    licence: Annotated[
        Text, Field(description="Who owns what, what may be shown: the service's right to what it distributes.")
    ]
    source: Annotated[Text, Field(description="Where the content and rules come from.")]
    synthetic: Annotated[Bool, Field(description="True for invented content (tests, demo); shown plainly.")]

    #: Lists whose elements are salvaged one by one when a pack is malformed; the
    #: refusal set (a ``Refused`` field) each refused element's id goes to.
    SALVAGE: ClassVar[dict[str, str | None]] = {}

    def problems(self, refused: Refused) -> list[str]:
        """Problems among the parts (what JSON Schema cannot say); none here."""
        return []

    @model_validator(mode="after")
    def consistent(self):
        problems = self.problems(Refused())
        if problems:
            raise PackProblems(problems)
        return self


class InstrumentPackFile(_Pack):
    """An instrument: items, response sets, scales, derived scores, band tables and ranges."""

    kind: Literal["instrument"] = "instrument"
    informants: Annotated[IdList, Field(min_length=1)]
    age_bands: Annotated[IdList, Field(min_length=1)]
    structure: Annotated[Literal["boxall"], Field(description="A built-in structure the pack must conform to.")] = None
    age_range: Annotated[
        AgeRange,
        Field(
            description="The ages the instrument is for; New assessment offers it for pupils of "
            "these ages first. Absent: any age."
        ),
    ] = None
    sections: list[Section] = []
    response_sets: list[ResponseSet]
    items: Annotated[list[Item], Field(min_length=1)]
    scales: list[Scale] = []
    derived: list[Derived] = []
    band_schemes: list[BandScheme] = []
    normative_ranges: list[NormativeRange] = []

    SALVAGE: ClassVar[dict[str, str | None]] = {
        "sections": "sections",
        "response_sets": "sets",
        "items": "items",
        "scales": "scores",
        "derived": "scores",
        "band_schemes": None,
        "normative_ranges": None,
    }
    _ranges: dict = PrivateAttr(default_factory=dict)
    _decimals: dict = PrivateAttr(default_factory=dict)

    def problems(self, refused: Refused) -> list[str]:
        return _instrument_problems(self, refused)

    @property
    def score_ranges(self) -> dict[str, tuple[Number, Number | None]]:
        """Lowest and highest possible score of every scale and derived score."""
        return self._ranges

    @property
    def score_decimals(self) -> dict[str, int]:
        return self._decimals


class AuditPackFile(InstrumentPackFile):
    """An audit template: criteria are items grouped in sections, rated on ``audit.rating_scale``."""

    kind: Literal["audit"]
    audit: AuditSpec = None


class WordingPackFile(_Pack):
    """Verbatim item text for the pack named by ``extends``; changes nothing else."""

    kind: Literal["wording"]
    extends: Id
    items: list[WordingItem]

    SALVAGE: ClassVar[dict[str, str | None]] = {"items": "items"}

    def problems(self, refused: Refused) -> list[str]:
        return _duplicates("items", self.items, "id", "duplicate item id '{}'")


class StrategiesPackFile(_Pack):
    """A service's strategy bank for reports."""

    kind: Literal["strategies"]
    strategies: Annotated[list[Strategy], Field(min_length=1)]

    SALVAGE: ClassVar[dict[str, str | None]] = {"strategies": "strategies"}

    def problems(self, refused: Refused) -> list[str]:
        return _duplicates("strategies", self.strategies, "id", "duplicate strategy id '{}'")


PACK_MODELS = {
    "instrument": InstrumentPackFile,
    "audit": AuditPackFile,
    "wording": WordingPackFile,
    "strategies": StrategiesPackFile,
}
PackFile = _tagged("kind", "instrument", PACK_MODELS)
_PACK = TypeAdapter(PackFile)


def _duplicates(where: str, parts: list, key: str, message: str) -> list[str]:
    seen = set()
    out = []
    for i, part in enumerate(parts):
        value = getattr(part, key)
        if value in seen:
            out.append(f"{_at(where, i, getattr(part, 'id', None))}: {message.format(value)}")
        seen.add(value)
    return out


# -- the references among the parts of an instrument or audit pack -------------------------


def _at(section: str, index: int, ident: Any = None) -> str:
    return f"{section}[{index}] '{ident}'" if isinstance(ident, str) else f"{section}[{index}]"


def _step(decimals: int) -> Number:
    return 1 if decimals == 0 else Decimal(1).scaleb(-decimals)


def _fmt(n: Number | None) -> str:
    return "open" if n is None else str(n)


def _instrument_problems(pack: InstrumentPackFile, refused: Refused) -> list[str]:
    out: list[str] = []

    def problem(where: str, message: str) -> None:
        out.append(f"{where}: {message}" if where else message)

    sections = {}
    for i, s in enumerate(pack.sections):
        if s.id in sections:
            problem(_at("sections", i, s.id), f"duplicate section id '{s.id}'")
        sections[s.id] = s
    sets: dict[str, Any] = {}
    for i, rs in enumerate(pack.response_sets):
        if rs.id in sets:
            problem(_at("response_sets", i, rs.id), f"duplicate response set id '{rs.id}'")
            continue
        sets[rs.id] = rs

    items: dict[str, Item] = {}
    numbers: dict[tuple[str | None, int], str] = {}
    bad_items = set(refused.items)
    for i, it in enumerate(pack.items):
        where = _at("items", i, it.id)
        ok = True
        if it.id in items:
            problem(where, f"duplicate item id '{it.id}'")
            ok = False
        if it.response_set not in sets:
            if it.response_set not in refused.sets:
                problem(where, f"unknown response set '{it.response_set}'")
            ok = False
        elif it.reverse and not isinstance(sets[it.response_set], OptionsSet):
            problem(where, "only items answered from options can be reverse-scored")
            ok = False
        if it.section is not None and it.section not in sections:
            if it.section not in refused.sections:
                problem(where, f"unknown section '{it.section}'")
            ok = False
        other = numbers.get((it.section, it.number))
        if other is not None:
            problem(
                where,
                f"item number {it.number} is already used by item '{other}'"
                + (f" in section '{it.section}'" if it.section else ""),
            )
        numbers[(it.section, it.number)] = it.id
        if ok:
            items[it.id] = it
        elif it.id not in items:
            bad_items.add(it.id)

    broken = set(refused.scores)
    broken_items = set(refused.score_items)

    def members_ok(where: str, member_ids, unusable) -> bool:
        ok = True
        for m in member_ids:
            if m not in items:
                if m not in bad_items:
                    problem(where, f"unknown item '{m}'")
                ok = False
            else:
                reason = unusable(sets[items[m].response_set])
                if reason:
                    problem(where, f"item '{m}' {reason}")
                    ok = False
        return ok

    scales = []
    for i, s in enumerate(pack.scales):
        where = _at("scales", i, s.id)
        ok = True
        if any(x.id == s.id for x in scales):
            problem(where, f"duplicate scale id '{s.id}'")
            ok = False
        ok = (
            members_ok(
                where, s.items, lambda rs: "has a text answer and cannot be scored" if isinstance(rs, TextSet) else None
            )
            and ok
        )
        if ok and isinstance(s.scoring, CountScoring):
            for m in s.items:
                rs = sets[items[m].response_set]
                if not isinstance(rs, OptionsSet):
                    problem(
                        f"{where} scoring", f"a count scale can only count option answers; item '{m}' is a {rs.kind}"
                    )
                    ok = False
                    continue
                for v in s.scoring.values:
                    if not _has_option(rs, v):
                        problem(
                            f"{where} scoring",
                            f"value {_describe(v)} is not an option of item '{m}' (response set '{rs.id}')",
                        )
                        ok = False
        if ok:
            scales.append(s)
        else:
            broken.add(s.id)
            broken_items.update(s.items)

    by_strand: dict[str | None, dict[str, str]] = {}
    for s in scales:
        owner = by_strand.setdefault(s.strand, {})
        for m in s.items:
            if m in owner:
                strand = f"strand '{s.strand}'" if s.strand else "the default strand (no 'strand' given)"
                problem(f"scales '{s.id}'", f"item '{m}' is also in scale '{owner[m]}' of {strand}")
            else:
                owner[m] = s.id
    scored = {m for s in scales if not isinstance(s.scoring, CountScoring) for m in s.items} | broken_items
    for it in items.values():
        if it.reverse and it.id not in scored:
            problem(f"items '{it.id}'", "reverse-scored but not in any scored scale")

    known = {s.id for s in scales}
    derived = []
    for i, d in enumerate(pack.derived):
        where = _at("derived", i, d.id)
        if d.id in known:
            problem(where, f"duplicate score id '{d.id}' (already a scale or derived score)")
            continue
        if isinstance(d, DerivedSum):
            bad = [p for p in d.of if p not in known]
            for p in bad:
                if p not in broken:
                    # Parts must be defined earlier, which also rules out cycles.
                    problem(
                        where, f"unknown score '{p}' in 'of' (parts must be scales or derived scores listed before it)"
                    )
            ok = not bad
        else:
            ok = members_ok(
                where, d.items, lambda rs: None if isinstance(rs, OptionsSet) else "must be answered from options"
            )
            if d.gate is not None:
                gwhere = f"{where} gate"
                g = d.gate.item
                if g not in items:
                    if g not in bad_items:
                        problem(gwhere, f"unknown item '{g}'")
                    ok = False
                else:
                    for v in d.gate.zero_when:
                        if not _has_option(sets[items[g].response_set], v):
                            problem(gwhere, f"value {_describe(v)} is not an option of item '{g}'")
                            ok = False
        if ok:
            derived.append(d)
            known.add(d.id)
        else:
            broken.add(d.id)

    ranges, decimals = _score_ranges(items, sets, scales, derived)
    pack._ranges, pack._decimals = ranges, decimals
    informants = tuple(pack.informants or ())
    age_bands = tuple(pack.age_bands or ())

    schemes: list[str] = []
    for i, scheme in enumerate(pack.band_schemes):
        where = _at("band_schemes", i, scheme.id)
        if scheme.id in schemes:
            problem(where, f"duplicate band scheme id '{scheme.id}'")
            continue
        schemes.append(scheme.id)
        keys = set()
        for j, t in enumerate(scheme.tables):
            twhere = f"{where} tables[{j}] ({t.scale}, {t.informant}, {t.age_band})"
            key = (t.scale, t.informant, t.age_band)
            if key in keys:
                problem(f"{where} tables[{j}]", f"a second table for {t.scale}, {t.informant}, {t.age_band}")
                continue
            keys.add(key)
            if t.scale not in ranges:
                if t.scale not in broken:
                    problem(twhere, f"unknown scale '{t.scale}'")
                continue
            if t.informant not in informants and "informants" not in refused.lists:
                problem(
                    twhere, f"informant '{t.informant}' is not one of the pack's informants ({', '.join(informants)})"
                )
            if t.age_band not in age_bands and "age_bands" not in refused.lists:
                problem(twhere, f"age band '{t.age_band}' is not one of the pack's age bands ({', '.join(age_bands)})")
            places = decimals[t.scale]
            step = _step(places)
            fits = True
            for k, b in enumerate(t.bands):
                for bound in (b.min, b.max):
                    if bound is not None and Decimal(bound) % Decimal(step) != 0:
                        problem(
                            f"{twhere} bands[{k}]",
                            f"{bound} is not a whole multiple of {step} "
                            f"(scale '{t.scale}' has {places} decimal place(s))",
                        )
                        fits = False
            if fits:
                for p in _coverage_problems(t.bands, ranges[t.scale], step):
                    problem(twhere, p)

    seen_ranges = set()
    for i, n in enumerate(pack.normative_ranges):
        where = f"normative_ranges[{i}] ({n.scale}, {n.informant}, {n.age_band})"
        if n.scale not in ranges:
            if n.scale not in broken:
                problem(where, f"unknown scale '{n.scale}'")
            continue
        if n.informant not in informants and "informants" not in refused.lists:
            problem(where, f"informant '{n.informant}' is not one of the pack's informants")
            continue
        if n.age_band not in age_bands and "age_bands" not in refused.lists:
            problem(where, f"age band '{n.age_band}' is not one of the pack's age bands")
            continue
        s_lo, s_hi = ranges[n.scale]
        if n.min < s_lo or (s_hi is not None and n.max > s_hi):
            problem(where, f"range {n.min}-{n.max} lies outside the possible scores {s_lo}-{_fmt(s_hi)}")
            continue
        key = (n.scale, n.informant, n.age_band)
        if key in seen_ranges:
            problem(where, "a second range for the same scale, informant and age band")
        seen_ranges.add(key)

    audit = getattr(pack, "audit", None)
    if audit is not None:
        out.extend(_audit_problems(audit, items, bad_items, sets, refused, set(sections) | refused.sections))
    return out


def _audit_problems(
    audit: AuditSpec,
    items: dict[str, Item],
    bad_items: set[str],
    sets: dict[str, Any],
    refused: Refused,
    section_ids: set[str],
) -> list[str]:
    out: list[str] = []
    rating = audit.rating_scale
    rset = sets.get(rating)
    if rset is None:
        if rating not in refused.sets:
            out.append(f"audit: unknown rating scale '{rating}' (it must be a response set)")
    else:
        scored = [o for o in getattr(rset, "options", ()) if o.score is not None]
        if not isinstance(rset, OptionsSet) or len(scored) < 2:
            out.append(
                f"audit: rating scale '{rating}' must be an options response set with at least two scored levels"
            )
        else:
            low = min(o.score for o in scored)
            if sorted(o.score for o in scored) != list(range(low, low + len(scored))):
                out.append(
                    f"audit: rating scale '{rating}' has gaps or repeats in its level scores "
                    f"({', '.join(str(o.score) for o in scored)}); number the levels one apart"
                )
            for o in rset.options:
                if o.score is None and o.value not in AUDIT_UNRATED:
                    out.append(
                        f"audit: rating scale '{rating}': unscored option {_describe(o.value)} must be "
                        f"one of {', '.join(AUDIT_UNRATED)}"
                    )

    jscales: set[str] = set()
    for i, js in enumerate(audit.judgement_scales):
        if js.id in jscales:
            out.append(f"{_at('audit judgement_scales', i, js.id)}: duplicate judgement scale id '{js.id}'")
        jscales.add(js.id)
    described: set[str] = set()
    for i, a in enumerate(audit.sections):
        where = f"audit sections[{i}]"
        if a.section not in section_ids:
            out.append(f"{where}: unknown section '{a.section}'")
        elif a.section in described:
            out.append(f"{where}: section '{a.section}' is described twice")
        elif a.judgement_scale is not None and a.judgement_scale not in jscales:
            if a.judgement_scale not in refused.judgement_scales:
                out.append(f"{where}: unknown judgement scale '{a.judgement_scale}'")
        described.add(a.section)
    scored = {str(o.value) for o in rset.options if o.score is not None} if isinstance(rset, OptionsSet) else set()
    described_levels: set[str] = set()
    keys: dict[str, str] = {}
    for i, lv in enumerate(audit.levels):
        where, value = f"audit levels[{i}]", str(lv.value)
        if rset is not None and value not in scored:
            out.append(f"{where}: level '{value}' is not a level of the rating scale ({', '.join(sorted(scored))})")
            continue
        if value in described_levels:
            out.append(f"{where}: level '{value}' is described twice")
            continue
        described_levels.add(value)
        if lv.key is not None:
            if lv.key.upper() in keys:
                out.append(
                    f"{where}: level '{value}': key '{lv.key.upper()}' is already level '{keys[lv.key.upper()]}''s key"
                )
            keys[lv.key.upper()] = value
    guided: set[str] = set()
    for i, c in enumerate(audit.criteria):
        where = f"audit criteria[{i}]"
        if c.item not in items:
            if c.item not in bad_items:
                out.append(f"{where}: unknown criterion '{c.item}'")
            continue
        if c.item in guided:
            out.append(f"{where}: criterion '{c.item}' is described twice")
            continue
        guided.add(c.item)
        iset = sets.get(items[c.item].response_set)
        allowed = {str(o.value) for o in iset.options} if isinstance(iset, OptionsSet) else set()
        for k in c.guidance:
            if k not in allowed:
                out.append(
                    f"{where}: criterion '{c.item}': rating '{k}' is outside its scale "
                    f"({', '.join(sorted(allowed)) or 'the criterion is not rated'})"
                )
    return out


def _score_ranges(
    items: dict[str, Item], sets: dict[str, Any], scales: list[Scale], derived: list
) -> tuple[dict, dict]:
    """Lowest and highest possible score of every scale and derived score, and its decimals."""
    ranges: dict[str, tuple[Number, Number | None]] = {}
    decimals: dict[str, int] = {}

    def bounds(item_id: str) -> tuple[Number, Number | None]:
        rs = sets[items[item_id].response_set]
        return _options_bounds(rs) if isinstance(rs, OptionsSet) else rs.score_bounds()

    for s in scales:
        decimals[s.id] = s.scoring.decimals
        if isinstance(s.scoring, CountScoring):
            ranges[s.id] = (0, len(s.items))
            continue
        item_bounds = [bounds(m) for m in s.items]
        his = [b[1] for b in item_bounds]
        if isinstance(s.scoring, ProratedMeanScoring):
            n = s.scoring.n if s.scoring.n is not None else len(s.items)
            lo = n * min(b[0] for b in item_bounds)
            hi = None if None in his else n * max(his)
        else:
            # Unanswered items count 0 when fewer than all are required.
            m = s.scoring.min_answered
            partial = m is not None and m < len(s.items)
            lo = sum(min(b[0], 0) if partial else b[0] for b in item_bounds)
            hi = None if None in his else sum(max(h, 0) if partial else h for h in his)
        ranges[s.id] = (lo, hi)
    for d in derived:
        if isinstance(d, DerivedSum):
            his = [ranges[p][1] for p in d.of]
            ranges[d.id] = (sum(ranges[p][0] for p in d.of), None if None in his else sum(his))
            decimals[d.id] = max(decimals[p] for p in d.of)
        else:
            item_bounds = [bounds(m) for m in d.items]
            ranges[d.id] = (min(0, sum(min(b[0], 0) for b in item_bounds)), sum(max(b[1], 0) for b in item_bounds))
            decimals[d.id] = 0
    return ranges, decimals


def _coverage_problems(bands: list[Band], score_range: tuple[Number, Number | None], step: Number) -> list[str]:
    """Gaps, overlaps and uncovered ends of a band table against its score range."""
    lo, hi = score_range
    problems = []
    ordered = sorted(bands, key=lambda b: b.min)
    first, last = ordered[0], ordered[-1]
    if first.min > lo:
        problems.append(f"does not cover {lo} to {first.min - step} (lowest possible score is {lo})")
    elif first.min < lo:
        problems.append(f"band '{first.label}' starts at {first.min}, below the lowest possible score {lo}")
    for a, b in zip(ordered, ordered[1:]):
        if a.max is None or b.min <= a.max:
            problems.append(
                f"bands '{a.label}' ({a.min}-{_fmt(a.max)}) and '{b.label}' ({b.min}-{_fmt(b.max)}) overlap"
            )
        elif b.min > a.max + step:
            problems.append(
                f"gap: no band holds {a.max + step} to {b.min - step} (between '{a.label}' and '{b.label}')"
            )
    if hi is None:
        if last.max is not None:
            problems.append(
                f"does not cover scores above {last.max} (the score has no upper limit; "
                f'end the last band with "max": null)'
            )
    elif last.max is None:
        problems.append(f"band '{last.label}' is open-ended but the highest possible score is {hi}")
    elif last.max < hi:
        problems.append(f"does not cover {last.max + step} to {hi} (highest possible score is {hi})")
    elif last.max > hi:
        problems.append(f"band '{last.label}' ends at {last.max}, above the highest possible score {hi}")
    return problems


# -- validating a pack: pydantic's errors in the pack author's words ------------------------


def validate_pack(data: Any) -> InstrumentPackFile | WordingPackFile | StrategiesPackFile:
    """Validate decoded JSON ``data`` (numbers with a decimal point as ``Decimal``) as a pack;
    raise PackProblems listing every problem found, each with its location."""
    try:
        return _PACK.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
    problems = [p for e in errors for p in explain_error(e, data)]
    kind = data.get("kind", "instrument") if isinstance(data, dict) else None
    model = PACK_MODELS.get(kind) if isinstance(kind, str) else None
    checked = any(len([x for x in e["loc"] if not _is_tag(x)]) == 0 and e["type"] == "value_error" for e in errors)
    if model is not None and not checked:
        # Malformed parts hide the references among the whole ones: check those too.
        partial, refused = _salvage(model, data, errors)
        problems += partial.problems(refused)
    raise PackProblems(problems)


def _is_tag(x: Any) -> bool:
    return isinstance(x, str) and ":" in x


def _salvage(model: type[_Pack], data: dict, errors: list[dict]) -> tuple[_Pack, Refused]:
    """The pack with its malformed parts left out, and the ids of what was left out."""
    refused = Refused()
    bad: dict[str, set] = {}
    for e in errors:
        loc = [x for x in e["loc"] if not _is_tag(x)]
        if loc:
            bad.setdefault(loc[0], set()).add(loc[1] if len(loc) > 1 else None)
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        raw = data[name]
        adapter = TypeAdapter(info.annotation)
        if name not in bad:
            values[name] = adapter.validate_python(raw)
        elif name in ("informants", "age_bands"):
            refused.lists.add(name)
        elif name in model.SALVAGE and isinstance(raw, list):
            kept, element = [], TypeAdapter(_element(info.annotation))
            for i, part in enumerate(raw):
                if i in bad[name] or None in bad[name]:
                    _refuse(refused, model.SALVAGE[name], part)
                else:
                    kept.append(element.validate_python(part))
            values[name] = kept
        elif name == "audit" and isinstance(raw, dict):
            values[name] = _salvage_audit(raw, errors, refused)
    for name, info in model.model_fields.items():
        if name not in values and not info.is_required():
            values[name] = info.get_default(call_default_factory=True)
    values.setdefault("informants", [])
    values.setdefault("age_bands", [])
    values.setdefault("items", [])
    values.setdefault("response_sets", [])
    values.setdefault("strategies", [])
    return model.model_construct(**{k: v for k, v in values.items() if k in model.model_fields}), refused


def _salvage_audit(raw: dict, errors: list[dict], refused: Refused) -> AuditSpec | None:
    bad: dict[str, set] = {}
    for e in errors:
        loc = [x for x in e["loc"] if not _is_tag(x)]
        if loc and loc[0] == "audit":
            bad.setdefault(loc[1] if len(loc) > 1 else None, set()).add(loc[2] if len(loc) > 2 else None)
    if None in bad or "rating_scale" in bad or not valid_content_id(raw.get("rating_scale")):
        return None
    values: dict[str, Any] = {"rating_scale": raw["rating_scale"]}
    for name, kind in (
        ("judgement_scales", "judgement_scales"),
        ("sections", None),
        ("criteria", None),
        ("levels", None),
    ):
        part_list = raw.get(name, [])
        if not isinstance(part_list, list):
            continue
        element = TypeAdapter(_element(AuditSpec.model_fields[name].annotation))
        kept = []
        for i, part in enumerate(part_list):
            if i in bad.get(name, ()) or None in bad.get(name, ()):
                _refuse(refused, kind, part)
            else:
                kept.append(element.validate_python(part))
        values[name] = kept
    return AuditSpec.model_construct(**values)


def _element(annotation: Any) -> Any:
    """The element type of a ``list[...]`` annotation (possibly ``Annotated``)."""
    while getattr(annotation, "__metadata__", None) is not None:
        annotation = annotation.__origin__
    return annotation.__args__[0]


def _refuse(refused: Refused, kind: str | None, part: Any) -> None:
    if kind is None or not isinstance(part, dict):
        return
    ident = part.get("id")
    if isinstance(ident, str):
        getattr(refused, kind).add(ident)
    if kind == "scores" and isinstance(part.get("items"), list):
        refused.score_items.update(m for m in part["items"] if isinstance(m, str))


#: Messages for fields a kind of object does not take, by (where it is, field).
_NOT_HERE = {
    **{
        ("kind:wording", k): f"a wording pack may not contain '{k}' (it only supplies item wording)"
        for k in (
            "response_sets",
            "scales",
            "derived",
            "band_schemes",
            "normative_ranges",
            "sections",
            "structure",
            "informants",
            "age_bands",
            "age_range",
            "audit",
            "strategies",
        )
    },
    **{
        ("kind:strategies", k): f"a strategies pack may not contain '{k}' (it only holds strategies)"
        for k in (
            "response_sets",
            "scales",
            "derived",
            "band_schemes",
            "normative_ranges",
            "sections",
            "structure",
            "extends",
            "items",
            "informants",
            "age_bands",
            "age_range",
            "audit",
        )
    },
    **{(kind, "extends"): "only a wording pack may use 'extends'" for kind in ("kind:instrument", "kind:audit")},
    **{
        (kind, "strategies"): "only a strategies pack may list 'strategies'"
        for kind in ("kind:instrument", "kind:audit")
    },
    ("kind:instrument", "audit"): "field 'audit' belongs only in a pack of kind \"audit\"",
    **{
        ("kind:options", k): f"field '{k}' is for number response sets, not options"
        for k in ("minimum", "maximum", "decimals")
    },
    ("kind:number", "options"): "a number response set has no 'options'",
    **{("kind:text", k): f"a text response set has no '{k}'" for k in ("options", "minimum", "maximum", "decimals")},
    ("rule:sum", "n"): "field 'n' applies only to the prorated_mean rule",
    ("rule:count", "n"): "field 'n' applies only to the prorated_mean rule",
    ("rule:sum", "values"): "field 'values' applies only to the count rule",
    ("rule:prorated_mean", "values"): "field 'values' applies only to the count rule",
    ("rule:sum", "items"): "field 'items' applies only to the impact rule",
    ("rule:sum", "gate"): "field 'gate' applies only to the impact rule",
    ("rule:impact", "of"): "field 'of' applies only to the sum rule",
}
#: Messages for required fields left out, by (where it is, field).
_MISSING_HINT = {
    ("options", "score"): "missing required field 'score' (use null for an unscored answer)",
    (
        "rule:prorated_mean",
        "min_answered",
    ): "a prorated_mean scale must say 'min_answered' (how many answers make a score)",
}
#: "field 'x' must list at least one ..." — what one of each list is called.
_ONE_OF = {
    "informants": "informant",
    "age_bands": "age band",
    "items": "item",
    "options": "option",
    "of": "part",
    "bands": "band",
    "zero_when": "answer value",
    "values": "value to count",
    "strategies": "strategy",
    "levels": "level",
}
#: What a list's elements must be, for a wrong element.
_LIST_OF = {"tags": "words", "guidance": "non-empty texts"}


def _context(loc: tuple) -> str | None:
    """The tag (``kind:text``) or list name nearest above the last element of ``loc``."""
    for x in reversed(loc[:-1]):
        if isinstance(x, str):
            return x
    return None


_TABLE_KEY = ("scale", "informant", "age_band")


def _where(loc: tuple, data: Any) -> str:
    """``scales[0] 'a' scoring`` for ``('scales', 0, 'scoring')``: each list index with the
    id of the object it picks, if it has one."""
    parts: list[str] = []
    cur = data
    for x in loc:
        if _is_tag(x):
            continue
        if isinstance(x, int):
            cur = cur[x] if isinstance(cur, list) and 0 <= x < len(cur) else None
            label = f"[{x}]"
            if isinstance(cur, dict) and isinstance(cur.get("id"), str):
                label += f" '{cur['id']}'"
            elif isinstance(cur, dict) and all(isinstance(cur.get(k), str) for k in _TABLE_KEY):
                label += f" ({', '.join(cur[k] for k in _TABLE_KEY)})"  # a band table or range
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
        else:
            parts.append(str(x))
            cur = cur.get(x) if isinstance(cur, dict) else None
    return " ".join(parts)


def explain_error(error: dict, data: Any) -> list[str]:
    """One pydantic error (an item of ``ValidationError.errors()``) of validating ``data`` as
    the problems a pack author reads, each with its location."""
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    real = tuple(x for x in loc if not _is_tag(x))
    key = real[-1] if real else None

    def at(where_loc: tuple, message: str) -> list[str]:
        where = _where(where_loc, data)
        return [f"{where}: {message}" if where else message]

    if kind == "value_error" and isinstance(ctx.get("error"), PackProblems):
        # A model validator: at the model (or, for a field validator, its owner).
        field_level = bool(loc) and isinstance(loc[-1], str) and not _is_tag(loc[-1])
        owner = loc[:-1] if field_level else loc
        return [p for msg in ctx["error"].problems for p in at(owner, msg)]
    if kind in ("union_tag_not_found", "model_type", "dict_type", "model_attributes_type"):
        if not isinstance(value, dict):
            return at(loc, f"expected an object, found {_kind(value)}")
        name = ctx.get("discriminator", "kind()").removesuffix("()")
        return at(loc, f"missing required field '{name}'")
    if kind == "union_tag_invalid":
        name = ctx["discriminator"].removesuffix("()")
        choices = ", ".join(re.findall(r"'[^':]*:([^']*)'", ctx["expected_tags"]))
        return at(
            loc,
            f"field '{name}' must be one of {choices}, found "
            f"{_describe(value.get(name) if isinstance(value, dict) else value)}",
        )
    if isinstance(key, int):  # an element of a list of values
        listing = real[-2] if len(real) > 1 else "list"
        if listing in _LIST_OF:
            return at(loc[:-2], f"field '{listing}' must be a list of {_LIST_OF[listing]}")
        expected = ctx.get("expected", "valid")
        return at(loc[:-2], f"{listing}[{key}] must be {expected}, found {_describe(value)}")
    owner = loc[:-1]
    if kind == "missing":
        return at(owner, _MISSING_HINT.get((_context(loc), key), f"missing required field '{key}'"))
    if kind == "extra_forbidden":
        return at(owner, _NOT_HERE.get((_context(loc), key), f"unknown field '{key}'"))
    if kind == "pack_type":
        return at(owner, f"field '{key}' must be {ctx['expected']}, found {_describe(value)}")
    if kind == "list_type":
        return at(owner, f"field '{key}' must be a list, found {_describe(value)}")
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        if key == "items" and len(real) == 1:
            return at(owner, "a pack needs at least one item")
        noun = _ONE_OF.get(key, "entry")
        return at(
            owner,
            f"field '{key}' must list at least {'one' if least == 1 else least} {noun}{'' if least == 1 else 's'}",
        )
    if kind == "string_too_long":
        return at(owner, f"field '{key}' is {len(value)} characters; at most {ctx['max_length']}")
    if kind == "greater_than_equal":
        return at(owner, f"field '{key}' must be {ctx['ge']} or more, found {_describe(value)}")
    if kind == "literal_error":
        choices = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", "")))) or ctx.get("expected", "")
        return at(owner, f"field '{key}' must be one of {choices}, found {_describe(value)}")
    return at(owner, f"field '{key}': {error['msg']}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, Decimal, float)):
        return "a number"
    return "null" if value is None else type(value).__name__


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind(value)
    return json.dumps(value, default=str)


# -- the published JSON Schema -------------------------------------------------------------


def _drop_null_defaults(node: Any) -> Any:
    """Leave out ``"default": null`` of optional fields that may not be null: left out is
    what they mean."""
    if isinstance(node, dict):
        return {k: _drop_null_defaults(v) for k, v in node.items() if not (k == "default" and v is None)}
    if isinstance(node, list):
        return [_drop_null_defaults(v) for v in node]
    return node


class _PackSchema(GenerateJsonSchema):
    """Each union chosen by ``kind`` or ``rule`` as ``if``/``then`` branches rather than
    ``oneOf``, so a schema validator (or an editor) reports what is wrong with the object
    of that kind, not only that it matches none of them."""

    def tagged_union_schema(self, schema):
        tag = schema["discriminator"]
        name = getattr(tag, "__name__", None)
        if not callable(tag) or not hasattr(tag, "default_tag"):
            return super().tagged_union_schema(schema)
        values, branches = [], []
        for key, choice in schema["choices"].items():
            value = key.split(":", 1)[1]
            values.append(value)
            when = {"properties": {name: {"const": value}}, "required": [name]}
            if value == tag.default_tag:
                when = {"anyOf": [when, {"not": {"required": [name]}}]}
            branches.append({"if": when, "then": self.generate_inner(choice)})
        out = {"type": "object", "properties": {name: {"enum": values}}, "allOf": branches}
        if tag.default_tag is None:
            out["required"] = [name]
        return out


def json_schema() -> dict:
    """The JSON Schema of a pack file, generated from the models."""
    schema = _drop_null_defaults(_PACK.json_schema(schema_generator=_PackSchema))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Fieldnote instrument pack",
        "description": (
            f"A Fieldnote instrument pack (format '{PACK_FORMAT}', format_version {PACK_FORMAT_VERSION}): "
            "an instrument, an audit template, a wording overlay or a strategy bank. Generated from "
            "desktop/forms/pack_format.py; see docs/instrument-packs.md. The schema checks the shape; "
            "`fieldnote packs validate FILE` also checks what a schema cannot (duplicate ids, references, "
            "band tables covering each score's range, judgement scale ranks)."
        ),
        **schema,
    }


def schema_text() -> str:
    """The schema as committed in docs/schemas/pack.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """``python -m desktop.forms.pack_format [OUT]``: write the schema (standard output by default)."""
    if len(sys.argv) > 1:
        from pathlib import Path

        Path(sys.argv[1]).write_text(schema_text(), encoding="utf-8")
    else:
        sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
