"""Sync ▸ Needs attention…: conflicts, changes the server refused, and unsent edits of
reallocated cases, each listed from the store and dealt with through the sync module."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence

from tests.remote import apply_remote
from desktop.ui import attention
from desktop.ui.attention import (
    TAB_CONFLICTS,
    TAB_QUARANTINE,
    TAB_REJECTED,
    TAB_REVIEW,
    attention_count,
)
from sync.client import local


def rows(model):
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


def synced(store):
    """As if everything made so far had reached the server: nothing pending."""
    store.mark_sent([r["mutation_id"] for r in store.pending_changes()])


def server_edit(store, entity, record_id, **fields):
    """The server's value arriving by pull (no outbox entry), as the sync engine applies it."""
    current = store.get(entity, record_id)
    apply_remote(
        store,
        entity,
        record_id,
        fields,
        version=current["version"] + 1,
        field_versions=json.loads(current["field_versions"]),
        deleted=False,
    )


def conflict(store, entity, record_id, name, laptop, server, kind="same_field", cid=None):
    """A conflict as the engine records it from a push reply (the server kept its value)."""
    cid = cid or f"c-{entity}-{name}-{kind}"
    with store.transaction():
        local.record_conflicts(
            store,
            entity,
            record_id,
            f"m-{cid}",
            [{"id": cid, "field": name, "kind": kind, "kept_value": server, "other_value": laptop}],
        )
    return cid


def open_conflicts(store):
    return store.conn.execute("SELECT id FROM conflict WHERE resolved_at IS NULL").fetchall()


@pytest.fixture
def window(make_window, store):
    return make_window(store)  # the main window installs the attention screen itself


def open_screen(window, qtbot):
    dialog = window.needs_attention.open()
    qtbot.waitExposed(dialog)
    return dialog


@pytest.fixture
def concern_conflict(store, case):
    """The referral's concern edited here and on the server: the server's value is shown."""
    synced(store)
    server_edit(store, "referral", case["referral"], concern="Shouts in assembly.")
    return conflict(
        store,
        "referral",
        case["referral"],
        "concern",
        laptop="Leaves the classroom without permission.",
        server="Shouts in assembly.",
    )


def test_install_adds_the_sync_menu_command_once(window):
    """Sync ▸ Needs attention… (Ctrl+Shift+E, objectName needsAttention); installing twice adds
    nothing (the main window may install it itself)."""
    attention.install(window)
    menus = {a.text(): a.menu() for a in window.menuBar().actions() if a.menu()}
    assert "&Sync" in menus
    actions = [a for a in menus["&Sync"].actions() if a.objectName() == "needsAttention"]
    assert len(actions) == 1
    assert actions[0].text() == "Needs &attention…"
    assert actions[0].shortcut() == QKeySequence("Ctrl+Shift+E")


def test_menu_command_opens_the_screen_with_empty_states(qtbot, window, store, case):
    """With nothing to deal with, every tab says so and explains what would appear there."""
    synced(store)
    window.findChild(type(window.needs_attention.action), "needsAttention").trigger()
    dialog = window.needs_attention.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.summary.text() == "Nothing needs your attention."
    assert attention_count(store) == 0
    for index, tab, words in (
        (TAB_CONFLICTS, dialog.conflicts, "No conflicts"),
        (TAB_REJECTED, dialog.rejected, "No refused changes"),
        (TAB_REVIEW, dialog.review, "Nothing to review"),
    ):
        dialog.tabs.setCurrentIndex(index)
        assert tab.model.rowCount() == 0
        assert tab.empty.isVisible() and not tab.table.isVisible()
        assert words in tab.empty.text()
        assert not tab.intro.isVisible() and not tab.button_row.isVisible()
    assert [dialog.tabs.tabText(i) for i in range(3)] == ["Conflicts", "Rejected changes", "For review"]
    assert not dialog.keep_local.isEnabled() and not dialog.keep_remote.isEnabled()
    assert not dialog.dismiss.isEnabled() and not dialog.copy_rejected.isEnabled()


