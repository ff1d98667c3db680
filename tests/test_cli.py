"""The fieldnote command: every subcommand has help, demo fills the store."""
from __future__ import annotations

import argparse

import pytest

from desktop.cli import build_parser, main
from tests.conftest import PASSPHRASE


def _subcommands(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subcommands(sub, (*prefix, name))


def test_every_subcommand_has_help(capsys):
    commands = list(_subcommands(build_parser()))
    assert ("demo",) in [c for c, _ in commands]
    for words, parser in commands:
        assert parser.description or parser.format_help()
        with pytest.raises(SystemExit) as exit_:
            main([*words, "--help"])
        assert exit_.value.code == 0
        assert "usage: fieldnote " + " ".join(words) in capsys.readouterr().out


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
