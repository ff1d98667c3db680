"""Photograph the main screens with demo data, offscreen, into docs/images/screens/.

Usage: ``python scripts/screenshots.py [--sizes 1366x768,1024x700] [--text-scale 1.5]``
(``make screenshots``). Each size runs in its own process, on an offscreen screen of exactly
that size (``QT_QPA_PLATFORM=offscreen:configfile=…``; the run stops if Qt gives another),
with a fresh data folder filled with the demo data (seed 7, a fixed "today"), so the
pictures are the same run after run. The main window opens as on a laptop of that size (all
of a 1366×768 screen but its frame). Every screen is checked as it is photographed: a
window larger than the screen, or a label, choice or button whose text is cut off
(``desktop.ui.fit_check``), is named and the run exits 1. ``--text-scale 1.5`` runs the
same with text half as large again (as at 150 % in the OS's settings), into …-text150.png.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("FIELDNOTE_SCREENS_OUT") or ROOT / "docs" / "images" / "screens")
TODAY = date(2026, 11, 23)
PASSPHRASE = "screenshots are not secrets"


def shoot(width: int, height: int) -> list[str]:
    """Run in the child process: render each screen and save it; returns problems found
    (a window larger than the screen, text cut off: ``desktop.ui.fit_check``)."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from desktop.caseload import Caseload
    from desktop.config import Settings
    from desktop.demo import fill_demo
    from desktop.store import open_store
    from desktop.store.keys import KeyManager
    from desktop.ui import fit_check

    home = Path(os.environ["FIELDNOTE_HOME"])
    app = QApplication(["fieldnote"])
    app.setApplicationName("Fieldnote")
    if os.environ.get("FIELDNOTE_SCREENSHOT_FONT_SCALE"):  # "text size" in the OS's settings
        font = app.font()
        font.setPointSizeF(font.pointSizeF() * float(os.environ["FIELDNOTE_SCREENSHOT_FONT_SCALE"]))
        app.setFont(font)
    problems: list[str] = []
    suffix = f"{width}x{height}"
    if os.environ.get("FIELDNOTE_SCREENSHOT_FONT_SCALE"):
        suffix += f"-text{round(float(os.environ['FIELDNOTE_SCREENSHOT_FONT_SCALE']) * 100)}"
    scale = float(os.environ.get("QT_SCALE_FACTOR") or 1)
    if scale != 1:  # display scaling: a screen of width×height pixels is this many points
        suffix += f"-scale{round(scale * 100)}"
        width, height = round(width / scale), round(height / scale)
    given = QGuiApplication.primaryScreen().availableGeometry()
    if abs(given.width() - width) > 1 or abs(given.height() - height) > 1:  # pictures of another size
        return [f"asked for a {suffix} screen, offscreen Qt gave {given.width()}x{given.height()}"]
    store = open_store(home, PASSPHRASE, actor="Sam Whitfield")
    from desktop.ui.main_window import MainWindow

    window = MainWindow(
        store,
        KeyManager(home),
        Settings(practitioner_name="Sam Whitfield"),
        lambda: open_store(home, PASSPHRASE),
        today=TODAY,
        save_config=lambda s: None,
    )
    window.sync.stop()
    window.show()
    OUT.mkdir(parents=True, exist_ok=True)

    def check(widget, name: str) -> None:
        for _ in range(3):
            app.processEvents()
        large = fit_check.too_large(widget, width, height)
        if large:
            problems.append(f"{name} {suffix}: {large}")
        problems.extend(f"{name} {suffix}: {p}" for p in fit_check.clipped(widget))

    def save(widget, name: str) -> None:
        check(widget, name)
        widget.grab().save(str(OUT / f"{name}-{suffix}.png"))

    save(window, "caseload-empty")  # the first start: what the empty caseload says
    fill_demo(Caseload(store, TODAY), 60)
    window.refresh()
    from desktop.ui import window_state

    window_state.restore_main(window)  # as at the next start: Sam's open cases ("My cases")
    save(window, "caseload")  # the first view: my open cases
    window.clear_filters()  # every case, so the ones pictured below are in the list
    observed = store.conn.execute(
        "SELECT referral_id, id FROM observation WHERE status = 'final' ORDER BY started_at LIMIT 1"
    ).fetchone()
    if observed:
        window.select_referral(observed[0])
        window.show_case(observed[0])
        tabs = window.case_view.tabs
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            save(window, "case-" + tabs.tabText(i).lower().replace(" ", "-"))
        tabs.setCurrentIndex(0)
        from desktop.ui.observation_window import open_observation

        shown = open_observation(window, observed[1])
        save(shown, "observation-summary")
        shown.close()
    for name, pack in (("form-sdq", "sdq-%"), ("form-boxall", "boxall-%")):
        form = store.conn.execute(
            "SELECT referral_id, id FROM form_completion WHERE pack_id LIKE ? AND status = 'final' LIMIT 1", (pack,)
        ).fetchone()
        if form:
            window.select_referral(form[0])
            window.show_case(form[0])
            entry = window.assessments.open_form(form[1])
            if entry is not None:
                save(entry, name)
                entry.close()
    if window.case_view.case:
        from desktop.ui.form_entry import start_dialog

        start = start_dialog(window.assessments.records, window.case_view.case, window, today=TODAY)
        start.show()
        save(start, "form-start")
        packs = start.fields["pack_id"]
        for i in range(packs.count()):  # each instrument: its informants, notes and licence
            packs.setCurrentIndex(i)
            pack_id = str(packs.itemData(i))
            if pack_id.startswith(("boxall", "sdq-teacher")):  # the synthetic note; the SDQ's licence
                save(start, f"form-start-{pack_id.split('-')[0]}")
            else:
                check(start, f"form-start-{pack_id}")
        start.close()
    from desktop.ui.main_window import SettingsDialog

    settings = SettingsDialog(
        window.settings, window, window.unlock_pin, pin_needed=not window.keys.needs_passphrase(), keys=window.keys
    )
    settings.show()
    save(settings, "settings")
    settings.close()
    means = window.assessments.show_means()
    save(means, "outcomes")
    means.close()
    window.allocation.open() and None
    for top in app.topLevelWidgets():
        if top.isVisible() and top is not window and top.windowTitle().startswith("Weekly"):
            save(top, "allocation")
            top.close()
    window.lock()
    save(window, "lock")
    window.stop_background_work()
    store.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1366x768,1024x700")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="display scaling (QT_SCALE_FACTOR), 1.5 as at 150%%: …-scale150.png"
    )
    parser.add_argument(
        "--text-scale",
        type=float,
        default=1.0,
        help="text this much larger, as at 150%% in the OS's settings (1.5); the pictures are named …-text150.png",
    )
    args = parser.parse_args(argv)
    if os.environ.get("FIELDNOTE_SCREENSHOT_CHILD"):
        width, height = map(int, os.environ["FIELDNOTE_SCREENSHOT_CHILD"].split("x"))
        problems = shoot(width, height)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    status = 0
    for size in args.sizes.split(","):
        width, height = map(int, size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "screen.json"
            config.write_text(
                json.dumps(
                    {
                        "screens": [
                            {
                                "name": "screen",
                                "x": 0,
                                "y": 0,
                                "width": width,
                                "height": height,
                                "logicalDpi": 96,
                                "logicalBaseDpi": 96,
                                "dpr": 1,
                            }
                        ]
                    }
                )
            )
            env = dict(
                os.environ,
                QT_QPA_PLATFORM=f"offscreen:configfile={config}",
                FIELDNOTE_HOME=str(Path(tmp) / "home"),
                FIELDNOTE_SCREENSHOT_CHILD=size,
                FIELDNOTE_SCREENSHOT_FONT_SCALE=str(args.text_scale) if args.text_scale != 1 else "",
                QT_SCALE_FACTOR=str(args.scale) if args.scale != 1 else "",
                PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            )
            env.pop("FIELDNOTE_PASSPHRASE", None)
            done = subprocess.run([sys.executable, __file__], env=env)
            status = status or done.returncode
            print(f"{size}: {'ok' if done.returncode == 0 else 'problems (above)'}")
    print(f"screens in {OUT}")
    return status


if __name__ == "__main__":
    sys.exit(main())
