"""The app tells the user what opening did to stray files, and refuses a damaged
keyinfo.json with a message (issue 9, items 3 and 11)."""

from __future__ import annotations

import json
import os

from PySide6.QtWidgets import QMessageBox

from desktop import app as bootstrap
from desktop.store import open_store
from tests.conftest import PASSPHRASE


def test_the_app_says_a_stray_journal_was_moved_aside(qtbot, monkeypatch, isolated_home):
    from desktop.caseload import Caseload

    store = open_store(isolated_home, PASSPHRASE)
    Caseload(store).add_school(name="Hollowmere Primary School")
    store.close()
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    (isolated_home / "fieldnote.db-wal").write_bytes(os.urandom(9000))
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    _app, window, store = bootstrap.start_app([])
    qtbot.addWidget(window)
    try:
        assert len(shown) == 1 and "fieldnote.db-wal" in shown[0]
        assert str(isolated_home / "quarantine") in shown[0]
        assert [r["name"] for r in store.db.query("SELECT name FROM school")] == ["Hollowmere Primary School"]
    finally:
        _app.processEvents()
        window.stop_background_work()
        store.close()


def test_the_app_refuses_a_tampered_keyinfo_with_a_message(qtbot, monkeypatch, isolated_home):
    open_store(isolated_home, PASSPHRASE).close()
    path = isolated_home / "keyinfo.json"
    info = json.loads(path.read_text())
    info["salt"] = "not hex at all"
    path.write_text(json.dumps(info))
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    assert bootstrap.start_app([]) == 1
    assert "keyinfo.json is damaged" in shown[0] and "'salt' is not hexadecimal" in shown[0]
