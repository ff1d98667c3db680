"""``fieldnote observation ...`` through desktop.cli.main, with FIELDNOTE_HOME in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from desktop.cli import main
from desktop.observation.interchange import intervals_from_csv, to_json

from .conftest import build


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDNOTE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", "correct horse battery")
    return tmp_path / "home"


def _write(tmp_path, obs, name=None):
    path = tmp_path / (name or f"{obs.id}.json")
    path.write_text(to_json(obs), encoding="utf-8")
    return path


A = [("ON",), ("ON",), ("DIS",), ("ON",), (), (), ()]
B = [("ON",), ("DIS",), ("DIS",), ("ON",), ("ON",), (), ()]


def test_import_list_export_round_trip(tmp_path, home, capsys):
    obs = build(A, observation_id="obs-a")
    path = _write(tmp_path, obs)
    assert main(["observation", "import", str(path)]) == 0
    assert capsys.readouterr().out == "imported obs-a (7 intervals, ended)\n"
    assert main(["observation", "list"]) == 0
    assert capsys.readouterr().out == "obs-a\n"
    assert main(["observation", "export", "obs-a", "--format", "json"]) == 0
    assert capsys.readouterr().out == path.read_text(encoding="utf-8")
    assert main(["observation", "export", "obs-a", "--format", "csv"]) == 0
    assert intervals_from_csv(capsys.readouterr().out) == ("obs-a", list(obs.intervals))


def test_import_twice_is_refused(tmp_path, capsys):
    path = _write(tmp_path, build(A, observation_id="obs-a"))
    assert main(["observation", "import", str(path)]) == 0
    assert main(["observation", "import", str(path)]) == 1
    assert "already stored" in capsys.readouterr().err


def test_a_rejected_import_stores_nothing(tmp_path, home, capsys):
    doc = json.loads(to_json(build(A, observation_id="obs-a")))
    doc["intervals"][2]["codes"] = ["NOT-A-CODE"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["observation", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fieldnote observation import: error: intervals[2]: code 'NOT-A-CODE'")
    assert main(["observation", "list"]) == 0
    assert capsys.readouterr().out == ""  # nothing half-imported


def test_summary_json_by_id_and_by_file(tmp_path, capsys):
    path = _write(tmp_path, build(A, observation_id="obs-a"))
    main(["observation", "import", str(path)])
    capsys.readouterr()
    assert main(["observation", "summary", "obs-a", "--json"]) == 0
    by_id = json.loads(capsys.readouterr().out)
    assert main(["observation", "summary", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == by_id
    on_task = by_id["overall"]["target"]["on_task"]
    assert (on_task["numerator"], on_task["denominator"]) == (3, 7)
    assert on_task["percent"] == pytest.approx(300 / 7)
    assert main(["observation", "summary", "obs-a"]) == 0
    assert "on task: 42.9 % (3/7)" in capsys.readouterr().out


def test_agreement_json_matches_the_worked_example(tmp_path, capsys):
    """The CLI prints the same figures the library computes, as JSON."""
    a = _write(tmp_path, build(A, observation_id="obs-a"))
    b = _write(tmp_path, build(B, observation_id="obs-b"))
    main(["observation", "import", str(a)])
    capsys.readouterr()
    assert main(["observation", "agreement", "obs-a", str(b), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    on = report["codes"]["ON"]
    # ON: A = 1101000, B = 1001100 -> agree in 5 of 7; either scored in 4, both in 2.
    assert (on["both"], on["only_a"], on["only_b"], on["neither"]) == (2, 1, 1, 3)
    assert round(on["interval_by_interval"]["percent"], 1) == 71.4
    assert on["scored_interval"]["percent"] == 50.0
    assert report["groups"]["context"]["kappa"] is None
    assert "Pe = 1" in report["groups"]["context"]["reason"]
    assert main(["observation", "agreement", "obs-a", str(b)]) == 0
    assert "group behaviour: kappa" in capsys.readouterr().out


def test_agreement_on_mismatched_grids_fails_clearly(tmp_path, capsys):
    a = _write(tmp_path, build(A, observation_id="obs-a"))
    b = _write(tmp_path, build(A[:5], observation_id="obs-b"))
    assert main(["observation", "agreement", str(a), str(b)]) == 1
    assert "obs-a has 7 intervals, obs-b has 5" in capsys.readouterr().err


def test_unknown_id_is_an_error(capsys):
    assert main(["observation", "export", "obs-missing"]) == 1
    assert "no observation 'obs-missing'" in capsys.readouterr().err
    assert main(["observation", "summary", "../../etc/passwd"]) == 1


@pytest.mark.parametrize("sub", ["export", "import", "summary", "agreement", "list"])
def test_every_subcommand_has_help(sub, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["observation", sub, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: fieldnote observation {sub}")


def test_the_observation_core_imports_no_qt():
    """The no-display core must never pull in PySide6."""
    code = (
        "import sys; import desktop.observation, desktop.observation.cli, desktop.observation.summary, "
        "desktop.observation.agreement, desktop.observation.interchange; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
