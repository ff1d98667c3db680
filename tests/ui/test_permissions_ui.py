"""Records the signed-in user may not change are shown read-only, saying why (the rules
of ``sync.permissions``, with the role the laptop last synced as, against a real server)."""

from __future__ import annotations

import json
import uuid

from PySide6.QtWidgets import QDialogButtonBox

from desktop.caseload import Caseload
from desktop.observation.library import SchemeLibrary
from desktop.ui import dialogs
from desktop.ui.main_window import MainWindow
from desktop.ui.scheme_editor import SchemeEditor
from tests.conftest import TODAY
from tests.sync.conftest import laptops, mutation, sqlite_server, sqlite_service  # noqa: F401

SAVE = QDialogButtonBox.StandardButton.Save


def _edit_school_dialog(window, monkeypatch):
    seen = []
    monkeypatch.setattr(MainWindow, "run_dialog", lambda self, d: seen.append(d))
    window.case_action("edit_school")
    (dialog,) = seen
    return dialog


def test_a_practitioner_sees_a_school_someone_else_added_read_only(
    qtbot, make_window, sqlite_service, laptops, monkeypatch
):
    store = laptops("a")
    sqlite_service.engine(store, "a").sync()
    window = make_window(store)
    assert window.select_referral(sqlite_service.ids["referral"])
    dialog = _edit_school_dialog(window, monkeypatch)
    save = dialog.buttons.button(SAVE)
    assert not save.isEnabled() and "team lead or an administrator" in save.toolTip()
    assert not dialog.fields["name"].isEnabled()
    assert "someone else added" in dialog.fields["name"].toolTip()
    assert not dialog.errors.isHidden() and "team lead" in dialog.errors.text()
    dialog.try_save()  # (Enter in a field) changes nothing
    assert store.pending_count() == 0
    # A school this practitioner added on this laptop stays editable.
    cl = Caseload(store, today=TODAY)
    mine = cl.add_school(name="Hollowmere Primry")
    own = dialogs.school_dialog(cl, school=store.get("school", mine))
    qtbot.addWidget(own)
    assert own.buttons.button(SAVE).isEnabled() and own.fields["name"].isEnabled()


def test_a_team_lead_edits_the_school_and_an_unsynced_laptop_edits_as_before(
    qtbot, make_window, sqlite_service, laptops, monkeypatch
):
    store = laptops("lead")
    sqlite_service.engine(store, "lead").sync()
    window = make_window(store)
    assert window.select_referral(sqlite_service.ids["referral"])
    dialog = _edit_school_dialog(window, monkeypatch)
    assert dialog.buttons.button(SAVE).isEnabled() and dialog.read_only_reason is None
    # A laptop that never signed in (no role known) keeps working as before.
    fresh = laptops("fresh")
    school = Caseload(fresh, today=TODAY).add_school(name="Ashgrove Academy")
    fresh.conn.execute("DELETE FROM outbox")  # as if pulled: not added here
    d = dialogs.school_dialog(Caseload(fresh, today=TODAY), school=fresh.get("school", school))
    qtbot.addWidget(d)
    assert d.buttons.button(SAVE).isEnabled()


def test_a_service_wide_scheme_is_read_only_to_a_practitioner_who_can_copy_it(qtbot, sqlite_service, laptops):
    scheme_id = str(uuid.uuid4())
    store = laptops("a")
    library = SchemeLibrary(store)
    definition = library.all()[0].copy(name="Service scheme").to_dict()
    definition["id"] = scheme_id
    r = sqlite_service.server.api.push(
        sqlite_service.server.admin_token,
        [
            mutation(
                "coding_scheme",
                scheme_id,
                "create",
                {"name": "Service scheme", "definition": json.dumps(definition, sort_keys=True)},
            )
        ],
    )
    assert r.json()["results"][0]["status"] == "applied"
    sqlite_service.engine(store, "a").sync()
    editor = SchemeEditor(library)
    qtbot.addWidget(editor)
    editor.reload(select=scheme_id)
    assert editor.current.id == scheme_id
    assert not editor.save_button.isEnabled() and not editor.name.isEnabled()
    assert "copy it to make your own" in editor.message.text()
    assert "team lead or an administrator" in editor.save_button.toolTip()
    editor.copy_current()  # the copy is this practitioner's own: editable
    assert editor.current.id != scheme_id and editor.save_button.isEnabled()
