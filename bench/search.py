"""Type-to-search over 10,000 referrals: time per keystroke, filter and repaint included.

Types pupil and school names a character at a time (then deletes them again) into the
real main window's search box, timing each keystroke until the view has repainted.
Baseline, in the same run: a repaint of the same view with no filtering.
Target: p95 ≤ 50 ms per keystroke.

A repaint costs by the cells in view: ``list_px`` and ``columns_in_view`` say how many there
were (before the caseload's columns fitted the list, this window showed one 54 px column of
it, so its figures then are not like for like).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

from _stores import PASSPHRASE, big_store_home


def main() -> None:
    home = big_store_home()
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["FIELDNOTE_HOME"] = str(home)
    from PySide6.QtWidgets import QApplication

    from desktop.config import Settings
    from desktop.store import open_store
    from desktop.store.keys import KeyManager
    from desktop.ui.main_window import MainWindow

    app = QApplication([])
    store = open_store(home, PASSPHRASE)
    window = MainWindow(store, KeyManager(home), Settings(), lambda: open_store(home, PASSPHRASE))
    window.show()
    app.processEvents()
    window.table.selectRow(0)
    app.processEvents()

    table, header = window.table, window.table.horizontalHeader()  # the list as typing starts
    list_px = table.viewport().width()
    in_view = sum(
        1
        for c in range(header.count())
        if not header.isSectionHidden(c) and header.sectionViewportPosition(c) < list_px
    )

    rng = random.Random(5)
    names = [r.pupil_name for r in rng.sample(window.model._all, 15)] + [
        r.school_name for r in rng.sample(window.model._all, 10)
    ]
    keystrokes, baseline = [], []
    for name in names:
        typed = name.lower()
        sequence = [typed[:i] for i in range(1, len(typed) + 1)] + [typed[:i] for i in range(len(typed) - 1, -1, -1)]
        for text in sequence:
            started = time.perf_counter()
            window.search.setText(text)
            app.processEvents()  # handles the repaint the filter scheduled
            keystrokes.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            window.table.viewport().update()
            app.processEvents()
            baseline.append((time.perf_counter() - started) * 1000)
    keystrokes.sort()
    p95 = keystrokes[int(0.95 * (len(keystrokes) - 1))]
    print(
        json.dumps(
            {
                "referrals": window.model.total,
                "keystrokes": len(keystrokes),
                "keystroke_p50_ms": round(statistics.median(keystrokes), 2),
                "keystroke_p95_ms": round(p95, 2),
                "keystroke_max_ms": round(keystrokes[-1], 2),
                "baseline_repaint_p50_ms": round(statistics.median(baseline), 2),
                "list_px": list_px,
                "columns_in_view": in_view,
                "target_p95_ms": 50,
            }
        )
    )
    window.close()
    del window  # before the interpreter finalises, so Qt objects go in order
    store.close()


if __name__ == "__main__":
    sys.exit(main())
