"""Reading and validating instrument packs.

Every problem found is collected (not just the first) and reported with its
location, e.g. ``scales[1] 'conduct': unknown item 'obey'``, so a service
fixing a pack sees everything wrong in one go. A pack that loads is whole:
references resolve, band tables cover their score's full range, and the
scorer need not re-check anything.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from desktop.forms.pack import (
    AuditSection,
    AuditSpec,
    JudgementLevel,
    JudgementScale,
    DERIVED_RULES,
    MAX_STRATEGY_TEXT,
    PACK_FORMAT,
    PACK_FORMAT_VERSION,
    PACK_KINDS,
    RESPONSE_KINDS,
    SCALE_RULES,
    Band,
    BandScheme,
    BandTable,
    DerivedScore,
    InstrumentPack,
    Item,
    NormativeRange,
    Number,
    ResponseOption,
    ResponseSet,
    Scale,
    Section,
    StrategyEntry,
)
from sync.rules import valid_content_id

_MISSING = object()


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


class _Reader:
    """Field access that records problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        # Scores already refused, and the items they listed: later checks skip
        # them rather than repeat the same fault as "unknown score" and so on.
        self.broken: set[str] = set()
        self.broken_items: set[str] = set()
        self.refused_items: set[str] = set()

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def obj(self, value: Any, where: str, allowed: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.problem(where, f"expected an object, found {_kind(value)}")
            return None
        for key in value:
            if key not in allowed and key != "notes":
                self.problem(where, f"unknown field '{key}'")
        return value

    def get(self, obj: dict, key: str, where: str, check: str, default: Any = _MISSING) -> Any:
        """Fetch ``obj[key]`` of type ``check``; record a problem and return None if wrong."""
        if key not in obj:
            if default is _MISSING:
                self.problem(where, f"missing required field '{key}'")
                return None
            return default
        value = obj[key]
        if check == "number" and isinstance(value, float):
            # Packs built in Python rather than read from JSON: keep exactness.
            value = Decimal(repr(value))
        ok = {
            "str": isinstance(value, str) and value.strip() != "",
            "text": isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "number": isinstance(value, (int, Decimal)) and not isinstance(value, bool),
            "list": isinstance(value, list),
            "id": valid_content_id(value),
            "value": (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value != ""),
        }[check]
        if not ok:
            expected = {
                "str": "a non-empty string",
                "text": "a string",
                "int": "an integer",
                "bool": "true or false",
                "number": "a number",
                "list": "a list",
                "id": "an id (letters, digits, '.', '_' or '-')",
                "value": "an integer or a non-empty string",
            }[check]
            self.problem(where, f"field '{key}' must be {expected}, found {_describe(value)}")
            return None
        return value

    def id_list(self, obj: dict, key: str, where: str) -> tuple[str, ...] | None:
        """A required list of distinct ids (None, with a problem recorded, if not)."""
        values = self.get(obj, key, where, "list")
        if values is None:
            return None
        out = []
        for i, v in enumerate(values):
            if not valid_content_id(v):
                self.problem(where, f"{key}[{i}] must be an id, found {_describe(v)}")
                continue
            if v in out:
                self.problem(where, f"{key} lists '{v}' twice")
                continue
            out.append(v)
        return tuple(out)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, Decimal)):
        return "a number"
    return "null" if value is None else type(value).__name__


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind(value)
    return json.dumps(value, default=str)


def _where(section: str, index: int, obj: Any) -> str:
    ident = obj.get("id") if isinstance(obj, dict) else None
    return f"{section}[{index}] '{ident}'" if isinstance(ident, str) else f"{section}[{index}]"


def _step(decimals: int) -> Number:
    return 1 if decimals == 0 else Decimal(1).scaleb(-decimals)


def _fmt(n: Number | None) -> str:
    return "open" if n is None else str(n)


_TOP_FIELDS = {
    "format", "format_version", "id", "version", "title", "kind", "licence", "source",
    "synthetic", "informants", "age_bands", "sections", "response_sets", "items", "scales",
    "derived", "band_schemes", "normative_ranges", "structure", "extends", "audit", "strategies",
    "age_range",
}
#: The widest ages (in whole years) an instrument's ``age_range`` may give.
AGE_LIMITS = (0, 25)
_SCORING_FIELDS = ("response_sets", "scales", "derived", "band_schemes", "normative_ranges", "sections")


def parse_pack(data: Any, source: str = "<pack>") -> InstrumentPack:
    """Validate decoded JSON ``data`` and build an InstrumentPack; raise PackError if refused."""
    r = _Reader()
    top = r.obj(data, "", _TOP_FIELDS)
    if top is None:
        raise PackError(source, r.problems)
    fmt = top.get("format")
    if fmt != PACK_FORMAT:
        raise NotAPackError(source, [f"not a Fieldnote instrument pack: field 'format' must be '{PACK_FORMAT}', found {_describe(fmt) if 'format' in top else 'nothing'}"])
    version = top.get("format_version")
    if version != PACK_FORMAT_VERSION or isinstance(version, bool):
        raise PackError(source, [
            f"format_version {_describe(version) if 'format_version' in top else '(missing)'} is not supported; "
            f"this Fieldnote reads format_version {PACK_FORMAT_VERSION}"
        ])

    pack_id = r.get(top, "id", "", "id")
    kind = r.get(top, "kind", "", "str", "instrument")
    if kind not in PACK_KINDS:
        r.problem("", f"field 'kind' must be one of {', '.join(PACK_KINDS)}, found {_describe(kind)}")
        kind = "instrument"
    common = dict(
        id=pack_id or "",
        version=r.get(top, "version", "", "str") or "",
        title=r.get(top, "title", "", "str") or "",
        kind=kind,
        licence=r.get(top, "licence", "", "str") or "",
        source=r.get(top, "source", "", "str") or "",
        synthetic=bool(r.get(top, "synthetic", "", "bool")),
        notes=top.get("notes", "") if isinstance(top.get("notes", ""), str) else "",
        origin=source,
    )
    if kind == "wording":
        pack = _parse_wording(r, top, common)
    elif kind == "strategies":
        pack = _parse_strategies(r, top, common)
    else:
        pack = _parse_instrument(r, top, common)
    if r.problems:
        raise PackError(source, r.problems)
    return pack


