"""The team lead's weekly allocation screen: the queue of new referrals, caseworkers' open
caseloads, the match hint, allocating with the keyboard, undo, and the empty state."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence

from desktop.caseload.allocation import AllocationBoard, pupil_phase, topic_words
from desktop.ui.allocation import EMPTY_TEXT, CaseworkerModel, QueueModel
from tests.conftest import TODAY  # Monday 23/11/2026


@pytest.fixture
def team(caseload):
    """Two areas' schools, three caseworkers (and an administrator) and a week's referrals."""
    north = caseload.add_school(name="Hollowmere Primary School", phase="primary", area="Ashbridge North")
    south = caseload.add_school(name="Wrenfield Academy", phase="secondary", area="Ashbridge South")
    workers = {
        "north_semh": caseload.add_caseworker(
            "Cara North", area="Ashbridge North", specialisms=["SEMH", "anger management"]
        ),
        "north": caseload.add_caseworker("Ben North", area="ashbridge  north", specialisms=[]),
        "south_semh": caseload.add_caseworker("Ada South", area="Ashbridge South", specialisms=["SEMH"]),
    }
    caseload.add_caseworker("Olu Admin", role="admin", area="Ashbridge North")

    def refer(first, school, when, reason="persistent_disruption", year=5):
        pupil = caseload.add_pupil(first_name=first, last_name="Test", school_id=school, year_group=year)
        return caseload.add_referral(pupil_id=pupil, school_id=school, reason=reason, referral_date=when)

    referrals = {
        "ivy": refer("Ivy", north, "2026-11-12"),  # 11 days: amber
        "theo": refer("Theo", south, "2026-11-20", "bullying", year=8),  # 3 days
        "zara": refer("Zara", north, "2026-11-02", "attendance"),  # 21 days: red
        "open_a": refer("Ann", north, "2026-10-01"),
        "open_b": refer("Bob", south, "2026-10-05", year=9),
        "active": refer("Cat", north, "2026-09-20"),
        "closed": refer("Dan", north, "2026-09-10"),
        "withdrawn": refer("Eve", south, "2026-11-16"),
    }
    caseload.allocate(referrals["open_a"], workers["north_semh"], date(2026, 10, 6))
    caseload.allocate(referrals["open_b"], workers["north_semh"], date(2026, 11, 23))  # this week
    caseload.allocate(referrals["active"], workers["south_semh"], date(2026, 9, 25))
    caseload.add_visit(referrals["active"], "2026-10-01", "observation")
    caseload.allocate(referrals["closed"], workers["north"], date(2026, 9, 12))
    caseload.close(referrals["closed"], "psp_completed", date(2026, 11, 1))
    caseload.close(referrals["withdrawn"], "school_withdrew")  # never allocated: not in the queue
    return {"schools": {"north": north, "south": south}, "workers": workers, "referrals": referrals}


@pytest.fixture
def open_screen(qtbot, make_window, store):
    def open_():
        window = make_window(store)  # the main window installs the allocation screen itself
        window.findChild(type(window.allocation.action), "weeklyAllocation").trigger()
        screen = window.allocation.screen
        qtbot.waitExposed(screen)
        return window, screen

    return open_


def cells(model, col):
    return [model.index(r, col).data() for r in range(model.rowCount())]


def column_of(model, role):
    return [model.index(r, 0).data(role) for r in range(model.rowCount())]


def open_counts(screen):
    m = screen.worker_model
    return {m.index(r, 0).data(): m.index(r, 0).data(CaseworkerModel.OpenCasesRole) for r in range(m.rowCount())}


def test_install_adds_the_team_menu_with_its_shortcut_once(qtbot, make_window, store):
    """The main window has one Team menu holding Weekly allocation…, with Ctrl+Shift+W."""
    window = make_window(store)
    menus = [a for a in window.menuBar().actions() if a.text() == "&Team"]
    assert len(menus) == 1
    (action,) = menus[0].menu().actions()
    assert (action.objectName(), action.text()) == ("weeklyAllocation", "Weekly &allocation…")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+W")
    assert action in window.actions()  # so the lock disables it with every other command


def test_queue_lists_only_new_referrals_oldest_first_with_days_waiting(open_screen, team):
    """Allocated, active, closed and withdrawn referrals stay out; waiting turns amber at 10 days
    and red at 14 (the 2-week target)."""
    window, screen = open_screen()
    m = screen.queue_model
    r = team["referrals"]
    assert column_of(m, QueueModel.ReferralIdRole) == [r["zara"], r["ivy"], r["theo"]]
    assert cells(m, 0) == ["21 days · overdue", "11 days · due soon", "3 days"]  # words, not colour alone
    assert [t.split(":")[0] for t in column_of(m, Qt.ItemDataRole.ToolTipRole)] == [
        "Referred 02/11/2026",
        "Referred 12/11/2026",
        "Referred 20/11/2026",
    ]
    assert cells(m, 1) == ["Zara Test", "Ivy Test", "Theo Test"]
    assert cells(m, 2) == ["Year 5", "Year 5", "Year 8"]
    assert cells(m, 3) == ["Hollowmere Primary School", "Hollowmere Primary School", "Wrenfield Academy"]
    assert cells(m, 4) == ["Ashbridge North", "Ashbridge North", "Ashbridge South"]
    assert cells(m, 5) == ["Attendance", "Persistent disruptive behaviour", "Bullying"]
    backgrounds = [m.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) for row in range(3)]
    assert [b.name() if b else None for b in backgrounds] == ["#fee2e2", "#fef3c7", None]
    assert m.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) is None  # only the Waiting cell
    assert screen.summary.text() == (
        "3 new · oldest waiting 21 days · 1 past the 2-week target · 1 allocated this week"
    )
    assert screen.current_referral_id() == r["zara"]  # the oldest is ready to allocate


def test_waiting_colours_start_at_exactly_10_and_14_days(qtbot, caseload, case):
    """The thresholds are inclusive: 10 days is amber, 14 is red, 9 and 13 are not."""
    school, pupil = case["school"], case["pupil"]
    for when in ("2026-11-14", "2026-11-13", "2026-11-10", "2026-11-09"):  # 9, 10, 13, 14 days
        caseload.add_referral(pupil_id=pupil, school_id=school, reason="other", referral_date=when)
    model = QueueModel()
    model.set_items(AllocationBoard.load(caseload).queue)
    tones = {
        model.index(r, 0).data(QueueModel.DaysWaitingRole): model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole)
        for r in range(model.rowCount())
    }
    assert {days: tone.name() if tone else None for days, tone in tones.items()} == {
        21: "#fee2e2",
        14: "#fee2e2",
        13: "#fef3c7",
        10: "#fef3c7",
        9: None,
    }


def test_open_caseload_counts_allocated_and_active_cases_only(open_screen, team):
    """Closed cases and new referrals do not count; administrators are not offered."""
    window, screen = open_screen()
    assert open_counts(screen) == {"Cara North": 2, "Ben North": 0, "Ada South": 1}
    m = screen.worker_model
    row = m.row_for(team["workers"]["north_semh"])
    assert [m.index(row, c).data() for c in range(5)] == [
        "Cara North",
        "Same area",
        "2",
        "Ashbridge North",
        "SEMH, anger management",
    ]  # Zara: attendance


def test_allocating_with_the_keyboard_updates_the_store_the_queue_and_the_counts(qtbot, open_screen, store, team):
    """Enter in the queue goes to the caseworkers (best match first); Enter there allocates
    on today's date, through the outbox, and the main list shows it."""
    window, screen = open_screen()
    r, w = team["referrals"], team["workers"]
    pending = store.pending_count()
    assert screen.current_referral_id() == r["zara"]
    qtbot.keyClick(screen.queue, Qt.Key.Key_Return)
    assert screen.current_caseworker_id() == w["north"]  # same area, no specialism, fewest cases
    assert "Zara Test" in screen.preview.text() and "Ben North" in screen.preview.text()
    qtbot.keyClick(screen.caseworkers, Qt.Key.Key_Down)
    assert screen.current_caseworker_id() == w["north_semh"]
    qtbot.keyClick(screen.caseworkers, Qt.Key.Key_Return)

    stored = store.get("referral", r["zara"])
    assert (stored["status"], stored["caseworker_id"], stored["allocated_on"]) == (
        "allocated",
        w["north_semh"],
        "2026-11-23",
    )
    assert store.pending_count() == pending + 1  # the edit waits in the outbox for the next sync
    assert column_of(screen.queue_model, QueueModel.ReferralIdRole) == [r["ivy"], r["theo"]]
    assert screen.current_referral_id() == r["ivy"]  # on to the next one
    assert open_counts(screen) == {"Cara North": 3, "Ben North": 0, "Ada South": 1}
    assert screen.status.text() == ("Allocated Zara Test to Cara North — contact the school within 24 hours")
    assert screen.summary.text() == ("2 new · oldest waiting 11 days · 2 allocated this week")
    row = window.model.row_for(r["zara"])
    assert window.model.index(row, 3).data() == "Allocated"
    assert window.model.index(row, 6).data() == "Cara North"


