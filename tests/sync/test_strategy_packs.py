"""Strategy banks from the server: a service publishes a ``strategies`` pack with
``fieldnote-server publish-pack``; every laptop installs it at its next sync, and the report
editor's strategy search offers it beside the built-in bank and the practitioner's own."""

from __future__ import annotations

import json
import uuid

from desktop.forms.registry import SERVER_SUBDIR, load_registry
from desktop.reports.strategies import load_bank


def strategies_pack(pack_id: str, version: str = "1.0.0", **extra) -> dict:
    return {
        "format": "fieldnote-instrument-pack",
        "format_version": 1,
        "kind": "strategies",
        "id": pack_id,
        "version": version,
        "title": "Ashbridge strategy bank",
        "licence": "Written by the Ashbridge behaviour support team; free to use in its reports.",
        "source": "tests/sync/test_strategy_packs.py",
        "synthetic": True,
        "strategies": [
            {
                "id": "breakfast-club",
                "title": "Breakfast club welcome",
                "text": "A named adult welcomes the pupil at breakfast club each morning and "
                "checks in about the day ahead.",
                "tags": ["transitions", "arrival", "attachment"],
            },
            # the same id as a built-in strategy: the service's wording replaces it
            {
                "id": "chunking",
                "title": "Chunk written tasks (Ashbridge wording)",
                "text": "Three numbered steps on a card; an adult checks each one off with the pupil.",
                "tags": ["starting tasks"],
            },
        ],
        **extra,
    }


def test_a_published_strategy_bank_reaches_the_report_editors_search(sqlite_service, laptops, tmp_path):
    server = sqlite_service.server
    pack_id = f"strategies-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(strategies_pack(pack_id), ensure_ascii=False, indent=1), encoding="utf-8")
    result = server.cli("publish-pack", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"published: {pack_id} 1.0.0")
    packs, laptop = tmp_path / "packs", laptops("a")
    own = tmp_path / "mine.json"
    try:
        report = sqlite_service.engine(laptop, "a", packs_dir=packs).sync()
        assert report.errors == [] and report.packs_installed >= 1
        installed = packs / SERVER_SUBDIR / f"{pack_id}.json"
        assert installed.read_bytes() == path.read_bytes()

        bank = load_bank(tmp_path / "no-legacy-folder", own, packs_root=packs)
        bank.add_own("Lunchtime club", "A quiet indoor club at lunchtime, twice a week.", ["lunchtime"])
        bank = load_bank(tmp_path / "no-legacy-folder", own, packs_root=packs)
        assert bank.problems == []
        [club] = bank.search("breakfast club")
        assert club.source == "Ashbridge strategy bank" and "named adult" in club.text
        assert bank.get("chunking").title == "Chunk written tasks (Ashbridge wording)"
        assert bank.get("now-next").source.startswith("Service strategy bank")  # built-in still there
        assert bank.search("lunchtime")[0].source == "My strategies"  # and my own, title first
        # the forms registry lists the bank but never offers it as a form
        registry = load_registry(packs)
        assert pack_id not in registry.packs
        assert any(e.id == pack_id and e.kind == "strategies" and e.origin == "server" for e in registry.entries)
    finally:
        assert server.cli("withdraw-pack", pack_id).returncode == 0
    report = sqlite_service.engine(laptop, "a", packs_dir=packs).sync()
    assert report.packs_removed == 1
    assert not (packs / SERVER_SUBDIR / f"{pack_id}.json").exists()
    assert load_bank(tmp_path / "no-legacy-folder", own, packs_root=packs).search("breakfast club") == []


def test_a_strategies_pack_the_loader_refuses_is_not_published(sqlite_service, tmp_path):
    bad = strategies_pack(f"strategies-{uuid.uuid4().hex[:8]}")
    bad["strategies"].append({"id": "breakfast-club", "title": "Twice", "text": "Same id again."})
    bad["strategies"].append({"id": "long", "title": "Too long", "text": "x" * 4001})
    bad["scales"] = []
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    refused = sqlite_service.server.cli("publish-pack", str(path))
    assert refused.returncode == 1
    for problem in (
        "duplicate strategy id 'breakfast-club'",
        "at most 4000",
        "a strategies pack may not contain 'scales'",
    ):
        assert problem in refused.stderr
