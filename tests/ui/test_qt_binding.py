"""Guards against Qt binding bugs that would crash the app in a long session."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox


def _none_refs_after(fn, n: int = 300) -> int:
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(n):
        fn()
    gc.collect()
    return sys.getrefcount(None) - before


def test_empty_qvariants_do_not_leak_references_to_none(qtbot, make_window, store, case):
    """PySide6 6.12.0 lost a reference to None per empty QVariant; Python < 3.12 then
    crashes once None's count reaches zero (a few thousand keystrokes of search)."""
    combo = QComboBox()
    qtbot.addWidget(combo)
    combo.addItem("All", None)
    window = make_window(store)
    index = window.model.index(0, 0)
    steps = {
        "index.data": lambda: index.data(Qt.ItemDataRole.ToolTipRole),
        "combo.currentData": combo.currentData,
        "search keystroke": lambda: (window.search.setText("ivy"), window.search.setText("")),
    }
    for name, step in steps.items():
        assert _none_refs_after(step) > -30, f"{name} leaks references to None"
