"""The case's History tab and the name it records (issue 13 item 6)."""

from __future__ import annotations

import json
import re
from datetime import date

from PySide6.QtWidgets import QDialog, QLabel

from desktop.config import Settings
from desktop.store import open_store
from desktop.store.keys import KeyManager
from tests.conftest import PASSPHRASE, TODAY
from tests.ui.conftest import FakeThreadPool


def history_lines(window) -> list[str]:
    model = window.case_view.history_model
    return [model.index(i).data() for i in range(model.rowCount())]


def test_the_history_tab_tells_every_record_in_words(qtbot, make_window, store, case, caseload):
    from desktop.forms.records import FormRecords
    from desktop.store.attachments import add_attachment

    r = case["referral"]
    caseload.allocate(r, case["caseworker"], date(2026, 11, 3))
    caseload.add_visit(r, "2026-11-04", "observation")
    completion = FormRecords(store).start(
        pupil_id=case["pupil"],
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on="2026-11-10",
        time_point="T1",
        referral_id=r,
    )
    add_attachment(store, b"%PDF-1.4", referral_id=r, title="School letter", filename="a.pdf")
    window = make_window(store)
    window.select_referral(r)
    window.case_view.tabs.setCurrentWidget(window.case_view.history)
    lines = history_lines(window)
    assert lines[0].endswith("tester opened the case")
    text = "\n".join(lines)
    for words in (
        "added the document “School letter”",
        "added the SDQ teacher 4–17 assessment of 10/11/2026, T1",
        "added the visit of 04/11/2026 (classroom observation)",
        "allocated the case to Sam Whitfield from 03/11/2026",
    ):
        assert f"tester {words}" in text
    assert "caseworker id" not in text and "_" not in text and completion not in text
    assert all(re.match(r"\d\d/\d\d/\d{4} \d\d:\d\d   tester ", line) for line in lines)
    window.case_view.grab().save(str(window.store.path.parent / "history.png"))


def unnamed_window(qtbot, isolated_home, saved_settings):
    """A window whose store was opened with no name: it would record the computer account."""
    from desktop.ui.main_window import MainWindow

    store = open_store(isolated_home, PASSPHRASE)
    window = MainWindow(
        store,
        KeyManager(isolated_home),
        Settings(),
        lambda: open_store(isolated_home, PASSPHRASE),
        today=TODAY,
        save_config=saved_settings.append,
    )
    qtbot.addWidget(window)
    window.tasks.use_pool(FakeThreadPool())
    return window, store


def test_the_first_edit_asks_for_the_name_and_every_change_records_it(
    qtbot, isolated_home, saved_settings, monkeypatch
):
    from desktop.ui import dialogs
    from desktop.ui.user_name import UserNameDialog

    window, store = unnamed_window(qtbot, isolated_home, saved_settings)
    assert not store.actor_named
    asked = []

    def answer(dialog):
        asked.append(dialog)
        assert not dialog.ok.isEnabled()  # no name, no saving
        dialog.name.setText("  Priya   Raman ")
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(UserNameDialog, "exec", answer)
    monkeypatch.setattr(
        dialogs.RecordDialog,
        "exec",
        lambda d: (
            d.set_values(
                {"name": "Hollowmere Primary School", "urn": "990001", "phase": "primary", "governance": "maintained"}
            ),
            d.try_save(),
            d.result(),
        )[-1],
    )
    window.new_school()
    assert len(asked) == 1
    assert saved_settings[-1].practitioner_name == "Priya Raman"
    school = store.db.execute("SELECT id FROM school").fetchone()[0]
    assert store.audit_trail("school", school)[0]["actor"] == "Priya Raman"
    # The store worker records the same name (background writes: demo data, sync)
    window.tasks.write(lambda s: s.create("caseworker", {"name": "Declan Moss"}), lambda *_: None)
    worker_row = store.db.execute("SELECT id FROM caseworker").fetchone()[0]
    assert store.audit_trail("caseworker", worker_row)[0]["actor"] == "Priya Raman"
    window.new_school()  # asked once only
    assert len(asked) == 1
    window.tasks.close()
    store.close()


def test_no_name_given_means_no_edit(qtbot, isolated_home, saved_settings, monkeypatch):
    from desktop.ui import dialogs
    from desktop.ui.user_name import UserNameDialog

    window, store = unnamed_window(qtbot, isolated_home, saved_settings)
    monkeypatch.setattr(UserNameDialog, "exec", lambda d: QDialog.DialogCode.Rejected)
    shown = []
    monkeypatch.setattr(dialogs.RecordDialog, "exec", lambda d: shown.append(d))
    window.new_school()
    assert shown == [] and store.db.execute("SELECT count(*) FROM school").fetchone()[0] == 0
    assert "needs your name" in window.statusBar().currentMessage()
    window.load_demo(pupils=5)  # demo data too: nothing is added by no one
    assert store.db.execute("SELECT count(*) FROM pupil").fetchone()[0] == 0
    window.tasks.close()
    store.close()


def test_the_signed_in_account_gives_the_name(qtbot, isolated_home, saved_settings, monkeypatch):
    from desktop.caseload import Caseload
    from desktop.ui.user_name import UserNameDialog
    from sync.client import local
    from sync.client.auth import account_name, keyring_account

    window, store = unnamed_window(qtbot, isolated_home, saved_settings)
    worker = Caseload(store).add_caseworker("Helen Achebe")
    url = "https://fieldnote.example.org"
    assert account_name(store) is None  # never signed in
    local.set_state(store, "server_url", url)
    local.set_state(store, keyring_account(url), "a-token")  # no keyring here: kept in the store
    local.set_state(store, "username", "hachebe")
    assert account_name(store) == "hachebe"  # not a caseworker's account (or not synced yet)
    local.set_state(store, "scope", json.dumps(["user-1", "caseworker", "north", worker]))
    assert account_name(store) == "Helen Achebe"
    monkeypatch.setattr(UserNameDialog, "exec", lambda d: 1 / 0)  # never asked
    assert window.ensure_user_name()
    assert store.actor == "Helen Achebe" and saved_settings[-1].practitioner_name == "Helen Achebe"
    local.set_state(store, keyring_account(url), "")  # signed out
    assert account_name(store) is None
    window.tasks.close()
    store.close()


def test_the_name_dialog_as_seen(qtbot, tmp_path):
    from desktop.ui.user_name import UserNameDialog

    dialog = UserNameDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(tmp_path / "name.png"))
    intro = dialog.findChildren(QLabel)[0]
    assert intro.height() >= intro.heightForWidth(intro.width())  # wrapped, not clipped
