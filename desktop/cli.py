"""The ``fieldnote`` command.

With no argument it starts the desktop app. Subcommands do headless work; each
lives in its own module exposing ``register(subparsers)``, which adds its
parser(s) and sets ``func`` (a callable taking the parsed args and returning an
exit status). Add a module to ``COMMAND_MODULES`` to add a command.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

COMMAND_MODULES = [
    "desktop.commands",
    "desktop.backup_cli",
    "desktop.import_cli",
    "desktop.forms.cli",
    "desktop.audits.cli",
    "desktop.observation.cli",
    "desktop.reports.cli",
    "sync.client.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldnote",
        description="Fieldnote: offline-first casework for behaviour-support practitioners. "
        "Run with no command to open the desktop app; 'fieldnote --self-check' checks that "
        "this installation has everything it needs.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


# A command whose reader went away (``fieldnote score sdq ... | head``) ends quietly with
# the status a shell reports for a process ended by SIGPIPE (there is none on Windows).
EXIT_OUTPUT_CLOSED = 141 if os.name == "posix" else 1


class OutputClosed(BaseException):
    """Standard output's reader has gone. A BaseException, so that no command's own
    ``except OSError`` / ``except Exception`` turns it into an error message."""


class _GuardedOutput:
    """Standard output, raising ``OutputClosed`` where a write meets a closed pipe
    (BrokenPipeError on POSIX; EINVAL, or EPIPE, from a closed pipe on Windows)."""

    def __init__(self, stream):
        self._stream = stream

    def _call(self, name, *args):
        try:
            return getattr(self._stream, name)(*args)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) or exc.errno in (errno.EPIPE, errno.EINVAL):
                raise OutputClosed from None
            raise

    def write(self, text):
        return self._call("write", text)

    def writelines(self, lines):
        return self._call("writelines", lines)

    def flush(self):
        return self._call("flush")

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _discard_output(stream) -> None:
    """Point the process's standard output at the null device, so that flushing what is
    still buffered at exit cannot fail again (Python's documented recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--self-check"]:  # the installation checks itself (desktop/selfcheck.py)
        from desktop.selfcheck import run

        return run()
    if argv[:1] == ["--startup-probe"]:  # bench/frozen.py: start, paint, say READY, quit
        from desktop.ui.self_check import startup_probe

        return startup_probe()
    if not argv:
        from desktop.app import run_app  # the only route into Qt from the CLI

        return run_app()
    real = sys.stdout
    guarded = sys.stdout = _GuardedOutput(real)
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here at the latest
    except (OutputClosed, BrokenPipeError):
        _discard_output(real)
        return EXIT_OUTPUT_CLOSED
    finally:
        if sys.stdout is guarded:
            sys.stdout = real


def _run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
