"""Page images for the app's preview: every page of the PDF, at the size the page is, in the
PDF's own colours, drawn by PDFium from the bytes that would be issued (no display needed)."""

from __future__ import annotations

import threading
from io import BytesIO

import pytest
from pypdf import PdfReader

from desktop.reports.charts import INK
from desktop.reports.pages import PREVIEW_DPI, page_count, render_pages
from desktop.reports.visit import build_visit_report, render_visit


@pytest.fixture
def pdf(store, sample):
    return render_visit(
        build_visit_report(
            store,
            sample["referral"],
            sections=sample["sections"],
            observation_ids=sample["observations"],
            completion_ids=sample["completions"],
        )
    )


def test_one_image_per_page_of_the_pdf_each_the_size_of_its_page(pdf):
    expected = len(PdfReader(BytesIO(pdf)).pages)
    seen = []
    pages = render_pages(pdf, progress=lambda done, total: seen.append((done, total)))
    assert expected > 1
    assert page_count(pdf) == len(pages) == expected
    assert [p.number for p in pages] == list(range(1, expected + 1))
    assert seen == [(i, expected) for i in range(1, expected + 1)]
    for page in pages:
        assert (round(page.width_pt), round(page.height_pt)) == (595, 842)  # A4
        assert page.width == round(page.width_pt * PREVIEW_DPI / 72)
        assert page.height == round(page.height_pt * PREVIEW_DPI / 72)
        assert page.stride >= page.width * 4 and len(page.pixels) == page.stride * page.height


def test_the_paper_is_white_and_the_ink_is_the_reports_ink(pdf):
    page = render_pages(pdf)[0]
    assert page.rgb(0, 0) == page.rgb(page.width - 1, page.height - 1) == (255, 255, 255)
    ink = tuple(int(INK[i : i + 2], 16) for i in (1, 3, 5))  # body text and headings
    colours = {page.rgb(x, y) for y in range(0, page.height, 3) for x in range(0, page.width, 3)}
    assert ink in colours


def test_two_threads_rendering_at_once_get_the_same_pages(pdf):
    """Previews render on the shared pool; PDFium itself must only be entered by one at a time."""
    results: list = [None, None]

    def work(i):
        results[i] = render_pages(pdf, dpi=50)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results[0] is not None and results[0] == results[1]


def test_bytes_that_are_not_a_pdf_are_refused():
    with pytest.raises(Exception):
        render_pages(b"not a pdf at all")
