"""Shared fixtures: a sample case with evidence, and reading a PDF back as text."""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO

import pytest

from desktop.reports.sample import SAMPLE_SECTIONS, make_sample_case


@pytest.fixture
def sample(store):
    """A case with two 60-interval observations, a Boxall and three SDQs (T1, T2, T3)."""
    ids = make_sample_case(store)
    ids["sections"] = dict(SAMPLE_SECTIONS)
    return ids


def pdf_pages(data: bytes) -> list[str]:
    """Each page's extracted text, NFC-normalised."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    return [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def half_up_percent(numerator: int, denominator: int) -> str:
    """The percentage a report should print, worked out here with integers only."""
    return f"{(2 * numerator * 100 + denominator) // (2 * denominator)}%"


RUNNING = re.compile(r"^(OFFICIAL-SENSITIVE|\d\d/\d\d/\d{4}|Page \d+ of \d+)$")


def pdf_body(data: bytes, *running: str) -> str:
    """The text without the running header and footer lines (marking, date, page number and
    the given lines, e.g. the service name), so a table split over pages reads as one."""
    lines = [line.strip() for page in pdf_pages(data) for line in page.splitlines()]
    return "\n".join(x for x in lines if not RUNNING.match(x) and x not in running)
