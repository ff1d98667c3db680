"""``fieldnote --self-check``: does this installation have everything it needs?

The same code runs from a source checkout and in the frozen build (``Fieldnote --self-check``),
so a build that lost a piece in packaging fails here, naming the piece, before a
practitioner meets it. In a fresh temporary folder (the user's own data and keyring are
never touched) it:

1. finds the OS keyring backend for this platform through keyring's entry points (the
   lookup a frozen app loses when the package metadata is not bundled) and imports it;
2. finds the four bundled fonts, the built-in instrument packs, the app icon and the
   passphrase strength check (zxcvbn);
3. opens a new encrypted store (passphrase mode, so no keyring entry is made), writes a
   record, closes it, opens it again and reads the record back;
4. scores an SDQ with a hand-checked result;
5. renders a PDF report, checks that the fonts are embedded in it, and draws its page as
   the preview does (PDFium, through pypdfium2);
6. starts the main window offscreen on that store and quits (``desktop.ui.self_check``).

Each step prints one line; the first failure ends the check with exit status 1 and a
message naming what is missing. Qt is imported only in step 6, through ``desktop.ui``.
A windowed build with no console (Windows) writes the lines to
``%TEMP%\\fieldnote-self-check.txt``; the exit status is the same.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Callable

#: keyring's entry-point name (and module under ``keyring.backends``) for each platform,
#: with the third-party modules that backend needs at run time.
KEYRING_BACKENDS = {
    "win32": ("Windows", ("win32ctypes.pywin32.win32cred",)),
    "darwin": ("macOS", ()),
    "linux": ("SecretService", ("secretstorage", "jeepney")),
}
#: Built-in instrument packs the app ships (a test keeps this equal to desktop/forms/packs).
REQUIRED_PACKS = (
    "behaviour-audit",
    "boxall-synthetic",
    "outcome-measures",
    "school-satisfaction",
    "sdq-parent-2-4",
    "sdq-parent-4-17",
    "sdq-self-11-17",
    "sdq-teacher-2-4",
    "sdq-teacher-4-17",
    "send-review-tool",
    "wellbeing-framework",
)
REQUIRED_ASSETS = (("assets", "fieldnote.svg"),)
PASSPHRASE = "self-check passphrase, never a real one"


class Missing(Exception):
    """A piece of the installation is missing or unusable; the message names it."""


def _platform() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def check_keyring() -> str:
    """The platform's keyring backend is registered (entry point) and importable."""
    name, needs = KEYRING_BACKENDS.get(_platform(), KEYRING_BACKENDS["linux"])
    found = {ep.name: ep for ep in importlib.metadata.entry_points(group="keyring.backends")}
    if name not in found:
        raise Missing(
            f"keyring backend '{name}' (keyring.backends.{name}): keyring's entry "
            "points are not installed, so the OS keyring would never be found"
        )
    try:
        found[name].load()
    except Exception as exc:
        raise Missing(f"keyring backend '{name}' (keyring.backends.{name}) cannot be loaded: {exc}") from None
    for module in needs:
        try:
            importlib.import_module(module)
        except Exception:
            raise Missing(f"keyring backend '{name}' needs the module '{module}', which is missing") from None
    from desktop.store.keys import keyring_available

    usable = (
        "usable"
        if keyring_available()
        else "not usable on this session (no keyring service running): passphrase mode would be offered"
    )
    return f"keyring backend {name} found; OS keyring {usable}"


def check_files() -> str:
    """Fonts, built-in packs and the icon are where the app looks for them."""
    from desktop import paths
    from desktop.reports.fonts import FACES, font_dir

    folder = font_dir()
    for filename in FACES.values():
        if not (folder / filename).is_file():
            raise Missing(f"font '{filename}' (looked in {folder})")
    for parts in REQUIRED_ASSETS:
        if not paths.resource(*parts).is_file():
            raise Missing(f"asset '{'/'.join(parts)}' (looked in {paths.resource_root()})")
    from desktop.forms.registry import BUILTIN_DIR, load_registry

    with tempfile.TemporaryDirectory(prefix="fieldnote-packs-") as empty:
        registry = load_registry(Path(empty))
    for pack_id in REQUIRED_PACKS:
        pack = registry.packs.get(pack_id)
        if pack is None or pack.origin != "built-in":
            raise Missing(f"instrument pack '{pack_id}' (looked in {BUILTIN_DIR})")
    try:  # the first-run set-up's passphrase strength check
        from desktop.first_run import passphrase_strength

        passphrase_strength("kettle drum orange sky")
    except ImportError as exc:
        raise Missing(f"module '{exc.name}' (the passphrase strength check)") from None
    return f"{len(FACES)} fonts, {len(REQUIRED_PACKS)} built-in packs, the icon and the passphrase strength check found"


