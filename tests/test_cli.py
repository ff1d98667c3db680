"""The fieldnote command: every subcommand has help, demo fills the store."""

from __future__ import annotations

import argparse

import pytest

from desktop.cli import build_parser, main
from tests.conftest import PASSPHRASE


def _subcommands(parser, prefix=()):
    """(words, parser, the one-line help its parent lists) for every subcommand, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*prefix, name), sub, listed.get(name)
                yield from _subcommands(sub, (*prefix, name))


def test_every_subcommand_has_help(capsys):
    """Each subcommand has a description and a one-line help in its parent's list, and
    ``--help`` prints the description."""
    commands = list(_subcommands(build_parser()))
    assert ("demo",) in [c for c, _, _ in commands]
    for words, parser, listed in commands:
        assert (parser.description or "").strip(), words
        assert (listed or "").strip(), words
        with pytest.raises(SystemExit) as exit_:
            main([*words, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert " ".join(parser.description.split()[:4]) in " ".join(out.split())
        assert "usage: fieldnote " + " ".join(words) in out


def test_demo_command_fills_the_store(monkeypatch, capsys, isolated_home):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    assert main(["demo", "--pupils", "12", "--referrals", "15"]) == 0
    assert "12 pupils, 15 referrals" in capsys.readouterr().out
    from desktop.store import open_store

    store = open_store(isolated_home)
    assert store.db["referral"].count == 15
    store.close()


def test_demo_command_without_passphrase_says_so(capsys):
    assert main(["demo"]) == 1
    assert "passphrase" in capsys.readouterr().err


def test_activity_export_lists_entries_and_records_itself(monkeypatch, capsys, isolated_home, tmp_path):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    from desktop.caseload import Caseload
    from desktop.store import open_store

    store = open_store(isolated_home)
    school = Caseload(store).add_school(name="Foxcote Primary School")
    store.close()
    target = tmp_path / "audit.csv"
    assert main(["activity", "--record", school, "-o", str(target)]) == 0
    import csv

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["action"], r["entity"], r["record_id"]) for r in rows] == [("create", "school", school)]
    store = open_store(isolated_home)
    last = store.audit_trail()[-1]
    store.close()
    assert (last["action"], last["entity"], last["detail"]) == ("export", "audit_log", "1 entries to a file")