def test_allocate_button_and_date_on_a_chosen_day(qtbot, open_screen, store, team):
    """Ctrl+Return or the button allocates on the date shown, which may be earlier in the week;
    a date before the referral is refused with the reason and nothing is stored."""
    window, screen = open_screen()
    r, w = team["referrals"], team["workers"]
    assert screen.date.date() == QDate(TODAY) and screen.date.maximumDate() == QDate(TODAY)
    screen.queue.select_row(screen.queue_model.row_for(r["theo"]))
    assert not screen.allocate_button.isEnabled()  # a caseworker is still to choose
    screen.caseworkers.select_row(screen.worker_model.row_for(w["south_semh"]))
    screen.date.setDate(QDate(2026, 11, 19))
    pending = store.pending_count()
    qtbot.mouseClick(screen.allocate_button, Qt.MouseButton.LeftButton)
    assert "before the referral date 20/11/2026" in screen.status.text()
    assert store.get("referral", r["theo"])["status"] == "new"
    assert store.pending_count() == pending

    screen.date.setDate(QDate(2026, 11, 20))  # last Friday: not "this week"
    assert screen.current_caseworker_id() == w["south_semh"]  # the choice survives the error
    allocate = next(a for a in screen.actions() if a.shortcut() == QKeySequence("Ctrl+Return"))
    allocate.trigger()
    stored = store.get("referral", r["theo"])
    assert (stored["status"], stored["caseworker_id"], stored["allocated_on"]) == (
        "allocated",
        w["south_semh"],
        "2026-11-20",
    )
    assert screen.summary.text().endswith("1 allocated this week")


