"""Every name renders: the bundled font covers them, and they come back out of the PDF."""

from __future__ import annotations

from datetime import date

import pytest
from reportlab.lib.fonts import tt2ps

from desktop.reports.document import Document, ReportRenderer, Section, Text
from desktop.reports.fonts import BOLD, FACES, FAMILY, ITALIC, font_dir, missing_glyphs, register_fonts

from .conftest import pdf_text

NAMES = ["Zoë", "Siân", "Łukasz", "Nguyễn", "Ó Briain"]


@pytest.mark.parametrize("face", list(FACES))
def test_every_face_covers_every_name(face):
    """Regular, bold, italic and bold italic each have a glyph for every character."""
    assert missing_glyphs(" ".join(NAMES), face) == []


def test_a_character_the_font_lacks_is_reported():
    """The check can fail: DejaVu Sans has no CJK ideographs."""
    assert missing_glyphs("Zoë 中", FAMILY) == ["中"]


def test_the_font_files_and_licence_are_bundled():
    folder = font_dir()
    assert all((folder / name).is_file() for name in FACES.values())
    licence = (folder / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in licence and "Bitstream" in licence


def test_bold_and_italic_markup_pick_the_bold_and_italic_faces():
    register_fonts()
    assert tt2ps(FAMILY, 1, 0) == BOLD
    assert tt2ps(FAMILY, 0, 1) == ITALIC


def test_names_render_into_the_pdf_even_when_typed_decomposed():
    """A name typed as e + combining diaeresis is composed (NFC) and prints as Zoë."""
    decomposed = "Zoe\u0308 Sia\u0302n"
    doc = Document(
        "Names",
        "Fonts",
        "Tester",
        date(2026, 11, 23),
        facts=[("Pupil", decomposed)],
        sections=[Section("People", [Text("\n".join(f"- {n}" for n in NAMES))])],
    )
    text = pdf_text(ReportRenderer().generate(doc))
    for name in NAMES:
        assert name in text
    assert "Zoë Siân" in text
