"""Copies of audit templates, edited and saved as installed packs (no Qt).

What the in-app template editor does, without Qt (as the coding scheme editor does for
schemes): a built-in or installed template is copied under a new id and changed through
a ``TemplateDraft`` — areas and criteria added, removed and reordered, each criterion's
kind (rated on the template's scale, yes/no, a number with a unit, short text), the
rating scale's levels with their keys and colours, section judgement scales, guidance
— and the result is validated by the pack loader (every rule every pack obeys) before
it is written, atomically, as an installed pack. A built-in template is never
overwritten; a refused copy writes nothing. Templates are exported and imported as
JSON, an import validated the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from desktop.forms.loader import PackError, load_pack_text
from desktop.forms.pack import InstrumentPack
from desktop.forms.registry import PackRegistry, write_pack_file


def template_copy(registry: PackRegistry, template_id: str, new_id: str, title: str | None = None) -> dict:
    """The template's pack as JSON data, under ``new_id`` and titled as a copy."""
    pack = registry.get(template_id)
    if pack.kind != "audit":
        raise PackError(template_id, ["this pack is not an audit template"])
    entry = [e for e in registry.entries if e.id == template_id and not e.note.startswith("not used")][-1]
    obj = json.loads(Path(entry.path).read_bytes().decode("utf-8-sig"), parse_float=Decimal)
    obj["id"] = new_id
    obj["title"] = title or f"{obj['title']} (copy)"
    return obj


def apply_edits(
    obj: dict,
    *,
    title: str | None = None,
    version: str | None = None,
    sections: dict[str, str] | None = None,
    criteria: dict[str, str] | None = None,
) -> dict:
    """Change the title, version, area labels (section id -> label) and criterion wording
    (criterion id -> label) of a template copy; unknown ids are refused by name."""
    problems = []
    if title is not None:
        obj["title"] = title
    if version is not None:
        obj["version"] = version
    by_id = {s["id"]: s for s in obj.get("sections", [])}
    for sid, label in (sections or {}).items():
        if sid not in by_id:
            problems.append(f"no area '{sid}'")
        else:
            by_id[sid]["label"] = label
    items = {i["id"]: i for i in obj.get("items", [])}
    for cid, label in (criteria or {}).items():
        if cid not in items:
            problems.append(f"no criterion '{cid}'")
        else:
            items[cid]["label"] = label
    if problems:
        raise PackError(obj.get("id", "<template>"), problems)
    return obj


def save_template(obj: dict, registry: PackRegistry, installed_dir: Path | None = None) -> InstrumentPack:
    """Validate the copy with the pack loader and write it as an installed pack.
    Raises PackError (naming each problem) and writes nothing if it is refused."""
    from desktop.forms.cli import _dump_exact

    pack = check(obj, registry)
    if installed_dir is None:
        from desktop.paths import packs_dir

        installed_dir = packs_dir()
    write_pack_file((_dump_exact(obj) + "\n").encode("utf-8"), installed_dir, pack.id)
    return pack


# -- the editor's working copy ------------------------------------------------------------------
RATED, YES_NO, NUMBER, TEXT = "rated", "yes_no", "number", "text"
KINDS = {RATED: "Rated", YES_NO: "Yes / No", NUMBER: "Number", TEXT: "Short text"}
UNRATED_OPTIONS = (
    {"value": "not_seen", "label": "Not seen", "score": None},
    {"value": "not_applicable", "label": "Not applicable", "score": None},
)


@dataclass
class Level:
    """One level of a rating scale (lowest first) or a judgement scale (rank = position)."""

    value: str
    label: str
    key: str = ""  # rating levels only: its own single key ("" = the window's choice)
    colour: str = ""  # rating levels only: #RRGGBB ("" = lowest red, highest green, amber between)


