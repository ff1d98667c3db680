"""The app's bootstrap: unlock, open the store, show the window; clear errors otherwise."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QMessageBox

from desktop import app as bootstrap
from desktop.store import open_store
from tests.conftest import PASSPHRASE


def test_start_opens_the_store_and_shows_the_caseload(qtbot, monkeypatch, isolated_home, caseload, case):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    started = bootstrap.start_app([])
    _app, window, store = started
    qtbot.addWidget(window)
    try:
        assert window.isVisible() and window.model.rowCount() == 1
        qtbot.waitUntil(lambda: window.store_check is not None)  # the background page check
        assert window.store_check == []  # no damaged pages
    finally:
        _app.processEvents()  # the queued offer to resume observations runs before closing
        window.stop_background_work()
        store.close()


def test_a_store_without_its_key_information_is_refused_with_a_message(qtbot, monkeypatch, isolated_home):
    open_store(isolated_home, PASSPHRASE).close()
    (isolated_home / "keyinfo.json").unlink()
    before = (isolated_home / "fieldnote.db").read_bytes()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    assert bootstrap.start_app([]) == 1
    assert "key information" in shown[0]
    assert (isolated_home / "fieldnote.db").read_bytes() == before


def test_a_wrong_passphrase_asks_again_and_the_right_one_opens(qtbot, monkeypatch, isolated_home, case):
    from desktop.ui.unlock import PassphraseDialog

    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", "not the passphrase")
    typed = iter(["still wrong", PASSPHRASE])
    messages = []

    def fake_exec(dialog):
        messages.append(dialog.error.text())
        dialog.passphrase.setText(next(typed))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    _app, window, store = bootstrap.start_app([])
    qtbot.addWidget(window)
    try:
        assert "does not unlock" in messages[0] and "does not unlock" in messages[1]
        assert window.model.rowCount() == 1
        qtbot.waitUntil(lambda: window.store_check is not None)
    finally:
        _app.processEvents()
        window.stop_background_work()
        store.close()
