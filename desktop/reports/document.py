"""One small reportlab renderer for every report Fieldnote prints (no Qt).

A report is first a plain ``Document``: a title, who and what it is about, and
sections made of blocks (text with simple lists, tables, charts, notes). Each
report type builds one from its own data object (tested without a PDF in
sight); ``ReportRenderer.generate(document)`` turns it into PDF bytes.

What every page gets (pretix's renderer is the model):

* a first-page template with the service's name, logo and the report's title
  block, and a later-page template with a one-line header;
* the protective marking (default ``OFFICIAL-SENSITIVE``) top and bottom, the
  report's date in UK form, and "Page x of y" from a canvas that holds back
  every page until the total is known;
* the PDF's title, author, subject and language (en-GB), and one outline
  entry (bookmark) per section, so a reader can jump about and a screen reader
  announces the document properly — reportlab cannot tag the structure, so
  the text itself is at least 11 pt sans-serif and colour never carries
  meaning alone (charts label their values).

Tables repeat their header row on every page they run onto; a section with
nothing in it is left out; all text is normalised to NFC first (a name typed
as ``e`` + combining diaeresis becomes ``ë``, which the font has a glyph for).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Sequence, Union
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from desktop.dates import to_uk
from desktop.reports import charts
from desktop.reports.fonts import BOLD, FAMILY, register_fonts

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
INK = colors.HexColor("#111827")
MUTED = colors.HexColor("#4b5563")
RULE = colors.HexColor("#9ca3af")
HEADER_FILL = colors.HexColor("#e5e7eb")
ZEBRA = colors.HexColor("#f9fafb")
NOTE_FILL = colors.HexColor("#fef3c7")


def nfc(text: object) -> str:
    """Text in Unicode NFC (composed) form; None becomes ''."""
    return "" if text is None else unicodedata.normalize("NFC", str(text))


# -- the document model ----------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    """Plain text: blank lines part paragraphs; lines starting "- " or "* " make a bulleted
    list, lines starting "1. " (any number) a numbered list. No markup is interpreted."""

    text: str

    @property
    def empty(self) -> bool:
        return not nfc(self.text).strip()


@dataclass(frozen=True)
class TableBlock:
    """A table with a header row (repeated on every page it spans) and a caption."""

    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    caption: str = ""
    widths: Sequence[float] | None = None  # fractions of the text width, summing to 1
    align_right: Sequence[int] = ()  # column indexes of figures
    row_height: float | None = None  # points; e.g. room to sign in

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class ChartBlock:
    """A chart (one description for window and PDF) with a caption under it."""

    chart: "charts.Chart"
    caption: str = ""

    @property
    def empty(self) -> bool:
        return self.chart is None


@dataclass(frozen=True)
class Note:
    """A short boxed note, e.g. "synthetic — not the licensed content"."""

    text: str

    @property
    def empty(self) -> bool:
        return not nfc(self.text).strip()


@dataclass(frozen=True)
class Subheading:
    text: str

    @property
    def empty(self) -> bool:
        return True  # a subheading alone does not make a section worth printing


Block = Union[Text, TableBlock, ChartBlock, Note, Subheading]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block] = ()
    keep_together: bool = False  # start on a new page rather than split (e.g. signatures)

    @property
    def empty(self) -> bool:
        return all(b.empty for b in self.blocks)


@dataclass(frozen=True)
class Document:
    """Everything a report prints, before any PDF is made."""

    title: str
    subject: str
    author: str
    report_date: date
    #: (label, value) pairs shown as a small table under the title on page 1.
    facts: Sequence[tuple[str, str]] = ()
    sections: Sequence[Section] = ()
    marking: str = ""  # empty: the letterhead's (Settings), else OFFICIAL-SENSITIVE

    def printed_sections(self) -> list[Section]:
        """The sections that will appear: empty ones are left out."""
        return [s for s in self.sections if not s.empty]


@dataclass(frozen=True)
class Letterhead:
    """What the service puts on every report (from Settings)."""

    service_name: str = "Behaviour Support Service"
    logo_path: str = ""
    marking: str = DEFAULT_MARKING

    @classmethod
    def from_settings(cls, settings) -> "Letterhead":
        return cls(
            service_name=settings.service_name,
            logo_path=getattr(settings, "logo_path", ""),
            marking=getattr(settings, "protective_marking", "") or DEFAULT_MARKING,
        )


# -- the canvas: "Page x of y" ---------------------------------------------------------------
class NumberedCanvas(Canvas):
    """Keeps each finished page's state and draws "Page x of y" once the total is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FAMILY, 9)
            self.setFillColor(MUTED)
            self.drawRightString(self._pagesize[0] - MARGIN, FOOTER_Y, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


# -- layout ----------------------------------------------------------------------------------
MARGIN = 18 * mm
FOOTER_Y = 10 * mm
FIRST_HEADER = 34 * mm
LATER_HEADER = 16 * mm
BODY_SIZE = 11


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FAMILY, fontSize=BODY_SIZE, leading=15, textColor=INK, spaceAfter=6, alignment=TA_LEFT
    )
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=20, leading=25, spaceAfter=8),
        "h1": ParagraphStyle("h1", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceBefore=12, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=12.5, leading=16, spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=body, fontSize=10, leading=12.5, spaceAfter=0),
        "cellr": ParagraphStyle("cellr", parent=body, fontSize=10, leading=12.5, spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=10, leading=12.5, spaceAfter=0),
        "headr": ParagraphStyle(
            "headr", parent=body, fontName=BOLD, fontSize=10, leading=12.5, spaceAfter=0, alignment=TA_RIGHT
        ),
        "caption": ParagraphStyle(
            "caption", parent=body, fontSize=9.5, leading=12, textColor=MUTED, spaceBefore=2, spaceAfter=10
        ),
        "note": ParagraphStyle(
            "note",
            parent=body,
            fontSize=10,
            leading=13,
            backColor=NOTE_FILL,
            borderPadding=5,
            spaceBefore=4,
            spaceAfter=10,
        ),
        "fact": ParagraphStyle("fact", parent=body, fontSize=10.5, leading=13.5, spaceAfter=0),
        "factlabel": ParagraphStyle(
            "factlabel", parent=body, fontName=BOLD, fontSize=10.5, leading=13.5, spaceAfter=0, textColor=MUTED
        ),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
    }


