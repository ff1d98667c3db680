"""File ▸ Import…: choose the file and kind, map columns (guessed from the headings), check
(the dry run lists every refused row and why), then import on the store worker, all or
nothing; importing the same file again changes nothing."""

from __future__ import annotations

import os

from PySide6.QtGui import QAction

from desktop.ui.import_dialog import NOT_IN_FILE, ImportDialog
from tests.caseload.test_import import GIAS_ROWS, write_csv, write_gias
from tests.ui.conftest import FakeThreadPool

PUPILS_HEADING = ["Forename", "Surname", "DOB", "UPN", "School URN", "NC Year", "Notes"]


def _dialog(window):
    window.tasks.use_pool(FakeThreadPool())
    return ImportDialog(window)


def _shot(widget, name):
    folder = os.environ.get("FIELDNOTE_SHOTS")
    if folder:
        widget.grab().save(os.path.join(folder, f"{name}.png"))


def _pupils(store):
    return sorted((r["first_name"], r["year_group"]) for r in store.db["pupil"].rows)


def test_import_is_in_the_file_menu_and_opens_the_dialog(store, make_window, monkeypatch):
    window = make_window(store)
    action = window.findChild(QAction, "importRecords")
    assert action is window.importer.action
    texts = [a.text() for a in window.menu("file").actions()]
    assert texts.index("&Import…") == texts.index("Load &demo data…") + 1  # not after Quit
    shown = []
    monkeypatch.setattr(type(window), "run_dialog", lambda self, d: shown.append(d))
    action.trigger()
    assert len(shown) == 1 and isinstance(shown[0], ImportDialog)


def test_pupils_mapped_checked_refusals_listed_then_imported_once(store, make_window, tmp_path):
    store.create("school", {"name": "St Bartholomew's", "urn": "100001"})
    path = write_csv(
        tmp_path / "pupils.csv",
        PUPILS_HEADING,
        [
            ["Ivy", "Okafor", "14/03/2017", "A123456789012", "100001", "4", "x"],
            ["Noah", "Baker", "31/02/2016", "", "100001", "5", ""],
            ["Mia", "Shah", "01/09/2016", "", "123456", "5", ""],
            ["Leo", "Grant", "01/09/2016", "", "100001", "Year 6", ""],
        ],
    )
    window = make_window(store)
    dialog = _dialog(window)
    dialog.set_kind("pupil")
    dialog.choose_file(str(path))
    # The first guess, from the headings; a person corrects what it missed.
    assert dialog.mapping() == {
        "first_name": "Forename",
        "last_name": "Surname",
        "date_of_birth": "DOB",
        "upn": "UPN",
        "school_urn": "School URN",
        "year_group": "NC Year",
    }
    assert dialog.combos["gender"].currentText() == NOT_IN_FILE
    assert not dialog.import_button.isEnabled()  # nothing checked yet
    # A required field left unmapped: said, nothing run.
    dialog.combos["last_name"].setCurrentIndex(0)
    dialog.dry_run()
    assert "must name a column for last_name" in dialog.summary.text()
    assert dialog.plan is None
    dialog.combos["last_name"].setCurrentText("Surname")

    dialog.dry_run()
    _shot(dialog, "import-pupils-dry-run")
    assert "2 to create" in dialog.summary.text() and "2 refused" in dialog.summary.text()
    listed = [dialog.refusals.item(i).text() for i in range(dialog.refusals.count())]
    assert len(listed) == 2
    assert listed[0].startswith("line 3") and "'31/02/2016' is not a date" in listed[0]
    assert listed[1].startswith("line 4") and "no school with URN 123456" in listed[1]
    assert _pupils(store) == []  # a dry run writes nothing
    # With refused rows the file is imported whole or not at all, unless told to leave
    # them out.
    assert dialog.refusals.isVisibleTo(dialog) and not dialog.import_button.isEnabled()
    dialog.leave_out.setChecked(True)
    assert dialog.import_button.isEnabled()
    # Changing the mapping after the check asks for a new check.
    dialog.combos["gender"].setCurrentText("Notes")
    assert not dialog.import_button.isEnabled() and dialog.plan is None
    dialog.combos["gender"].setCurrentIndex(0)
    dialog.dry_run()
    dialog.leave_out.setChecked(True)
    outbox = store.pending_count()
    dialog.do_import()
    assert dialog.result_value == {"created": 2, "updated": 0}
    assert "Imported: 2 created, 0 updated. 2 refused row(s) left out." in dialog.summary.text()
    assert _pupils(store) == [("Ivy", 4), ("Leo", 6)]
    assert store.pending_count() == outbox + 2

    # The same file again: checked, nothing to write, nothing written.
    again = _dialog(window)
    again.set_kind("pupil")
    again.choose_file(str(path))
    again.dry_run()
    assert "0 to create, 0 to update, 2 unchanged" in again.summary.text()
    again.leave_out.setChecked(True)
    again.do_import()
    assert again.result_value == {"created": 0, "updated": 0}
    assert "Nothing to import" in again.summary.text()
    assert store.pending_count() == outbox + 2


