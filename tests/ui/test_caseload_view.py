"""A caseload that scans (issue 13, item 3): columns that fit a 1366 px laptop, a date of
birth that tells two pupils of one name apart, "My cases" and "Open cases" first, columns the
user chooses and moves (remembered), Down and Enter from the search box into the list, and a
case pane that clears when the filters hide its case."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.config import Settings
from desktop.store import open_store
from desktop.store.keys import KeyManager
from desktop.ui.caseload_model import BORN, CASEWORKER, PUPIL, REASON, REFERRED, UPN, YEAR, CaseloadModel
from tests.conftest import PASSPHRASE, TODAY


@pytest.fixture
def named_window(qtbot, isolated_home):
    """A main window whose user is called ``name`` in Settings."""
    from desktop.ui.main_window import MainWindow

    def make(store, name: str = "Sam Whitfield"):
        window = MainWindow(
            store,
            KeyManager(isolated_home),
            Settings(practitioner_name=name),
            lambda: open_store(isolated_home, PASSPHRASE),
            today=TODAY,
            save_config=lambda s: None,
        )
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def cases(caseload, case):
    """Sam's open case (Ivy, from ``case``), Sam's closed case, a colleague's open case and
    an unallocated one; two of the pupils are both called Mia Jones."""
    school = case["school"]
    sam, other = case["caseworker"], caseload.add_caseworker("Priya Raman")
    caseload.allocate(case["referral"], sam, date(2026, 11, 3))

    def referral(first, last, born, reason, when, worker=None, upn=None):
        pupil = caseload.add_pupil(first_name=first, last_name=last, school_id=school, date_of_birth=born, upn=upn)
        r = caseload.add_referral(pupil_id=pupil, school_id=school, reason=reason, referral_date=when)
        if worker:
            caseload.allocate(r, worker, date.fromisoformat(when))
        return r

    closed = referral("Mia", "Jones", "2016-01-22", "bullying", "2026-09-01", sam, upn="A123456789012")
    caseload.close(closed, "improved_in_school", date(2026, 10, 30))
    theirs = referral("Mia", "Jones", "2019-05-04", "attendance", "2026-11-05", other)
    waiting = referral("Leo", "Hall", "2018-02-02", "verbal_abuse_adult", "2026-11-06")
    return {
        "mine_open": case["referral"],
        "mine_closed": closed,
        "theirs": theirs,
        "unallocated": waiting,
        "sam": sam,
        "priya": other,
    }


def shown_ids(window) -> set[str]:
    m = window.model
    return {m.index(r, 0).data(CaseloadModel.ReferralIdRole) for r in range(m.rowCount())}


def test_my_open_cases_are_the_first_view_and_the_choice_is_remembered(named_window, store, cases):
    window = named_window(store)
    assert window.status_filter.currentText() == "Open cases"
    assert window.worker_filter.currentText() == "My cases"
    assert shown_ids(window) == {cases["mine_open"]}
    assert window.count_label.text() == "1 of 4 cases"
    window.worker_filter.setCurrentIndex(0)  # All caseworkers
    assert shown_ids(window) == {cases["mine_open"], cases["theirs"], cases["unallocated"]}
    window.status_filter.setCurrentIndex(window.status_filter.findData("closed"))
    assert shown_ids(window) == {cases["mine_closed"]}
    window.close()

    again = named_window(store)  # what was chosen, not the first view's defaults
    assert again.worker_filter.currentText() == "All caseworkers"
    assert again.status_filter.currentText() == "Closed"
    assert shown_ids(again) == {cases["mine_closed"]}
    again.clear_filters()
    assert again.model.rowCount() == 4
    again.close()
    third = named_window(store)  # "All" is remembered as All, not taken for "never chosen"
    assert third.status_filter.currentText() == "All statuses"
    assert third.worker_filter.currentText() == "All caseworkers"


def test_no_my_cases_for_a_user_who_is_not_a_caseworker_here(named_window, store, cases):
    window = named_window(store, name="Alex Visitor")
    assert window.worker_filter.findData("me") == -1
    assert window.worker_filter.currentText() == "All caseworkers"
    assert window.status_filter.currentText() == "Open cases"
    assert shown_ids(window) == {cases["mine_open"], cases["theirs"], cases["unallocated"]}


def test_two_pupils_of_one_name_are_told_apart_by_date_of_birth(named_window, store, cases):
    window = named_window(store)
    window.clear_filters()
    header, m = window.table.horizontalHeader(), window.model
    assert m.headerData(BORN, Qt.Orientation.Horizontal) == "Born"
    assert header.visualIndex(BORN) == header.visualIndex(PUPIL) + 1  # right beside the name
    assert not header.isSectionHidden(BORN)
    mias = {m.index(r, BORN).data() for r in range(m.rowCount()) if m.index(r, PUPIL).data() == "Mia Jones"}
    assert mias == {"22/01/2016", "04/05/2019"}  # UK dates
    # the UPN is there for whoever wants it: hidden at first, shown from the header's menu
    assert header.isSectionHidden(UPN)
    menu = window.table.columns_menu()
    upn = next(a for a in menu.actions() if a.text() == "UPN")
    assert not upn.isChecked()
    upn.trigger()
    assert not header.isSectionHidden(UPN)
    assert "A123456789012" in {m.index(r, UPN).data() for r in range(m.rowCount())}


def test_columns_fit_a_1366_pixel_laptop_and_long_reasons_elide_with_a_tooltip(named_window, store, cases):
    window = named_window(store)
    window.clear_filters()
    window.resize(1350, 728)  # a maximised window on a 1366×768 screen, less its frame
    QApplication.processEvents()
    table, header = window.table, window.table.horizontalHeader()
    assert table.viewport().width() > 700  # the list has most of the width
    shown = table.shown_columns()
    assert {REASON, REFERRED, CASEWORKER} <= set(shown)
    assert sum(header.sectionSize(c) for c in shown) <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0  # nothing needs scrolling sideways
    assert shown[-1] == CASEWORKER and header.stretchLastSection()
    fm = table.fontMetrics()
    for column in shown:  # every heading reads whole
        title = window.model.headerData(column, Qt.Orientation.Horizontal)
        assert header.fontMetrics().horizontalAdvance(title) < header.sectionSize(column), title
    for row in range(window.model.rowCount()):  # short columns are never cut off
        for column in (BORN, YEAR, REFERRED):
            text = window.model.index(row, column).data()
            assert fm.horizontalAdvance(text) < header.sectionSize(column), text
    long_reason = next(
        r for r in range(window.model.rowCount()) if window.model.index(r, REASON).data().startswith("Verbal abuse")
    )
    index = window.model.index(long_reason, REASON)
    assert fm.horizontalAdvance(index.data()) > header.sectionSize(REASON)  # it elides …
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "Verbal abuse / threatening behaviour against an adult"
    assert window.model.index(long_reason, REFERRED).data(Qt.ItemDataRole.ToolTipRole) is None
    for row in range(window.model.rowCount()):  # a caseworker's usual name reads whole
        name = window.model.index(row, CASEWORKER).data()
        if name and len(name) <= 14:
            assert fm.horizontalAdvance(name) < header.sectionSize(CASEWORKER), name


def test_columns_chosen_and_moved_come_back_and_reset_puts_them_back(named_window, store, cases):
    window = named_window(store)
    header = window.table.horizontalHeader()
    menu = window.table.columns_menu()
    pupil = next(a for a in menu.actions() if a.text() == "Pupil")
    assert pupil.isChecked() and not pupil.isEnabled()  # a list of cases always names its pupils
    next(a for a in menu.actions() if a.text() == "Year").trigger()
    assert header.isSectionHidden(YEAR)
    assert header.sectionsMovable()
    header.moveSection(header.visualIndex(REASON), 1)  # as a drag of the Reason header does
    order = window.table.shown_columns()
    assert order[:2] == [PUPIL, REASON]
    window.table.sortByColumn(PUPIL, Qt.SortOrder.AscendingOrder)
    window.close()

    again = named_window(store)
    assert again.table.shown_columns() == order
    assert again.table.horizontalHeader().isSectionHidden(YEAR)
    assert again.table.horizontalHeader().sortIndicatorSection() == PUPIL  # and the sort
    again.clear_filters()
    pupils = [again.model.index(r, PUPIL).data() for r in range(again.model.rowCount())]
    assert pupils == sorted(pupils, key=str.lower)
    reset = next(a for a in again.table.columns_menu().actions() if a.objectName() == "resetColumns")
    reset.trigger()
    assert again.table.shown_columns() == [PUPIL, BORN, YEAR, 2, 3, REASON, REFERRED, CASEWORKER]


def test_down_and_enter_lead_from_the_search_into_the_results(qtbot, named_window, store, cases):
    window = named_window(store)
    window.clear_filters()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow)  # focus moves only in the active window
    window.focus_search()
    qtbot.keyClicks(window.search, "mia")
    assert window.model.rowCount() == 2 and window.case_view.case is None
    qtbot.keyClick(window.search, Qt.Key.Key_Down)  # into the list, on its first row
    assert QApplication.focusWidget() is window.table
    first = window.model.index(0, 0).data(CaseloadModel.ReferralIdRole)
    assert window.current_referral_id() == first
    assert window.case_view.case["referral"]["id"] == first

    window.focus_search()
    window.search.setText("leo")
    assert window.case_view.case is None  # the filter hid the case shown
    qtbot.keyClick(window.search, Qt.Key.Key_Return)  # Enter opens the first (only) match
    assert window.case_view.case["referral"]["id"] == cases["unallocated"]
    assert window.current_referral_id() == cases["unallocated"]
    assert QApplication.focusWidget() is window.table


def test_the_case_pane_clears_when_the_filter_hides_its_case(named_window, store, cases):
    window = named_window(store)
    window.clear_filters()
    window.select_referral(cases["theirs"])
    assert window.case_view.case["referral"]["id"] == cases["theirs"]
    window.search.setText("jones")  # still in the list: still shown
    assert window.case_view.case["referral"]["id"] == cases["theirs"]
    window.worker_filter.setCurrentIndex(window.worker_filter.findData("me"))  # Priya's: hidden
    assert window.case_view.case is None
    assert window.case_view.stack.currentIndex() == 0  # "Select a case to see …"
    assert window.current_referral_id() is None
    window.refresh()  # a reload (after a sync, an edit) does not bring it back
    assert window.case_view.case is None


def test_widths_the_user_set_are_kept_and_come_back(named_window, store, cases):
    window = named_window(store)
    table, header = window.table, window.table.horizontalHeader()
    fitted = header.sectionSize(PUPIL)
    table.sized_by_user = True  # as after a drag of a heading's edge
    header.resizeSection(PUPIL, fitted + 60)
    window.resize(window.width() - 100, window.height())  # no refit over the user's widths
    QApplication.processEvents()
    assert header.sectionSize(PUPIL) == fitted + 60
    window.close()
    again = named_window(store)
    assert again.table.sized_by_user
    assert again.table.horizontalHeader().sectionSize(PUPIL) == fitted + 60
    next(a for a in again.table.columns_menu().actions() if a.objectName() == "resetColumns").trigger()
    assert not again.table.sized_by_user  # Reset columns: fitted again
    assert again.table.horizontalHeader().sectionSize(PUPIL) != fitted + 60


def test_a_drag_of_a_heading_edge_makes_the_widths_the_users(qtbot, named_window, store, cases):
    window = named_window(store)
    header = window.table.horizontalHeader()
    window.splitter.setSizes([300, 500])  # the view narrower: fitted again, still not the user's
    QApplication.processEvents()
    assert not window.table.sized_by_user
    width_before = header.sectionSize(PUPIL)
    edge = header.sectionViewportPosition(PUPIL) + header.sectionSize(PUPIL) - 1
    y = header.height() // 2
    from PySide6.QtCore import QPoint

    qtbot.mousePress(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(edge, y))
    qtbot.mouseMove(header.viewport(), QPoint(edge + 40, y))
    qtbot.mouseRelease(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(edge + 40, y))
    assert window.table.sized_by_user
    assert header.sectionSize(PUPIL) > width_before


def test_columns_saved_unreadably_are_the_defaults(named_window, store, cases):
    from desktop.ui import window_state

    window_state.save_value("main/columns", '{"order": [0, 0, 1]')  # cut short
    window = named_window(store)
    assert window.table.shown_columns() == [PUPIL, BORN, YEAR, 2, 3, REASON, REFERRED, CASEWORKER]


def test_the_list_paints_its_cells_as_qt_would_from_the_model(named_window, store, cases):
    """The caseload's cell painter (one model call a cell, for speed: bench/search.py) paints
    the same pixels as Qt's own delegate reading every role from ``data()``: the status colours,
    the grey "Unallocated", a selected row and the current cell's focus."""
    from PySide6.QtWidgets import QStyledItemDelegate

    window = named_window(store)
    window.clear_filters()
    table = window.table
    table.set_column_shown(UPN, True)
    table.selectRow(1)
    table.setFocus()
    QApplication.processEvents()
    ours = table.viewport().grab().toImage()
    table.setItemDelegate(QStyledItemDelegate(table))
    QApplication.processEvents()
    theirs = table.viewport().grab().toImage()
    assert window.model.rowCount() == 4 and ours.size() == theirs.size()
    assert ours == theirs
    assert {window.model.index(r, 3).data(Qt.ItemDataRole.ForegroundRole).name() for r in range(4)} >= {
        "#6b7280",
        "#b45309",
    }  # closed and new: the colours are painted
