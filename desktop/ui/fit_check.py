"""Text that does not fit its widget, found the way a reader would find it.

``clipped(top)`` lists every visible widget under ``top`` whose text is cut off:

- a label without word wrap whose longest line is wider than its contents rectangle;
- a word-wrapped label whose wrapped text is taller than the label;
- a combo box whose current text is wider than its edit field (Qt elides it: "Adult who knov…");
- a push button, check box or radio button whose text is wider than the room its style leaves;
- a table's column heading wider than its column.

``too_large(top, screen_width, screen_height)`` says when a top-level window's frame is larger
than the screen it was given. ``make screenshots`` runs both over every screen it renders, and
the GUI tests run them over the screens they open (tests/ui/test_fit.py).
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QWidget,
)

_TAG = re.compile(r"<[^>]+>")


def _name(widget: QWidget) -> str:
    parts = []
    w = widget
    while w is not None and len(parts) < 3:
        parts.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(parts))


def _is_rich(label: QLabel) -> bool:
    fmt = label.textFormat()
    return fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text()))


def _label_width_needed(label: QLabel) -> int:
    """The width the label's text needs on one line per paragraph (no wrapping)."""
    if _is_rich(label):
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(label.text())
        return int(doc.idealWidth() + 0.999)
    fm = label.fontMetrics()
    return max((fm.horizontalAdvance(line) for line in label.text().split("\n")), default=0)


def _label_room(label: QLabel) -> int:
    room = label.contentsRect().width() - 2 * label.margin()
    indent = label.indent()
    if indent < 0:  # Qt's default: half the width of an "x" when there is a frame
        indent = label.fontMetrics().horizontalAdvance("x") // 2 if label.frameWidth() > 0 else 0
    return room - indent


def _label_problem(label: QLabel) -> str | None:
    if not label.text().strip() or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    room = _label_room(label)
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        # heightForWidth covers the whole label (frame and margins): compare with its height
        if needed > label.height() + 1:
            return f"wrapped text needs {needed} px of height, has {label.height()}"
        return None
    needed = _label_width_needed(label)
    if needed > room + 1:
        return f"text needs {needed} px, has {room}"
    return None


def _combo_problem(combo: QComboBox) -> str | None:
    if combo.isEditable() or not combo.currentText():
        return None
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    room = field.width()
    if not combo.itemIcon(combo.currentIndex()).isNull():
        room -= combo.iconSize().width() + 4
    needed = combo.fontMetrics().horizontalAdvance(combo.currentText())
    if needed > room + 1:
        return f"“{combo.currentText()}” needs {needed} px, has {room} (elided)"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text.strip():
        return None
    fm = button.fontMetrics()
    needed = max(fm.horizontalAdvance(line) for line in text.split("\n"))
    opt = QStyleOptionButton()
    button.initStyleOption(opt)
    style = button.style()
    if isinstance(button, QPushButton):
        room = style.subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, button).width()
        if not button.icon().isNull():
            room -= button.iconSize().width() + 4
    elif isinstance(button, QCheckBox):
        room = style.subElementRect(QStyle.SubElement.SE_CheckBoxContents, opt, button).width()
    elif isinstance(button, QRadioButton):
        room = style.subElementRect(QStyle.SubElement.SE_RadioButtonContents, opt, button).width()
    else:
        return None
    if needed > room + 1:
        return f"“{text}” needs {needed} px, has {room}"
    return None


def _header_problems(header: QHeaderView) -> list[str]:
    """Column headings cut off (a table's vertical header, numbers only, is left alone)."""
    if header.orientation() != Qt.Orientation.Horizontal or header.model() is None:
        return []
    style, fm = header.style(), header.fontMetrics()
    margin = 2 * style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    found = []
    for logical in range(header.count()):
        if header.isSectionHidden(logical) or header.sectionSize(logical) <= 0:
            continue
        title = header.model().headerData(logical, Qt.Orientation.Horizontal)
        if not isinstance(title, str) or not title.strip():
            continue
        needed = max(fm.horizontalAdvance(line) for line in title.split("\n")) + margin
        if logical == header.sortIndicatorSection() and header.isSortIndicatorShown():
            needed += style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
        if needed > header.sectionSize(logical) + 1:
            found.append(f"column “{title}” needs {needed} px, has {header.sectionSize(logical)}")
    return found


def clipped(top: QWidget) -> list[str]:
    """Each visible widget under ``top`` (``top`` included) whose text is cut off, described."""
    problems = []
    for widget in [top, *top.findChildren(QWidget)]:
        if not widget.isVisibleTo(top) and widget is not top or widget.width() <= 0:
            continue
        if isinstance(widget, QHeaderView):
            problems.extend(f"{_name(widget)}: {p}" for p in _header_problems(widget))
            continue
        if isinstance(widget, QLabel):
            problem = _label_problem(widget)
        elif isinstance(widget, QComboBox):
            problem = _combo_problem(widget)
        elif isinstance(widget, (QPushButton, QCheckBox, QRadioButton)):
            problem = _button_problem(widget)
        else:
            continue
        if problem:
            text = _TAG.sub("", widget.currentText() if isinstance(widget, QComboBox) else widget.text())
            problems.append(f"{_name(widget)} “{text[:40]}”: {problem}")
    return problems


def too_large(top: QWidget, width: int, height: int) -> str | None:
    """Why ``top``'s frame does not fit a ``width``×``height`` screen, or None."""
    frame = top.frameGeometry()
    if frame.width() > width or frame.height() > height:
        return f"{frame.width()}x{frame.height()} is larger than the screen {width}x{height}"
    return None
