"""The ``fieldnote`` command.

With no argument it starts the desktop app. Subcommands do headless work; each
lives in its own module exposing ``register(subparsers)``, which adds its
parser(s) and sets ``func`` (a callable taking the parsed args and returning an
exit status). Add a module to ``COMMAND_MODULES`` to add a command.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "desktop.commands",
    "desktop.forms.cli",
    "desktop.observation.cli",
    "desktop.reports.cli",
    "sync.client.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldnote",
        description="Fieldnote: offline-first casework for behaviour-support practitioners. "
        "Run with no command to open the desktop app.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from desktop.app import run_app  # the only route into Qt from the CLI

        return run_app()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