class _Bookmark(Flowable):
    """A zero-size mark: the outline entry for the section that follows it."""

    def __init__(self, key: str, title: str, level: int = 0):
        super().__init__()
        self.key, self.title, self.level = key, title, level

    def wrap(self, *_):
        return 0, 0

    def draw(self):
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=False)


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]\s+|(\d{1,3})[.)]\s+)(.*)$")


def text_flowables(text: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Paragraphs and simple lists from plain text (see ``Text``)."""
    out: list[Flowable] = []
    para: list[str] = []
    items: list[str] = []
    numbered = False

    def flush_para():
        if para:
            out.append(Paragraph(escape(" ".join(para)), styles["body"]))
            para.clear()

    def flush_list():
        if items:
            flowables = [ListItem(Paragraph(escape(t), styles["body"])) for t in items]
            out.append(
                ListFlowable(
                    flowables,
                    bulletType="1" if numbered else "bullet",
                    start="1" if numbered else "•",
                    bulletFormat="%s." if numbered else None,
                    leftIndent=16,
                    bulletFontName=FAMILY,
                    bulletFontSize=BODY_SIZE,
                )
            )
            items.clear()

    for raw in nfc(text).splitlines():
        line = raw.strip()
        match = _LIST_ITEM.match(raw)
        if not line:
            flush_para()
            flush_list()
        elif match:
            flush_para()
            is_numbered = match.group(1) is not None
            if items and is_numbered != numbered:
                flush_list()
            numbered = is_numbered
            items.append(match.group(2).strip())
        elif items and raw[:1].isspace():
            items[-1] += " " + line  # an indented line continues the list item
        else:
            flush_list()
            para.append(line)
    flush_para()
    flush_list()
    return out


SHORT_TABLE_ROWS = 12
LONG_TABLE_START = 30 * mm  # the header row and about three rows


class ReportRenderer:
    """Turns a ``Document`` into PDF bytes with the service's letterhead."""

    pagesize = A4

    def __init__(self, letterhead: Letterhead | None = None):
        self.letterhead = letterhead or Letterhead()
        self.styles = _styles()

    # -- hooks ---------------------------------------------------------------------------------
    def page_templates(self, doc: BaseDocTemplate) -> list[PageTemplate]:
        width, height = self.pagesize

        def frame(name: str, header: float) -> Frame:
            """The text area below a page's header of height ``header``, unpadded."""
            return Frame(
                MARGIN,
                MARGIN,
                width - 2 * MARGIN,
                height - MARGIN - header - 4 * mm,
                id=name,
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            )

        first, later = frame("first", FIRST_HEADER), frame("later", LATER_HEADER)
        return [
            PageTemplate(id="First", frames=[first], onPage=self.first_page),
            PageTemplate(id="Later", frames=[later], onPage=self.later_page),
        ]

    def _marking_and_footer(self, canvas: Canvas, document: Document) -> None:
        width, height = self.pagesize
        marking = nfc(document.marking or self.letterhead.marking or DEFAULT_MARKING)
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 9)
        canvas.drawCentredString(width / 2, height - 8 * mm, marking)
        canvas.drawCentredString(width / 2, FOOTER_Y, marking)
        canvas.setFont(FAMILY, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, FOOTER_Y, to_uk(document.report_date))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, FOOTER_Y + 5 * mm, width - MARGIN, FOOTER_Y + 5 * mm)

    def first_page(self, canvas: Canvas, doc) -> None:
        canvas.saveState()
        width, height = self.pagesize
        self._marking_and_footer(canvas, doc.fieldnote_document)
        top = height - 12 * mm
        logo_w = self._draw_logo(canvas, MARGIN, top - 18 * mm, 40 * mm, 18 * mm)
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 14)
        x = MARGIN + (logo_w + 4 * mm if logo_w else 0)
        canvas.drawString(x, top - 8 * mm, nfc(self.letterhead.service_name))
        canvas.setFont(FAMILY, 10)
        canvas.setFillColor(MUTED)
        canvas.drawString(x, top - 14 * mm, nfc(doc.fieldnote_document.subject))
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, height - FIRST_HEADER, width - MARGIN, height - FIRST_HEADER)
        canvas.restoreState()

    def later_page(self, canvas: Canvas, doc) -> None:
        canvas.saveState()
        width, height = self.pagesize
        document = doc.fieldnote_document
        self._marking_and_footer(canvas, document)
        canvas.setFont(FAMILY, 9)
        canvas.setFillColor(MUTED)
        y = height - LATER_HEADER + 2 * mm
        canvas.drawString(MARGIN, y, nfc(self.letterhead.service_name))
        canvas.drawRightString(width - MARGIN, y, nfc(document.title))
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, y - 2 * mm, width - MARGIN, y - 2 * mm)
        canvas.restoreState()

    def _draw_logo(self, canvas: Canvas, x: float, y: float, max_w: float, max_h: float) -> float:
        """Draw the Settings logo (PNG or JPEG) if there is a readable one; its drawn width."""
        path = self.letterhead.logo_path
        if not path or not Path(path).is_file():
            return 0.0
        try:
            from reportlab.lib.utils import ImageReader

            image = ImageReader(path)
            iw, ih = image.getSize()
        except Exception:  # an unreadable logo must not stop the report: it is left off
            return 0.0
        scale = min(max_w / iw, max_h / ih)
        canvas.drawImage(image, x, y, iw * scale, ih * scale, mask="auto")
        return iw * scale

    # -- the story -----------------------------------------------------------------------------
    def story(self, document: Document, text_width: float) -> list[Flowable]:
        s = self.styles
        story: list[Flowable] = [NextPageTemplate("Later"), Paragraph(escape(nfc(document.title)), s["title"])]
        if document.facts:
            rows = [
                [Paragraph(escape(nfc(k)), s["factlabel"]), Paragraph(escape(nfc(v)), s["fact"])]
                for k, v in document.facts
            ]
            facts = Table(rows, colWidths=[0.3 * text_width, 0.7 * text_width], hAlign="LEFT")
            facts.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
                    ]
                )
            )
            story += [facts, Spacer(1, 6)]
        for n, section in enumerate(document.printed_sections(), start=1):
            story.append(CondPageBreak(40 * mm))  # a heading never sits alone at a page foot
            part: list[Flowable] = [
                _Bookmark(f"section-{n}", nfc(section.title)),
                Paragraph(escape(nfc(section.title)), s["h1"]),
            ]
            for block in section.blocks:
                part += self.block(block, text_width)
            if section.keep_together:
                # One KeepTogether round the whole section: a nested one reports a huge
                # height, which would push the section to a new page even when it fits.
                flat: list[Flowable] = []
                for f in part:
                    flat += f._content if isinstance(f, KeepTogether) else [f]
                story.append(KeepTogether(flat))
            else:
                story += part
        return story

    def block(self, block: Block, text_width: float) -> list[Flowable]:
        s = self.styles
        if isinstance(block, Text):
            return text_flowables(block.text, s)
        if isinstance(block, Subheading):
            # Not keepWithNext: with a long table next, reportlab would push both to a
            # new page and leave this one blank; a conditional break keeps it off the foot.
            return [CondPageBreak(30 * mm), Paragraph(escape(nfc(block.text)), s["h2"])]
        if isinstance(block, Note):
            return [Paragraph(escape(nfc(block.text)), s["note"])]
        if isinstance(block, ChartBlock):
            if block.chart is None:
                return []
            drawing = charts.to_drawing(block.chart, text_width)
            parts: list[Flowable] = [drawing]
            if block.caption:
                parts.append(Paragraph(escape(nfc(block.caption)), s["caption"]))
            return [KeepTogether(parts)]
        if isinstance(block, TableBlock):
            return self.table(block, text_width)
        raise TypeError(f"cannot print a {type(block).__name__}")

    def table(self, block: TableBlock, text_width: float) -> list[Flowable]:
        if not block.rows:
            return []
        s = self.styles
        right = set(block.align_right)

        def cell(value, col):
            text = escape(nfc(value))
            return Paragraph(text, s["cellr"] if col in right else s["cell"])

        data = [
            [Paragraph(escape(nfc(c)), s["headr"] if i in right else s["head"]) for i, c in enumerate(block.columns)]
        ]
        data += [[cell(v, i) for i, v in enumerate(row)] for row in block.rows]
        widths = None
        if block.widths:
            widths = [w * text_width for w in block.widths]
        else:
            widths = [text_width / len(block.columns)] * len(block.columns)
        heights = None if block.row_height is None else [None] + [block.row_height] * len(block.rows)
        table = Table(data, colWidths=widths, rowHeights=heights, repeatRows=1, splitByRow=1, hAlign="LEFT")
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        style += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(data), 2)]
        table.setStyle(TableStyle(style))
        out: list[Flowable] = [table]
        if block.caption:
            out.append(Paragraph(escape(nfc(block.caption)), s["caption"]))
        else:
            out.append(Spacer(1, 8))
        if len(block.rows) <= SHORT_TABLE_ROWS:
            # A short table stays whole and with its caption (never a caption alone
            # at the top of a page).
            return [KeepTogether(out)]
        # A long table splits by row, but not before its header and a few rows fit.
        return [CondPageBreak(LONG_TABLE_START)] + out

    # -- output --------------------------------------------------------------------------------
    def generate(self, document: Document) -> bytes:
        """The PDF for ``document``, as bytes."""
        register_fonts()
        buffer = BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=self.pagesize,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=nfc(document.title),
            author=nfc(document.author),
            subject=nfc(document.subject),
            lang="en-GB",
            creator="Fieldnote",
            producer="Fieldnote (reportlab)",
            pageCompression=1,
            initialFontName=FAMILY,
        )
        doc.fieldnote_document = document
        doc.addPageTemplates(self.page_templates(doc))
        text_width = self.pagesize[0] - 2 * MARGIN
        doc.build(self.story(document, text_width), canvasmaker=NumberedCanvas)
        return buffer.getvalue()
