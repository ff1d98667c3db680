"""The strategy bank: strategies a practitioner searches and inserts into a report.

A bank is a JSON file (``"format": "fieldnote-strategy-bank"``): strategies with an
id, a title, the text and tags (the Boxall strand, behaviour or situation it
addresses). Banks are read, in order, from the built-in folder, then
``packs_dir()/strategies/``, then the service's banks distributed as instrument
packs of kind ``strategies`` (published with ``fieldnote-server publish-pack``,
installed at sync into ``packs_dir()/server/``, or installed by hand into
``packs_dir()``; validated by ``desktop.forms.loader`` like every pack), then the
practitioner's own bank (``data_dir()/strategies/mine.json``). A later strategy with the same id replaces
an earlier one, so a service can reword a built-in strategy.

No Qt: the report editor's picker is a thin screen over ``StrategyBank.search``.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from desktop.paths import resource

BANK_FORMAT = "fieldnote-strategy-bank"
BUILTIN_DIR = resource("desktop", "reports", "strategy_banks")
MAX_TEXT = 4000


class StrategyBankError(ValueError):
    """A bank file that cannot be used (the message says why and which file)."""


@dataclass(frozen=True)
class Strategy:
    id: str
    title: str
    text: str
    tags: tuple[str, ...] = ()
    source: str = ""  # the bank's title, or "My strategies"

    @property
    def label(self) -> str:
        """How the strategy picker lists it: its title and the bank it comes from."""
        return f"{self.title}  —  {self.source}"

    def for_report(self) -> str:
        """How the strategy goes into a report's text: one list item."""
        return f"- {self.title}: {self.text}"


def _fold(text: str) -> str:
    """Lower case without accents, for matching ("Siân" finds "sian")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_bank(data: object, where: str) -> tuple[str, list[Strategy]]:
    """The bank's title and strategies; StrategyBankError naming the problem."""
    if not isinstance(data, dict) or data.get("format") != BANK_FORMAT:
        raise StrategyBankError(f"{where} is not a strategy bank (format {BANK_FORMAT!r})")
    title = data.get("title")
    items = data.get("strategies")
    if not isinstance(title, str) or not isinstance(items, list):
        raise StrategyBankError(f"{where}: a bank needs a title and a list of strategies")
    out, seen = [], set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise StrategyBankError(f"{where}: strategy {n} is not an object")
        sid, stitle, text, tags = item.get("id"), item.get("title"), item.get("text"), item.get("tags", [])
        if not (
            isinstance(sid, str)
            and sid.strip()
            and isinstance(stitle, str)
            and stitle.strip()
            and isinstance(text, str)
            and text.strip()
        ):
            raise StrategyBankError(f"{where}: strategy {n} needs an id, a title and text")
        if len(text) > MAX_TEXT or not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise StrategyBankError(
                f"{where}: strategy {sid!r} has text over {MAX_TEXT} characters or tags that are not a list of words"
            )
        if sid in seen:
            raise StrategyBankError(f"{where}: strategy id {sid!r} is used twice")
        seen.add(sid)
        out.append(Strategy(sid, stitle.strip(), text.strip(), tuple(tags), title))
    return title, out


class StrategyBank:
    """Every strategy available on this laptop, searchable."""

    def __init__(self, strategies: list[Strategy], problems: list[str] | None = None, own_path: Path | None = None):
        self.strategies = strategies
        self.problems = problems or []  # banks that could not be read (shown, not fatal)
        self.own_path = own_path

    def search(self, query: str = "", limit: int | None = None) -> list[Strategy]:
        """Strategies matching every word of ``query`` in title, text or tags; title matches first."""
        words = [w for w in re.split(r"\s+", _fold(query)) if w]
        hits = []
        for order, s in enumerate(self.strategies):
            title, body = _fold(s.title), _fold(s.text + " " + " ".join(s.tags))
            if all(w in title or w in body for w in words):
                hits.append((-sum(w in title for w in words), order, s))
        hits.sort(key=lambda h: h[:2])
        found = [s for *_, s in hits]
        return found[:limit] if limit else found

    def get(self, strategy_id: str) -> Strategy:
        for s in self.strategies:
            if s.id == strategy_id:
                return s
        raise KeyError(strategy_id)

    # -- the practitioner's own ------------------------------------------------------------
    def add_own(self, title: str, text: str, tags: list[str] | tuple[str, ...] = ()) -> Strategy:
        """Keep a strategy of your own (saved at once, whole file replaced atomically)."""
        if self.own_path is None:
            raise StrategyBankError("there is nowhere to keep your own strategies")
        if not title.strip() or not text.strip():
            raise StrategyBankError("a strategy needs a title and text")
        data = _read_own(self.own_path)
        strategy = {
            "id": f"own-{uuid.uuid4().hex[:12]}",
            "title": title.strip(),
            "text": text.strip(),
            "tags": [t.strip() for t in tags if t.strip()],
        }
        data["strategies"].append(strategy)
        _, parsed = parse_bank(data, str(self.own_path))  # never write what could not be read back
        self.own_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.own_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, self.own_path)
        added = next(s for s in parsed if s.id == strategy["id"])
        self.strategies.append(added)
        return added


