"""A rendered PDF as page images, for the app's preview (no Qt).

The window previews a report by showing its pages, drawn by PDFium (``pypdfium2``) from
the very bytes that would be issued, so the preview cannot differ from the PDF. QtPdf is
not in PySide6-Essentials, and a second renderer of our own would be a second source of
truth; this module turns PDF bytes into raw pixels, which the window wraps in images.

PDFium is not safe to call from two threads at once (its documentation says so), and
previews render on the app's background pool, so every call goes through one lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

#: Points per inch in a PDF; a page rendered at ``dpi`` is ``points * dpi / 72`` pixels.
POINTS_PER_INCH = 72
#: The preview's resolution: sharp up to about 150 % on an ordinary screen, and an A4
#: page of about 4.5 MB of pixels, so a 30-page report stays within a modest memory budget.
PREVIEW_DPI = 108

_pdfium_lock = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """One page as pixels: ``height`` rows of ``stride`` bytes, 4 bytes a pixel in the
    order red, green, blue, then a padding byte (Qt's ``Format_RGBX8888``).
    ``width_pt`` and ``height_pt`` are the page's size in PDF points."""

    number: int  # 1-based
    width: int
    height: int
    stride: int
    pixels: bytes
    width_pt: float
    height_pt: float

    def rgb(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour of the pixel at column ``x``, row ``y`` (for tests and checks)."""
        i = y * self.stride + x * 4
        return self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]


def page_count(pdf: bytes) -> int:
    """How many pages ``pdf`` has."""
    import pypdfium2 as pdfium

    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


def render_pages(
    pdf: bytes, dpi: float = PREVIEW_DPI, progress: Callable[[int, int], None] | None = None
) -> list[PageImage]:
    """Every page of ``pdf`` as pixels at ``dpi``, white behind the ink.

    ``progress(done, total)`` is called after each page (the window shows it)."""
    import pypdfium2 as pdfium

    scale = dpi / POINTS_PER_INCH
    pages: list[PageImage] = []
    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            total = len(document)
            for i in range(total):
                page = document[i]
                try:
                    width_pt, height_pt = page.get_size()
                    bitmap = page.render(
                        scale=scale,
                        may_draw_forms=False,
                        fill_color=(255, 255, 255, 255),
                        rev_byteorder=True,
                        prefer_bgrx=True,
                    )
                    try:
                        pages.append(
                            PageImage(
                                i + 1,
                                bitmap.width,
                                bitmap.height,
                                bitmap.stride,
                                bytes(bitmap.buffer),
                                width_pt,
                                height_pt,
                            )
                        )
                    finally:
                        bitmap.close()
                finally:
                    page.close()
                if progress is not None:
                    progress(i + 1, total)
        finally:
            document.close()
    return pages
