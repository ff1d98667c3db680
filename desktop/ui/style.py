"""How text and focus look, in one place, so both follow the user's settings.

* **Text follows the OS font size.** A heading is a multiple of the application's font (which
  Qt takes from the OS), never a size in pixels: :func:`text_size` for widgets; rich text uses
  the CSS keywords ``large``, ``x-large`` and ``xx-large``, which Qt scales the same way.
  Style sheets set colours, weights and padding only.
* **The keyboard focus is always visible.** Qt's Fusion style draws a focus frame on buttons,
  boxes and line edits, but not on lists, tables or multi-line text: :func:`install` adds a
  frame in the palette's highlight colour to those.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget

#: Added once to the application's style sheet.
FOCUS_STYLE = "QAbstractItemView:focus, QPlainTextEdit:focus, QTextEdit:focus { border: 2px solid palette(highlight); }"


def install(app: QApplication | None = None) -> None:
    """Add the focus frame to the application's style sheet (once; keeps what is there)."""
    app = app or QApplication.instance()
    if app is None or FOCUS_STYLE in app.styleSheet():
        return
    app.setStyleSheet((app.styleSheet() + "\n" + FOCUS_STYLE).strip())


def text_size(widget: QWidget, scale: float, bold: bool = False) -> QWidget:
    """Set ``widget``'s text to ``scale`` times the application's font size (bold if asked)."""
    font = widget.font()
    base = QApplication.font().pointSizeF()
    if base > 0:
        font.setPointSizeF(base * scale)
    if bold:
        font.setBold(True)
    widget.setFont(font)
    return widget
