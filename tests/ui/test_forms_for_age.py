"""New assessment offers the forms that fit the pupil's age (issue 13 item 7)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QLabel

from desktop.forms.records import FormRecords
from desktop.ui.form_entry import start_dialog


def offered(dialog) -> dict[str, str]:
    packs = dialog.fields["pack_id"]
    return {packs.itemData(i): packs.itemText(i) for i in range(packs.count())}


def open_dialog(make_window, store, case, qtbot):
    window = make_window(store)
    window.select_referral(case["referral"])
    dialog = start_dialog(FormRecords(store), window.case_view.case, window, today=date(2026, 11, 23))
    qtbot.addWidget(dialog)
    return window, dialog


def test_a_nine_year_old_is_offered_the_forms_for_their_age_and_the_rest_behind_show_all(
    qtbot, make_window, store, case, tmp_path
):
    _window, dialog = open_dialog(make_window, store, case, qtbot)  # Ivy: born 14/03/2017
    intro = dialog.findChild(QLabel, "assessmentFor")
    assert "(age 9 on 23/11/2026)" in intro.text() and "3 forms for other ages hidden" in intro.text()
    packs = offered(dialog)
    assert not {"sdq-teacher-2-4", "sdq-parent-2-4", "sdq-self-11-17"} & set(packs)
    assert {"sdq-teacher-4-17", "sdq-parent-4-17", "boxall-synthetic"} <= set(packs)
    dialog.set_values({"pack_id": "sdq-parent-4-17"})
    dialog.show_all.setChecked(True)
    packs = offered(dialog)
    assert packs["sdq-teacher-2-4"].endswith(" — for ages 2–4")
    assert packs["sdq-self-11-17"].endswith(" — for ages 11–17")
    assert not packs["sdq-teacher-4-17"].endswith("4–17")  # fitting ones carry no note
    assert dialog.values()["pack_id"] == "sdq-parent-4-17"  # the choice made stays
    assert "hidden" not in intro.text()
    dialog.set_values({"pack_id": "sdq-teacher-2-4"})
    assert dialog.values()["age_band"] == "2-4"
    dialog.show()
    dialog.grab().save(str(tmp_path / "new-assessment-all.png"))
    dialog.show_all.setChecked(False)  # the 2–4 form chosen is no longer offered: the first is
    assert dialog.values()["pack_id"] in offered(dialog) and "sdq-teacher-2-4" not in offered(dialog)
    assert dialog.values()["informant"] in FormRecords(store).pack(dialog.values()["pack_id"]).informants


def test_the_age_is_taken_on_the_date_completed(qtbot, make_window, store, case):
    _window, dialog = open_dialog(make_window, store, case, qtbot)
    assert "sdq-self-11-17" not in offered(dialog)
    dialog.fields["completed_on"].setDate(QDate(2028, 3, 14))  # Ivy turns 11
    assert "sdq-self-11-17" in offered(dialog)
    assert "(age 11 on 14/03/2028)" in dialog.findChild(QLabel, "assessmentFor").text()


def test_a_pupil_with_no_date_of_birth_sees_every_form(qtbot, make_window, store, case, caseload):
    store.update("pupil", case["pupil"], {"date_of_birth": None})
    _window, dialog = open_dialog(make_window, store, case, qtbot)
    assert {"sdq-teacher-2-4", "sdq-self-11-17", "sdq-teacher-4-17"} <= set(offered(dialog))
    assert not dialog.show_all.isEnabled()
    assert "no date of birth recorded" in dialog.findChild(QLabel, "assessmentFor").text()