def test_conflicts_list_both_values_in_words(qtbot, window, store, case, concern_conflict):
    """One row per open conflict: the pupil and school, the field, both values, what happened."""
    conflict(store, "pupil", case["pupil"], "year_group", laptop=6, server=5)
    dialog = open_screen(window, qtbot)
    assert dialog.tabs.currentIndex() == TAB_CONFLICTS
    assert dialog.tabs.tabText(TAB_CONFLICTS) == "Conflicts (2)"
    when = rows(dialog.conflicts.model)[0][6]
    assert rows(dialog.conflicts.model) == [
        (
            "Ivy Okafor, Hollowmere Primary School",
            "Referral",
            "Concern",
            "Leaves the classroom without permission.",
            "Shouts in assembly.",
            "Changed in both places",
            when,
        ),
        (
            "Ivy Okafor",
            "Pupil",
            "Year group",
            "Year 6",
            "Year 5",
            "Changed in both places",
            rows(dialog.conflicts.model)[1][6],
        ),
    ]
    assert len(when) == 16 and when[2] == "/"  # 23/11/2026 14:05
    assert dialog.summary.text() == "2 items need your attention"
    detail = dialog.conflicts.detail.toPlainText()
    assert "This laptop: Leaves the classroom" in detail and "Server: Shouts in assembly." in detail


def test_keeping_this_laptops_value_is_an_audited_edit_that_will_sync(qtbot, window, store, case, concern_conflict):
    """Keep this laptop's: the record takes the laptop's value, the conflict closes and leaves
    the list, the choice is in the audit trail and an outbox edit waits to be sent."""
    dialog = open_screen(window, qtbot)
    assert dialog.conflicts.current()["id"] == concern_conflict
    assert not dialog.keep_local.autoDefault() and not dialog.keep_remote.autoDefault()  # not Enter
    qtbot.mouseClick(dialog.keep_local, Qt.MouseButton.LeftButton)

    assert store.get("referral", case["referral"])["concern"] == "Leaves the classroom without permission."
    assert (
        store.conn.execute("SELECT resolution FROM conflict WHERE id = ?", (concern_conflict,)).fetchone()[0] == "local"
    )
    assert open_conflicts(store) == []
    assert dialog.conflicts.model.rowCount() == 0 and dialog.conflicts.empty.isVisible()
    pending = store.pending_changes()
    assert [(p["entity"], p["record_id"], p["op"], json.loads(p["fields"])) for p in pending] == [
        ("referral", case["referral"], "update", {"concern": "Leaves the classroom without permission."})
    ]
    trail = [(a["action"], a["detail"]) for a in store.audit_trail("referral", case["referral"])]
    assert trail[-2:] == [("update", "concern"), ("resolve_conflict", "concern: kept local")]
    assert store.audit_trail()[-1]["actor"] == "tester"
    assert attention_count(store) == 0


def test_keeping_the_servers_value_changes_nothing_but_the_conflict(qtbot, window, store, case, concern_conflict):
    """Keep the server's (Alt+S): the record keeps the server's value, nothing is queued,
    the choice is audited."""
    dialog = open_screen(window, qtbot)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # shortcuts go to the active window
    dialog.conflicts.table.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not open_conflicts(store))  # a mnemonic animates its click first

    assert store.get("referral", case["referral"])["concern"] == "Shouts in assembly."
    assert (
        store.conn.execute("SELECT resolution FROM conflict WHERE id = ?", (concern_conflict,)).fetchone()[0]
        == "remote"
    )
    assert store.pending_changes() == []
    assert store.audit_trail()[-1]["action"] == "resolve_conflict"
    assert store.audit_trail()[-1]["detail"] == "concern: kept remote"
    assert dialog.conflicts.model.rowCount() == 0


