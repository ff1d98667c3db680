"""The school's audit summary report: the data object, then the PDF's text (pypdf)
against the summary functions' figures; issuing it as an attachment of the audit."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from desktop.audits.records import AuditRecords
from desktop.audits.report import (
    HIGH,
    LOW,
    UNRATED_FILL,
    issue_report,
    load_report_data,
    render_audit_report,
)
from desktop.audits.review import start_review
from desktop.audits.summary import audit_counts


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def records(store):
    return AuditRecords(store)


@pytest.fixture
def audited(records, caseload):
    school = caseload.add_school(name="Foxcote Primary School")
    worker = caseload.add_caseworker("Sam Whitfield")
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05", conducted_by=worker)
    records.rate(aid, "arrival_calm", "green")
    records.note(aid, "arrival_calm", "Staff greet every pupil by name at the gate")
    records.flag_good_practice(aid, "arrival_calm", True)
    records.rate(aid, "arrival_supervised", "red")
    records.rate(aid, "break_supervised", "amber")
    records.rate(aid, "lunch_supervised", "not_seen")
    records.judge(aid, "arrival", value="amber", strengths="Warm welcome", development="Supervision of the side gate")
    records.add_action(
        aid,
        "Second member of staff at the side gate",
        owner="Deputy head",
        due_on="2026-11-30",
        criteria=["arrival_supervised"],
    )
    records.record_meeting(
        aid,
        held_on="2026-10-05",
        attendees="Headteacher, SENCO",
        agreed="The action plan, and a review in the spring term.",
    )
    records.set_good_practice(aid, "Calm, warm arrival routine.")
    records.finalise(aid)
    return school, aid


def test_report_data_matches_the_audit(records, audited):
    _, aid = audited
    data = load_report_data(records, aid)
    assert data.school == "Foxcote Primary School" and data.conducted_by == "Sam Whitfield"
    assert (
        data.good_practice
        == (
            (
                "Arrival",
                records.template("behaviour-audit").criteria["arrival_calm"].text,
                "Staff greet every pupil by name at the gate",
            ),
        )
        or data.good_practice[0][2] == "Staff greet every pupil by name at the gate"
    )
    counts = {c.section_id: c for c in audit_counts(records.snapshot(aid))}
    for g in data.grid:
        sc = counts[g.section_id]
        assert list(g.counts.values()) == list(sc.by_level.values())
        assert (g.not_seen, g.not_applicable, g.not_rated, g.rated) == (
            sc.not_seen,
            sc.not_applicable,
            sc.not_rated,
            sc.rated,
        )
    arrival = next(g for g in data.grid if g.section_id == "arrival")
    fills = {r.label: r.fill for r in arrival.rows}
    assert fills["Green"] == HIGH and fills["Red"] == LOW
    assert all(r.label for g in data.grid for r in g.rows)  # a word in every cell
    lunch = [r for g in data.grid for r in g.rows if r.value == "not_seen"]
    assert lunch and lunch[0].fill == UNRATED_FILL and lunch[0].label == "Not seen"
    assert data.actions[0][:4] == ("Second member of staff at the side gate", "Deputy head", "30/11/2026", "Open")
    assert data.meeting == ("05/10/2026", ("Headteacher", "SENCO"), "The action plan, and a review in the spring term.")
    assert data.judgements[0] == ("Arrival", "Amber", "Warm welcome", "Supervision of the side gate")
    assert not data.is_review and data.movement == ()


def test_pdf_text_carries_the_figures_in_order(records, audited):
    _, aid = audited
    data = load_report_data(records, aid)
    text = pdf_text(render_audit_report(data))
    compact = " ".join(text.split())
    # good practice first, then the grid, judgements, action plan, meeting
    order = [
        compact.index(h)
        for h in (
            "Good practice to share",
            "Ratings by area",
            "Judgements, strengths",
            "Action plan",
            "Feedback meeting",
        )
    ]
    assert order == sorted(order)
    assert "Staff greet every pupil by name at the gate" in compact
    arrival = next(g for g in data.grid if g.section_id == "arrival")
    row = (
        f"Arrival {arrival.counts['Red']} {arrival.counts['Amber']} {arrival.counts['Green']} "
        f"{arrival.not_seen} {arrival.not_applicable} {arrival.not_rated} {arrival.rated}"
    )
    assert row in compact
    # the action's words (wrapped in a narrow column), its owner and due date
    for w in ("Second member", "Deputy", "30/11/2026", "Open"):
        assert w in compact
    assert "Headteacher, SENCO" in compact
    for r in arrival.rows:  # the rating's word is printed in every coloured cell
        assert r.label in compact


def test_review_report_shows_movement(records, audited):
    school, aid = audited
    rid = start_review(records, school, conducted_on="2026-11-20")
    records.rate(rid, "arrival_supervised", "amber")
    records.rate(rid, "arrival_calm", "green")
    records.rate(rid, "break_supervised", "red")
    data = load_report_data(records, rid)
    assert data.is_review and data.previous_on == "05/10/2026"
    moved = {m[0].split(" ", 1)[1]: m[1:] for m in data.movement}
    t = records.template("behaviour-audit")
    assert moved[t.criteria["arrival_supervised"].text] == ("Red", "Amber", "Up")
    assert moved[t.criteria["break_supervised"].text] == ("Amber", "Red", "Down")
    assert moved[t.criteria["arrival_calm"].text] == ("Green", "Green", "Same")
    arrival = next(s for s in data.section_movement if s[0] == "Arrival")
    assert arrival[1:] == (1, 1, 0, 2)
    compact = " ".join(pdf_text(render_audit_report(data)).split())
    assert "Movement since the audit of 05/10/2026" in compact and "Arrival 1 1 0 2" in compact


def test_issue_attaches_the_pdf_to_the_audit(records, audited, store):
    from desktop.store.attachments import read_attachment

    _, aid = audited
    att, pdf = issue_report(records, aid)
    row = store.get("attachment", att)
    assert row["audit_id"] == aid and row["media_type"] == "application/pdf"
    assert read_attachment(store, att) == pdf and pdf.startswith(b"%PDF")


def test_commissioner_summary_figures_and_no_pupil_data(caseload, records, store, tmp_path):
    from desktop.audits.report import commissioner_chart, commissioner_data, render_commissioner
    from desktop.audits.summary import load_summary
    from desktop.demo import fill_demo
    from tests.conftest import TODAY

    fill_demo(caseload, pupils=20, referrals=20, seed=3)
    template = records.template("behaviour-audit")
    s = load_summary(records, template.id, "2026-01-01", TODAY.isoformat())
    data = commissioner_data(s, template)
    assert data.schools == s.schools == 5 and data.reviews == s.reviews
    for row, c in zip(data.criteria, s.criteria, strict=True):
        assert list(row.counts.values()) == list(c.schools_by_level.values())
        assert (row.not_seen, row.not_applicable, row.rated) == (c.not_seen, c.not_applicable, c.rated)
        assert row.rated + row.not_seen + row.not_applicable + row.not_rated == s.schools
    assert [n for _, n in data.development] == [n for _, n in s.development]
    assert sum(n for *_, n in data.transitions) == sum(m.compared for m in s.movement) > 0
    chart = commissioner_chart(data)
    assert chart.stacked and [sr.name for sr in chart.series] == ["Red", "Amber", "Green"]
    assert [sum(sr.values[i] for sr in chart.series) for i in range(len(data.criteria))] == [
        float(r.rated) for r in data.criteria
    ]

    compact = " ".join(pdf_text(render_commissioner(data)).split())
    first = data.criteria[0]
    assert (
        f"{first.ref} {first.text} "
        + " ".join(str(first.counts[lv]) for lv in data.levels)
        + f" {first.not_seen} {first.not_applicable} {first.rated}"
    ) in compact
    top, n = data.development[0]
    assert f"{top} {n}" in compact  # "2.1 Pupils' behaviour ... 2"
    # no pupil data: not one demo pupil's name appears (surnames like "Green" are level words,
    # so whole names are checked, and first names that are not words of the template)
    pupils = list(store.db.query("SELECT first_name, last_name FROM pupil"))
    assert pupils
    assert not [p for p in pupils if f"{p['first_name']} {p['last_name']}" in compact]
    words = set(compact.replace(".", " ").replace(",", " ").split())
    assert not [p["first_name"] for p in pupils if p["first_name"] in words]
