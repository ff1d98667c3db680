"""``fieldnote ... | head``: a command whose reader goes away ends quietly (issue 9 item 11,
issue 14 item 10). Each runs as a real process writing into a pipe whose reader closes."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.store import open_store
from tests.conftest import PASSPHRASE
from tests.forms.test_cli import TEACHER_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_STATUS = 141 if os.name == "posix" else 1


def fieldnote(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def assert_quiet(proc: subprocess.Popen) -> None:
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == EXPECTED_STATUS, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Broken pipe" not in err, err
    assert "Exception ignored" not in err, err


def test_score_sdq_into_head_ends_quietly(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(TEACHER_COLUMNS)
        for i in range(20_000):  # far more than a pipe holds
            writer.writerow([(i + j) % 3 for j in range(25)] + [1, 1, 0, 1])
    proc = fieldnote("score", "sdq", "--informant", "teacher", str(path))
    first = proc.stdout.readline()  # like `head -1`: read a line, then go away
    proc.stdout.close()
    assert first.startswith(b"consid,")
    assert_quiet(proc)


@pytest.mark.parametrize(
    "args",
    [["packs", "list"], ["score", "sdq", "--help"], ["--help"], ["packs", "validate", "--help"]],
    ids=["packs list", "score sdq --help", "--help", "packs validate --help"],
)
def test_other_commands_into_a_closed_pipe_end_quietly(args):
    proc = fieldnote(*args)
    proc.stdout.close()  # the reader is gone before the command writes anything
    assert_quiet(proc)


def test_a_command_that_catches_os_errors_still_ends_quietly(isolated_home):
    """``activity`` turns an OSError into a message; a closed pipe is not one."""
    store = open_store(isolated_home, PASSPHRASE)
    for i in range(3000):
        store.create("school", {"name": f"School {i}"})
    store.close()
    proc = fieldnote("activity", env={"FIELDNOTE_HOME": str(isolated_home), "FIELDNOTE_PASSPHRASE": PASSPHRASE})
    proc.stdout.readline()
    proc.stdout.close()
    assert_quiet(proc)