def test_resolving_moves_to_the_next_conflict(qtbot, window, store, case, concern_conflict):
    """After a choice the next conflict is selected, so a run of them goes quickly."""
    second = conflict(store, "pupil", case["pupil"], "upn", laptop="A123", server="B456")
    dialog = open_screen(window, qtbot)
    dialog.keep_remote.click()
    assert dialog.conflicts.current()["id"] == second
    dialog.keep_local.click()
    assert store.get("pupil", case["pupil"])["upn"] == "A123"
    assert open_conflicts(store) == []


def server_delete(store, entity, record_id):
    """The server's tombstone arriving by pull."""
    current = store.get(entity, record_id)
    apply_remote(
        store,
        entity,
        record_id,
        {},
        version=current["version"] + 1,
        field_versions=json.loads(current["field_versions"]),
        deleted=True,
    )


def test_keeping_an_edit_that_met_a_delete_restores_the_record(qtbot, window, store, case):
    """Deleted elsewhere, edited here: Keep this laptop's brings the record back with this
    laptop's value, as one audited change waiting to be sent (a create of the same id)."""
    synced(store)
    server_delete(store, "referral", case["referral"])
    conflict(
        store,
        "referral",
        case["referral"],
        "concern",
        laptop="New words",
        server="Leaves the classroom.",
        kind="edit_vs_delete",
    )
    dialog = open_screen(window, qtbot)
    assert rows(dialog.conflicts.model)[0][3:6] == (
        "New words",
        "Record deleted (was Leaves the classroom.)",
        "Deleted elsewhere",
    )
    assert dialog.keep_local.isEnabled()
    assert dialog.keep_local.text() == "Restore with this &laptop's value"
    assert dialog.keep_remote.text() == "Leave it deleted (&server's)"
    assert "restores the record" in dialog.conflicts.detail.toPlainText()
    dialog.keep_local.click()
    assert store.get("referral", case["referral"])["concern"] == "New words"
    (entry,) = store.pending_changes()
    assert (entry["op"], json.loads(entry["fields"])["concern"]) == ("create", "New words")
    assert [a["action"] for a in store.audit_trail("referral", case["referral"])][-2:] == [
        "restore",
        "resolve_conflict",
    ]
    assert open_conflicts(store) == []


def test_accepting_a_delete_leaves_the_record_deleted(qtbot, window, store, case):
    synced(store)
    server_delete(store, "referral", case["referral"])
    cid = conflict(
        store,
        "referral",
        case["referral"],
        "concern",
        laptop="New words",
        server="Leaves the classroom.",
        kind="edit_vs_delete",
    )
    dialog = open_screen(window, qtbot)
    dialog.keep_remote.click()
    assert store.get("referral", case["referral"]) is None and store.pending_changes() == []
    assert store.conn.execute("SELECT resolution FROM conflict WHERE id = ?", (cid,)).fetchone()[0] == "remote"


def test_finalised_evidence_can_only_accept_the_servers_side(qtbot, window, store, case):
    """An edit that met finalised evidence cannot keep this laptop's value: the button is
    off and says why."""
    synced(store)
    conflict(
        store,
        "referral",
        case["referral"],
        "concern",
        laptop="New words",
        server="Leaves the classroom.",
        kind="edit_vs_final",
    )
    dialog = open_screen(window, qtbot)
    assert not dialog.keep_local.isEnabled()
    assert "finalised elsewhere" in dialog.keep_local.toolTip()
    assert "make a correction" in dialog.conflicts.detail.toPlainText()
    dialog.keep_local.click()  # disabled: nothing happens
    assert len(open_conflicts(store)) == 1 and store.pending_changes() == []


def test_a_failed_resolution_is_shown_not_raised(qtbot, window, store, case, concern_conflict):
    """If the store refuses (the record was deleted here meanwhile), the screen says so and the
    conflict stays open."""
    store.delete("referral", case["referral"])
    dialog = open_screen(window, qtbot)
    dialog.keep_local.click()
    assert dialog.message.isVisible() and "deleted" in dialog.message.text()
    assert len(open_conflicts(store)) == 1
    assert dialog.conflicts.model.rowCount() == 1