def check_store(home: Path) -> str:
    """A new encrypted store: write a record, reopen, read it back, and fail without the key."""
    from desktop.caseload import Caseload
    from desktop.store import open_store
    from desktop.store.db import store_path

    store = open_store(home, PASSPHRASE, actor="self-check")
    try:
        school_id = Caseload(store).add_school(name="Self-check Primary School", phase="primary")
    finally:
        store.close()
    store = open_store(home, PASSPHRASE, actor="self-check")
    try:
        row = store.get("school", school_id)
    finally:
        store.close()
    if not row or row.get("name") != "Self-check Primary School":
        raise Missing("the record written to the encrypted store could not be read back")
    head = store_path(home).read_bytes()[:16]
    if head.startswith(b"SQLite format 3"):
        raise Missing("SQLCipher encryption (the store was written as plain SQLite)")
    return "encrypted store written, reopened and read back"


def check_scoring() -> str:
    """SDQ teacher 4-17, every item answered 1: each scale 5, total difficulties 20."""
    from desktop.forms.registry import load_registry
    from desktop.forms.scoring import score

    with tempfile.TemporaryDirectory(prefix="fieldnote-packs-") as empty:
        pack = load_registry(Path(empty)).get("sdq-teacher-4-17")
    result = score(pack, {item.id: 1 for item in pack.items}, "teacher", "4-17")
    if result.scores.get("ebdtot") != 20 or result.scores.get("prosoc") != 5:
        raise Missing(f"SDQ scoring gave {result.scores}, not total difficulties 20")
    return "SDQ scored (total difficulties 20)"


def check_pdf(folder: Path) -> str:
    """A report with accented names rendered to PDF with the DejaVu faces embedded."""
    from desktop.reports.document import Document, ReportRenderer, Section, Text
    from desktop.reports.fonts import FACES

    document = Document(
        "Self-check report",
        "Zoë Nguyễn",
        "Siân Ó Briain",
        date.today(),
        facts=[("School", "Self-check Primary School")],
        sections=[Section("Background", [Text("Łukasz and Zoë: a check of the fonts.")])],
    )
    pdf = ReportRenderer().generate(document)
    (folder / "self-check.pdf").write_bytes(pdf)
    if not pdf.startswith(b"%PDF") or b"/FontFile2" not in pdf:
        raise Missing("embedded fonts in the PDF report (no TrueType font file in it)")
    used = [face for face in FACES if f"+{face}".encode() in pdf]
    if not used:
        raise Missing("the DejaVu Sans font in the PDF report")
    try:  # the preview's page images: PDFium, a library a build can leave behind
        from desktop.reports.pages import render_pages

        pages = render_pages(pdf, dpi=36)
    except (ImportError, OSError) as exc:
        raise Missing(f"PDFium (pypdfium2), which draws the report preview: {exc}") from None
    if len(pages) != 1 or not any(b < 128 for b in pages[0].pixels[::4]):
        raise Missing("the report preview's page image (PDFium drew no text on the page)")
    return (
        f"PDF report rendered ({len(pdf) // 1024} KiB, fonts embedded: {', '.join(used)}) and previewed as a page image"
    )


def check_window(home: Path) -> str:
    """Start the real window on the self-check store offscreen, then quit."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.ui.self_check import start_and_quit  # the only route into Qt from here

    return start_and_quit(home, PASSPHRASE)


STEPS: list[tuple[str, Callable]] = [
    ("keyring", lambda home: check_keyring()),
    ("files", lambda home: check_files()),
    ("store", check_store),
    ("scoring", lambda home: check_scoring()),
    ("report", check_pdf),
    ("window", check_window),
]


def run(out=None, *, window: bool = True) -> int:
    """Run every step; 0 when all pass, 1 at the first failure (its message names it)."""
    if out is None and sys.stdout is None:  # a windowed build on Windows has no console
        report = Path(tempfile.gettempdir()) / "fieldnote-self-check.txt"
        with open(report, "w", encoding="utf-8") as handle:
            return run(handle, window=window)
    out = out or sys.stdout
    where = "frozen build" if getattr(sys, "frozen", False) else "source"
    print(f"Fieldnote self-check ({where}, {sys.platform})", file=out, flush=True)
    root = Path(tempfile.mkdtemp(prefix="fieldnote-self-check-"))
    saved = {k: os.environ.get(k) for k in ("FIELDNOTE_HOME", "FIELDNOTE_PASSPHRASE")}
    os.environ["FIELDNOTE_HOME"] = str(root)  # config and data of this check stay in here
    os.environ.pop("FIELDNOTE_PASSPHRASE", None)
    try:
        for name, step in STEPS:
            if name == "window" and not window:
                continue
            try:
                detail = step(root)
            except Missing as exc:
                print(f"FAILED {name}: missing {exc}", file=out, flush=True)
                return 1
            except Exception as exc:  # anything else is a broken installation too
                print(f"FAILED {name}: {type(exc).__name__}: {exc}", file=out, flush=True)
                return 1
            print(f"ok {name}: {detail}", file=out, flush=True)
        print("Self-check passed.", file=out, flush=True)
        return 0
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(root, ignore_errors=True)