#: Scales a service starts from (values, labels, keys); colours left to the default.
PRESETS: dict[str, tuple[str, tuple[Level, ...]]] = {
    "rag": (
        "Red / Amber / Green",
        (Level("red", "Red", "R"), Level("amber", "Amber", "A"), Level("green", "Green", "G")),
    ),
    "sris": (
        "Stabilise / Repair / Improve / Sustain",
        (
            Level("stabilise", "Stabilise", "S"),
            Level("repair", "Repair", "R"),
            Level("improve", "Improve", "I"),
            Level("sustain", "Sustain", "U"),
        ),
    ),
    "eea": (
        "Emerging / Established / Advanced",
        (
            Level("emerging", "Emerging", "E"),
            Level("established", "Established", "S"),
            Level("advanced", "Advanced", "A"),
        ),
    ),
}


def slug(text: str, fallback: str) -> str:
    """An id made from a label: lower case, words joined by '_'."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40].strip("_")
    return s or fallback


class TemplateDraft:
    """A template copy being edited: the pack's JSON data, changed by the operations a
    template editor offers (areas and criteria added, removed, reordered; a criterion's
    kind; the rating scale with keys and colours; judgement scales; guidance). Nothing
    here validates beyond keeping the data consistent: ``check`` runs the pack loader,
    as for every pack, and ``save_template`` installs the copy only if that passes."""

    def __init__(self, obj: dict):
        self.obj = obj
        obj.setdefault("sections", [])
        obj.setdefault("items", [])
        obj.setdefault("response_sets", [])
        audit = obj.setdefault("audit", {})
        if "rating_scale" not in audit:
            first = next((rs for rs in obj["response_sets"] if rs.get("kind", "options") == "options"), None)
            if first is None:
                first = {"id": "rag", "label": PRESETS["rag"][0], "options": []}
                obj["response_sets"].insert(0, first)
            audit["rating_scale"] = first["id"]
            if not first["options"]:
                self.set_rating_levels(list(PRESETS["rag"][1]))

    # -- header ---------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.obj.get("id", "")

    def set_header(self, *, id: str | None = None, title: str | None = None, version: str | None = None) -> None:
        for name, value in (("id", id), ("title", title), ("version", version)):
            if value is not None:
                self.obj[name] = value

    # -- areas ----------------------------------------------------------------------------
    @property
    def audit(self) -> dict:
        return self.obj["audit"]

    def sections(self) -> list[dict]:
        return self.obj["sections"]

    def section(self, section_id: str) -> dict:
        for s in self.obj["sections"]:
            if s["id"] == section_id:
                return s
        raise KeyError(f"no area '{section_id}'")

    def _audit_section(self, section_id: str) -> dict:
        entries = self.audit.setdefault("sections", [])
        for a in entries:
            if a.get("section") == section_id:
                return a
        a = {"section": section_id}
        entries.append(a)
        return a

    def _tidy_audit_sections(self) -> None:
        known = {s["id"] for s in self.obj["sections"]}
        order = [s["id"] for s in self.obj["sections"]]
        kept = [
            a
            for a in self.audit.get("sections", [])
            if a.get("section") in known and (a.get("judgement_scale") or a.get("guidance"))
        ]
        kept.sort(key=lambda a: order.index(a["section"]))
        if kept:
            self.audit["sections"] = kept
        else:
            self.audit.pop("sections", None)

    def _new_id(self, label: str, fallback: str, taken: set[str]) -> str:
        base = slug(label, fallback)
        new, n = base, 2
        while new in taken:
            new, n = f"{base}_{n}", n + 1
        return new

    def add_section(self, label: str) -> str:
        """A new area at the end, judged on the scale most areas use; its id."""
        sid = self._new_id(label, "area", {s["id"] for s in self.obj["sections"]})
        self.obj["sections"].append({"id": sid, "label": label})
        used = [a.get("judgement_scale") for a in self.audit.get("sections", []) if a.get("judgement_scale")]
        if used:
            self._audit_section(sid)["judgement_scale"] = max(set(used), key=used.count)
        return sid

    def rename_section(self, section_id: str, label: str) -> None:
        self.section(section_id)["label"] = label

    def remove_section(self, section_id: str) -> None:
        """The area and every criterion in it."""
        self.section(section_id)
        for item in self.criteria(section_id):
            self.remove_criterion(item["id"])
        self.obj["sections"] = [s for s in self.obj["sections"] if s["id"] != section_id]
        self._tidy_audit_sections()

    def move_section(self, section_id: str, delta: int) -> None:
        secs = self.obj["sections"]
        i = secs.index(self.section(section_id))
        j = max(0, min(len(secs) - 1, i + delta))
        secs.insert(j, secs.pop(i))
        self._order_items()
        self._tidy_audit_sections()

    def section_guidance(self, section_id: str) -> list[str]:
        return list(self._audit_section(section_id).get("guidance", []))

    def set_section_guidance(self, section_id: str, lines: list[str]) -> None:
        """The area's "evidence of effective practice" descriptors (blank lines dropped)."""
        self.section(section_id)
        lines = [ln.strip() for ln in lines if ln.strip()]
        entry = self._audit_section(section_id)
        if lines:
            entry["guidance"] = lines
        else:
            entry.pop("guidance", None)
        self._tidy_audit_sections()

    def section_judgement(self, section_id: str) -> str | None:
        return self._audit_section(section_id).get("judgement_scale")

    def set_section_judgement(self, section_id: str, scale_id: str | None) -> None:
        self.section(section_id)
        entry = self._audit_section(section_id)
        if scale_id:
            entry["judgement_scale"] = scale_id
        else:
            entry.pop("judgement_scale", None)
        self._tidy_audit_sections()

    # -- criteria -------------------------------------------------------------------------
    def criteria(self, section_id: str) -> list[dict]:
        return [i for i in self.obj["items"] if i.get("section") == section_id]

    def criterion(self, criterion_id: str) -> dict:
        for i in self.obj["items"]:
            if i["id"] == criterion_id:
                return i
        raise KeyError(f"no criterion '{criterion_id}'")

    def _order_items(self) -> None:
        """Items grouped by area in area order, numbered 1..n within each area."""
        order = {s["id"]: n for n, s in enumerate(self.obj["sections"])}
        items = sorted(self.obj["items"], key=lambda i: order.get(i.get("section"), len(order)))
        counts: dict = {}
        for item in items:
            counts[item.get("section")] = counts.get(item.get("section"), 0) + 1
            item["number"] = counts[item.get("section")]
        self.obj["items"] = items

    def add_criterion(self, section_id: str, text: str, kind: str = RATED, unit: str = "", decimals: int = 0) -> str:
        """A new criterion at the end of the area; its id."""
        self.section(section_id)
        cid = self._new_id(text, "criterion", {i["id"] for i in self.obj["items"]})
        self.obj["items"].append(
            {
                "id": cid,
                "number": 0,
                "section": section_id,
                "label": text,
                "response_set": self.audit["rating_scale"],
                "evidence": True,
            }
        )
        self._order_items()
        self.set_criterion_kind(cid, kind, unit, decimals)
        return cid

    def set_criterion_text(self, criterion_id: str, text: str) -> None:
        item = self.criterion(criterion_id)
        item["label"] = text
        if "text" in item:  # the verbatim wording is what is shown: change it too
            item["text"] = text

    def remove_criterion(self, criterion_id: str) -> None:
        self.criterion(criterion_id)
        self.obj["items"] = [i for i in self.obj["items"] if i["id"] != criterion_id]
        self._drop_guidance(criterion_id)
        for sc in self.obj.get("scales", []):
            if criterion_id in sc.get("items", []):
                sc["items"] = [x for x in sc["items"] if x != criterion_id]
        self._order_items()
        self._prune_sets()

    def move_criterion(self, criterion_id: str, delta: int) -> None:
        """Up (−1) or down (+1) within its area."""
        item = self.criterion(criterion_id)
        same = self.criteria(item.get("section"))
        i = same.index(item)
        j = max(0, min(len(same) - 1, i + delta))
        if i == j:
            return
        items = self.obj["items"]
        a, b = items.index(same[i]), items.index(same[j])
        items[a], items[b] = items[b], items[a]
        self._order_items()

    def _set(self, set_id: str) -> dict | None:
        return next((rs for rs in self.obj["response_sets"] if rs["id"] == set_id), None)

    def criterion_kind(self, criterion_id: str) -> tuple[str, str]:
        """(kind, unit) of a criterion: RATED, YES_NO, NUMBER (unit = the number's label), TEXT.
        An options set other than yes/no counts as YES_NO only if it is one."""
        rs = self._set(self.criterion(criterion_id)["response_set"]) or {}
        if rs.get("id") == self.audit["rating_scale"]:
            return RATED, ""
        kind = rs.get("kind", "options")
        if kind == "number":
            return NUMBER, "" if rs.get("label") == "Number" else rs.get("label", "")  # unit
        if kind == "text":
            return TEXT, ""
        values = sorted(str(o["value"]).lower() for o in rs.get("options", []))
        return (YES_NO if values == ["no", "yes"] else "choice"), ""

    def criterion_decimals(self, criterion_id: str) -> int:
        """Decimal places a number criterion takes (0 for other kinds)."""
        rs = self._set(self.criterion(criterion_id)["response_set"]) or {}
        return int(rs.get("decimals", 0)) if rs.get("kind") == "number" else 0

    def set_criterion_kind(self, criterion_id: str, kind: str, unit: str = "", decimals: int = 0) -> None:
        """Rated on the template's scale, yes/no, a number with a unit (and decimal
        places), or short text; the response set is found or made (one per unit)."""
        item = self.criterion(criterion_id)
        sets = self.obj["response_sets"]
        unit = unit.strip()
        if kind == RATED:
            set_id = self.audit["rating_scale"]
        elif kind == YES_NO:
            rs = next(
                (
                    r
                    for r in sets
                    if r.get("kind", "options") == "options"
                    and r["id"] != self.audit["rating_scale"]
                    and sorted(str(o["value"]).lower() for o in r.get("options", [])) == ["no", "yes"]
                ),
                None,
            )
            if rs is None:
                rs = {
                    "id": self._new_id("yesno", "yesno", {r["id"] for r in sets}),
                    "label": "Yes / No",
                    "options": [
                        {"value": "yes", "label": "Yes", "score": 1},
                        {"value": "no", "label": "No", "score": 0},
                    ],
                }
                sets.append(rs)
            set_id = rs["id"]
        elif kind == NUMBER:
            label = unit or "Number"
            rs = next(
                (
                    r
                    for r in sets
                    if r.get("kind") == "number" and r.get("label") == label and r.get("decimals", 0) == decimals
                ),
                None,
            )
            if rs is None:
                rs = {
                    "id": self._new_id("number_" + (unit or ""), "number", {r["id"] for r in sets}),
                    "kind": "number",
                    "label": label,
                    "minimum": 0,
                }
                if decimals:
                    rs["decimals"] = decimals
                sets.append(rs)
            set_id = rs["id"]
        elif kind == TEXT:
            rs = next((r for r in sets if r.get("kind") == "text"), None)
            if rs is None:
                rs = {
                    "id": self._new_id("details", "details", {r["id"] for r in sets}),
                    "kind": "text",
                    "label": "Details",
                }
                sets.append(rs)
            set_id = rs["id"]
        else:
            raise ValueError(f"unknown kind of criterion '{kind}'")
        if item["response_set"] != set_id:
            if kind != RATED:
                self._drop_guidance(criterion_id)  # descriptors are per rating level
            item["response_set"] = set_id
        if kind == RATED:
            item["evidence"] = True
        self._prune_sets()

    def _prune_sets(self) -> None:
        used = {i["response_set"] for i in self.obj["items"]} | {self.audit["rating_scale"]}
        self.obj["response_sets"] = [r for r in self.obj["response_sets"] if r["id"] in used]

    def criterion_guidance(self, criterion_id: str) -> dict[str, str]:
        for c in self.audit.get("criteria", []):
            if c.get("item") == criterion_id:
                return dict(c.get("guidance", {}))
        return {}

    def set_criterion_guidance(self, criterion_id: str, value: str, text: str) -> None:
        """The descriptor of one rating level for a criterion ("" removes it)."""
        self.criterion(criterion_id)
        entries = self.audit.setdefault("criteria", [])
        entry = next((c for c in entries if c.get("item") == criterion_id), None)
        if entry is None:
            entry = {"item": criterion_id, "guidance": {}}
            entries.append(entry)
        if text.strip():
            entry["guidance"][value] = text.strip()
        else:
            entry["guidance"].pop(value, None)
        self._tidy_criteria()

    def _drop_guidance(self, criterion_id: str) -> None:
        self.audit["criteria"] = [c for c in self.audit.get("criteria", []) if c.get("item") != criterion_id]
        self._tidy_criteria()

    def _tidy_criteria(self) -> None:
        kept = [c for c in self.audit.get("criteria", []) if c.get("guidance")]
        if kept:
            self.audit["criteria"] = kept
        else:
            self.audit.pop("criteria", None)

    # -- the rating scale -----------------------------------------------------------------
    def rating_set(self) -> dict:
        return self._set(self.audit["rating_scale"])

    def rating_levels(self) -> list[Level]:
        """The scored levels, lowest first, with their own keys and colours."""
        styles = {str(lv.get("value")): lv for lv in self.audit.get("levels", [])}
        scored = sorted(
            (o for o in self.rating_set()["options"] if o.get("score") is not None), key=lambda o: o["score"]
        )
        return [
            Level(
                str(o["value"]),
                o["label"],
                styles.get(str(o["value"]), {}).get("key", ""),
                styles.get(str(o["value"]), {}).get("colour", ""),
            )
            for o in scored
        ]

    def set_rating_levels(self, levels: list[Level], label: str | None = None) -> None:
        """The rating scale's levels, lowest first (scored 0, 1, 2 …); "not seen" and "not
        applicable" stay. A criterion's descriptors follow its level by position when a
        level's value changes."""
        rs = self.rating_set()
        old = [
            str(o["value"])
            for o in sorted((o for o in rs["options"] if o.get("score") is not None), key=lambda o: o["score"])
        ]
        new = [lv.value.strip() for lv in levels]
        unscored = [o for o in rs["options"] if o.get("score") is None] or [dict(o) for o in UNRATED_OPTIONS]
        rs["options"] = [
            {"value": lv.value.strip(), "label": lv.label.strip(), "score": n} for n, lv in enumerate(levels)
        ] + unscored
        if label is not None:
            rs["label"] = label
        styles = []
        for lv in levels:
            style = {"value": lv.value.strip()}
            if lv.key.strip():
                style["key"] = lv.key.strip().upper()
            if lv.colour.strip():
                style["colour"] = lv.colour.strip()
            if len(style) > 1:
                styles.append(style)
        if styles:
            self.audit["levels"] = styles
        else:
            self.audit.pop("levels", None)
        rename = {o: new[n] for n, o in enumerate(old) if n < len(new) and o not in new}
        for c in self.audit.get("criteria", []):
            c["guidance"] = {rename.get(k, k): v for k, v in c.get("guidance", {}).items()}

    def apply_rating_preset(self, name: str) -> None:
        label, levels = PRESETS[name]
        self.set_rating_levels(list(levels), label)

    # -- section judgement scales ---------------------------------------------------------
    def judgement_scales(self) -> list[dict]:
        return self.audit.get("judgement_scales", [])

    def judgement_scale(self, scale_id: str) -> dict:
        for j in self.judgement_scales():
            if j["id"] == scale_id:
                return j
        raise KeyError(f"no judgement scale '{scale_id}'")

    def judgement_levels(self, scale_id: str) -> list[Level]:
        return [
            Level(str(lv["value"]), lv["label"])
            for lv in sorted(self.judgement_scale(scale_id)["levels"], key=lambda lv: lv.get("rank", 0))
        ]

    def set_judgement_levels(self, scale_id: str, levels: list[Level], label: str | None = None) -> None:
        """A judgement scale's levels in rank order (ranked 1..n as listed)."""
        j = self.judgement_scale(scale_id)
        j["levels"] = [
            {"value": lv.value.strip(), "label": lv.label.strip(), "rank": n} for n, lv in enumerate(levels, 1)
        ]
        if label is not None:
            j["label"] = label

    def add_judgement_scale(self, preset: str | None = None) -> str:
        """A new judgement scale (from a preset, or Red / Amber / Green); its id."""
        label, levels = PRESETS[preset or "rag"]
        taken = {j["id"] for j in self.judgement_scales()}
        sid = self._new_id((preset or "rag") + "_judgement", "judgement", taken)
        self.audit.setdefault("judgement_scales", []).append({"id": sid, "label": label, "levels": []})
        self.set_judgement_levels(sid, [Level(lv.value, lv.label) for lv in levels])
        return sid

    def remove_judgement_scale(self, scale_id: str) -> None:
        self.judgement_scale(scale_id)
        self.audit["judgement_scales"] = [j for j in self.judgement_scales() if j["id"] != scale_id]
        if not self.audit["judgement_scales"]:
            del self.audit["judgement_scales"]
        for a in self.audit.get("sections", []):
            if a.get("judgement_scale") == scale_id:
                del a["judgement_scale"]
        self._tidy_audit_sections()

    # -- as JSON --------------------------------------------------------------------------
    def to_json(self) -> str:
        from desktop.forms.cli import _dump_exact

        return _dump_exact(self.obj)