def test_a_file_with_refused_rows_is_not_half_imported(store, make_window, tmp_path):
    path = write_csv(
        tmp_path / "workers.csv",
        ["Full name", "E-mail"],
        [["Sam Whitfield", "sam@example.org"], ["", "nobody@example.org"]],
    )
    window = make_window(store)
    dialog = _dialog(window)
    dialog.set_kind("caseworker")
    dialog.choose_file(str(path))
    assert dialog.mapping() == {"name": "Full name", "email": "E-mail"}
    dialog.dry_run()
    assert dialog.refusals.count() == 1 and "no name" in dialog.refusals.item(0).text()
    dialog.leave_out.setChecked(False)
    dialog.import_button.click()  # disabled: nothing happens
    dialog.checked = dialog._key()  # even forced past the button, the core refuses
    dialog.do_import()
    assert "cannot be imported" in dialog.summary.text()
    assert list(store.db["caseworker"].rows) == [] and store.pending_count() == 0


def test_gias_schools_of_the_chosen_authority_imported_with_progress(store, make_window, tmp_path):
    path = write_gias(tmp_path / "gias.csv", [r for r in GIAS_ROWS if r[5] != "Colleges"])
    window = make_window(store)
    dialog = _dialog(window)
    dialog.set_kind("school")
    assert not dialog.columns_box.isVisibleTo(dialog)  # a GIAS extract needs no mapping
    dialog.choose_file(str(path))
    assert dialog.authority.count() == 2
    assert dialog.authority.itemText(0) == "Cambridgeshire (873): 4 open schools"
    assert dialog.la_code() == "873"
    seen = []
    dialog.progress.valueChanged.connect(seen.append)
    dialog.dry_run()
    assert "4 to create" in dialog.summary.text() and "2 skipped" in dialog.summary.text()
    assert dialog.import_button.isEnabled()
    _shot(dialog, "import-gias-dry-run")
    dialog.do_import()
    assert dialog.result_value == {"created": 4, "updated": 0}
    assert sorted(r["urn"] for r in store.db["school"].rows) == ["100001", "100002", "100003", "100007"]
    assert seen and seen[-1] == dialog.progress.maximum()  # progress reached the end
    # Another authority typed in: a new check is needed, and finds none of its schools open.
    dialog.authority.setEditText("999")
    assert dialog.la_code() == "999" and not dialog.import_button.isEnabled()


def test_a_file_that_is_not_a_gias_extract_is_said_so(store, make_window, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["URN", "Name"], [["100001", "A school"]])
    window = make_window(store)
    dialog = _dialog(window)
    dialog.set_kind("school")
    dialog.choose_file(str(path))
    assert "not a GIAS extract" in dialog.summary.text()
    dialog.dry_run()
    assert "Choose the local authority" in dialog.summary.text()
