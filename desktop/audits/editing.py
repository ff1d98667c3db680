"""Copies of audit templates, edited and saved as installed packs (no Qt).

The groundwork of an in-app template editor (as the coding scheme editor does for
schemes): a built-in or installed template is copied under a new id, its title, area
labels and criterion wording changed, and the result validated by the pack loader
(every rule every pack obeys) before it is written, atomically, as an installed pack.
A built-in template is never overwritten; a refused copy writes nothing.
"""
from __future__ import annotations

import json
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


def apply_edits(obj: dict, *, title: str | None = None, version: str | None = None,
                sections: dict[str, str] | None = None, criteria: dict[str, str] | None = None) -> dict:
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

    text = _dump_exact(obj)
    pack = load_pack_text(text, obj.get("id", "<template>"))
    if pack.kind != "audit":
        raise PackError(pack.id, ["a template must be of kind 'audit'"])
    if any(e.id == pack.id and e.origin == "built-in" for e in registry.entries):
        raise PackError(pack.id, [f"'{pack.id}' is a built-in template; save the copy under a new id"])
    if installed_dir is None:
        from desktop.paths import packs_dir

        installed_dir = packs_dir()
    write_pack_file((text + "\n").encode("utf-8"), installed_dir, pack.id)
    return pack
