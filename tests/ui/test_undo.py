"""Ctrl+Z after a colleague's change arrived by sync: their value stays and the window says
so (the rule itself is tested without a display in tests/store/test_undo.py)."""

from __future__ import annotations

import json

from PySide6.QtGui import QKeySequence

from tests.remote import apply_remote
from tests.ui.test_allocation import open_screen, team  # noqa: F401 - fixtures


def _pulled(store, entity, record_id, values, *, deleted=False):
    row = store.get(entity, record_id, include_deleted=True)
    versions = json.loads(row["field_versions"])
    versions.update({k: row["version"] + 1 for k in values})
    apply_remote(store, entity, record_id, values, version=row["version"] + 1, field_versions=versions, deleted=deleted)


def _undo_action(window):
    return next(a for a in window.actions() if a.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo))


def test_undo_after_a_pull_leaves_the_colleague_s_value_and_says_so(make_window, store, case, fill_dialogs):
    queue, _ = fill_dialogs
    window = make_window(store)
    window.select_referral(case["referral"])
    queue.append({"concern": "Runs out of class at transitions", "fixed_exclusions_before": 2})
    window.case_action("edit_referral")
    _pulled(store, "referral", case["referral"], {"concern": "Lead's wording after the visit."})
    _undo_action(window).trigger()
    referral = store.get("referral", case["referral"])
    assert referral["concern"] == "Lead's wording after the visit."
    assert referral["fixed_exclusions_before"] is None  # the rest of the edit was undone
    message = window.statusBar().currentMessage()
    assert message.startswith("Undo left the referral's concern as it is: it was changed elsewhere")
    assert "Error" not in message and "Exception" not in message


def test_undo_of_a_visit_deleted_elsewhere_says_so_and_changes_nothing(make_window, store, case, fill_dialogs):
    queue, _ = fill_dialogs
    window = make_window(store)
    window.select_referral(case["referral"])
    queue.append({"visit_date": "2026-11-20", "notes": "Calm in maths."})
    window.case_action("visit")
    [visit] = [r["id"] for r in store.db.query("SELECT id FROM visit")]
    _pulled(store, "visit", visit, {}, deleted=True)
    pending = store.pending_count()
    _undo_action(window).trigger()
    assert store.pending_count() == pending
    assert window.statusBar().currentMessage().startswith("Undo left the visit alone: it was deleted elsewhere")


def test_a_plain_undo_shows_no_note(make_window, store, case, fill_dialogs):
    queue, _ = fill_dialogs
    window = make_window(store)
    window.select_referral(case["referral"])
    queue.append({"year_group": 4})
    window.case_action("edit_pupil")
    _undo_action(window).trigger()
    assert store.get("pupil", case["pupil"])["year_group"] == 5
    assert "elsewhere" not in window.statusBar().currentMessage()


def test_undo_in_the_allocation_screen_after_a_lead_reallocated_says_so(open_screen, store, team):
    """Ctrl+Z of an allocation after another lead's reallocation arrived: theirs stands and
    the screen, where Ctrl+Z was pressed, says why."""
    window, screen = open_screen()
    r, w = team["referrals"], team["workers"]
    screen.caseworkers.select_row(screen.worker_model.row_for(w["south_semh"]))
    assert screen.allocate()
    other = next(v for k, v in w.items() if v != w["south_semh"])
    _pulled(store, "referral", r["zara"], {"caseworker_id": other})
    undo = next(a for a in screen.actions() if a.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo))
    undo.trigger()
    assert store.get("referral", r["zara"])["caseworker_id"] == other
    assert screen.status.text().startswith("Undo left the referral's caseworker as it is")