def _read_own(path: Path) -> dict:
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return {
        "format": BANK_FORMAT,
        "format_version": 1,
        "id": "mine",
        "version": "1",
        "title": "My strategies",
        "strategies": [],
    }


def pack_strategies(folder: Path) -> tuple[list[tuple[str, list[Strategy]]], list[str]]:
    """The strategy banks among the instrument packs in ``folder`` (``kind: "strategies"``,
    validated by the pack loader, as the server does before publishing them): (file name,
    strategies) in name order, and the problems of the strategies packs that were refused.
    Other packs in the folder are not this module's business and are passed over."""
    from desktop.forms.loader import NotAPackError, PackError, load_pack_file

    found, problems = [], []
    if not folder.is_dir():
        return found, problems
    for path in sorted(p for p in folder.glob("*.json") if p.is_file() and not p.name.startswith(".")):
        try:
            pack = load_pack_file(path)
        except NotAPackError:
            continue
        except PackError as exc:
            if '"strategies"' in _head(path):
                problems.append(str(exc))
            continue
        if pack.kind == "strategies":
            found.append((path.name, [Strategy(e.id, e.title, e.text, e.tags, pack.title) for e in pack.strategies]))
    return found, problems


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace")[:2000]
    except OSError:
        return ""


def load_bank(
    installed_dir: Path | None = None, own_path: Path | None = None, *, packs_root: Path | None = None
) -> StrategyBank:
    """Every strategy on this laptop, in order (a later strategy with the same id replaces
    an earlier one): the built-in bank; banks put in ``packs_dir()/strategies/``; the
    service's banks published from the server (``strategies`` packs in
    ``packs_dir()/server/``, installed at sync); ``strategies`` packs installed by hand
    (``packs_dir()``); the practitioner's own. ``packs_root`` is the installed packs folder
    (``packs_dir()`` when nothing is given)."""
    from desktop.forms.registry import SERVER_SUBDIR
    from desktop.paths import data_dir, packs_dir

    if installed_dir is None and packs_root is None:
        packs_root = packs_dir()
    installed_dir = installed_dir or packs_dir() / "strategies"
    own_path = own_path or data_dir() / "strategies" / "mine.json"
    banks: list[tuple[str, list[Strategy]]] = []
    problems = []
    files = sorted(BUILTIN_DIR.glob("*.json")) + (
        sorted(installed_dir.glob("*.json")) if installed_dir.is_dir() else []
    )

    def read(paths):
        for path in paths:
            try:
                banks.append((path.name, parse_bank(json.loads(path.read_text(encoding="utf-8")), path.name)[1]))
            except (OSError, ValueError) as exc:  # JSON errors are ValueErrors too
                problems.append(f"{path.name}: {exc}" if not isinstance(exc, StrategyBankError) else str(exc))

    read(files)
    if packs_root is not None:
        for folder in (packs_root / SERVER_SUBDIR, packs_root):
            found, refused = pack_strategies(folder)
            banks += found
            problems += refused
    if own_path.is_file():
        read([own_path])
    by_id: dict[str, Strategy] = {}
    for _name, strategies in banks:
        for s in strategies:
            by_id.pop(s.id, None)
            by_id[s.id] = s
    return StrategyBank(list(by_id.values()), problems, own_path)


__all__ = ["Strategy", "StrategyBank", "StrategyBankError", "load_bank", "pack_strategies", "parse_bank"]
