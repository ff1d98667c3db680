"""A fresh Linux desktop without Qt's X11 libraries gets told what to install, not Qt's abort."""

import ctypes.util
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.qt_platform import missing_libraries_message, missing_xcb_packages

ROOT = Path(__file__).resolve().parents[1]


def _without(*names):
    real = ctypes.util.find_library
    return lambda name: None if name in names else (real(name) or f"lib{name}.so.0")


def test_missing_xcb_cursor_is_named_with_its_package(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", _without("xcb-cursor"))
    assert missing_xcb_packages("linux", {}) == ["libxcb-cursor0"]
    assert missing_xcb_packages("linux", {"QT_QPA_PLATFORM": "xcb"}) == ["libxcb-cursor0"]
    message = missing_libraries_message(["libxcb-cursor0"])
    assert "sudo apt install libxcb-cursor0" in message


def test_nothing_to_check_elsewhere_or_with_another_platform(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", _without("xcb-cursor", "xcb-icccm"))
    assert missing_xcb_packages("win32", {}) == []
    assert missing_xcb_packages("darwin", {}) == []
    assert missing_xcb_packages("linux", {"QT_QPA_PLATFORM": "offscreen"}) == []
    assert missing_xcb_packages("linux", {"QT_QPA_PLATFORM": "wayland"}) == []
    assert missing_xcb_packages("linux", {"FIELDNOTE_SKIP_QT_CHECK": "1"}) == []
    assert missing_xcb_packages("linux", {}) == ["libxcb-cursor0", "libxcb-icccm4"]


def test_all_present_means_nothing_missing(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: f"lib{name}.so.0")
    assert missing_xcb_packages("linux", {"QT_QPA_PLATFORM": "xcb"}) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb check is Linux's")
def test_the_app_prints_the_packages_and_exits_instead_of_qt_aborting(tmp_path):
    code = (
        "import ctypes.util, sys\n"
        "ctypes.util.find_library = lambda name: None if name == 'xcb-cursor' else 'lib' + name + '.so'\n"
        "from desktop.app import start_app\n"
        "from PySide6.QtWidgets import QApplication\n"
        "status = start_app(['fieldnote'])\n"
        "assert QApplication.instance() is None\n"
        "sys.exit(status)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "xcb",
        "FIELDNOTE_HOME": str(tmp_path / "home"),
        "HOME": str(tmp_path),
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "sudo apt install libxcb-cursor0" in done.stderr
    assert "could not" not in done.stderr.lower() and "Aborted" not in done.stderr
