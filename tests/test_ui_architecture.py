"""The UI folder holds widgets and models only: no SQL runs in desktop/ui/ (queries live in
the core, where they are tested without a display), and lists and tables are Qt models over
the core's data, not item widgets filled by hand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

UI = Path(__file__).resolve().parent.parent / "desktop" / "ui"
SQL = re.compile(r"\b(SELECT\s.*\bFROM\b|SELECT count|INSERT INTO|UPDATE \S+ SET|DELETE FROM|CREATE TABLE|PRAGMA )")
RUNS_SQL = {"execute", "executemany", "executescript", "query"}


def sql_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
            found.append(f"{path.name}:{node.lineno} .{node.func.attr}(")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append(f"{path.name}:{node.lineno} {node.value[:30]!r}")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append(f"{path.name}:{node.lineno} .conn")
    return found


def test_no_ui_module_runs_sql():
    assert [hit for path in sorted(UI.glob("*.py")) for hit in sql_in(path)] == []


def test_the_check_finds_sql(tmp_path):
    """The check itself: a query, a connection's execute and an SQL string are each caught."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(store):\n"
        "    store.db.query('SELECT id FROM pupil')\n"
        "    store.conn.execute(x)\n"
        "    status('Select a case first.')\n",
        encoding="utf-8",
    )
    assert sorted(hit.split(" ")[1] for hit in sql_in(sample)) == ["'SELECT", ".conn", ".execute(", ".query("]


HAND_FILLED = re.compile(r"\bQ(?:Table|List|Tree)WidgetItem\b|\bQStandardItem(?:Model)?\b")
# Still filled by hand, to become models: none (the audit windows were the last).
NOT_YET_MODELS: set[str] = set()


def test_lists_and_tables_are_models_not_widgets_filled_by_hand():
    filled = sorted(path.name for path in UI.glob("*.py") if HAND_FILLED.search(path.read_text(encoding="utf-8")))
    assert [name for name in filled if name not in NOT_YET_MODELS] == []
    assert set(filled) == NOT_YET_MODELS, "a module became a model: take it off NOT_YET_MODELS"
