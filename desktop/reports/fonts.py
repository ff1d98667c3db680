"""The bundled typeface: DejaVu Sans, so every pupil's name renders.

reportlab's built-in Helvetica covers Latin-1 only: ``Łukasz`` or ``Nguyễn`` would
print as black boxes. DejaVu Sans (Bitstream Vera licence, see
``assets/fonts/LICENSE-DejaVu.txt``: free to redistribute with software) covers
Latin Extended, Vietnamese, Greek and Cyrillic. TrueType faces are embedded in
the PDF as subsets, so a report carries only the glyphs it uses.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "DejaVuSans"
#: reportlab face name → file in the fonts folder.
FACES = {
    FAMILY: "DejaVuSans.ttf",
    f"{FAMILY}-Bold": "DejaVuSans-Bold.ttf",
    f"{FAMILY}-Oblique": "DejaVuSans-Oblique.ttf",
    f"{FAMILY}-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}
BOLD = f"{FAMILY}-Bold"
ITALIC = f"{FAMILY}-Oblique"


def font_dir() -> Path:
    """``assets/fonts`` beside the package (or inside a frozen build's bundle)."""
    from desktop.paths import resource

    return resource("assets", "fonts")


def register_fonts() -> str:
    """Register the four faces and their family once per process; returns the family name.

    ``registerFontFamily`` is what lets ``<b>`` and ``<i>`` in a paragraph pick the
    bold and italic faces instead of silently staying regular.
    """
    if FAMILY in pdfmetrics.getRegisteredFontNames():
        return FAMILY
    folder = font_dir()
    for name, filename in FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    pdfmetrics.registerFontFamily(FAMILY, normal=FAMILY, bold=BOLD, italic=ITALIC, boldItalic=f"{FAMILY}-BoldOblique")
    # Paragraph markup looks faces up by (family, bold, italic) in lower case too.
    for bold, italic, face in ((0, 0, FAMILY), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, f"{FAMILY}-BoldOblique")):
        addMapping(FAMILY.lower(), bold, italic, face)
    return FAMILY


def missing_glyphs(text: str, face: str = FAMILY) -> list[str]:
    """Characters of ``text`` (after NFC) that ``face`` has no glyph for; [] if it covers all."""
    register_fonts()
    char_to_glyph = pdfmetrics.getFont(face).face.charToGlyph
    return sorted(
        {ch for ch in unicodedata.normalize("NFC", text) if not ch.isspace() and ord(ch) not in char_to_glyph}
    )