def test_rejected_changes_are_listed_with_the_reason_and_copied_without_pupil_details(
    qtbot, window, store, caseload, case
):
    """A change the server refused for good is listed with its reason and the explanation that
    it is kept and not sent again; Copy details gives support what it needs, no names or values."""
    synced(store)
    caseload.update_pupil(case["pupil"], upn="Z999")
    entry = store.pending_changes()[-1]
    store.mark_rejected(entry["mutation_id"], "You do not have access to this record.")
    dialog = open_screen(window, qtbot)
    assert dialog.tabs.currentIndex() == TAB_REJECTED  # opens on the first list with items
    assert dialog.tabs.tabText(TAB_REJECTED) == "Rejected changes (1)"
    made = rows(dialog.rejected.model)[0][4]
    assert rows(dialog.rejected.model) == [
        ("Ivy Okafor", "Pupil", "Edited: UPN", "You do not have access to this record.", made, "1")
    ]
    assert "not be sent again" in dialog.rejected.intro.text()
    assert "UPN: Z999" in dialog.rejected.detail.toPlainText()
    assert dialog.rejected.model.index(0, 0).data(dialog.rejected.model.IdRole) == entry["mutation_id"]

    dialog.copy_rejected.click()
    copied = QGuiApplication.clipboard().text()
    assert entry["mutation_id"] in copied and "You do not have access" in copied
    assert "upn" in copied
    assert "Ivy" not in copied and "Okafor" not in copied and "Z999" not in copied
    assert attention_count(store) == 1 == local.sync_status(store).attention_count
    assert store.get("pupil", case["pupil"])["upn"] == "Z999"  # kept on this laptop


@pytest.fixture
def reallocated(store, caseload, case):
    """The case was reallocated away with a visit and an edit unsent: the engine's revoke."""
    synced(store)
    caseload.update_referral(case["referral"], concern="Now also refuses to go in at lunch.")
    visit = caseload.add_visit(case["referral"], "2026-11-20", "consultation", notes="Met the SENCo.")
    with store.transaction():
        for entity, record_id in local.case_closure(store, case["referral"]):
            local.purge_with_review(store, entity, record_id, "case reallocated")
    return visit


def test_review_lists_unsent_edits_of_a_reallocated_case(qtbot, window, store, case, reallocated):
    """Each record that left with unsent edits is listed, described from its snapshot."""
    assert store.get("referral", case["referral"]) is None
    dialog = open_screen(window, qtbot)
    assert dialog.tabs.currentIndex() == TAB_REVIEW
    assert dialog.tabs.tabText(TAB_REVIEW) == "For review (2)"
    listed = rows(dialog.review.model)
    assert [r[:4] for r in listed] == [
        (
            "Referral of 02/11/2026 — Consultation, 20/11/2026",
            "Visit",
            "New record (Notes, Referral, Visit date, Visit type)",
            "Case reallocated",
        ),
        ("Referral of 02/11/2026 (Persistent disruptive behaviour)", "Referral", "Edited: Concern", "Case reallocated"),
    ]
    dialog.review.table.selectRow(1)
    assert "Concern: Now also refuses to go in at lunch." in dialog.review.detail.toPlainText()
    dialog.copy_review.click()
    assert "Now also refuses to go in at lunch." in QGuiApplication.clipboard().text()
    assert attention_count(store) == 2


def test_dismiss_removes_a_review_item_after_confirming(qtbot, window, store, case, reallocated):
    """Dismiss asks whether the changes were passed on; No keeps the item, Yes dismisses it
    (audited, its content kept in the table)."""
    dialog = open_screen(window, qtbot)
    answers = [False, True]
    dialog.ask = lambda *_: answers.pop(0)
    first = dialog.review.current()["seq"]
    dialog.dismiss.click()
    assert dialog.review.model.rowCount() == 2
    dialog.dismiss.click()
    assert [r["seq"] for r in local.sync_status(store).review] == [r["seq"] for r in dialog.review.model.items]
    assert first not in [r["seq"] for r in dialog.review.model.items]
    assert dialog.review.model.rowCount() == 1
    assert store.conn.execute(
        "SELECT resolved_at IS NOT NULL, changes != '' FROM review WHERE seq = ?", (first,)
    ).fetchone() == (1, 1)
    assert store.audit_trail()[-1]["action"] == "review_dismissed"
    assert attention_count(store) == 1


