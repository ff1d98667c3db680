"""Built-in and installed packs, with wording overlays applied.

Built-in packs ship in ``desktop/forms/packs``. A service installs packs into
``packs_dir()``: a licensed instrument (e.g. its Boxall pack), a replacement
for a built-in (same id), or a wording pack that puts the verbatim item text
of a pack it holds the right to over that pack's neutral labels.

Packs the service publishes on its sync server are installed by sync into the
``server`` sub-folder (``SERVER_SUBDIR``), which only sync writes and removes
from (``sync/client/content.py``). A pack installed by hand with the same id
takes precedence over the server's on that laptop.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from desktop.forms.loader import NotAPackError, PackError, load_pack_file
from desktop.forms.pack import InstrumentPack
from desktop.paths import resource

BUILTIN_DIR = resource("desktop", "forms", "packs")
SERVER_SUBDIR = "server"  # packs installed by sync from the server, inside the installed folder


def apply_wording(base: InstrumentPack, wording: InstrumentPack) -> InstrumentPack:
    """A copy of ``base`` whose items carry ``wording``'s verbatim text.

    Raises PackError if the wording pack names an item ``base`` lacks, so a
    wording pack made for another version cannot silently half-apply.
    """
    if wording.extends != base.id:
        raise PackError(wording.origin, [f"wording pack extends '{wording.extends}', not '{base.id}'"])
    texts = {it.id: it.text for it in wording.items}
    known = {it.id for it in base.items}
    problems = [f"items '{item_id}': no such item in pack '{base.id}'" for item_id in texts if item_id not in known]
    if problems:
        raise PackError(wording.origin, problems)
    items = tuple(dataclasses.replace(it, text=texts.get(it.id, it.text)) for it in base.items)
    return dataclasses.replace(base, items=items, wording=f"{wording.id} {wording.version}", _plans={})


@dataclass(frozen=True)
class PackEntry:
    """One line of ``fieldnote packs list``."""

    id: str
    version: str
    title: str
    kind: str
    synthetic: bool
    origin: str  # "built-in", "server" (installed by sync) or "installed" (by hand)
    path: str
    note: str = ""


@dataclass
class PackRegistry:
    """Usable packs by id, and problems met loading installed files."""

    packs: dict[str, InstrumentPack] = field(default_factory=dict)
    wordings: dict[str, InstrumentPack] = field(default_factory=dict)
    entries: list[PackEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def get(self, pack_id: str) -> InstrumentPack:
        """The pack with this id; KeyError naming the ids available."""
        try:
            return self.packs[pack_id]
        except KeyError:
            raise KeyError(f"no instrument pack '{pack_id}' (available: {', '.join(sorted(self.packs))})") from None


def _pack_files(directory: Path) -> list[Path]:
    # Dot-files are unfinished installs (see install_pack), never packs.
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json") if p.is_file() and not p.name.startswith("."))


def load_registry(installed_dir: Path | None = None) -> PackRegistry:
    """Built-in packs, then those from the server (``installed_dir/server``), then
    those installed by hand (``installed_dir``, ``packs_dir()`` unless given); a
    later pack with the same id replaces an earlier one.

    A broken built-in pack is a bug and raises; a broken installed file is
    recorded in ``problems`` and skipped, so one bad file cannot stop the app.
    """
    if installed_dir is None:
        from desktop.paths import packs_dir

        installed_dir = packs_dir()
    reg = PackRegistry()
    builtin_ids: set[str] = set()
    for path in _pack_files(BUILTIN_DIR):
        pack = load_pack_file(path)
        pack.origin = "built-in"
        reg.packs[pack.id] = pack
        builtin_ids.add(pack.id)
        reg.entries.append(
            PackEntry(pack.id, pack.version, pack.title, pack.kind, pack.synthetic, "built-in", str(path))
        )

    wordings: dict[str, tuple[str, InstrumentPack]] = {}  # wording pack id -> (origin, pack)
    for origin, directory in (("server", installed_dir / SERVER_SUBDIR), ("installed", installed_dir)):
        for path in _pack_files(directory):
            try:
                pack = load_pack_file(path)
            except NotAPackError:
                continue  # other JSON kept in the same folder (e.g. audit templates of another format)
            except PackError as exc:
                reg.problems.append(str(exc))
                continue
            note = ""
            if origin == "installed" and any(e.id == pack.id and e.origin == "server" for e in reg.entries):
                # Installed by hand over the server's pack: that wins here; list both.
                note = "replaces the pack from the server"
                shadowed = "not used: a pack installed by hand has this id"
                reg.entries[:] = [
                    dataclasses.replace(e, note=shadowed) if e.id == pack.id and e.origin == "server" else e
                    for e in reg.entries
                ]
            if pack.kind == "wording":
                wordings[pack.id] = (origin, pack)
                note = note or f"wording for {pack.extends}"
            elif pack.kind == "strategies":
                # A strategy bank: listed, and read by the report editor's strategy search
                # (desktop.reports.strategies), never offered as a form.
                note = note or f"strategy bank ({len(pack.strategies)} strategies)"
            else:
                if pack.id in builtin_ids and not note:
                    note = "replaces the built-in pack"
                    reg.entries[:] = [e for e in reg.entries if e.id != pack.id]
                reg.packs[pack.id] = pack
            reg.entries.append(
                PackEntry(pack.id, pack.version, pack.title, pack.kind, pack.synthetic, origin, str(path), note)
            )
    # Wording packs installed by hand are applied before the server's, so of two for one
    # base the hand-installed one is used (the other is reported).
    for _, wording in sorted(wordings.values(), key=lambda w: w[0] != "installed"):
        if wording.extends in reg.wordings:
            reg.problems.append(
                f"{wording.origin}: a second wording pack for '{wording.extends}' "
                f"('{reg.wordings[wording.extends].id}' is already applied); ignored"
            )
            continue
        base = reg.packs.get(wording.extends)
        if base is None:
            reg.problems.append(f"{wording.origin}: wording pack extends '{wording.extends}', which is not installed")
            continue
        try:
            reg.packs[base.id] = apply_wording(base, wording)
        except PackError as exc:
            reg.problems.append(str(exc))
            continue
        reg.wordings[wording.extends] = wording
    return reg


def install_pack(path: str | Path, installed_dir: Path | None = None) -> tuple[InstrumentPack, Path]:
    """Validate a pack file and copy it into the installed packs folder.

    The file is stored as ``<pack id>.json`` (so installing a newer version
    replaces the older) and written atomically. Raises PackError if refused.
    """
    if installed_dir is None:
        from desktop.paths import packs_dir

        installed_dir = packs_dir()
    path = Path(path)
    pack = load_pack_file(path)
    if pack.kind == "wording":
        base = load_registry(installed_dir).packs.get(pack.extends)
        if base is None:
            raise PackError(
                str(path), [f"wording pack extends '{pack.extends}', which is not a built-in or installed pack"]
            )
        apply_wording(base, pack)
    return pack, write_pack_file(path.read_bytes(), installed_dir, pack.id)


def write_pack_file(data: bytes, directory: Path, pack_id: str) -> Path:
    """Write a validated pack's bytes as ``directory/<pack id>.json``, atomically: a
    reader sees the old file or the new one, never half of one (a dot-file is written,
    flushed to disk and then renamed over the old)."""
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / f"{pack_id}.json"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".installing-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
