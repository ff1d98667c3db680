"""Instrument packs and audit templates published from the server (docs/sync-protocol.md).

An administrator publishes a pack (``POST /admin/packs`` or ``fieldnote-server
publish-pack FILE``); every laptop installs it at its next sync. A pack is checked
with the desktop's own loader (``desktop.forms.loader``) before it is accepted, so
the server never hands a laptop a pack the laptop would refuse.

Each published (pack id, version) is one row holding the pack's JSON text exactly as
published, addressed by its SHA-256. Rows are never changed except to mark them
withdrawn (and to bring a withdrawn version back), so what a laptop downloads for a
hash is always the same bytes:

* the same id and version with other bytes is refused (409); the same bytes again
  change nothing;
* a higher version supersedes: the *current* version of a pack id is its highest
  version not withdrawn. A version lower than the current one is refused (409) —
  withdraw the newer one to go back;
* withdrawing removes a pack id (or one version of it) from the manifest; laptops
  then remove their copy.

Wording packs follow the registry's rules (``desktop.forms.registry``): the pack they
extend must be built in or published, every item they name must exist in it, and one
base has at most one wording pack. Those rules are checked over the whole set of
current packs at every publication and withdrawal, so a new base version that drops
an item a published wording names, or withdrawing a base a wording still needs, is
refused too.

Licensing: every pack carries the format's required ``licence`` field (who owns what,
what may be shown), and the loader refuses a pack without one; that statement is the
service's, and the server neither writes nor judges it. ``published_by`` records
which administrator published each version.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desktop.forms.loader import PackError, load_pack_file, load_pack_text
from desktop.forms.pack import InstrumentPack
from desktop.forms.registry import BUILTIN_DIR, apply_wording
from sync.rules import PACK_ID_MAX
from sync.server.db import metadata

MAX_PACK_BYTES = 2 * 1024 * 1024  # the largest pack accepted (the built-in SDQ packs are ~20 kB)
MAX_ID_LENGTH = PACK_ID_MAX
MAX_VERSION_LENGTH = 100
_ADVISORY_LOCK = 4648273  # serialises publications on PostgreSQL (migrate uses 4648272)

content_pack = sa.Table(
    "content_pack",
    metadata,
    sa.Column("pack_id", sa.String(MAX_ID_LENGTH), primary_key=True),
    sa.Column("version", sa.String(MAX_VERSION_LENGTH), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the pack's JSON text exactly as published
    sa.Column("size", sa.Integer, nullable=False),  # bytes of the body in UTF-8
    sa.Column("published_at", sa.Float, nullable=False),
    sa.Column("published_by", sa.String(36), nullable=True),  # user id; None: server command line
    sa.Column("withdrawn_at", sa.Float, nullable=True),
    sa.Column("withdrawn_by", sa.String(36), nullable=True),
    sa.Index("content_pack_sha256", "sha256"),
)

# Every column but the body: what listings and the manifest need.
_HEAD = [c for c in content_pack.c if c.name != "body"]


class ContentError(Exception):
    """A publication or withdrawal that cannot be done; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def version_key(version: str) -> tuple:
    """Versions in the order people mean: numbers compare as numbers ("1.10" after
    "1.9"), words alphabetically, ignoring case; "1.0" comes before "1.0.1". Other
    characters only separate parts, so "2024.1" and "2024-1" are the same version."""
    return tuple(
        (0, int(number), "") if number else (1, 0, word.lower())
        for number, word in re.findall(r"([0-9]+)|([^\W\d_]+)", version)
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _builtin_packs() -> dict[str, InstrumentPack]:
    """The packs every laptop ships with (what a wording pack may extend unpublished)."""
    return {p.id: p for p in (load_pack_file(path) for path in sorted(BUILTIN_DIR.glob("*.json")))}


def _lock(conn: Connection) -> None:
    """One publication or withdrawal at a time: the wording rules look at every current
    pack. (On SQLite the write transaction's lock already does this.)"""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")


def _current(rows: Iterable) -> dict[str, object]:
    """The current row of each pack id: its highest version not withdrawn."""
    best: dict[str, object] = {}
    for row in rows:
        if row.withdrawn_at is not None:
            continue
        held = best.get(row.pack_id)
        if held is None or version_key(row.version) > version_key(held.version):
            best[row.pack_id] = row
    return best


def _describe(row, **extra) -> dict:
    return {
        "pack_id": row.pack_id,
        "version": row.version,
        "kind": row.kind,
        "title": row.title,
        "sha256": row.sha256,
        "size": row.size,
        **extra,
    }


def _parsed(conn: Connection, rows: dict[str, object]) -> dict[str, InstrumentPack]:
    """The current packs, parsed (a stored body the loader now refuses is left out: it
    cannot be anyone's base)."""
    if not rows:
        return {}
    keys = [(r.pack_id, r.version) for r in rows.values()]
    bodies = conn.execute(
        sa.select(content_pack.c.pack_id, content_pack.c.body).where(
            sa.tuple_(content_pack.c.pack_id, content_pack.c.version).in_(keys)
        )
    ).all()
    packs: dict[str, InstrumentPack] = {}
    for pack_id, body in bodies:
        try:
            packs[pack_id] = load_pack_text(body, pack_id)
        except (PackError, ValueError, RecursionError):
            continue
    return packs


def _wording_problems(packs: dict[str, InstrumentPack], newcomer: str | None = None) -> dict[str, list[str]]:
    """The registry's rules for wording packs, over a set of current packs: problems by
    the id of the wording pack they concern. Of two wording packs for one base, the one
    being published (``newcomer``) is the one refused."""
    problems: dict[str, list[str]] = {}
    builtins = _builtin_packs()
    applied: dict[str, str] = {}  # base id -> the wording pack that supplies its wording
    for pack in sorted(packs.values(), key=lambda p: (p.id == newcomer, p.id)):
        if pack.kind != "wording":
            continue
        published = packs.get(pack.extends)
        base = published if published is not None and published.kind != "wording" else builtins.get(pack.extends)
        if base is None:
            problems.setdefault(pack.id, []).append(
                f"wording pack '{pack.id}' extends '{pack.extends}', which is not a built-in "
                "or published pack (publish the pack it extends first)"
            )
            continue
        try:
            apply_wording(base, pack)
        except PackError as exc:
            problems.setdefault(pack.id, []).extend(f"wording pack '{pack.id}': {p}" for p in exc.problems)
        if pack.extends in applied:
            problems.setdefault(pack.id, []).append(
                f"wording pack '{applied[pack.extends]}' already supplies the wording for "
                f"'{pack.extends}'; withdraw it first (a laptop applies only one)"
            )
        else:
            applied[pack.extends] = pack.id
    return problems


def _new_problems(
    before: dict[str, list[str]], after: dict[str, list[str]], subject: str | None = None
) -> dict[str, list[str]]:
    """The problems a change would bring: all of the changed pack's own (``subject``),
    and only new ones of the other packs, so a fault already there (say, a built-in pack
    changed by a Fieldnote upgrade) does not block unrelated publications."""
    found = {}
    for pack_id, problems in after.items():
        fresh = problems if pack_id == subject else [p for p in problems if p not in before.get(pack_id, [])]
        if fresh:
            found[pack_id] = fresh
    return found


def decode(data: bytes, source: str = "The pack") -> str:
    """Pack bytes as text: UTF-8, a byte-order mark dropped (Windows editors add one)."""
    if len(data) > MAX_PACK_BYTES:
        raise ContentError(413, f"{source} is {len(data)} bytes; packs may be at most {MAX_PACK_BYTES} bytes.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError(422, f"{source} is not UTF-8 text.") from None


def check_pack(text: str, source: str = "The pack") -> InstrumentPack:
    """Validate pack text with the desktop's loader; ContentError 422 listing every
    problem if refused."""
    try:
        pack = load_pack_text(text, source)
    except PackError as exc:
        raise ContentError(422, str(exc)) from None
    except (ValueError, RecursionError):  # e.g. a number too long for int(), deep nesting
        raise ContentError(422, f"{source}: not a readable JSON pack.") from None
    problems = []
    if len(pack.id) > MAX_ID_LENGTH:
        problems.append(f"field 'id' is longer than {MAX_ID_LENGTH} characters")
    if len(pack.version) > MAX_VERSION_LENGTH:
        problems.append(f"field 'version' is longer than {MAX_VERSION_LENGTH} characters")
    if not version_key(pack.version):
        problems.append("field 'version' must contain a number or a word (e.g. 1.0.0)")
    for name in ("version", "title"):
        if "\x00" in getattr(pack, name):
            problems.append(f"field '{name}' contains a NUL character")
    if problems:
        raise ContentError(422, str(PackError(source, problems)))
    return pack


def publish(conn: Connection, text: str, user_id: str | None, *, source: str = "The pack") -> dict:
    """Publish pack text (already decoded); call inside a write transaction.

    Returns the pack's manifest entry with ``status``: ``published`` (new),
    ``republished`` (a withdrawn version brought back) or ``unchanged``, and
    ``current`` (whether laptops now get this version). Raises ContentError."""
    pack = check_pack(text, source)
    sha = sha256_text(text)
    _lock(conn)
    rows = conn.execute(sa.select(*_HEAD)).all()
    mine = [r for r in rows if r.pack_id == pack.id]
    same = next((r for r in mine if r.version == pack.version), None)
    if same is not None and same.sha256 != sha:
        raise ContentError(
            409,
            f"Version {pack.version} of pack '{pack.id}' is already "
            "published with different content. Give the changed pack a "
            "new version.",
        )
    current = _current(rows)
    clash = next((k for k in current if k != pack.id and k.lower() == pack.id.lower()), None)
    if clash is not None:
        raise ContentError(
            409,
            f"Pack '{clash}' is published; '{pack.id}' differs only in "
            "case, and would be the same file on Windows and macOS laptops.",
        )
    if same is not None and same.withdrawn_at is None:
        live = current.get(pack.id)
        return _describe(same, status="unchanged", current=live is not None and live.version == same.version)
    live = current.get(pack.id)
    if live is not None:
        if version_key(pack.version) < version_key(live.version):
            raise ContentError(
                409,
                f"Pack '{pack.id}' version {live.version} is published; "
                f"{pack.version} is older. Withdraw {live.version} first "
                "to go back to an older version.",
            )
        if version_key(pack.version) == version_key(live.version):
            raise ContentError(
                409,
                f"Version '{pack.version}' of pack '{pack.id}' cannot be "
                f"told apart from the published '{live.version}'. Use a "
                "higher version.",
            )
        if live.kind != pack.kind:
            raise ContentError(
                409,
                f"Pack '{pack.id}' is published as {live.kind!r}; a new "
                f"version cannot be {pack.kind!r}. Withdraw it first or "
                "use another id.",
            )

    packs = _parsed(conn, current)
    before = _wording_problems(packs)
    packs[pack.id] = pack
    problems = _new_problems(before, _wording_problems(packs, pack.id), subject=pack.id)
    if problems.get(pack.id):
        mine = problems.pop(pack.id)
        if any("already supplies" in p for p in mine):
            raise ContentError(
                409, f"Cannot publish '{pack.id}' {pack.version}:\n" + "\n".join(f"  - {p}" for p in mine)
            )
        raise ContentError(422, str(PackError(source, mine)))
    if problems:
        raise ContentError(
            409,
            f"Publishing '{pack.id}' {pack.version} would break other "
            "published packs:\n" + "\n".join(f"  - {p}" for ps in problems.values() for p in ps),
        )

    now = time.time()
    if same is not None:  # a withdrawn version, identical bytes: bring it back
        conn.execute(
            content_pack.update()
            .where((content_pack.c.pack_id == pack.id) & (content_pack.c.version == pack.version))
            .values(withdrawn_at=None, withdrawn_by=None)
        )
        status = "republished"
    else:
        conn.execute(
            content_pack.insert().values(
                pack_id=pack.id,
                version=pack.version,
                kind=pack.kind,
                title=pack.title,
                sha256=sha,
                body=text,
                size=len(text.encode("utf-8")),
                published_at=now,
                published_by=user_id,
            )
        )
        status = "published"
    return {
        "pack_id": pack.id,
        "version": pack.version,
        "kind": pack.kind,
        "title": pack.title,
        "sha256": sha,
        "size": len(text.encode("utf-8")),
        "status": status,
        "current": True,
    }


def withdraw(conn: Connection, pack_id: str, user_id: str | None, version: str | None = None) -> list[str]:
    """Withdraw a pack id (every version), or one version of it; call inside a write
    transaction. Returns the versions withdrawn. Raises ContentError (404 nothing to
    withdraw; 409 a published wording pack still needs it)."""
    _lock(conn)
    rows = conn.execute(sa.select(*_HEAD)).all()
    going = [
        r for r in rows if r.pack_id == pack_id and r.withdrawn_at is None and (version is None or r.version == version)
    ]
    if not going:
        what = f"version {version} of pack '{pack_id}'" if version else f"pack '{pack_id}'"
        raise ContentError(404, f"No published {what} to withdraw.")
    gone = {(r.pack_id, r.version) for r in going}
    current = _current(rows)
    after = _current(r for r in rows if (r.pack_id, r.version) not in gone)
    before = _wording_problems(_parsed(conn, current))
    problems = _new_problems(before, _wording_problems(_parsed(conn, after)))
    if problems:
        raise ContentError(
            409,
            f"Withdrawing '{pack_id}' would break published wording "
            "packs (withdraw those first):\n" + "\n".join(f"  - {p}" for ps in problems.values() for p in ps),
        )
    now = time.time()
    for r in going:
        conn.execute(
            content_pack.update()
            .where((content_pack.c.pack_id == r.pack_id) & (content_pack.c.version == r.version))
            .values(withdrawn_at=now, withdrawn_by=user_id)
        )
    return sorted((r.version for r in going), key=version_key)


def manifest(conn: Connection) -> dict:
    """What every laptop should hold: the current version of each pack, and an ETag
    that changes whenever that list does."""
    rows = conn.execute(sa.select(*_HEAD)).all()
    packs = [_describe(row) for _, row in sorted(_current(rows).items())]
    etag = hashlib.sha256(json.dumps(packs, sort_keys=True).encode("utf-8")).hexdigest()
    return {"packs": packs, "etag": etag}


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak or strong, or ``*``)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate.strip('"') == etag:
            return True
    return False


def body(conn: Connection, sha256: str) -> str | None:
    """The pack text with this hash, unless every version with it was withdrawn."""
    return conn.execute(
        sa.select(content_pack.c.body)
        .where((content_pack.c.sha256 == sha256) & content_pack.c.withdrawn_at.is_(None))
        .limit(1)
    ).scalar()


def listing(conn: Connection) -> list[dict]:
    """Every version ever published, by pack id then version, for administrators."""
    rows = conn.execute(sa.select(*_HEAD)).all()
    current = _current(rows)
    out = []
    for row in sorted(rows, key=lambda r: (r.pack_id, version_key(r.version))):
        live = current.get(row.pack_id)
        out.append(
            _describe(
                row,
                published_at=row.published_at,
                published_by=row.published_by,
                withdrawn_at=row.withdrawn_at,
                current=live is not None and live.version == row.version,
            )
        )
    return out
