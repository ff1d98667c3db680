"""Every public function and method of the caseload core says what it does."""

from __future__ import annotations

import ast
from pathlib import Path

CASELOAD = Path(__file__).resolve().parents[2] / "desktop" / "caseload"


def test_public_functions_of_the_caseload_core_have_docstrings():
    missing = []
    for path in sorted(CASELOAD.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, (ast.FunctionDef, ast.ClassDef))
                and not node.name.startswith("_")
                and not ast.get_docstring(node)
            ):
                missing.append(f"{path.name}:{node.lineno} {node.name}")
    assert missing == []
