"""The case view's timeline and history lines, worked out without Qt."""

from __future__ import annotations

from desktop.caseload.case_words import history_text, timeline_text


def test_a_timeline_entry_reads_date_mark_title_and_detail(caseload, case):
    caseload.add_visit(case["referral"], "2026-11-20", "observation", notes="Maths")
    entries = caseload.timeline(case["referral"])
    visit = next(e for e in entries if e["kind"] == "visit")
    first_line = timeline_text(visit).split("\n")[0]
    assert first_line.startswith("20/11/2026   ◆ ")
    assert timeline_text(dict(visit, detail="")) == first_line
    assert timeline_text(dict(visit, detail="Seat near the front")).endswith("\nSeat near the front")


def test_a_history_entry_says_when_who_and_what():
    entry = {
        "at": "2026-11-20T10:15:00+00:00",
        "actor": "Sam Whitfield",
        "text": "allocated the case to Sam Whitfield from 03/11/2026",
    }
    assert history_text(entry) == "20/11/2026 10:15   Sam Whitfield allocated the case to Sam Whitfield from 03/11/2026"
