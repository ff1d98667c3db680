"""The preview of a rendered report, in the app: its pages, one under another.

The pages are the PDF's own, drawn by PDFium off the GUI thread
(``desktop.reports.pages``); this dialog only shows them. A toolbar says "Page x of y"
(the page at the top of the view) and zooms: Ctrl+= / Ctrl++ in, Ctrl+- out, Ctrl+0 fit
the page to the width. Page Up / Page Down and the arrows scroll, Escape closes.

``actions`` are the report's own next steps where its editor offers them (a draft visit
report: "Finalise and issue…"); "Open in system viewer" hands the same PDF to the
laptop's PDF app, for printing or a closer look.
"""

from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QKeyCombination, Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.reports.pages import POINTS_PER_INCH, PageImage

ZOOM_STEPS = (0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
ZOOM_IN_KEYS = ("Ctrl+=", "Ctrl++")
ZOOM_OUT_KEYS = ("Ctrl+-",)
FIT_KEYS = ("Ctrl+0",)
PAGE_GAP = 12


def page_image(page: PageImage) -> QImage:
    """The page's pixels as a QImage that owns them (the bytes object may go)."""
    image = QImage(page.pixels, page.width, page.height, page.stride, QImage.Format.Format_RGBX8888)
    return image.copy()


class PreviewDialog(QDialog):
    """Shows ``pages`` scrollable, with zoom; ``actions`` are (label, callback) buttons that
    close the preview before they run; ``open_externally`` is "Open in system viewer"."""

    def __init__(
        self,
        title: str,
        pages: Sequence[PageImage],
        parent=None,
        *,
        actions: Sequence[tuple[str, str, Callable[[], None]]] = (),
        open_externally: Callable[[], None] | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("reportPreview")
        self.setWindowTitle(f"Preview — {title}")
        self.resize(900, 1000)
        self.pixmaps = [QPixmap.fromImage(page_image(p)) for p in pages]
        # the page's width at 100 %: its size in points as the screen shows points
        self.natural_widths = [p.width_pt * self.logicalDpiX() / POINTS_PER_INCH for p in pages]
        self.zoom = 1.0
        self.fitted = True  # fit width until the user picks a zoom

        self.page_label = QLabel()
        self.page_label.setObjectName("previewPage")
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("previewZoom")
        self.zoom_out_button = QPushButton("−")
        self.zoom_out_button.setToolTip("Zoom out (Ctrl+-)")
        self.zoom_out_button.setAccessibleName("Zoom out (key Ctrl+-)")
        self.zoom_in_button = QPushButton("+")
        self.zoom_in_button.setToolTip("Zoom in (Ctrl+=)")
        self.zoom_in_button.setAccessibleName("Zoom in (key Ctrl+=)")
        self.fit_button = QPushButton("Fit width")
        self.fit_button.setToolTip("Fit the page to the window's width (Ctrl+0)")
        self.fit_button.setAccessibleName("Fit width (key Ctrl+0)")
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the pages; each has its own key
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.fit_button.clicked.connect(self.fit_width)
        # Handled in keyPressEvent rather than as shortcuts: they work wherever the focus is
        # in this window (the pages, a button), and a key press reaches them even before the
        # window manager has made the window active.
        self.keys = {
            QKeySequence(key).toString(): slot
            for keys, slot in ((ZOOM_IN_KEYS, self.zoom_in), (ZOOM_OUT_KEYS, self.zoom_out), (FIT_KEYS, self.fit_width))
            for key in keys
        }
        bar = QHBoxLayout()
        bar.addWidget(self.page_label)
        bar.addStretch(1)
        bar.addWidget(self.zoom_out_button)
        bar.addWidget(self.zoom_label)
        bar.addWidget(self.zoom_in_button)
        bar.addWidget(self.fit_button)

        self.page_views: list[QLabel] = []
        column = QWidget()
        column.setObjectName("previewPages")
        column.setStyleSheet("#previewPages { background: #6b7280; }")
        pages_layout = QVBoxLayout(column)
        pages_layout.setSpacing(PAGE_GAP)
        pages_layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        for i, _pixmap in enumerate(self.pixmaps):
            view = QLabel()
            view.setObjectName(f"previewPage-{i + 1}")
            view.setAccessibleName(f"Page {i + 1} of {len(self.pixmaps)}")
            view.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            pages_layout.addWidget(view, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_views.append(view)
        pages_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("previewScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(column)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # always there, so fitting the width never makes it come and go (and refit again)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll.viewport().installEventFilter(self)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _v: self._update_page())

        buttons = QHBoxLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        for name, label, callback in actions:
            button = QPushButton(label)
            button.setObjectName(name)
            button.clicked.connect(lambda _=False, callback=callback: self._run(callback))
            buttons.addWidget(button)
            self.action_buttons[name] = button
        self.open_button = QPushButton("Open in system viewer")
        self.open_button.setObjectName("previewOpenExternally")
        self.open_button.setToolTip("Open the same PDF in the laptop's PDF app (to print it, say)")
        self.open_button.setVisible(open_externally is not None)
        if open_externally is not None:
            self.open_button.clicked.connect(open_externally)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("previewClose")
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self._apply_zoom()
        self.scroll.setFocus()

    # -- zoom ------------------------------------------------------------------------------
    def fit_zoom(self) -> float:
        """The zoom at which the widest page fills the view's width."""
        room = self.scroll.viewport().width() - 2 * PAGE_GAP
        widest = max(self.natural_widths, default=0)
        return max(0.1, room / widest) if widest else 1.0

    def fit_width(self) -> None:
        self.fitted = True
        self._apply_zoom()

    def zoom_in(self) -> None:
        self._set_zoom(next((z for z in ZOOM_STEPS if z > self.zoom + 1e-6), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        self._set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < self.zoom - 1e-6), ZOOM_STEPS[0]))

    def _set_zoom(self, zoom: float) -> None:
        self.fitted = False
        self.zoom = zoom
        self._apply_zoom()

    def _apply_zoom(self) -> None:
        if self.fitted:
            self.zoom = self.fit_zoom()
        # the page keeps the place it had in the view as it grows or shrinks
        bar = self.scroll.verticalScrollBar()
        share = bar.value() / bar.maximum() if bar.maximum() else 0.0
        ratio = self.devicePixelRatioF()
        for view, pixmap, natural in zip(self.page_views, self.pixmaps, self.natural_widths):
            width = max(1, round(natural * self.zoom))
            scaled = pixmap.scaledToWidth(round(width * ratio), Qt.TransformationMode.SmoothTransformation)
            scaled.setDevicePixelRatio(ratio)
            view.setPixmap(scaled)
            view.setFixedSize(round(scaled.width() / ratio), round(scaled.height() / ratio))
        self.scroll.widget().adjustSize()
        bar.setValue(round(share * bar.maximum()))
        self.zoom_label.setText(f"{round(self.zoom * 100)}%")
        self.zoom_in_button.setEnabled(self.zoom < ZOOM_STEPS[-1] - 1e-6)
        self.zoom_out_button.setEnabled(self.zoom > ZOOM_STEPS[0] + 1e-6)
        self._update_page()

    def keyPressEvent(self, event) -> None:
        modifiers = event.modifiers()
        if event.key() == Qt.Key.Key_Plus:  # Ctrl and the "+" of a keyboard where it needs Shift
            modifiers &= ~Qt.KeyboardModifier.ShiftModifier
        slot = self.keys.get(QKeySequence(QKeyCombination(modifiers, Qt.Key(event.key()))).toString())
        if slot is not None:
            slot()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched, event) -> bool:
        # the view's width is known only once laid out: fit again whenever it changes
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize and self.fitted:
            self._apply_zoom()
        return super().eventFilter(watched, event)

    # -- where we are ------------------------------------------------------------------------
    def current_page(self) -> int:
        """The page at the top of the view (1-based; 0 when there are none)."""
        if not self.page_views:
            return 0
        top = self.scroll.verticalScrollBar().value() + PAGE_GAP
        current = 1
        for i, view in enumerate(self.page_views):
            if view.y() <= top + self.scroll.viewport().height() // 3:
                current = i + 1
        return current

    def show_page(self, number: int) -> None:
        """Scroll so page ``number`` (1-based) is at the top."""
        view = self.page_views[max(1, min(number, len(self.page_views))) - 1]
        self.scroll.verticalScrollBar().setValue(view.y() - PAGE_GAP)

    def _update_page(self) -> None:
        self.page_label.setText(f"Page {self.current_page()} of {len(self.page_views)}")

    def _run(self, callback: Callable[[], None]) -> None:
        self.accept()
        callback()
