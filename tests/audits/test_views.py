"""What the audit windows show, shaped without a display (desktop.audits.views): the
areas with progress, criteria rows (words beside colours, "Last time" with its arrow),
action points, the list of audits and the cross-school grid."""

from __future__ import annotations

import pytest

from desktop.audits.records import AuditRecords
from desktop.audits.review import movement, start_review
from desktop.audits.summary import load_summary
from desktop.audits.views import (
    COLOURS,
    GREY,
    action_rows,
    area_rows,
    audit_rows,
    criterion_row,
    level_colour,
    summary_grid,
)


@pytest.fixture
def records(store):
    return AuditRecords(store)


@pytest.fixture
def school(caseload):
    return caseload.add_school(
        name="Brookfield Academy", urn="990010", phase="secondary", governance="academy", area="Ashbridge North"
    )


def rows(records, audit_id, section_id, previous=None):
    snap = records.snapshot(audit_id)
    moves = {m.criterion_id: m for m in movement(previous, snap)} if previous else {}
    section = next(s for s in snap.template.sections if s.id == section_id)
    return [criterion_row(snap.template, snap, c, moves.get(c.id)) for c in section.criteria]


def test_criteria_rows_give_words_beside_colours(records, school):
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05")
    records.rate(aid, "arrival_supervised", "green")
    records.rate(aid, "arrival_greeting", "not_seen")
    records.note(aid, "arrival_greeting", "Side gate only")
    records.flag_good_practice(aid, "arrival_supervised", True)
    supervised, greeting, calm = rows(records, aid, "arrival")
    assert supervised.cells == ("1", "Arrival supervised by visible staff", "Green", "", "★", "")
    assert (supervised.rating_colour, supervised.previous_colour, supervised.centred) == (COLOURS[2], None, True)
    assert greeting.cells[2:] == ("Not seen", "", "", "Side gate only") and greeting.rating_colour == GREY
    assert calm.cells[2] == "" and calm.rating_colour is None and calm.criterion_id == "arrival_calm"
    # a yes/no and a number: words, no colour, not centred; "Number" is not shown as a unit
    records.rate(aid, "policy_website", "yes")
    records.rate(aid, "fte_count", "12")
    snap = records.snapshot(aid)
    yes, number = (
        criterion_row(snap.template, snap, snap.template.criteria[cid]) for cid in ("policy_website", "fte_count")
    )
    assert (yes.cells[2], yes.rating_colour, yes.centred) == ("Yes", None, False)
    assert (number.cells[2], number.rating_colour) == ("12", None)
    areas = area_rows(snap.template, snap)
    assert areas[0].section_id == "arrival" and areas[0].text.endswith("   2/3") and not areas[0].complete
    records.rate(aid, "arrival_calm", "amber")
    snap = records.snapshot(aid)
    assert area_rows(snap.template, snap)[0].complete


def test_a_review_shows_last_time_with_its_arrow_and_colour(records, school):
    first = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-02-01")
    for cid, value in (("arrival_supervised", "red"), ("arrival_greeting", "green"), ("arrival_calm", "amber")):
        records.rate(first, cid, value)
    records.finalise(first)
    review = start_review(records, school, conducted_on="2026-06-01")
    records.rate(review, "arrival_supervised", "amber")
    records.rate(review, "arrival_greeting", "red")
    records.rate(review, "arrival_calm", "amber")
    shown = rows(records, review, "arrival", previous=records.snapshot(first))
    assert [r.cells[3] for r in shown] == ["Red ↑", "Green ↓", "Amber ="]
    assert [r.previous_colour for r in shown] == [COLOURS[0], COLOURS[2], COLOURS[1]]


def test_action_points_and_the_list_of_audits(records, school):
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05")
    action = records.add_action(
        aid,
        "Second adult at the gate",
        owner="Deputy head",
        due_on="2026-11-30",
        criteria=["arrival_supervised", "arrival_calm"],
    )
    (row,) = action_rows(records.snapshot(aid))
    assert row.action_id == action
    assert row.cells == (
        "Second adult at the gate",
        "Deputy head",
        "30/11/2026",
        "Open",
        "arrival_calm, arrival_supervised",
        "",
    )  # as stored
    records.finalise(aid)
    (listed,) = audit_rows(records.list())
    assert listed.audit_id == aid
    assert listed.cells == ("05/10/2026", "Brookfield Academy", "behaviour-audit", "Audit", "Finalised")


def test_summary_grid_counts_with_deeper_shades_for_larger_shares(records, caseload):
    for i, value in enumerate(("red", "red", "amber")):
        school = caseload.add_school(
            name=f"School {i}", urn=f"99003{i}", phase="primary", governance="maintained", area="North"
        )
        aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-03-01")
        records.rate(aid, "arrival_supervised", value)
        records.finalise(aid)
    template = records.template("behaviour-audit")
    grid = summary_grid(template, load_summary(records, "behaviour-audit", "2026-01-01", "2026-12-31"))
    assert grid.columns[:5] == ("Area", "Criterion", "Red", "Amber", "Green")
    r = [row[1] for row in grid.rows].index("Arrival supervised by visible staff")
    assert grid.refs[r] == "1.1"
    assert grid.rows[r][2:5] == ("2", "1", "0") and grid.rows[r][grid.columns.index("Rated")] == "3"
    # two of three schools red: deeper than the one amber; no schools green: no shade
    assert grid.shades[r][2:5] == ((COLOURS[0], 60 + 130), (COLOURS[1], 60 + 65), None)
    assert grid.shades[r][0] is None and level_colour(template, "green") == COLOURS[2]


def test_the_template_editor_rows_come_from_the_draft(tmp_path):
    from desktop.audits.editing import NUMBER, Level, TemplateDraft, template_copy
    from desktop.audits.views import draft_areas, draft_criteria, draft_guidance, rates_with, template_entries
    from desktop.forms.registry import load_registry

    registry = load_registry(tmp_path)
    entries = template_entries(registry)
    assert [e.text.lower() for e in entries] == sorted(e.text.lower() for e in entries)  # by title
    behaviour = next(e for e in entries if e.id == "behaviour-audit")
    assert behaviour.text.endswith("\nbehaviour-audit · built-in")
    draft = TemplateDraft(template_copy(registry, "behaviour-audit", "our-audit"))
    areas = draft_areas(draft)
    assert (areas[0].id, areas[0].text) == ("arrival", "1. Arrival  (3)")
    cid = draft.add_criterion("arrival", "Late book kept", kind=NUMBER, unit="%")
    rows = draft_criteria(draft, "arrival")
    assert rows[0].cells == ("1", "Arrival supervised by visible staff", "Rated", "")
    assert (rows[-1].criterion_id, rows[-1].cells) == (cid, ("4", "Late book kept", "Number", "%"))
    assert draft_areas(draft)[0].text == "1. Arrival  (4)" and draft_criteria(draft, None) == ()
    draft.set_criterion_guidance("arrival_calm", "green", "Settled within five minutes")
    guidance = draft_guidance(draft, "arrival_calm", draft.rating_levels())
    assert [(g.value, g.cells) for g in guidance] == [
        ("red", ("Red", "")),
        ("amber", ("Amber", "")),
        ("green", ("Green", "Settled within five minutes")),
    ]
    # the keys that rate with each level, and the colour of a level with none of its own
    levels = [Level("stabilise", "Stabilise"), Level("repair", "Repair"), Level("sustain", "Sustain", "Z")]
    assert rates_with(levels) == (("S or 1", COLOURS[0]), ("R or 2", COLOURS[1]), ("Z or 3", COLOURS[2]))