def check(obj: dict, registry: PackRegistry) -> InstrumentPack:
    """The template as the pack loader reads it (every rule every pack obeys), plus: it is
    an audit template and not a built-in's id. Raises PackError naming each problem."""
    from desktop.forms.cli import _dump_exact

    pack = load_pack_text(_dump_exact(obj), obj.get("id") or "<template>")
    if pack.kind != "audit":
        raise PackError(pack.id, ["a template must be of kind 'audit'"])
    if any(e.id == pack.id and e.origin == "built-in" for e in registry.entries):
        raise PackError(pack.id, [f"'{pack.id}' is a built-in template; save the copy under a new id"])
    return pack


def export_template(obj: dict, path: Path) -> InstrumentPack:
    """Write the template as JSON (checked first: an exported file always installs)."""
    from desktop.forms.cli import _dump_exact

    pack = load_pack_text(_dump_exact(obj), obj.get("id") or "<template>")
    if pack.kind != "audit":
        raise PackError(pack.id, ["a template must be of kind 'audit'"])
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(_dump_exact(obj) + "\n", encoding="utf-8")
    tmp.replace(path)
    return pack


def import_template(path: Path, registry: PackRegistry, installed_dir: Path | None = None) -> InstrumentPack:
    """Install a template from a JSON file, validated as every pack is; a refused file
    (PackError naming the problems) installs nothing."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(path.name, [f"cannot be read: {exc}"]) from None
    try:
        obj = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError:
        load_pack_text(text, path.name)  # names the JSON error
        raise
    if not isinstance(obj, dict):
        raise PackError(path.name, ["not a template (a JSON object is expected)"])
    return save_template(obj, registry, installed_dir)
