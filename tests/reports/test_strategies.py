"""The strategy bank: built-in, installed and own strategies, searched and put into a report."""

from __future__ import annotations

import json

import pytest

from desktop.reports.strategies import BANK_FORMAT, StrategyBankError, load_bank, parse_bank


def bank_file(path, strategies, title="Ashbridge bank"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "format": BANK_FORMAT,
                "format_version": 1,
                "id": "ash",
                "version": "1",
                "title": title,
                "strategies": strategies,
            }
        ),
        encoding="utf-8",
    )


def test_the_built_in_bank_loads_and_every_word_must_match(tmp_path):
    bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")
    assert bank.problems == [] and len(bank.strategies) >= 15
    hits = bank.search("transitions warning")
    assert [s.id for s in hits][0] == "transition-warning"
    assert all("transition" in (s.title + s.text + " ".join(s.tags)).lower() for s in hits)
    assert bank.search("no-such-word-anywhere") == []
    assert len(bank.search("")) == len(bank.strategies)


def test_title_matches_come_first_and_accents_do_not_matter(tmp_path):
    bank_file(
        tmp_path / "installed" / "ash.json",
        [
            {"id": "a", "title": "Lunchtime club", "text": "A calm space at lunch.", "tags": []},
            {"id": "b", "title": "Calm corner", "text": "Somewhere quiet.", "tags": ["Siân's class"]},
        ],
    )
    bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")
    found = [s.id for s in bank.search("calm")]
    assert found[:2] == ["calm-space", "b"]  # title matches, in bank order (built-in first)
    assert "a" in found[2:]  # "calm" only in its text
    assert [s.id for s in bank.search("sian")] == ["b"]
    assert bank.get("b").for_report() == "- Calm corner: Somewhere quiet."


def test_an_installed_bank_can_reword_a_built_in_strategy_and_a_bad_one_is_reported(tmp_path):
    bank_file(
        tmp_path / "installed" / "a.json",
        [{"id": "chunking", "title": "Chunk the work", "text": "Our own wording.", "tags": ["starting tasks"]}],
    )
    (tmp_path / "installed" / "b.json").write_text("{not json", encoding="utf-8")
    bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")
    assert bank.get("chunking").text == "Our own wording."
    assert len(bank.problems) == 1 and "b.json" in bank.problems[0]


def test_own_strategies_are_kept_and_found_again(tmp_path):
    own = tmp_path / "strategies" / "mine.json"
    bank = load_bank(tmp_path / "installed", own)
    added = bank.add_own("Lego therapy", "Weekly small-group Lego building with set roles.", ["social interaction"])
    assert added.source == "My strategies"
    again = load_bank(tmp_path / "installed", own)
    assert [s.title for s in again.search("lego")] == ["Lego therapy"]
    with pytest.raises(StrategyBankError):
        again.add_own("", "x")


@pytest.mark.parametrize(
    "data,message",
    [
        ({"format": "other"}, "not a strategy bank"),
        (
            {"format": BANK_FORMAT, "title": "t", "strategies": [{"id": "a", "title": "A"}]},
            "needs an id, a title and text",
        ),
        (
            {
                "format": BANK_FORMAT,
                "title": "t",
                "strategies": [{"id": "a", "title": "A", "text": "x"}, {"id": "a", "title": "B", "text": "y"}],
            },
            "used twice",
        ),
    ],
)
def test_bad_banks_are_refused_with_a_reason(data, message):
    with pytest.raises(StrategyBankError, match=message):
        parse_bank(data, "bank.json")


def test_the_picker_lists_a_strategy_by_title_and_the_bank_it_comes_from(tmp_path):
    bank_file(
        tmp_path / "installed" / "ash.json",
        [{"id": "b", "title": "Calm corner", "text": "Somewhere quiet.", "tags": []}],
    )
    bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")
    assert bank.get("b").label == "Calm corner  —  Ashbridge bank"
