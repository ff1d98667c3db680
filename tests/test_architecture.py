"""The core runs without a display: only desktop/ui/ and the app bootstrap import Qt."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
ALLOWED = {ROOT / "desktop" / "app.py"}


def core_modules() -> list[Path]:
    files = [*(ROOT / "desktop").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]
    return [f for f in files if (ROOT / "desktop" / "ui") not in f.parents and f not in ALLOWED]


def test_no_core_module_imports_qt():
    offenders = []
    for path in core_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in QT for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_whole_core_loads_no_qt():
    """Catches indirect imports too: import every core module, then look at sys.modules."""
    # Alembic's migration scripts run only inside Alembic; the AST test above covers them.
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in core_modules() if "migrations" not in p.relative_to(ROOT).parts)
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(modules) > 10


def test_no_posix_only_calls_in_the_code():
    """Most practitioners run Windows."""
    banned = ("os.fork", "os.getuid", "os.setsid", "signal.SIGKILL", "fcntl", "os.geteuid", "'/tmp")
    hits = [(str(p.relative_to(ROOT)), b) for p in [*(ROOT / "desktop").rglob("*.py"),
                                                    *(ROOT / "sync").rglob("*.py")]
            for b in banned if b in p.read_text(encoding="utf-8")]
    assert hits == []
