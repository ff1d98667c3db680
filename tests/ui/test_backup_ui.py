"""File ▸ Back up… and the unsent-changes reminder."""

from __future__ import annotations

from datetime import date

from desktop.store.backup import restore_backup
from desktop.store import open_store
from tests.conftest import PASSPHRASE


def test_back_up_menu_writes_a_restorable_backup(store, make_window, tmp_path):
    store.create("caseworker", {"name": "Sam Whitfield"})
    window = make_window(store)
    assert window.findChild(type(window.backup.action), "backUp") is window.backup.action
    out = window.backup.back_up(str(tmp_path / "menu.fnbackup"))
    assert out.exists()
    restore_backup(out, tmp_path / "restored", PASSPHRASE)
    restored = open_store(tmp_path / "restored", PASSPHRASE)
    try:
        assert [r["name"] for r in restored.db["caseworker"].rows] == ["Sam Whitfield"]
    finally:
        restored.close()


def test_reminder_shows_once_a_day_when_changes_wait_too_long(store, make_window):
    store.create("caseworker", {"name": "Sam Whitfield"})
    store.conn.execute("UPDATE outbox SET created_at = '2026-01-01T09:00:00.000Z'")
    window = make_window(store)
    feature = window.backup
    assert feature.reminder.isVisible()
    assert "have not reached the server" in feature.reminder.toolTip()
    assert store.meta("unsent_reminder_shown") == date.today().isoformat()
    window.statusBar().clearMessage()
    feature.check_reminder()  # the same day: the note stays, the message is not repeated
    assert window.statusBar().currentMessage() == ""
    feature.check_reminder(today=date(2099, 1, 2))
    assert "have not reached the server" in window.statusBar().currentMessage()
    store.mark_sent([r["mutation_id"] for r in store.pending_changes()])
    feature.check_reminder()
    assert not feature.reminder.isVisible()
