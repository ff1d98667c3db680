"""What sync reports, in the service's words, worked out without Qt (``sync.client.wording``)."""

from __future__ import annotations

from sync.client.wording import RecordNamer, change_summary, conflict_values, field_label, one_line


def test_records_are_named_as_people_know_them(store, caseload, case):
    namer = RecordNamer(store)
    assert namer.describe("referral", case["referral"]) == "Ivy Okafor, Hollowmere Primary School"
    visit = caseload.add_visit(case["referral"], "2026-11-05", "observation")
    assert namer.describe("visit", visit).startswith("Ivy Okafor — ")
    assert namer.describe("visit", visit).endswith(", 05/11/2026")
    assert namer.describe("pupil", "gone") == "Pupil no longer on this laptop"
    snapshot = {("pupil", "gone"): {"first_name": "Theo", "last_name": "Ward"}}
    assert RecordNamer(store, snapshot).describe("pupil", "gone") == "Theo Ward"


def test_values_read_as_labels_dates_and_names(store, case):
    namer = RecordNamer(store)
    assert namer.value("referral", "reason", "persistent_disruption") != "persistent_disruption"
    assert namer.value("pupil", "date_of_birth", "2017-03-14") == "14/03/2017"
    assert namer.value("pupil", "fsm", 1) == "Yes" and namer.value("pupil", "fsm", 0) == "No"
    assert namer.value("pupil", "school_id", case["school"]) == "Hollowmere Primary School"
    assert namer.value("pupil", "school_id", "elsewhere") == "School not on this laptop"
    assert namer.value("pupil", "upn", None) == "(empty)"


def test_changes_and_conflicts_in_words(store):
    assert change_summary("update", '{"status": "active", "concern": "x"}') == "Edited: Concern, Status"
    assert change_summary("create", {"name": "A"}) == "New record (Name)"
    assert change_summary("delete", {}) == "Deleted"
    assert field_label("date_of_birth") == "Date of birth" and field_label("visit_notes") == "Visit notes"
    assert one_line("a  b\nc", 80) == "a b c" and one_line("x" * 10, 5) == "xxxx…"
    namer = RecordNamer(store)
    conflict = {"entity": "pupil", "field": "fsm", "kind": "edit_vs_final", "local_value": 1, "remote_value": 0}
    assert conflict_values(conflict, namer) == ("Yes", "No (finalised)")
    assert conflict_values(dict(conflict, kind="edit_vs_delete"), namer) == ("Yes", "Record deleted (was No)")
