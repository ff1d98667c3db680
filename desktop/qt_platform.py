"""Before Qt starts on Linux: are the system libraries its X11 (xcb) plugin needs installed?

Without them Qt aborts with "no Qt platform plugin could be initialized", which says
nothing a practitioner can act on. The PySide6 wheel bundles Qt but not these X11
libraries; a fresh desktop install often lacks ``libxcb-cursor0`` (and a minimal one a
few more). This module imports no Qt.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

# the library name find_library takes -> the Debian/Ubuntu package that provides it
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def missing_xcb_packages(platform: str | None = None, environ=None) -> list[str]:
    """The packages to install before Qt's xcb plugin can start; [] when there is nothing
    to check (not Linux, another Qt platform chosen, or the check switched off)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    if not platform.startswith("linux") or environ.get("FIELDNOTE_SKIP_QT_CHECK"):
        return []
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if chosen not in ("", "xcb"):
        return []  # offscreen, wayland, vnc...: the xcb libraries are not used
    return [package for name, package in XCB_LIBRARIES.items() if not ctypes.util.find_library(name)]


def missing_libraries_message(packages: list[str]) -> str:
    return (
        "Fieldnote cannot open its window: this computer is missing system libraries "
        "that Qt needs to draw windows on Linux (X11).\n\n"
        "Install them, then start Fieldnote again:\n\n"
        f"    sudo apt install {' '.join(packages)}\n\n"
        "(On Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms; "
        "set FIELDNOTE_SKIP_QT_CHECK=1 to start anyway.)"
    )
