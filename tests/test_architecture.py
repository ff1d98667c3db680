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
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] in QT for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_whole_core_loads_no_qt():
    """Catches indirect imports too: import every core module, then look at sys.modules."""
    # Alembic's migration scripts run only inside Alembic; the AST test above covers them.
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in core_modules()
        if "migrations" not in p.relative_to(ROOT).parts
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(modules) > 10


def test_no_posix_only_calls_in_the_code():
    """Most practitioners run Windows."""
    banned = ("os.fork", "os.getuid", "os.setsid", "signal.SIGKILL", "fcntl", "os.geteuid", "'/tmp")
    hits = [
        (str(p.relative_to(ROOT)), b)
        for p in [*(ROOT / "desktop").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]
        for b in banned
        if b in p.read_text(encoding="utf-8")
    ]
    assert hits == []


LAPTOP_ENGINE = ("sqlcipher3", "sqlite_utils", "desktop.store.db", *QT)


def test_the_server_never_loads_the_laptops_engine():
    """The server imports the rules both sides share (``sync.rules``, ``sync.protocol``),
    never SQLCipher, sqlite-utils, the laptop's store or Qt: it runs where none is installed."""
    code = (
        "import sys\n"
        "import sync.server.main, sync.server.cli\n"
        f"bad = sorted(m for m in sys.modules if m in {LAPTOP_ENGINE!r} "
        f"or m.split('.')[0] in {QT!r})\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_server_validates_packs_with_the_shared_pack_format():
    """The instrument pack format is declared once (``desktop.forms.pack_format``): the server
    imports it to check what it publishes, and importing it loads none of the laptop's engine."""
    code = (
        "import sys\n"
        "import desktop.forms.pack_format\n"
        f"bad = sorted(m for m in sys.modules if m in {LAPTOP_ENGINE!r} "
        f"or m.split('.')[0] in {QT!r})\n"
        "import sync.server.main\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    from sync.server import content

    assert content.load_pack_text.__module__ == "desktop.forms.loader"
    loader = (ROOT / "desktop" / "forms" / "loader.py").read_text(encoding="utf-8")
    assert "validate_pack(" in loader


def test_the_shared_patterns_are_written_once():
    """A SHA-256 or pack-id pattern is spelt in ``sync/rules.py`` alone; the rest import it."""
    spellings = ("0-9a-f]{64}", "a-f0-9]{64}", "A-Za-z0-9][A-Za-z0-9._-]")
    hits = sorted(
        {
            str(p.relative_to(ROOT))
            for p in [*(ROOT / "desktop").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]
            for s in spellings
            if s in p.read_text(encoding="utf-8")
        }
    )
    assert hits == ["sync/rules.py"]


# No SQL in UI modules: tests/test_ui_architecture.py.


def test_the_sync_engine_is_imported_by_none_of_its_parts():
    """``sync.client.engine`` calls attachments, packs, quarantine...; they share the report
    and the answer checks through ``sync.client.report``, and applying records through
    ``sync.client.apply``, never by importing the engine (not even lazily, inside a function)."""
    importers = []
    for path in (ROOT / "sync" / "client").glob("*.py"):
        if path.name in ("engine.py", "__init__.py", "cli.py"):
            continue  # the engine itself, the package's exports, the command that runs it
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                node.module == "sync.client.engine"
                or (node.module == "sync.client" and any(a.name == "engine" for a in node.names))
            ):
                importers.append(path.name)
    assert importers == []


def _client_imports() -> dict[str, set[str]]:
    """Which ``sync.client`` modules each one imports, at the top or inside a function."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "sync" / "client").glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "sync.client":
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sync.client."):
                found.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("sync.client.")}
        graph[path.stem] = {m for m in found if (ROOT / "sync" / "client" / f"{m}.py").exists()}
    return graph


def test_the_sync_clients_modules_import_one_another_without_a_cycle():
    """Quarantine applies through ``sync.client.apply`` and ``local`` reads the quarantine's
    list itself: no two modules of the client need each other, directly or round about."""
    graph = _client_imports()
    assert "engine" not in graph["quarantine"] and "apply" in graph["quarantine"]
    cycles = []

    def visit(module: str, path: tuple[str, ...]) -> None:
        for nxt in sorted(graph.get(module, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + (nxt,))
            elif nxt != "__init__":
                visit(nxt, path + (nxt,))

    for module in sorted(graph):
        if module != "__init__":
            visit(module, (module,))
    assert cycles == []


def test_test_fakes_live_with_the_tests():
    """A fake (a clock moved by hand, a sink into a list, a pool that runs at once) is for
    tests: the app's packages neither define nor export one (``tests/observation/fakes.py``)."""
    import desktop.observation

    defined = sorted(
        f"{p.relative_to(ROOT)}:{node.name}"
        for p in [*(ROOT / "desktop").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name.startswith(("Fake", "Memory"))
    )
    assert defined == []
    assert not {"FakeClock", "MemorySink"} & set(dir(desktop.observation))
