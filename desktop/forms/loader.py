"""Reading and validating instrument packs.

The file format is declared once, as pydantic models, in ``desktop.forms.pack_format``
(the sync server validates published packs with the same models, and the JSON Schema in
``docs/schemas/pack.schema.json`` is generated from them). This module reads the JSON,
validates it through those models and builds the ``InstrumentPack`` the scorer uses.

Every problem found is collected (not just the first) and reported with its
location, e.g. ``scales[1] 'conduct': unknown item 'obey'``, so a service
fixing a pack sees everything wrong in one go. A pack that loads is whole:
references resolve, band tables cover their score's full range, and the
scorer need not re-check anything.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from desktop.forms import pack_format as fmt
from desktop.forms.pack import (
    PACK_FORMAT,
    PACK_FORMAT_VERSION,
    AuditSection,
    AuditSpec,
    Band,
    BandScheme,
    BandTable,
    DerivedScore,
    InstrumentPack,
    Item,
    JudgementLevel,
    JudgementScale,
    NormativeRange,
    Number,
    ResponseOption,
    ResponseSet,
    Scale,
    Section,
    StrategyEntry,
)
from desktop.forms.pack_format import AUDIT_RESERVED_KEYS, AUDIT_UNRATED, PackProblems, validate_pack

__all__ = [
    "AUDIT_RESERVED_KEYS",
    "AUDIT_UNRATED",
    "NotAPackError",
    "PackError",
    "load_pack_file",
    "load_pack_text",
    "parse_pack",
]


class PackError(ValueError):
    """A pack was refused. ``problems`` lists each problem with its location."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: invalid instrument pack ({len(self.problems)} problem(s)):\n{lines}")


class NotAPackError(PackError):
    """The file is JSON but not an instrument pack (e.g. another kind of template)."""


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    # json silently keeps the last of two equal keys; in a pack that hides a typo.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(f"duplicate key '{key}' in one JSON object")
        seen[key] = value
    return seen


