"""`fieldnote --self-check`: passes on a complete installation, and names what is missing."""

from __future__ import annotations

import importlib.metadata
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import selfcheck
from desktop.forms.registry import BUILTIN_DIR

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "dist" / "Fieldnote" / ("Fieldnote.exe" if os.name == "nt" else "Fieldnote")


def env_for(tmp_path: Path) -> dict:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        FIELDNOTE_HOME=str(tmp_path / "home"),
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    env.pop("FIELDNOTE_PASSPHRASE", None)
    return env


def test_every_step_passes_from_source(qtbot):
    out = io.StringIO()
    assert selfcheck.run(out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[1:-1]] == [f"ok {name}" for name, _ in selfcheck.STEPS]
    assert lines[-1] == "Self-check passed."
    assert "fonts embedded: DejaVuSans" in out.getvalue()


def test_the_command_exits_0_from_source(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--self-check"],
        cwd=tmp_path,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok window: main window shown" in result.stdout
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").iterdir()), (
        "the check must not touch the user's data folder"
    )


def test_the_list_of_required_packs_is_every_built_in_pack():
    assert sorted(selfcheck.REQUIRED_PACKS) == sorted(p.stem for p in BUILTIN_DIR.glob("*.json"))


def test_lost_keyring_entry_points_are_named(monkeypatch):
    """What a frozen build without keyring's metadata sees: no backends at all."""
    real = importlib.metadata.entry_points

    def without_keyring(**kw):
        if kw.get("group") == "keyring.backends":
            return importlib.metadata.EntryPoints([])
        return real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", without_keyring)
    out = io.StringIO()
    assert selfcheck.run(out, window=False) == 1
    name = selfcheck.KEYRING_BACKENDS[selfcheck._platform()][0]
    assert f"FAILED keyring: missing keyring backend '{name}'" in out.getvalue()
    assert "ok store" not in out.getvalue()  # stops at the first failure


def test_a_missing_strength_checker_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "zxcvbn", None)
    out = io.StringIO()
    assert selfcheck.run(out, window=False) == 1
    assert "FAILED files: missing module 'zxcvbn'" in out.getvalue()


def test_a_missing_pdfium_is_named(monkeypatch):
    """A build that left PDFium behind cannot draw the report preview: the check says so."""
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import pypdfium2 fails
    out = io.StringIO()
    assert selfcheck.run(out, window=False) == 1
    assert "FAILED report: missing PDFium (pypdfium2), which draws the report preview" in out.getvalue()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SecretService is Linux's backend")
def test_a_backend_whose_dependency_is_missing_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "secretstorage", None)  # import secretstorage fails
    out = io.StringIO()
    assert selfcheck.run(out, window=False) == 1
    assert "needs the module 'secretstorage'" in out.getvalue()


def bundle_without(tmp_path: Path, missing: str) -> Path:
    """A copy of the files a frozen build carries (laid out as under sys._MEIPASS), less one."""
    bundle = tmp_path / "bundle"
    for rel in ("assets", "desktop/forms/packs", "desktop/reports/strategy_banks"):
        shutil.copytree(ROOT / rel, bundle / rel)
    (bundle / missing).unlink()
    return bundle


@pytest.mark.parametrize(
    "missing, named",
    [
        ("assets/fonts/DejaVuSans-Bold.ttf", "font 'DejaVuSans-Bold.ttf'"),
        ("desktop/forms/packs/sdq-teacher-4-17.json", "instrument pack 'sdq-teacher-4-17'"),
        ("assets/fieldnote.svg", "asset 'assets/fieldnote.svg'"),
    ],
)
def test_a_missing_file_in_a_frozen_bundle_is_named(tmp_path, missing, named):
    """Run the check as a frozen build would (sys.frozen, sys._MEIPASS) on a bundle that
    lacks one file: the same path code must look there and name the file."""
    bundle = bundle_without(tmp_path, missing)
    code = (
        "import sys; sys.frozen = True; sys._MEIPASS = sys.argv[1]\n"
        "from desktop.cli import main; sys.exit(main(['--self-check']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(bundle)],
        cwd=ROOT,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED files: missing {named}" in result.stdout
    assert str(bundle) in result.stdout  # it looked in the bundle, not in the checkout
    assert "(frozen build," in result.stdout


def test_the_frozen_bundle_layout_is_complete_with_nothing_missing(tmp_path):
    """The same simulated bundle with every file passes the file step."""
    bundle = tmp_path / "bundle"
    for rel in ("assets", "desktop/forms/packs", "desktop/reports/strategy_banks"):
        shutil.copytree(ROOT / rel, bundle / rel)
    code = (
        "import sys, io; sys.frozen = True; sys._MEIPASS = sys.argv[1]\n"
        "from desktop import selfcheck\n"
        "print(selfcheck.check_files()); print(selfcheck.check_pdf(__import__('pathlib').Path(sys.argv[1])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(bundle)],
        cwd=ROOT,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"{len(selfcheck.REQUIRED_PACKS)} built-in packs" in result.stdout
    assert "fonts embedded" in result.stdout


@pytest.mark.skipif(not FROZEN.is_file(), reason="no frozen build in dist/ (make package)")
def test_the_frozen_build_checks_itself(tmp_path):
    result = subprocess.run(
        [str(FROZEN), "--self-check"], cwd=tmp_path, env=env_for(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fieldnote self-check (frozen build" in result.stdout
    assert result.stdout.rstrip().endswith("Self-check passed.")