def test_undo_puts_the_referral_back_in_the_queue_and_redo_allocates_again(open_screen, store, team):
    """Ctrl+Z in the screen (the main window's undo stack) restores every field as it was."""
    window, screen = open_screen()
    r, w = team["referrals"], team["workers"]
    screen.caseworkers.select_row(screen.worker_model.row_for(w["south_semh"]))
    assert screen.allocate()
    assert window.undo_stack.undoText() == "Allocate Zara Test to Ada South"
    undo = next(a for a in screen.actions() if a.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo))
    undo.trigger()
    stored = store.get("referral", r["zara"])
    assert (stored["status"], stored["caseworker_id"], stored["allocated_on"]) == ("new", None, None)
    assert column_of(screen.queue_model, QueueModel.ReferralIdRole) == [r["zara"], r["ivy"], r["theo"]]
    assert screen.current_referral_id() == r["zara"]
    assert open_counts(screen)["Ada South"] == 1
    assert screen.status.text() == "Allocation undone: Zara Test is back in the queue."
    assert window.model.index(window.model.row_for(r["zara"]), 3).data() == "New"
    [update] = [e for e in store.audit_trail("referral", r["zara"]) if e["action"] == "update"][-1:]
    assert update["actor"] == "tester"  # the undo is itself an ordinary, audited edit

    window.undo_stack.redo()
    assert store.get("referral", r["zara"])["caseworker_id"] == w["south_semh"]
    assert r["zara"] not in column_of(screen.queue_model, QueueModel.ReferralIdRole)


def test_a_referral_allocated_elsewhere_meanwhile_is_not_reallocated(open_screen, store, caseload, team):
    """If sync (or the main window) allocated it after the screen was read, the screen says so
    and reads the queue again rather than quietly moving the case."""
    window, screen = open_screen()
    r, w = team["referrals"], team["workers"]
    caseload.allocate(r["zara"], w["south_semh"])  # arrives from another lead's laptop
    screen.caseworkers.select_row(screen.worker_model.row_for(w["north"]))
    assert not screen.allocate()
    assert store.get("referral", r["zara"])["caseworker_id"] == w["south_semh"]
    assert "no longer new" in screen.status.text()
    assert column_of(screen.queue_model, QueueModel.ReferralIdRole) == [r["ivy"], r["theo"]]


