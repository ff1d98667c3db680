"""Packs and templates from the server, installed on the laptop at every sync.

After the pull, ``sync_packs`` asks for the server's manifest (``GET /content/packs``)
with the ETag it was given last time; while nothing was published or withdrawn the
answer is 304 and nothing else happens. Otherwise each pack whose SHA-256 differs from
the copy installed from the server is downloaded (``GET /content/packs/{sha256}``),
its hash checked, validated with the desktop's loader, and written atomically as
``<pack id>.json`` into the ``server`` sub-folder of the installed packs folder
(``desktop.forms.registry.SERVER_SUBDIR``), which the registry loads after the
built-ins and before the packs installed by hand (``fieldnote packs install``). Packs
the server no longer lists are removed from that sub-folder; packs installed by hand
live in the folder above and are never touched.

What came from the server is recorded in the store's ``sync_state`` under
``content_packs`` (JSON): the server URL, the manifest's ETag, and per pack id the
version, kind and hash installed, and the packs refused (with why). A pack refused
here (hash mismatch, invalid) is not installed and is reported in
``SyncReport.errors``; the rest install, and sync carries on. The ETag is kept only
when every listed pack is installed, so a refused pack is tried again next sync.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import requests

from desktop.forms.loader import PackError, load_pack_text
from desktop.forms.registry import SERVER_SUBDIR, apply_wording, load_registry, write_pack_file
from desktop.store import Store
from sync.client import local
from sync.client.errors import Refused
from sync.client.report import need
from sync.client.transport import Transport
from sync.rules import valid_pack_id, valid_sha256

STATE_KEY = "content_packs"
MANIFEST_PATH = "/content/packs"


def _need(condition: Any, what: str) -> None:
    need(condition, f"pack manifest: {what}", "No pack was changed.")


def check_manifest(response: requests.Response) -> dict:
    """The manifest's JSON, checked for shape (SyncError before anything local changes)."""
    _need(response.status_code == 200, f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        data = None
    _need(isinstance(data, dict), "not JSON")
    _need(isinstance(data.get("etag"), str) and data["etag"], "etag")
    _need(isinstance(data.get("packs"), list), "packs")
    seen: set[str] = set()
    for entry in data["packs"]:
        _need(isinstance(entry, dict), "entry is not an object")
        pack_id = entry.get("pack_id")
        _need(valid_pack_id(pack_id), "pack id")
        # Case-blind: on Windows and macOS "ABC.json" and "abc.json" are one file.
        _need(pack_id.lower() not in seen, "a pack listed twice")
        seen.add(pack_id.lower())
        _need(valid_sha256(entry.get("sha256")), "hash")
        for name in ("version", "kind", "title"):
            _need(isinstance(entry.get(name), str), name)
        _need(isinstance(entry.get("size"), int) and not isinstance(entry["size"], bool) and entry["size"] >= 0, "size")
    return data


def load_state(store: Store) -> dict:
    """What this laptop installed from which server (an empty record if none, or if the
    stored one is unreadable: the next manifest then rebuilds it)."""
    try:
        state = json.loads(local.get_state(store, STATE_KEY) or "{}")
    except ValueError:
        state = {}
    if not isinstance(state, dict) or not isinstance(state.get("packs"), dict):
        state = {}
    # Only plain pack ids name files (the removal below deletes by them).
    packs = {k: v for k, v in state.get("packs", {}).items() if valid_pack_id(k) and isinstance(v, dict)}
    return {
        "server_url": state.get("server_url"),
        "etag": state.get("etag"),
        "packs": packs,
        "refused": state.get("refused", {}),
    }


def _save(store: Store, state: dict) -> None:
    local.set_state(store, STATE_KEY, json.dumps(state, sort_keys=True))


def _file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _validate(data: bytes, entry: dict, installed_dir: Path) -> str | None:
    """Why the downloaded bytes must not be installed, or None if they may."""
    what = f"pack '{entry['pack_id']}' {entry['version']} from the server"
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return f"{what} arrived damaged (its SHA-256 does not match); not installed"
    try:
        pack = load_pack_text(data.decode("utf-8"), what)
        if pack.id != entry["pack_id"] or pack.version != entry["version"]:
            return f"{what} is not what the manifest says (it is '{pack.id}' {pack.version}); not installed"
        if pack.kind == "wording":
            # As ``install_pack``: the pack it extends must be here, and hold every item.
            base = load_registry(installed_dir).packs.get(pack.extends)
            if base is None:
                return (
                    f"{what}: wording pack extends '{pack.extends}', which is not a "
                    "built-in or installed pack; not installed"
                )
            apply_wording(base, pack)
    except UnicodeDecodeError:
        return f"{what} is not UTF-8 text; not installed"
    except PackError as exc:
        return f"{exc}\n(not installed)"
    except (ValueError, RecursionError):
        return f"{what} is not a readable JSON pack; not installed"
    return None


def sync_packs(store: Store, transport: Transport, report: Any, packs_dir: Path | None = None) -> None:
    """Bring the packs installed from the server in line with its manifest.

    ``report`` (a ``SyncReport``) gets ``packs_installed``, ``packs_removed`` and, for
    each pack refused here, a line in ``errors``. Raises SyncError if the manifest is
    not understood (no pack changed) or the server cannot be reached."""
    if packs_dir is None:
        from desktop.paths import packs_dir as default_packs_dir

        packs_dir = default_packs_dir()
    folder = packs_dir / SERVER_SUBDIR
    state = load_state(store)
    if state["server_url"] != transport.server_url:
        # Another server: its manifest decides what stays (what the first one gave is
        # still recorded as from the server, so it is removed if not listed).
        state.update(server_url=transport.server_url, etag=None, refused={})
    installed: dict[str, dict] = state["packs"]
    etag = state["etag"]
    if etag and not all((folder / f"{pack_id}.json").is_file() for pack_id in installed):
        etag = None  # a file went missing: ask for the whole manifest and put it back
    try:
        response = transport.get_raw(MANIFEST_PATH, {"If-None-Match": f'"{etag}"'} if etag else None)
    except Refused as exc:
        if exc.status == 404:
            return  # a server from before packs were published from it
        raise
    if response.status_code == 304 and etag:
        return
    manifest = check_manifest(response)
    wanted = {entry["pack_id"]: entry for entry in manifest["packs"]}

    # Withdrawn: remove the copies the server gave (only those; hand-installed packs are
    # in the folder above and never named here).
    stuck = False  # a file that could not be removed: try again next sync
    for pack_id in sorted(set(installed) - set(wanted)):
        try:
            (folder / f"{pack_id}.json").unlink(missing_ok=True)
        except OSError as exc:
            report.errors.append(
                f"pack '{pack_id}' was withdrawn by the server but could not be removed: {exc.strerror or exc}"
            )
            stuck = True
            continue
        del installed[pack_id]
        _save(store, state)
        report.packs_removed += 1

    # New or changed: packs first, then wording packs (their base may arrive together).
    refused: dict[str, dict] = {}
    for entry in sorted(wanted.values(), key=lambda e: (e["kind"] == "wording", e["pack_id"])):
        pack_id = entry["pack_id"]
        held = installed.get(pack_id)
        if held and held.get("sha256") == entry["sha256"] and _file_sha(folder / f"{pack_id}.json") == entry["sha256"]:
            continue
        try:
            data = transport.get_raw(f"{MANIFEST_PATH}/{entry['sha256']}").content
        except Refused as exc:  # e.g. withdrawn since the manifest was read
            problem = f"pack '{pack_id}' {entry['version']} could not be downloaded: {exc}"
        else:
            problem = _validate(data, entry, packs_dir)
        if problem is None:
            try:
                write_pack_file(data, folder, pack_id)
            except OSError as exc:
                problem = f"pack '{pack_id}' could not be written: {exc.strerror or exc}"
        if problem is not None:
            refused[pack_id] = {"version": entry["version"], "sha256": entry["sha256"], "error": problem}
            report.errors.append(problem)
            continue
        installed[pack_id] = {"version": entry["version"], "kind": entry["kind"], "sha256": entry["sha256"]}
        _save(store, state)
        report.packs_installed += 1

    state["refused"] = refused
    state["etag"] = None if refused or stuck else manifest["etag"]
    _save(store, state)
