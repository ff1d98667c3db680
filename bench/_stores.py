"""A large demo store shared by the benchmarks (made once, cached under out/bench/)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSPHRASE = "benchmark passphrase"


def big_store_home(pupils: int = 5000, referrals: int = 10000) -> Path:
    """A FIELDNOTE_HOME holding ``pupils`` pupils and ``referrals`` referrals."""
    home = ROOT / "out" / "bench" / f"store-{pupils}-{referrals}"
    if not (home / "ready").exists():
        from desktop.caseload import Caseload
        from desktop.demo import fill_demo
        from desktop.store import open_store
        import shutil

        shutil.rmtree(home, ignore_errors=True)
        started = time.perf_counter()
        store = open_store(home, PASSPHRASE)
        fill_demo(Caseload(store), pupils, referrals, seed=11)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        (home / "ready").write_text(f"{time.perf_counter() - started:.1f} s to build\n")
    return home


def environment(home: Path) -> dict:
    env = dict(
        os.environ,
        FIELDNOTE_HOME=str(home),
        FIELDNOTE_PASSPHRASE=PASSPHRASE,
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    )
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env
