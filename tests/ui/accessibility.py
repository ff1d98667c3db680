"""What the accessibility tests look for in a window: controls a screen reader cannot name,
controls the keyboard cannot reach, and text sizes fixed in pixels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

#: Controls a user operates: each needs a name a screen reader can say.
CONTROLS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QTabBar,
)
#: Controls whose own text is their value, not their name: named by a buddy label or by hand.
VALUE_CONTROLS = (QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QDateEdit)


def _path(widget: QWidget) -> str:
    """Where a widget is: its last few ancestors' object names, and its text if it has one."""
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    parts = [f"“{text}”"] if text else []
    w = widget
    while w is not None and len(parts) < 4:
        parts.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(parts))


def _buddied(top: QWidget) -> set[int]:
    return {id(label.buddy()) for label in top.findChildren(QLabel) if label.buddy() is not None}


def _shown(top: QWidget, widget: QWidget) -> bool:
    """Shown in ``top`` and the user's to operate: not Qt's own parts (a scroll bar, a tool
    bar's overflow button) nor the parts of another control."""
    return (
        widget.isVisibleTo(top)
        and not isinstance(widget, QScrollBar)
        and not widget.objectName().startswith("qt_")
        and not _inside_control(widget)
    )


def _inside_control(widget: QWidget) -> bool:
    """Parts of another control (a combo's line edit, a spin box's editor, a view's viewport)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox, QAbstractItemView)):
            return True
        parent = parent.parentWidget()
    return False


def unnamed_controls(top: QWidget) -> list[str]:
    """Every visible control with no name for a screen reader: value controls need an
    accessible name or a label whose buddy they are; buttons need text or a name."""
    buddied = _buddied(top)
    missing = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not _shown(top, widget):
            continue
        if isinstance(widget, VALUE_CONTROLS):
            named = bool(widget.accessibleName().strip()) or id(widget) in buddied
        else:
            face = QAccessible.queryAccessibleInterface(widget)
            named = bool(face is not None and face.text(QAccessible.Text.Name).strip())
        if not named:
            missing.append(f"{_path(widget)} ({type(widget).__name__})")
    return missing


def unreachable_controls(top: QWidget) -> list[str]:
    """Visible, enabled controls the keyboard never reaches: neither the Tab key nor a key
    of their own (a button that takes no focus says its key in its name: "… (key T)")."""
    missing = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not _shown(top, widget) or not widget.isEnabled():
            continue
        if isinstance(widget, QTabBar):
            continue  # Ctrl+Tab moves between tabs
        own_key = isinstance(widget, QAbstractButton) and "key " in widget.accessibleName()
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not own_key:
            missing.append(f"{_path(widget)} ({type(widget).__name__})")
    return missing


def focus_not_shown(top: QWidget) -> list[str]:
    """Visible controls the Tab key reaches whose picture does not change when they take the
    keyboard focus (no focus frame, no caret, no highlight): a keyboard user is lost there."""
    from PySide6.QtWidgets import QApplication

    missing = []
    for widget in top.findChildren(QWidget):
        if (
            not isinstance(widget, CONTROLS)
            or not _shown(top, widget)
            or not widget.isEnabled()
            or not widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            or isinstance(widget, QTabBar)
        ):
            continue
        top.setFocus()
        widget.clearFocus()
        QApplication.processEvents()
        before = widget.grab().toImage()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        widget.window().setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)  # as after a Tab press
        QApplication.processEvents()
        default = isinstance(widget, QPushButton) and widget.isDefault()  # focus makes it so
        if widget.hasFocus() and widget.grab().toImage() == before and not default:
            # (the dialog's default button wears the focus frame already: nothing changes)
            missing.append(f"{_path(widget)} ({type(widget).__name__})")
    return missing


def pixel_sized_text(top: QWidget) -> list[str]:
    """Visible text sized in pixels (a style sheet's ``font-size: 16px`` or rich text's
    ``font-size:16px``), which stays the same when the user makes the OS font larger."""
    import re

    fixed = re.compile(r"font-size:\s*\d+(\.\d+)?(px|pt)")
    missing = []
    for widget in top.findChildren(QWidget):
        if not widget.isVisibleTo(top):
            continue
        text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""
        if widget.font().pixelSize() > 0 or fixed.search(widget.styleSheet()) or fixed.search(text):
            missing.append(f"{_path(widget)} ({type(widget).__name__})")
    return missing