def test_the_match_hint_prefers_the_same_area_then_specialisms(open_screen, team):
    """For a North school's disruption referral: same area with SEMH, same area alone, then SEMH
    in another area; the order and the hint follow the selected referral."""
    window, screen = open_screen()
    r, w = team["referrals"], team["workers"]
    screen.queue.select_row(screen.queue_model.row_for(r["ivy"]))
    m = screen.worker_model
    assert column_of(m, CaseworkerModel.CaseworkerIdRole) == [w["north_semh"], w["north"], w["south_semh"]]
    assert cells(m, 1) == ["Same area · SEMH", "Same area", "SEMH"]  # anger: not this reason
    # Theo: a South secondary pupil referred for bullying; nobody's specialisms fit
    screen.queue.select_row(screen.queue_model.row_for(r["theo"]))
    assert cells(m, 1)[0] == "Same area" and cells(m, 0)[0] == "Ada South"
    # with no area match, fewer open cases comes first
    assert cells(m, 0)[1:] == ["Ben North", "Cara North"]


def test_match_rule_words():
    """Specialisms match on the referral's topic words and the pupil's phase, never on
    general words like "behaviour"."""
    from desktop.ui.allocation import CaseworkerLoad, QueuedReferral

    def referral(reason, phase, year, area="East"):
        return QueuedReferral("r", "2026-11-20", 3, "P", year, "S", area, phase, reason)

    def worker(*specialisms, area=None):
        return CaseworkerLoad("c", "W", area, specialisms, 0)

    assert pupil_phase("primary", 0) == "early_years"  # Reception, wherever taught
    assert pupil_phase("all_through", 9) == "secondary"
    assert pupil_phase(None, None) is None
    assert "primary" in topic_words("other", "primary", 3)
    nursery_wellbeing = referral("emotional_wellbeing", "nursery", -1)
    m = worker("Early years", "attachment", "behaviour audits").match(nursery_wellbeing)
    assert m.specialisms == ("Early years", "attachment")
    disruption = referral("persistent_disruption", "secondary", 9)
    assert worker("Behaviour support").match(disruption).specialisms == ()
    social = referral("social_interaction", "primary", 4)
    assert worker("Social Interaction").match(social).hint == "Social Interaction"
    assert worker(area=" east ").match(referral("other", None, None)).same_area
    assert not worker(area=None).match(referral("other", None, None, area=None)).same_area


def test_empty_queue_says_everything_is_allocated(qtbot, open_screen, store, caseload, team):
    """Allocating the last new referral leaves the empty state; undo brings the queue back."""
    r, w = team["referrals"], team["workers"]
    caseload.allocate(r["ivy"], w["north"])
    caseload.allocate(r["theo"], w["north"])
    window, screen = open_screen()
    assert screen.queue_pages.currentWidget() is screen.queue
    qtbot.keyClick(screen.queue, Qt.Key.Key_Return)
    qtbot.keyClick(screen.caseworkers, Qt.Key.Key_Return)
    assert store.get("referral", r["zara"])["status"] == "allocated"
    assert screen.queue_pages.currentWidget() is screen.empty
    assert screen.empty.isVisible() and screen.empty.text() == EMPTY_TEXT
    assert screen.summary.text() == "No new referrals · 4 allocated this week"
    assert not screen.allocate_button.isEnabled()
    assert not screen.allocate()
    window.undo_stack.undo()
    assert screen.queue_pages.currentWidget() is screen.queue


def test_the_screen_closes_when_the_app_locks(open_screen, team):
    """It lists pupils, so it does not stay on screen behind the lock."""
    window, screen = open_screen()
    assert screen.isVisible()
    window.lock()
    assert not screen.isVisible()
    assert not window.allocation.action.isEnabled()


def test_demo_data_queue_is_new_only_and_oldest_first(open_screen, store, caseload):
    """With realistic data, every queued referral is new and the counts match the store."""
    from desktop.demo import fill_demo

    fill_demo(caseload, 60)
    window, screen = open_screen()
    ids = column_of(screen.queue_model, QueueModel.ReferralIdRole)
    assert ids and all(store.get("referral", i)["status"] == "new" for i in ids)
    assert (
        len(ids)
        == store.conn.execute("SELECT count(*) FROM referral WHERE status = 'new' AND deleted = 0").fetchone()[0]
    )
    days = column_of(screen.queue_model, QueueModel.DaysWaitingRole)
    assert days == sorted(days, reverse=True)
    expected = dict(
        store.conn.execute(
            "SELECT c.name, count(r.id) FROM caseworker c LEFT JOIN referral r ON r.caseworker_id = c.id "
            "AND r.status IN ('allocated', 'active') AND r.deleted = 0 GROUP BY c.id"
        ).fetchall()
    )
    assert open_counts(screen) == expected