def test_count_matches_everything_open(qtbot, window, store, caseload, case, reallocated):
    """attention_count = conflicts + rejected + review, and it falls as items are dealt with."""
    school = caseload.add_school(name="Wrenfield Academy", phase="secondary")
    synced(store)
    cid = conflict(store, "school", school, "phase", laptop="secondary", server="all_through")
    caseload.update_school(school, urn="123456")
    store.mark_rejected(store.pending_changes()[-1]["mutation_id"], "urn is not valid")
    assert attention_count(store) == 4 == local.sync_status(store).attention_count
    dialog = open_screen(window, qtbot)
    assert dialog.summary.text() == "4 items need your attention"
    assert rows(dialog.conflicts.model)[0][:5] == ("Wrenfield Academy", "School", "Phase", "Secondary", "All-through")
    local.resolve_conflict(store, cid, "remote")
    dialog.reload()
    assert attention_count(store) == 3
    assert dialog.summary.text() == "3 items need your attention"


def test_the_screen_closes_when_the_app_locks(qtbot, window, store, case, concern_conflict):
    """The lists name pupils, so they close with the lock like every other window."""
    dialog = open_screen(window, qtbot)
    window.lock()
    assert not dialog.isVisible()
    assert window.needs_attention.dialog is None
    assert not window.needs_attention.action.isEnabled()


def test_the_buttons_say_when_a_choice_restores_a_record(qtbot, window, store, caseload, case):
    """The two choices are named for what they do: for a deletion met by a change, one of
    them restores the record; for an ordinary conflict, each keeps a value."""
    school = caseload.add_school(name="Wrenfield Academy", phase="secondary")
    synced(store)
    conflict(store, "school", school, "phase", laptop="secondary", server="all_through")
    server_delete(store, "referral", case["referral"])
    conflict(store, "referral", case["referral"], "concern", laptop=None, server="New words", kind="delete_vs_edit")
    dialog = open_screen(window, qtbot)
    labels = {}
    for row in range(dialog.conflicts.model.rowCount()):
        dialog.conflicts.table.selectRow(row)
        kind = dialog.conflicts.current()["kind"]
        labels[kind] = (dialog.keep_local.text(), dialog.keep_remote.text())
    assert labels == {
        "same_field": ("Keep this &laptop's", "Keep the &server's"),
        "delete_vs_edit": ("Leave it deleted (this &laptop's)", "Restore with the &server's value"),
    }
    dialog.conflicts.table.selectRow(
        next(r for r in range(2) if dialog.conflicts.model.items[r]["kind"] == "delete_vs_edit")
    )
    dialog.keep_remote.click()
    assert store.get("referral", case["referral"])["concern"] == "Leaves the classroom."
    assert store.pending_changes()[-1]["op"] == "create"


