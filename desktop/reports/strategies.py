"""The strategy bank: strategies a practitioner searches and inserts into a report.

A bank is a JSON file (``"format": "fieldnote-strategy-bank"``): strategies with an
id, a title, the text and tags (the Boxall strand, behaviour or situation it
addresses). Banks are read, in order, from the built-in folder, then
``packs_dir()/strategies/`` (where the service's banks go when installed or,
later, synced like instrument packs), then the practitioner's own bank
(``data_dir()/strategies/mine.json``). A later strategy with the same id replaces
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
        if not (isinstance(sid, str) and sid.strip() and isinstance(stitle, str) and stitle.strip()
                and isinstance(text, str) and text.strip()):
            raise StrategyBankError(f"{where}: strategy {n} needs an id, a title and text")
        if len(text) > MAX_TEXT or not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise StrategyBankError(f"{where}: strategy {sid!r} has text over {MAX_TEXT} characters "
                                    "or tags that are not a list of words")
        if sid in seen:
            raise StrategyBankError(f"{where}: strategy id {sid!r} is used twice")
        seen.add(sid)
        out.append(Strategy(sid, stitle.strip(), text.strip(), tuple(tags), title))
    return title, out


class StrategyBank:
    """Every strategy available on this laptop, searchable."""

    def __init__(self, strategies: list[Strategy], problems: list[str] | None = None,
                 own_path: Path | None = None):
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
        strategy = {"id": f"own-{uuid.uuid4().hex[:12]}", "title": title.strip(), "text": text.strip(),
                    "tags": [t.strip() for t in tags if t.strip()]}
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
    return {"format": BANK_FORMAT, "format_version": 1, "id": "mine", "version": "1",
            "title": "My strategies", "strategies": []}


def load_bank(installed_dir: Path | None = None, own_path: Path | None = None) -> StrategyBank:
    """Built-in banks, then installed ones, then the practitioner's own (later ids replace earlier)."""
    from desktop.paths import data_dir, packs_dir

    installed_dir = installed_dir or packs_dir() / "strategies"
    own_path = own_path or data_dir() / "strategies" / "mine.json"
    files = sorted(BUILTIN_DIR.glob("*.json")) + (sorted(installed_dir.glob("*.json"))
                                                   if installed_dir.is_dir() else [])
    if own_path.is_file():
        files.append(own_path)
    by_id: dict[str, Strategy] = {}
    problems = []
    for path in files:
        try:
            _, strategies = parse_bank(json.loads(path.read_text(encoding="utf-8")), path.name)
        except (OSError, ValueError) as exc:  # JSON errors are ValueErrors too
            problems.append(f"{path.name}: {exc}" if not isinstance(exc, StrategyBankError) else str(exc))
            continue
        for s in strategies:
            by_id.pop(s.id, None)
            by_id[s.id] = s
    return StrategyBank(list(by_id.values()), problems, own_path)


__all__ = ["Strategy", "StrategyBank", "StrategyBankError", "load_bank", "parse_bank"]
