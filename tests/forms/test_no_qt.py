"""The forms core runs without a display: importing it must not import Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_forms_package_imports_no_qt():
    code = (
        "import sys\n"
        "import desktop.forms.cli, desktop.forms.boxall, desktop.forms.sdq, desktop.forms.registry\n"
        "from desktop.forms.registry import load_registry\n"
        "load_registry()\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'))\n"
        "print(qt)\n"
        "sys.exit(1 if qt else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