def load_pack_text(text: str, source: str = "<pack>") -> InstrumentPack:
    """Parse and validate a pack from JSON text; raise PackError if refused."""
    try:
        # Decimal, not float, so 0.1-step band edges and percentages stay exact.
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise PackError(source, [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    except _DuplicateKey as exc:
        raise PackError(source, [str(exc)]) from None
    return parse_pack(data, source)


def load_pack_file(path: str | Path) -> InstrumentPack:
    """Read, parse and validate a pack file; raise PackError if refused."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PackError(str(path), [f"cannot read file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise PackError(str(path), ["file is not UTF-8 text"]) from None
    return load_pack_text(text, str(path))


# Structure checks for packs that declare a built-in structure (e.g. Boxall).
# Looked up lazily so pack.py/loader.py do not import the instrument modules.
def _structure_checks() -> dict[str, Callable[[InstrumentPack], list[str]]]:
    from desktop.forms import boxall

    return {"boxall": boxall.structure_problems}


def parse_pack(data: Any, source: str = "<pack>") -> InstrumentPack:
    """Validate decoded JSON ``data`` and build an InstrumentPack; raise PackError if refused.

    The format is declared in ``desktop.forms.pack_format`` (the models the server
    validates with too, and the published JSON Schema is generated from)."""
    if not isinstance(data, dict):
        raise PackError(source, [f"expected an object, found {_kind(data)}"])
    declared = data.get("format")
    if declared != PACK_FORMAT:
        raise NotAPackError(
            source,
            [
                f"not a Fieldnote instrument pack: field 'format' must be '{PACK_FORMAT}', "
                f"found {_describe(declared) if 'format' in data else 'nothing'}"
            ],
        )
    version = data.get("format_version")
    if version != PACK_FORMAT_VERSION or isinstance(version, bool):
        raise PackError(
            source,
            [
                f"format_version {_describe(version) if 'format_version' in data else '(missing)'} is not supported; "
                f"this Fieldnote reads format_version {PACK_FORMAT_VERSION}"
            ],
        )
    try:
        model = validate_pack(data)
    except PackProblems as exc:
        raise PackError(source, exc.problems) from None
    pack = _build(model, source)
    if pack.structure is not None:
        # Only meaningful once references resolve, as they now do.
        problems = _structure_checks()[pack.structure](pack)
        if problems:
            raise PackError(source, problems)
    return pack


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else _describe(value) if not isinstance(value, dict) else "an object"


def _describe(value: Any) -> str:
    return json.dumps(value, default=str) if not isinstance(value, (dict, list)) else _kind(value)


def _exact(places: int, n: Number) -> Number:
    return int(n) if places == 0 else Decimal(n)


def _build(model: fmt.InstrumentPackFile | fmt.WordingPackFile | fmt.StrategiesPackFile, source: str) -> InstrumentPack:
    """The validated file as the InstrumentPack the scorer and the forms use."""
    common = dict(
        id=model.id,
        version=model.version,
        title=model.title,
        kind=model.kind,
        licence=model.licence,
        source=model.source,
        synthetic=model.synthetic,
        notes=model.notes or "",
        origin=source,
    )
    empty = dict(
        informants=(),
        age_bands=(),
        response_sets={},
        items=(),
        scales=(),
        derived=(),
        band_schemes=(),
        normative_ranges=(),
    )
    if isinstance(model, fmt.WordingPackFile):
        items = tuple(Item(id=it.id, number=0, label="", response_set="", text=it.text) for it in model.items)
        return InstrumentPack(**common, **{**empty, "items": items}, extends=model.extends)
    if isinstance(model, fmt.StrategiesPackFile):
        return InstrumentPack(
            **common,
            **empty,
            strategies=tuple(
                StrategyEntry(s.id, s.title.strip(), s.text.strip(), tuple(t.strip() for t in s.tags))
                for s in model.strategies
            ),
        )

    sets: dict[str, ResponseSet] = {}
    for rs in model.response_sets:
        if isinstance(rs, fmt.OptionsSet):
            sets[rs.id] = ResponseSet(
                rs.id, "options", rs.label, tuple(ResponseOption(o.value, o.label, o.score) for o in rs.options)
            )
        elif isinstance(rs, fmt.NumberSet):
            sets[rs.id] = ResponseSet(
                rs.id,
                "number",
                rs.label,
                (),
                _exact(rs.decimals, rs.minimum),
                None if rs.maximum is None else _exact(rs.decimals, rs.maximum),
                rs.decimals,
            )
        else:
            sets[rs.id] = ResponseSet(rs.id, "text", rs.label)
    items = tuple(
        Item(it.id, it.number, it.label, it.response_set, it.reverse, it.text, it.section, it.evidence)
        for it in model.items
    )
    scales = []
    for s in model.scales:
        sc = s.scoring
        n = (sc.n if sc.n is not None else len(s.items)) if isinstance(sc, fmt.ProratedMeanScoring) else None
        values = tuple(sc.values) if isinstance(sc, fmt.CountScoring) else ()
        scales.append(
            Scale(
                s.id,
                s.label,
                tuple(s.items),
                sc.rule,
                s.strand,
                n,
                len(s.items) if sc.min_answered is None else sc.min_answered,
                values,
                sc.decimals,
            )
        )
    derived = []
    for d in model.derived:
        if isinstance(d, fmt.DerivedSum):
            derived.append(DerivedScore(d.id, d.label, "sum", of=tuple(d.of)))
        else:
            derived.append(
                DerivedScore(
                    d.id,
                    d.label,
                    "impact",
                    items=tuple(d.items),
                    gate_item=d.gate.item if d.gate else None,
                    gate_zero_when=tuple(d.gate.zero_when) if d.gate else (),
                )
            )
    places = model.score_decimals
    schemes = tuple(
        BandScheme(
            scheme.id,
            scheme.label,
            tuple(
                BandTable(
                    scheme.id,
                    t.scale,
                    t.informant,
                    t.age_band,
                    t.source,
                    tuple(
                        Band(
                            b.label,
                            _exact(places[t.scale], b.min),
                            None if b.max is None else _exact(places[t.scale], b.max),
                        )
                        for b in t.bands
                    ),
                )
                for t in scheme.tables
            ),
        )
        for scheme in model.band_schemes
    )
    normative = tuple(
        NormativeRange(n.scale, n.informant, n.age_band, n.min, n.max, n.label, n.source)
        for n in model.normative_ranges
    )
    audit = None
    spec = getattr(model, "audit", None)
    if spec is not None:
        audit = AuditSpec(
            spec.rating_scale,
            tuple(
                JudgementScale(
                    j.id,
                    j.label,
                    tuple(
                        sorted((JudgementLevel(lv.value, lv.label, lv.rank) for lv in j.levels), key=lambda lv: lv.rank)
                    ),
                )
                for j in spec.judgement_scales
            ),
            tuple(AuditSection(a.section, a.judgement_scale, tuple(a.guidance)) for a in spec.sections),
            {c.item: dict(c.guidance) for c in spec.criteria},
            {str(lv.value): lv.key.upper() for lv in spec.levels if lv.key is not None},
            {str(lv.value): lv.colour.upper() for lv in spec.levels if lv.colour is not None},
        )
    return InstrumentPack(
        **common,
        informants=tuple(model.informants),
        age_bands=tuple(model.age_bands),
        response_sets=sets,
        items=items,
        scales=tuple(scales),
        derived=tuple(derived),
        band_schemes=schemes,
        normative_ranges=normative,
        sections=tuple(Section(s.id, s.label) for s in model.sections),
        structure=model.structure,
        audit=audit,
        score_ranges=dict(model.score_ranges),
        age_range=(model.age_range.min, model.age_range.max) if model.age_range else None,
        score_decimals=dict(places),
    )