@pytest.fixture
def held_back(store, case):
    """Two records from the server this laptop could not store, as the sync engine keeps
    them (``quarantine.hold`` after a failed apply): a second answer to an item already
    answered (the unique index), and a coding scheme whose definition is not JSON."""
    from desktop.store import new_id
    from sync.client import quarantine
    from sync.client import apply

    synced(store)
    completion, first, second, scheme = new_id(), new_id(), new_id(), new_id()

    def state(entity, record_id, fields, version=1):
        return {
            "entity": entity,
            "id": record_id,
            "version": version,
            "deleted": False,
            "field_versions": {k: version for k in fields},
            "fields": fields,
            "seq": 1,
        }

    good = [
        state(
            "form_completion",
            completion,
            {
                "pupil_id": case["pupil"],
                "pack_id": "sdq-teacher-4-17",
                "pack_version": "1",
                "informant": "teacher",
                "age_band": "4-17",
                "completed_by": "x",
                "completed_on": "2026-11-01",
                "time_point": "baseline",
            },
        ),
        state("form_answer", first, {"completion_id": completion, "item_id": "q1", "value": "1"}),
    ]
    with apply.applying(store), store.transaction():
        apply.apply_states(store, good)
    for bad in (
        state("form_answer", second, {"completion_id": completion, "item_id": "q1", "value": "2"}),
        state("coding_scheme", scheme, {"name": "On task", "definition": "{oops"}),
    ):
        try:
            with apply.applying(store), store.transaction():
                apply.check_values(bad["entity"], bad["fields"])
                apply.apply_states(store, [bad])
        except quarantine.APPLY_ERRORS as exc:
            with store.transaction():
                quarantine.hold(store, bad, quarantine.reason_for(exc))
    return {"completion": completion, "first": first, "second": second, "scheme": scheme, "state": state}


def test_records_that_could_not_be_stored_are_listed_with_the_reason(qtbot, window, store, held_back):
    dialog = open_screen(window, qtbot)
    assert dialog.tabs.currentIndex() == TAB_QUARANTINE
    assert dialog.tabs.tabText(TAB_QUARANTINE) == "Could not be stored (2)"
    listed = rows(dialog.quarantine.model)
    assert [r[1] for r in listed] == ["Assessment answer", "Coding scheme"]
    assert listed[1][0] == "On task"
    reasons = [q["reason"] for q in dialog.quarantine.model.items]
    assert reasons[0] == ("Another record here has the same completion id and item id; that must be unique.")
    assert "not valid JSON" in listed[1][2]
    assert "Everything else synced" in dialog.quarantine.intro.text()
    dialog.quarantine.table.selectRow(1)
    assert "Why:" in dialog.quarantine.detail.toPlainText()
    assert attention_count(store) == 2
    assert "2 items need your attention" == dialog.summary.text()


def test_try_again_stores_a_record_once_its_cause_is_gone(qtbot, window, store, held_back):
    """Still refused: the reason is shown and the item stays. Once the first answer moved to
    another item (a newer version from the server), Try again stores it and settles it."""
    dialog = open_screen(window, qtbot)
    dialog.quarantine.table.selectRow(0)
    dialog.retry_quarantined.click()
    assert dialog.message.isVisible() and "still cannot be stored" in dialog.message.text()
    assert dialog.quarantine.model.rowCount() == 2
    current = store.get("form_answer", held_back["first"])
    apply_remote(
        store,
        "form_answer",
        held_back["first"],
        {"item_id": "q2"},
        version=current["version"] + 1,
        field_versions={"item_id": 2},
        deleted=False,
    )
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        dialog.quarantine.table.selectRow(0)
        dialog.retry_quarantined.click()
    assert store.get("form_answer", held_back["second"])["value"] == "2"
    assert [r[1] for r in rows(dialog.quarantine.model)] == ["Coding scheme"]
    assert dialog.tabs.tabText(TAB_QUARANTINE) == "Could not be stored (1)"


def test_dismiss_a_record_that_could_not_be_stored_after_confirming(qtbot, window, store, held_back):
    dialog = open_screen(window, qtbot)
    answers = [False, True]
    dialog.ask = lambda *_: answers.pop(0)
    dialog.quarantine.table.selectRow(1)
    dialog.dismiss_quarantined.click()
    assert dialog.quarantine.model.rowCount() == 2
    dialog.dismiss_quarantined.click()
    assert [r[1] for r in rows(dialog.quarantine.model)] == ["Assessment answer"]
    assert store.audit_trail()[-1]["action"] == "quarantine_dismissed"
    assert attention_count(store) == 1
    assert store.get("coding_scheme", held_back["scheme"], include_deleted=True) is None