def _parse_age_range(r: _Reader, top: dict) -> tuple[int, int] | None:
    """``"age_range": {"min": 4, "max": 17}``: the pupils' ages (whole years, both included)
    the instrument is for; absent, it suits any age."""
    if "age_range" not in top:
        return None
    obj = r.obj(top["age_range"], "age_range", {"min", "max"})
    if obj is None:
        return None
    low, high = r.get(obj, "min", "age_range", "int"), r.get(obj, "max", "age_range", "int")
    if low is None or high is None:
        return None
    if not AGE_LIMITS[0] <= low <= high <= AGE_LIMITS[1]:
        r.problem("age_range", f"ages must run from 'min' up to 'max', within {AGE_LIMITS[0]} "
                               f"to {AGE_LIMITS[1]} years (found {low} to {high})")
        return None
    return (low, high)


def _parse_wording(r: _Reader, top: dict, common: dict) -> InstrumentPack:
    """A wording overlay: verbatim item text for a pack named by ``extends``."""
    extends = r.get(top, "extends", "", "id")
    for key in _SCORING_FIELDS + ("structure", "age_range"):
        if key in top:
            r.problem("", f"a wording pack may not contain '{key}' (it only supplies item wording)")
    items: list[Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(r.get(top, "items", "", "list") or []):
        where = _where("items", i, raw)
        obj = r.obj(raw, where, {"id", "text"})
        if obj is None:
            continue
        item_id = r.get(obj, "id", where, "id")
        text = r.get(obj, "text", where, "str")
        if item_id in seen:
            r.problem(where, f"duplicate item id '{item_id}'")
        elif item_id and text:
            seen.add(item_id)
            items.append(Item(id=item_id, number=0, label="", response_set="", text=text))
    return InstrumentPack(
        **common, informants=(), age_bands=(), response_sets={}, items=tuple(items), scales=(),
        derived=(), band_schemes=(), normative_ranges=(), extends=extends,
    )


def _parse_strategies(r: _Reader, top: dict, common: dict) -> InstrumentPack:
    """A strategy bank a service distributes: strategies with an id, a title, the text
    and tags (the Boxall strand, behaviour or situation each addresses)."""
    for key in _SCORING_FIELDS + ("structure", "extends", "items", "informants", "age_bands",
                                  "age_range"):
        if key in top:
            r.problem("", f"a strategies pack may not contain '{key}' (it only holds strategies)")
    entries: list[StrategyEntry] = []
    seen: set[str] = set()
    raw_list = r.get(top, "strategies", "", "list") or []
    if "strategies" in top and isinstance(top["strategies"], list) and not raw_list:
        r.problem("", "field 'strategies' must list at least one strategy")
    for i, raw in enumerate(raw_list):
        where = _where("strategies", i, raw)
        obj = r.obj(raw, where, {"id", "title", "text", "tags"})
        if obj is None:
            continue
        sid = r.get(obj, "id", where, "id")
        title = r.get(obj, "title", where, "str")
        text = r.get(obj, "text", where, "str")
        tags = r.get(obj, "tags", where, "list", [])
        if isinstance(text, str) and len(text) > MAX_STRATEGY_TEXT:
            r.problem(where, f"field 'text' is {len(text)} characters; at most {MAX_STRATEGY_TEXT}")
            text = None
        if tags is not None and not all(isinstance(t, str) and t.strip() for t in tags):
            r.problem(where, "field 'tags' must be a list of words")
            tags = None
        if sid in seen:
            r.problem(where, f"duplicate strategy id '{sid}'")
        elif sid and title and text and tags is not None:
            seen.add(sid)
            entries.append(StrategyEntry(sid, title.strip(), text.strip(), tuple(t.strip() for t in tags)))
    return InstrumentPack(
        **common, informants=(), age_bands=(), response_sets={}, items=(), scales=(),
        derived=(), band_schemes=(), normative_ranges=(), strategies=tuple(entries),
    )


def _parse_instrument(r: _Reader, top: dict, common: dict) -> InstrumentPack:
    if "extends" in top:
        r.problem("", "only a wording pack may use 'extends'")
    if "strategies" in top:
        r.problem("", "only a strategies pack may list 'strategies'")
    informants = r.id_list(top, "informants", "") or ()
    age_bands = r.id_list(top, "age_bands", "") or ()
    if "informants" in top and not informants:
        r.problem("", "field 'informants' must list at least one informant")
    if "age_bands" in top and not age_bands:
        r.problem("", "field 'age_bands' must list at least one age band")

    sections = _parse_sections(r, top.get("sections", []))
    response_sets = _parse_response_sets(r, r.get(top, "response_sets", "", "list") or [])
    items = _parse_items(r, r.get(top, "items", "", "list") or [], response_sets, {s.id for s in sections})
    items_by_id = {it.id: it for it in items}
    scales = _parse_scales(r, r.get(top, "scales", "", "list", []) or [], items_by_id, response_sets)
    derived = _parse_derived(r, r.get(top, "derived", "", "list", []) or [], items_by_id, response_sets, scales)

    ranges, decimals = _score_ranges(items_by_id, response_sets, scales, derived)
    band_schemes = _parse_band_schemes(
        r, r.get(top, "band_schemes", "", "list", []) or [], ranges, decimals, informants, age_bands
    )
    normative = _parse_normative(r, r.get(top, "normative_ranges", "", "list", []) or [], ranges, informants, age_bands)

    audit = None
    if "audit" in top:
        if common["kind"] != "audit":
            r.problem("", "field 'audit' belongs only in a pack of kind \"audit\"")
        else:
            audit = _parse_audit(r, top["audit"], items, response_sets, sections)

    structure = r.get(top, "structure", "", "id", None)
    pack = InstrumentPack(
        audit=audit, age_range=_parse_age_range(r, top),
        **common, informants=informants, age_bands=age_bands, response_sets=response_sets,
        items=tuple(items), scales=tuple(scales), derived=tuple(derived),
        band_schemes=tuple(band_schemes), normative_ranges=tuple(normative),
        sections=tuple(sections), structure=structure, score_ranges=ranges, score_decimals=decimals,
    )
    if structure is not None:
        check = _structure_checks().get(structure)
        if check is None:
            r.problem("", f"unknown structure '{structure}'")
        elif not r.problems:
            # Only meaningful once references resolve; otherwise it repeats them.
            r.problems.extend(check(pack))
    return pack


#: Rating values every rated audit criterion accepts besides its scale's levels; never
#: counted in a denominator.
AUDIT_UNRATED = ("not_seen", "not_applicable")


def _parse_audit(r: _Reader, raw: Any, items: list[Item], sets: dict[str, ResponseSet],
                 sections: list[Section]) -> AuditSpec | None:
    """The ``audit`` field: rating scale, section judgement scales, guidance."""
    obj = r.obj(raw, "audit", {"rating_scale", "judgement_scales", "sections", "criteria", "levels"})
    if obj is None:
        return None
    rating = r.get(obj, "rating_scale", "audit", "id")
    rset = sets.get(rating) if rating else None
    if rating is not None and rset is None:
        r.problem("audit", f"unknown rating scale '{rating}' (it must be a response set)")
    elif rset is not None:
        scored = [o for o in rset.options if o.score is not None]
        if rset.kind != "options" or len(scored) < 2:
            r.problem("audit", f"rating scale '{rating}' must be an options response set with "
                               "at least two scored levels")
        elif sorted(o.score for o in scored) != list(range(min(o.score for o in scored),
                                                          min(o.score for o in scored) + len(scored))):
            r.problem("audit", f"rating scale '{rating}' has gaps or repeats in its level scores "
                               f"({', '.join(str(o.score) for o in scored)}); number the levels one apart")
        for o in rset.options:
            if o.score is None and o.value not in AUDIT_UNRATED:
                r.problem("audit", f"rating scale '{rating}': unscored option {_describe(o.value)} must be "
                                   f"one of {', '.join(AUDIT_UNRATED)}")

    scales: list[JudgementScale] = []
    for i, raw_scale in enumerate(r.get(obj, "judgement_scales", "audit", "list", []) or []):
        where = _where("audit judgement_scales", i, raw_scale)
        so = r.obj(raw_scale, where, {"id", "label", "levels"})
        if so is None:
            continue
        sid, label = r.get(so, "id", where, "id"), r.get(so, "label", where, "str")
        levels: list[JudgementLevel] = []
        for j, raw_level in enumerate(r.get(so, "levels", where, "list") or []):
            lwhere = f"{where} levels[{j}]"
            lo = r.obj(raw_level, lwhere, {"value", "label", "rank"})
            if lo is None:
                continue
            value, llabel = r.get(lo, "value", lwhere, "id"), r.get(lo, "label", lwhere, "str")
            rank = r.get(lo, "rank", lwhere, "int")
            if value is not None and any(lv.value == value for lv in levels):
                r.problem(lwhere, f"duplicate level '{value}'")
            elif None not in (value, llabel, rank):
                levels.append(JudgementLevel(value, llabel, rank))
        if sid is not None and any(s.id == sid for s in scales):
            r.problem(where, f"duplicate judgement scale id '{sid}'")
            continue
        ranks = sorted(lv.rank for lv in levels)
        if len(levels) < 2:
            r.problem(where, "a judgement scale needs at least two levels")
            continue
        if ranks != list(range(1, len(levels) + 1)):
            missing = sorted(set(range(1, max(ranks) + 1)) - set(ranks))
            repeated = sorted({x for x in ranks if ranks.count(x) > 1})
            detail = (f"rank {', '.join(map(str, missing))} missing" if missing else "") + \
                     ("; " if missing and repeated else "") + \
                     (f"rank {', '.join(map(str, repeated))} repeated" if repeated else "")
            r.problem(where, f"judgement scale has gaps: ranks must run 1 to {len(levels)} "
                             f"({detail or 'ranks start above 1'})")
            continue
        if sid is not None and label is not None:
            scales.append(JudgementScale(sid, label, tuple(sorted(levels, key=lambda lv: lv.rank))))

    section_ids = {s.id for s in sections}
    audit_sections: list[AuditSection] = []
    for i, raw_sec in enumerate(r.get(obj, "sections", "audit", "list", []) or []):
        where = f"audit sections[{i}]"
        so = r.obj(raw_sec, where, {"section", "judgement_scale", "guidance"})
        if so is None:
            continue
        sec = r.get(so, "section", where, "id")
        jscale = r.get(so, "judgement_scale", where, "id", None)
        guidance = r.get(so, "guidance", where, "list", [])
        if sec is not None and sec not in section_ids:
            r.problem(where, f"unknown section '{sec}'")
            continue
        if sec is not None and any(a.section == sec for a in audit_sections):
            r.problem(where, f"section '{sec}' is described twice")
            continue
        if jscale is not None and not any(s.id == jscale for s in scales):
            r.problem(where, f"unknown judgement scale '{jscale}'")
            continue
        if guidance is not None and not all(isinstance(g, str) and g.strip() for g in guidance):
            r.problem(where, "field 'guidance' must list non-empty texts")
            continue
        if sec is not None:
            audit_sections.append(AuditSection(sec, jscale, tuple(guidance or ())))

    by_id = {it.id: it for it in items}
    guidance_by_item: dict[str, dict[str, str]] = {}
    for i, raw_c in enumerate(r.get(obj, "criteria", "audit", "list", []) or []):
        where = f"audit criteria[{i}]"
        co = r.obj(raw_c, where, {"item", "guidance"})
        if co is None:
            continue
        item_id = r.get(co, "item", where, "id")
        desc = co.get("guidance")
        if item_id is None:
            continue
        if item_id not in by_id:
            if item_id not in r.refused_items:
                r.problem(where, f"unknown criterion '{item_id}'")
            continue
        if item_id in guidance_by_item:
            r.problem(where, f"criterion '{item_id}' is described twice")
            continue
        if not isinstance(desc, dict) or not all(isinstance(v, str) for v in desc.values()):
            r.problem(where, "field 'guidance' must map rating values to descriptor texts")
            continue
        iset = sets.get(by_id[item_id].response_set)
        allowed = {str(o.value) for o in iset.options} if iset and iset.kind == "options" else set()
        bad = [k for k in desc if k not in allowed]
        for k in bad:
            r.problem(where, f"criterion '{item_id}': rating '{k}' is outside its scale "
                             f"({', '.join(sorted(allowed)) or 'the criterion is not rated'})")
        if not bad:
            guidance_by_item[item_id] = dict(desc)
    keys, colours = _parse_audit_levels(r, obj, rset)
    if rating is None or rset is None:
        return None
    return AuditSpec(rating, tuple(scales), tuple(audit_sections), guidance_by_item, keys, colours)


#: Keys an audit level may not take: N and X rate "not seen" / "not applicable".
AUDIT_RESERVED_KEYS = ("N", "X")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def _parse_audit_levels(r: _Reader, obj: dict, rset: ResponseSet | None) -> tuple[dict, dict]:
    """The ``audit`` field's ``levels``: each rating level's own key (one letter) and colour."""
    keys: dict[str, str] = {}
    colours: dict[str, str] = {}
    scored = {str(o.value) for o in rset.options if o.score is not None} if rset else set()
    for i, raw_level in enumerate(r.get(obj, "levels", "audit", "list", []) or []):
        where = f"audit levels[{i}]"
        lo = r.obj(raw_level, where, {"value", "key", "colour"})
        if lo is None:
            continue
        value = r.get(lo, "value", where, "value")
        key = r.get(lo, "key", where, "str", None)
        colour = r.get(lo, "colour", where, "str", None)
        if value is None:
            continue
        value = str(value)
        if rset is not None and value not in scored:
            r.problem(where, f"level '{value}' is not a level of the rating scale "
                             f"({', '.join(sorted(scored))})")
            continue
        if value in keys or value in colours:
            r.problem(where, f"level '{value}' is described twice")
            continue
        if key is not None:
            if len(key) != 1 or not key.isascii() or not key.isalpha():
                r.problem(where, f"level '{value}': key '{key}' must be a single letter A-Z")
            elif key.upper() in AUDIT_RESERVED_KEYS:
                r.problem(where, f"level '{value}': key '{key.upper()}' is kept for "
                                 f"{'not seen' if key.upper() == 'N' else 'not applicable'}")
            elif key.upper() in keys.values():
                other = next(v for v, k in keys.items() if k == key.upper())
                r.problem(where, f"level '{value}': key '{key.upper()}' is already level '{other}''s key")
            else:
                keys[value] = key.upper()
        if colour is not None:
            if not _COLOUR.fullmatch(colour):
                r.problem(where, f"level '{value}': colour '{colour}' must be #RRGGBB")
            else:
                colours[value] = colour.upper()
    return keys, colours


def _parse_sections(r: _Reader, raw_list: Any) -> list[Section]:
    if not isinstance(raw_list, list):
        r.problem("", f"field 'sections' must be a list, found {_describe(raw_list)}")
        return []
    out: list[Section] = []
    for i, raw in enumerate(raw_list):
        where = _where("sections", i, raw)
        obj = r.obj(raw, where, {"id", "label"})
        if obj is None:
            continue
        sid, label = r.get(obj, "id", where, "id"), r.get(obj, "label", where, "str")
        if sid is not None and any(s.id == sid for s in out):
            r.problem(where, f"duplicate section id '{sid}'")
        elif sid is not None and label is not None:
            out.append(Section(sid, label))
    return out


def _parse_response_sets(r: _Reader, raw_list: list) -> dict[str, ResponseSet]:
    out: dict[str, ResponseSet] = {}
    for i, raw in enumerate(raw_list):
        where = _where("response_sets", i, raw)
        obj = r.obj(raw, where, {"id", "kind", "label", "options", "minimum", "maximum", "decimals"})
        if obj is None:
            continue
        rid = r.get(obj, "id", where, "id")
        kind = r.get(obj, "kind", where, "str", "options")
        label = r.get(obj, "label", where, "text", "")
        if kind not in RESPONSE_KINDS:
            r.problem(where, f"field 'kind' must be one of {', '.join(RESPONSE_KINDS)}, found {_describe(kind)}")
            continue
        rset: ResponseSet | None = None
        if kind == "options":
            for key in ("minimum", "maximum", "decimals"):
                if key in obj:
                    r.problem(where, f"field '{key}' is for number response sets, not options")
            options: list[ResponseOption] = []
            raw_opts = r.get(obj, "options", where, "list")
            if raw_opts is not None and not raw_opts:
                r.problem(where, "an options response set needs at least one option")
            for j, raw_opt in enumerate(raw_opts or []):
                owhere = f"{where} options[{j}]"
                o = r.obj(raw_opt, owhere, {"value", "label", "score"})
                if o is None:
                    continue
                value = r.get(o, "value", owhere, "value")
                olabel = r.get(o, "label", owhere, "str")
                if "score" not in o:
                    r.problem(owhere, "missing required field 'score' (use null for an unscored answer)")
                    continue
                score = o["score"]
                if score is not None and (not isinstance(score, int) or isinstance(score, bool)):
                    r.problem(owhere, f"field 'score' must be an integer or null, found {_describe(score)}")
                    continue
                if value is not None and any(p.value == value and type(p.value) is type(value) for p in options):
                    r.problem(owhere, f"duplicate option value {_describe(value)}")
                    continue
                if value is not None and olabel is not None:
                    options.append(ResponseOption(value, olabel, score))
            rset = ResponseSet(rid or "", "options", label, tuple(options))
        elif kind == "number":
            if "options" in obj:
                r.problem(where, "a number response set has no 'options'")
            decimals = r.get(obj, "decimals", where, "int", 0)
            minimum = r.get(obj, "minimum", where, "number")
            maximum = r.get(obj, "maximum", where, "number", None)
            if decimals is not None and decimals < 0:
                r.problem(where, "field 'decimals' must be 0 or more")
                decimals = None
            if decimals is not None:
                for key, bound in (("minimum", minimum), ("maximum", maximum)):
                    if bound is not None and Decimal(bound) != Decimal(bound).quantize(Decimal(_step(decimals))):
                        r.problem(where, f"field '{key}' {bound} has more than {decimals} decimal place(s)")
            if minimum is not None and maximum is not None and minimum > maximum:
                r.problem(where, f"minimum {minimum} is above maximum {maximum}")
            if minimum is not None and decimals is not None:
                conv = int if decimals == 0 else Decimal
                rset = ResponseSet(rid or "", "number", label, (), conv(minimum),
                                   None if maximum is None else conv(maximum), decimals)
        else:
            for key in ("options", "minimum", "maximum", "decimals"):
                if key in obj:
                    r.problem(where, f"a text response set has no '{key}'")
            rset = ResponseSet(rid or "", "text", label)
        if rid is None or rset is None:
            continue
        if rid in out:
            r.problem(where, f"duplicate response set id '{rid}'")
            continue
        out[rid] = rset
    return out


def _parse_items(r: _Reader, raw_list: list, sets: dict[str, ResponseSet], section_ids: set[str]) -> list[Item]:
    out: list[Item] = []
    ids: set[str] = set()
    numbers: dict[tuple[str | None, int], str] = {}
    if not raw_list:
        r.problem("", "a pack needs at least one item")
    for i, raw in enumerate(raw_list):
        where = _where("items", i, raw)
        obj = r.obj(raw, where, {"id", "number", "label", "text", "response_set", "reverse", "section", "evidence"})
        if obj is None:
            continue
        item_id = r.get(obj, "id", where, "id")
        number = r.get(obj, "number", where, "int")
        label = r.get(obj, "label", where, "str")
        set_id = r.get(obj, "response_set", where, "id")
        reverse = r.get(obj, "reverse", where, "bool", False)
        text = r.get(obj, "text", where, "str", None)
        section = r.get(obj, "section", where, "id", None)
        evidence = r.get(obj, "evidence", where, "bool", False)
        ok = None not in (item_id, number, label, set_id, reverse, evidence)
        if item_id is not None and item_id in ids:
            r.problem(where, f"duplicate item id '{item_id}'")
            ok = False
        if set_id is not None and set_id not in sets:
            r.problem(where, f"unknown response set '{set_id}'")
            ok = False
        elif set_id is not None and reverse and sets[set_id].kind != "options":
            r.problem(where, "only items answered from options can be reverse-scored")
            ok = False
        if section is not None and section not in section_ids:
            r.problem(where, f"unknown section '{section}'")
            ok = False
        if number is not None:
            other = numbers.get((section, number))
            if other is not None:
                r.problem(where, f"item number {number} is already used by item '{other}'"
                          + (f" in section '{section}'" if section else ""))
            numbers[(section, number)] = item_id or "?"
        if ok:
            ids.add(item_id)
            out.append(Item(item_id, number, label, set_id, reverse, text, section, evidence))
        elif item_id is not None and item_id not in ids:
            r.refused_items.add(item_id)
    return out


def _members_ok(r: _Reader, where: str, member_ids, items: dict[str, Item],
                sets: dict[str, ResponseSet], unusable: Callable[[ResponseSet], str | None]) -> bool:
    """Whether every member names a known item that ``unusable`` accepts; reports each problem.
    An item already refused on its own is not reported again."""
    ok = True
    for m in member_ids or ():
        if m not in items:
            if m not in r.refused_items:
                r.problem(where, f"unknown item '{m}'")
            ok = False
        else:
            reason = unusable(sets[items[m].response_set])
            if reason:
                r.problem(where, f"item '{m}' {reason}")
                ok = False
    return ok


def _parse_scales(r: _Reader, raw_list: list, items: dict[str, Item], sets: dict[str, ResponseSet]) -> list[Scale]:
    out: list[Scale] = []
    for i, raw in enumerate(raw_list):
        where = _where("scales", i, raw)
        obj = r.obj(raw, where, {"id", "label", "items", "strand", "scoring"})
        if obj is None:
            continue
        sid = r.get(obj, "id", where, "id")
        label = r.get(obj, "label", where, "str")
        strand = r.get(obj, "strand", where, "str", None)
        member_ids = r.id_list(obj, "items", where)
        scoring = None
        if "scoring" not in obj:
            r.problem(where, "missing required field 'scoring'")
        else:
            scoring = r.obj(obj["scoring"], f"{where} scoring", {"rule", "n", "min_answered", "values", "decimals"})
        ok = None not in (sid, label, member_ids, scoring)
        if sid is not None and any(s.id == sid for s in out):
            r.problem(where, f"duplicate scale id '{sid}'")
            ok = False
        if member_ids is not None and not member_ids:
            r.problem(where, "a scale needs at least one item")
            ok = False
        ok = _members_ok(r, where, member_ids, items, sets,
                         lambda rs: "has a text answer and cannot be scored" if rs.kind == "text" else None) and ok
        if not ok:
            if sid is not None:
                r.broken.add(sid)
                r.broken_items.update(member_ids or ())
            continue
        swhere = f"{where} scoring"
        rule = r.get(scoring, "rule", swhere, "str")
        n = r.get(scoring, "n", swhere, "int", None)
        min_answered = r.get(scoring, "min_answered", swhere, "int", None)
        decimals = r.get(scoring, "decimals", swhere, "int", 0)
        values: tuple = ()
        if rule not in SCALE_RULES:
            if rule is not None:
                r.problem(swhere, f"field 'rule' must be one of {', '.join(SCALE_RULES)}, found {_describe(rule)}")
            r.broken.add(sid)
            r.broken_items.update(member_ids)
            continue
        count = len(member_ids)
        if rule == "prorated_mean":
            n = count if n is None else n
            if n < 1:
                r.problem(swhere, "field 'n' must be at least 1")
            if "min_answered" not in scoring:
                r.problem(swhere, "a prorated_mean scale must say 'min_answered' (how many answers make a score)")
                continue
        elif n is not None:
            r.problem(swhere, "field 'n' applies only to the prorated_mean rule")
        if rule == "count":
            raw_values = r.get(scoring, "values", swhere, "list")
            if raw_values is not None and not raw_values:
                r.problem(swhere, "a count scale needs at least one value to count")
            values = tuple(raw_values or ())
            for m in member_ids:
                rset = sets[items[m].response_set]
                if rset.kind != "options":
                    r.problem(swhere, f"a count scale can only count option answers; item '{m}' is a {rset.kind}")
                    continue
                for v in values:
                    if rset.option(v) is None:
                        r.problem(swhere, f"value {_describe(v)} is not an option of item '{m}' (response set '{rset.id}')")
        elif "values" in scoring:
            r.problem(swhere, "field 'values' applies only to the count rule")
        if min_answered is None:
            min_answered = count
        if not 0 <= min_answered <= count:
            r.problem(swhere, f"min_answered {min_answered} must be between 0 and the {count} item(s) of the scale")
        if decimals is not None and decimals < 0:
            r.problem(swhere, "field 'decimals' must be 0 or more")
        out.append(Scale(sid, label, member_ids, rule, strand, n, min_answered, values, decimals or 0))

    # An item in two scales of one strand would be counted twice in that strand.
    by_strand: dict[str | None, dict[str, str]] = {}
    for scale in out:
        owner = by_strand.setdefault(scale.strand, {})
        for m in scale.items:
            if m in owner:
                strand = f"strand '{scale.strand}'" if scale.strand else "the default strand (no 'strand' given)"
                r.problem(f"scales '{scale.id}'", f"item '{m}' is also in scale '{owner[m]}' of {strand}")
            else:
                owner[m] = scale.id
    scored = {m for s in out if s.rule != "count" for m in s.items} | r.broken_items
    for item in items.values():
        if item.reverse and item.id not in scored:
            r.problem(f"items '{item.id}'", "reverse-scored but not in any scored scale")
    return out


def _parse_derived(r: _Reader, raw_list: list, items: dict[str, Item], sets: dict[str, ResponseSet],
                   scales: list[Scale]) -> list[DerivedScore]:
    out: list[DerivedScore] = []
    known = {s.id for s in scales}
    for i, raw in enumerate(raw_list):
        where = _where("derived", i, raw)
        obj = r.obj(raw, where, {"id", "label", "rule", "of", "items", "gate"})
        if obj is None:
            continue
        did = r.get(obj, "id", where, "id")
        label = r.get(obj, "label", where, "str")
        rule = r.get(obj, "rule", where, "str")
        if did is not None and did in known:
            r.problem(where, f"duplicate score id '{did}' (already a scale or derived score)")
            continue
        if rule not in DERIVED_RULES:
            if rule is not None:
                r.problem(where, f"field 'rule' must be one of {', '.join(DERIVED_RULES)}, found {_describe(rule)}")
            continue
        if rule == "sum":
            of = r.id_list(obj, "of", where)
            for key in ("items", "gate"):
                if key in obj:
                    r.problem(where, f"field '{key}' applies only to the impact rule")
            if of is not None and not of:
                r.problem(where, "a sum needs at least one part in 'of'")
            bad = [p for p in of or () if p not in known]
            for p in bad:
                if p in r.broken:
                    continue
                # Parts must be defined earlier, which also rules out cycles.
                r.problem(where, f"unknown score '{p}' in 'of' (parts must be scales or derived scores listed before it)")
            if None not in (did, label, of) and not bad and of:
                out.append(DerivedScore(did, label, "sum", of=of))
                known.add(did)
            elif did is not None:
                r.broken.add(did)
            continue
        if "of" in obj:
            r.problem(where, "field 'of' applies only to the sum rule")
        member_ids = r.id_list(obj, "items", where)
        ok = None not in (did, label, member_ids)
        if member_ids is not None and not member_ids:
            r.problem(where, "an impact score needs at least one item")
            ok = False
        ok = _members_ok(r, where, member_ids, items, sets,
                         lambda rs: None if rs.kind == "options" else "must be answered from options") and ok
        gate_item, zero_when = None, ()
        if "gate" in obj:
            gwhere = f"{where} gate"
            gate = r.obj(obj["gate"], gwhere, {"item", "zero_when"})
            if gate is None:
                ok = False
            else:
                gate_item = r.get(gate, "item", gwhere, "id")
                zero_when = tuple(r.get(gate, "zero_when", gwhere, "list") or ())
                if gate_item is not None and gate_item not in items:
                    if gate_item not in r.refused_items:
                        r.problem(gwhere, f"unknown item '{gate_item}'")
                    ok = False
                elif gate_item is not None:
                    gset = sets[items[gate_item].response_set]
                    if not zero_when:
                        r.problem(gwhere, "field 'zero_when' must list at least one answer value")
                    for v in zero_when:
                        if gset.kind != "options" or gset.option(v) is None:
                            r.problem(gwhere, f"value {_describe(v)} is not an option of item '{gate_item}'")
                            ok = False
                else:
                    ok = False
        if ok:
            out.append(DerivedScore(did, label, "impact", items=member_ids, gate_item=gate_item, gate_zero_when=zero_when))
            known.add(did)
        elif did is not None:
            r.broken.add(did)
    return out


def _score_ranges(items: dict[str, Item], sets: dict[str, ResponseSet], scales: list[Scale],
                  derived: list[DerivedScore]) -> tuple[dict, dict]:
    """Lowest and highest possible score of every scale and derived score."""
    ranges: dict[str, tuple[Number, Number | None]] = {}
    decimals: dict[str, int] = {}

    def bounds(item_id: str) -> tuple[Number, Number | None]:
        lo, hi = sets[items[item_id].response_set].score_bounds()
        return lo, hi

    for s in scales:
        decimals[s.id] = s.decimals
        if s.rule == "count":
            ranges[s.id] = (0, len(s.items))
            continue
        item_bounds = [bounds(m) for m in s.items]
        if s.rule == "prorated_mean":
            lo = s.n * min(b[0] for b in item_bounds)
            his = [b[1] for b in item_bounds]
            hi = None if None in his else s.n * max(his)
        else:
            # Unanswered items count 0 when fewer than all are required.
            partial = s.min_answered < len(s.items)
            lo = sum(min(b[0], 0) if partial else b[0] for b in item_bounds)
            his = [b[1] for b in item_bounds]
            hi = None if None in his else sum(max(h, 0) if partial else h for h in his)
        ranges[s.id] = (lo, hi)
    for d in derived:
        if d.rule == "sum":
            los = [ranges[p][0] for p in d.of]
            his = [ranges[p][1] for p in d.of]
            ranges[d.id] = (sum(los), None if None in his else sum(his))
            decimals[d.id] = max(decimals[p] for p in d.of)
        else:
            item_bounds = [bounds(m) for m in d.items]
            ranges[d.id] = (
                min(0, sum(min(b[0], 0) for b in item_bounds)),
                sum(max(b[1], 0) for b in item_bounds),
            )
            decimals[d.id] = 0
    return ranges, decimals


def _parse_band_schemes(r: _Reader, raw_list: list, ranges: dict, decimals: dict,
                        informants: tuple[str, ...], age_bands: tuple[str, ...]) -> list[BandScheme]:
    out: list[BandScheme] = []
    for i, raw in enumerate(raw_list):
        where = _where("band_schemes", i, raw)
        obj = r.obj(raw, where, {"id", "label", "tables"})
        if obj is None:
            continue
        scheme_id = r.get(obj, "id", where, "id")
        label = r.get(obj, "label", where, "str")
        if scheme_id is not None and any(s.id == scheme_id for s in out):
            r.problem(where, f"duplicate band scheme id '{scheme_id}'")
            continue
        tables: list[BandTable] = []
        for j, raw_table in enumerate(r.get(obj, "tables", where, "list") or []):
            table = _parse_band_table(r, raw_table, f"{where} tables[{j}]", scheme_id or "",
                                      ranges, decimals, informants, age_bands)
            if table is None:
                continue
            key = (table.scale, table.informant, table.age_band)
            if any((t.scale, t.informant, t.age_band) == key for t in tables):
                r.problem(f"{where} tables[{j}]", f"a second table for {table.scale}, {table.informant}, {table.age_band}")
                continue
            tables.append(table)
        if scheme_id is not None and label is not None:
            out.append(BandScheme(scheme_id, label, tuple(tables)))
    return out


def _parse_band_table(r: _Reader, raw: Any, where: str, scheme_id: str, ranges: dict, decimals: dict,
                      informants: tuple[str, ...], age_bands: tuple[str, ...]) -> BandTable | None:
    obj = r.obj(raw, where, {"scale", "informant", "age_band", "source", "bands"})
    if obj is None:
        return None
    scale = r.get(obj, "scale", where, "id")
    informant = r.get(obj, "informant", where, "id")
    age_band = r.get(obj, "age_band", where, "id")
    source = r.get(obj, "source", where, "str")
    raw_bands = r.get(obj, "bands", where, "list")
    if None in (scale, informant, age_band, source, raw_bands):
        return None
    where = f"{where} ({scale}, {informant}, {age_band})"
    ok = True
    if scale not in ranges:
        if scale not in r.broken:
            r.problem(where, f"unknown scale '{scale}'")
        return None
    if informant not in informants:
        r.problem(where, f"informant '{informant}' is not one of the pack's informants ({', '.join(informants)})")
        ok = False
    if age_band not in age_bands:
        r.problem(where, f"age band '{age_band}' is not one of the pack's age bands ({', '.join(age_bands)})")
        ok = False
    places = decimals[scale]
    step = _step(places)
    conv = int if places == 0 else Decimal
    bands: list[Band] = []
    if not raw_bands:
        r.problem(where, "a band table needs at least one band")
        return None
    for k, raw_band in enumerate(raw_bands):
        bwhere = f"{where} bands[{k}]"
        b = r.obj(raw_band, bwhere, {"label", "min", "max"})
        if b is None:
            ok = False
            continue
        label = r.get(b, "label", bwhere, "str")
        lo = r.get(b, "min", bwhere, "number")
        open_ended = "max" in b and b["max"] is None  # "max": null = no upper limit
        hi = None if open_ended else r.get(b, "max", bwhere, "number")
        if label is None or lo is None or (hi is None and not open_ended):
            ok = False
            continue
        for bound in (lo, hi):
            if bound is not None and Decimal(bound) % Decimal(step) != 0:
                r.problem(bwhere, f"{bound} is not a whole multiple of {step} (scale '{scale}' has {places} decimal place(s))")
                ok = False
        if hi is not None and lo > hi:
            r.problem(bwhere, f"band '{label}' runs backwards ({lo} to {hi})")
            ok = False
        if any(x.label == label for x in bands):
            r.problem(bwhere, f"duplicate band label '{label}'")
            ok = False
        bands.append(Band(label, conv(lo), None if hi is None else conv(hi)))
    if not ok or not bands:
        return None
    problems = _coverage_problems(bands, ranges[scale], step)
    for p in problems:
        r.problem(where, p)
    if problems:
        return None
    return BandTable(scheme_id, scale, informant, age_band, source, tuple(bands))


def _coverage_problems(bands: list[Band], score_range: tuple[Number, Number | None], step: Number) -> list[str]:
    """Gaps, overlaps and uncovered ends of a band table against its score range."""
    lo, hi = score_range
    problems = []
    ordered = sorted(bands, key=lambda b: b.minimum)
    first, last = ordered[0], ordered[-1]
    if first.minimum > lo:
        problems.append(f"does not cover {lo} to {first.minimum - step} (lowest possible score is {lo})")
    elif first.minimum < lo:
        problems.append(f"band '{first.label}' starts at {first.minimum}, below the lowest possible score {lo}")
    for a, b in zip(ordered, ordered[1:]):
        if a.maximum is None or b.minimum <= a.maximum:
            problems.append(f"bands '{a.label}' ({a.minimum}-{_fmt(a.maximum)}) and '{b.label}' "
                            f"({b.minimum}-{_fmt(b.maximum)}) overlap")
        elif b.minimum > a.maximum + step:
            problems.append(f"gap: no band holds {a.maximum + step} to {b.minimum - step} "
                            f"(between '{a.label}' and '{b.label}')")
    if hi is None:
        if last.maximum is not None:
            problems.append(f"does not cover scores above {last.maximum} (the score has no upper limit; "
                            f"end the last band with \"max\": null)")
    elif last.maximum is None:
        problems.append(f"band '{last.label}' is open-ended but the highest possible score is {hi}")
    elif last.maximum < hi:
        problems.append(f"does not cover {last.maximum + step} to {hi} (highest possible score is {hi})")
    elif last.maximum > hi:
        problems.append(f"band '{last.label}' ends at {last.maximum}, above the highest possible score {hi}")
    return problems


def _parse_normative(r: _Reader, raw_list: list, ranges: dict, informants: tuple[str, ...],
                     age_bands: tuple[str, ...]) -> list[NormativeRange]:
    out: list[NormativeRange] = []
    for i, raw in enumerate(raw_list):
        where = f"normative_ranges[{i}]"
        obj = r.obj(raw, where, {"scale", "informant", "age_band", "min", "max", "label", "source"})
        if obj is None:
            continue
        scale = r.get(obj, "scale", where, "id")
        informant = r.get(obj, "informant", where, "id")
        age_band = r.get(obj, "age_band", where, "id")
        lo = r.get(obj, "min", where, "number")
        hi = r.get(obj, "max", where, "number")
        label = r.get(obj, "label", where, "str", "normative range")
        source = r.get(obj, "source", where, "str")
        if None in (scale, informant, age_band, lo, hi, label, source):
            continue
        where = f"{where} ({scale}, {informant}, {age_band})"
        if scale not in ranges:
            if scale not in r.broken:
                r.problem(where, f"unknown scale '{scale}'")
            continue
        if informant not in informants:
            r.problem(where, f"informant '{informant}' is not one of the pack's informants")
            continue
        if age_band not in age_bands:
            r.problem(where, f"age band '{age_band}' is not one of the pack's age bands")
            continue
        s_lo, s_hi = ranges[scale]
        if lo > hi:
            r.problem(where, f"range runs backwards ({lo} to {hi})")
            continue
        if lo < s_lo or (s_hi is not None and hi > s_hi):
            r.problem(where, f"range {lo}-{hi} lies outside the possible scores {s_lo}-{_fmt(s_hi)}")
            continue
        if any((n.scale, n.informant, n.age_band) == (scale, informant, age_band) for n in out):
            r.problem(where, "a second range for the same scale, informant and age band")
            continue
        out.append(NormativeRange(scale, informant, age_band, lo, hi, label, source))
    return out
