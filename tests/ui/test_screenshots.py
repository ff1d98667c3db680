"""``make screenshots`` renders the main screens on a 1024×700 screen, and every window it
photographs fits that screen (the script exits 1 naming any that does not)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_screen_renders_and_fits_a_small_screen(tmp_path):
    env = dict(os.environ, FIELDNOTE_SCREENS_OUT=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--sizes", "1024x700"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {p.name for p in tmp_path.glob("*.png")}
    for screen in ("caseload", "case-timeline", "case-assessments", "observation-summary",
                   "form-sdq", "allocation", "lock"):
        assert f"{screen}-1024x700.png" in names
    assert all((tmp_path / n).stat().st_size > 5_000 for n in names)  # pictures, not blanks
