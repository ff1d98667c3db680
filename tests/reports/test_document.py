"""The renderer: letterhead, marking, page numbers, metadata, outline, long text, long tables."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

from pypdf import PdfReader

from desktop.config import Settings
from desktop.reports.document import (
    DEFAULT_MARKING,
    ChartBlock,
    Document,
    Letterhead,
    Note,
    ReportRenderer,
    Section,
    Subheading,
    TableBlock,
    Text,
)

from .conftest import pdf_pages, pdf_text

DAY = date(2026, 11, 23)


def doc(*sections, **kw) -> Document:
    return Document(
        kw.pop("title", "A report"),
        kw.pop("subject", "Testing"),
        kw.pop("author", "Siân Ó Briain"),
        DAY,
        sections=list(sections),
        **kw,
    )


def test_metadata_language_and_one_outline_entry_per_section():
    data = ReportRenderer().generate(
        doc(
            Section("Background", [Text("Some text.")]),
            Section("Next steps", [Text("- one\n- two")]),
            title="Visit report: Zoë",
        )
    )
    reader = PdfReader(BytesIO(data))
    meta = reader.metadata
    assert (meta.title, meta.author, meta.subject) == ("Visit report: Zoë", "Siân Ó Briain", "Testing")
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert [o.title for o in reader.outline] == ["Background", "Next steps"]


def test_every_page_has_the_marking_the_date_and_page_x_of_y():
    sections = [Section(f"Part {i}", [Text("Words. " * 400)]) for i in range(4)]
    pages = pdf_pages(ReportRenderer().generate(doc(*sections)))
    assert len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        assert text.count(DEFAULT_MARKING) == 2  # top and foot
        assert "23/11/2026" in text
        assert f"Page {n} of {len(pages)}" in text


def test_the_service_name_is_on_every_page_and_the_marking_comes_from_settings():
    settings = Settings(service_name="Ashbridge Behaviour Support", protective_marking="OFFICIAL")
    renderer = ReportRenderer(Letterhead.from_settings(settings))
    pages = pdf_pages(renderer.generate(doc(Section("Long", [Text("Words. " * 1500)]))))
    assert len(pages) >= 2
    for text in pages:
        assert "Ashbridge Behaviour Support" in text
        assert "OFFICIAL-SENSITIVE" not in text and text.count("OFFICIAL") == 2


def test_a_logo_is_drawn_on_the_first_page_and_a_broken_one_is_left_off(tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 60), (0, 114, 178)).save(logo)
    with_logo = ReportRenderer(Letterhead(logo_path=str(logo))).generate(doc(Section("A", [Text("x")])))
    page = PdfReader(BytesIO(with_logo)).pages[0]
    assert any(page["/Resources"]["/XObject"][k]["/Subtype"] == "/Image" for k in page["/Resources"]["/XObject"])
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    data = ReportRenderer(Letterhead(logo_path=str(broken))).generate(doc(Section("A", [Text("x")])))
    assert "/XObject" not in PdfReader(BytesIO(data)).pages[0]["/Resources"]


def test_a_thirty_page_narrative_renders_whole_and_in_order():
    paragraphs = [
        f"Paragraph {i:03d}. " + "The pupil settled after the starter and joined in. " * 12 for i in range(1, 271)
    ]
    data = ReportRenderer().generate(doc(Section("Narrative", [Text("\n\n".join(paragraphs))])))
    pages = pdf_pages(data)
    assert len(pages) >= 30
    found = [int(n) for n in re.findall(r"Paragraph (\d{3})\.", "\n".join(pages))]
    assert found == list(range(1, 271))
    assert f"Page 30 of {len(pages)}" in pages[29]


def test_a_500_row_table_splits_with_its_header_on_every_page():
    rows = [[f"Row {i:03d}", f"Pupil {i}", str(i * 3)] for i in range(1, 501)]
    table = TableBlock(["Reference", "Name", "Score"], rows, widths=[0.3, 0.5, 0.2], align_right=(2,))
    pages = pdf_pages(ReportRenderer().generate(doc(Section("The table", [table]))))
    assert len(pages) >= 10
    seen = []
    for text in pages:
        on_page = re.findall(r"Row (\d{3})", text)
        assert on_page, "every page carries rows"
        assert re.search(r"Reference\s+Name\s+Score", text), "the header row repeats"
        seen += [int(n) for n in on_page]
    assert seen == list(range(1, 501))


def test_an_empty_section_is_left_out():
    sections = [
        Section("Background", [Text("Referred for disruption.")]),
        Section("Strengths", [Text("   \n\n ")]),
        Section("Evidence", [Subheading("Observation"), TableBlock(["A"], []), ChartBlock(None), Note("")]),
        Section("Next steps", [Text("A follow-up visit.")]),
    ]
    document = doc(*sections)
    assert [s.title for s in document.printed_sections()] == ["Background", "Next steps"]
    data = ReportRenderer().generate(document)
    text = pdf_text(data)
    assert "Strengths" not in text and "Evidence" not in text and "Observation" not in text
    assert "Background" in text and "Next steps" in text
    assert [o.title for o in PdfReader(BytesIO(data)).outline] == ["Background", "Next steps"]


def test_plain_text_makes_lists_and_markup_is_printed_as_typed():
    text = pdf_text(
        ReportRenderer().generate(
            doc(
                Section(
                    "Plan",
                    [
                        Text(
                            "Agreed:\n- a calm space\n- a signal\n\n1. Warn before transitions\n2. Chunk tasks\n\n"
                            "<b>not bold</b> & co"
                        )
                    ],
                )
            )
        )
    )
    assert "•" in text and "a calm space" in text and "a signal" in text
    assert re.search(r"1\.\s*Warn before transitions", text) and re.search(r"2\.\s*Chunk tasks", text)
    assert "<b>not bold</b> & co" in text
