"""``make screenshots`` renders every screen it knows on a 1366×768 and a 1024×700 screen; it
fails (exit 1, naming the screen and the widget) when a window is larger than its screen or
a label, a choice or a button cuts its text off (``desktop.ui.fit_check``), and when offscreen
Qt did not give it a screen of the size asked for."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENS = (
    "caseload-empty",
    "caseload",
    "case-timeline",
    "case-assessments",
    "observation-summary",
    "form-sdq",
    "form-boxall",
    "form-start",
    "form-start-boxall",
    "form-start-sdq",
    "settings",
    "outcomes",
    "allocation",
    "lock",
)


@pytest.mark.slow
def test_every_screen_renders_fits_its_screen_and_cuts_no_text_off(tmp_path):
    env = dict(os.environ, FIELDNOTE_SCREENS_OUT=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--sizes", "1366x768,1024x700"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = {p.name for p in tmp_path.glob("*.png")}
    for size in ("1366x768", "1024x700"):
        for screen in SCREENS:
            assert f"{screen}-{size}.png" in names
    assert all((tmp_path / n).stat().st_size > 5_000 for n in names)  # pictures, not blanks
    from PySide6.QtGui import QImage

    caseload = QImage(str(tmp_path / "caseload-1366x768.png"))
    assert (caseload.width(), caseload.height()) == (1366 - 16, 768 - 40)  # the whole screen, less the frame
