"""The Documents tab: files attached to a case, listed with where their bytes are, attached
(chosen, dropped or by shortcut), opened, saved, deleted with undo, and out of reach when locked."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog

from tests.remote import apply_remote
from desktop.dates import to_uk
from desktop.store import attachments
from desktop.store.attachments import add_attachment, read_attachment
from desktop.ui import documents
from desktop.store.documents import DEMO_ONLY, NOT_DOWNLOADED, ON_LAPTOP, WAITING
from desktop.ui.documents import EMPTY_TEXT, DocumentsModel
from tests.conftest import PASSPHRASE
from tests.ui.conftest import FakeThreadPool


def rows(model):
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


class Recorder:
    """Stands in for the feature's message boxes, title prompt and the desktop's opener."""

    def __init__(self, answer=True, title=""):
        self.told: list[tuple[str, str]] = []
        self.asked: list[str] = []
        self.opened: list[Path] = []
        self.answer, self.title = answer, title

    def tell(self, _parent, title, text):
        self.told.append((title, text))

    def ask(self, _parent, _title, text):
        self.asked.append(text)
        return self.answer

    def ask_title(self, _parent, path):
        return self.title

    def open_url(self, url: QUrl):
        self.opened.append(Path(url.toLocalFile()))
        return True


@pytest.fixture
def rec():
    return Recorder()


@pytest.fixture
def window(make_window, store, case, rec):
    """The main window (which installs documents itself) with the case shown on the
    Documents tab; background work runs at once."""
    window = make_window(store)
    feature = window.documents
    window.tasks.use_pool(FakeThreadPool())
    feature.tell, feature.ask, feature.ask_title, feature.open_url = (rec.tell, rec.ask, rec.ask_title, rec.open_url)
    window.select_referral(case["referral"])
    window.case_view.tabs.setCurrentWidget(feature.tab)
    return window


@pytest.fixture
def choose(monkeypatch):
    """The file dialogs answer with these paths."""
    chosen: dict[str, object] = {"open": [], "save": ""}
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(p) for p in chosen["open"]], ""))
    )
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(chosen["save"]), "")))
    return chosen


def make_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(bytes(i % 251 for i in range(size)))
    return path


def synced(store):
    store.mark_sent([r["mutation_id"] for r in store.pending_changes()])


def arrived_without_bytes(store, referral_id, title="Letter from school", size=48_000):
    """An attachment record as a pull applies it, its bytes not fetched yet."""
    record_id = "a0000000-0000-4000-8000-000000000001"
    values = {
        "sha256": "ab" * 32,
        "size": size,
        "media_type": "application/pdf",
        "filename": "letter.pdf",
        "title": title,
        "referral_id": referral_id,
    }
    apply_remote(
        store, "attachment", record_id, values, version=1, field_versions={k: 1 for k in values}, deleted=False
    )
    return record_id


def activate(window, qtbot):
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts fire only in the active window


# -- the tab and its commands ---------------------------------------------------------------------
def test_install_adds_the_tab_and_commands_with_shortcuts_that_clash_with_nothing(window):
    feature = window.documents
    tabs = window.case_view.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())][-1] == "Documents"
    assert feature.attach_action.shortcut() == QKeySequence("Ctrl+Shift+D")
    assert feature.save_action.shortcut() == QKeySequence("Ctrl+Shift+C")
    assert feature.delete_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)
    case_menu = window.menuBar().actions()[2].menu()
    assert {feature.attach_action, feature.open_action, feature.save_action, feature.delete_action} <= set(
        case_menu.actions()
    )
    # Every shortcut in the window is bound once (Ctrl+Shift+A stays Allocate…).
    keys = [
        seq.toString() for action in window.findChildren(QAction) for seq in action.shortcuts() if not seq.isEmpty()
    ]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    # The Delete key acts only inside the tab, never on the caseload or the search box.
    assert feature.delete_action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
    assert feature.delete_action not in window.actions()


def test_a_case_without_documents_shows_the_empty_state(window):
    tab = window.documents.tab
    assert tab.stack.currentWidget() is tab.empty_page and tab.empty.isVisible()
    assert "No documents yet" in tab.empty.text() and "Attach file… (Ctrl+Shift+D)" in tab.empty.text()
    assert tab.empty.text() == EMPTY_TEXT
    assert tab.attach_button.isEnabled()
    assert not any(b.isEnabled() for b in (tab.open_button, tab.save_button, tab.delete_button))


# -- attaching --------------------------------------------------------------------------------------
def test_attach_file_lists_it_waiting_to_upload_with_the_bytes_in_the_store(window, store, case, choose, rec, tmp_path):
    path = make_file(tmp_path, "Behaviour policy 2026.pdf", 3_000)
    choose["open"] = [path]
    rec.title = "School behaviour policy"
    window.documents.attach_action.trigger()
    tab = window.documents.tab
    assert tab.stack.currentWidget() is tab.table and tab.table.isVisible()
    assert rows(tab.model) == [
        ("School behaviour policy", "Behaviour policy 2026.pdf", "3 KB", to_uk(date.today()), WAITING)
    ]
    (record,) = store.db["attachment"].rows
    assert (record["referral_id"], record["size"], record["media_type"]) == (case["referral"], 3_000, "application/pdf")
    assert read_attachment(store, record["id"]) == path.read_bytes()
    pending = [c for c in store.pending_changes() if c["entity"] == "attachment"]
    assert [c["op"] for c in pending] == ["create"]
    assert tab.current()["id"] == record["id"] and tab.open_button.isEnabled()
    assert rec.told == []


def test_in_a_demo_store_a_document_is_never_waiting_to_upload(window, store, case, choose, rec, tmp_path):
    store.set_meta("demo", "1")
    choose["open"] = [make_file(tmp_path, "plan.pdf", 1_000)]
    window.documents.attach_action.trigger()
    tab = window.documents.tab
    assert rows(tab.model)[0][4] == DEMO_ONLY != WAITING
    assert "never" in tab.model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole)
    message = window.statusBar().currentMessage()
    assert "demo" in message and "sent to the server" not in message


def test_a_blank_title_lists_the_file_name_and_newest_comes_first(window, store, choose, rec, tmp_path):
    first = make_file(tmp_path, "report.pdf", 10)
    second = make_file(tmp_path, "letter.docx", 2 * 1024 * 1024 + 300_000)
    for path in (first, second):
        choose["open"] = [path]
        window.documents.attach_action.trigger()
    table = rows(window.documents.tab.model)
    assert [r[:3] for r in table] == [("letter.docx", "letter.docx", "2.3 MB"), ("report.pdf", "report.pdf", "1 KB")]


def test_the_keyboard_shortcut_attaches(qtbot, window, store, choose, tmp_path):
    choose["open"] = [make_file(tmp_path, "plan.pdf", 500)]
    activate(window, qtbot)
    window.table.setFocus()  # from the caseload, not only from the tab
    qtbot.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [r["filename"] for r in store.db["attachment"].rows] == ["plan.pdf"]
    assert rows(window.documents.tab.model)[0][0] == "plan.pdf"


def test_a_file_dropped_on_the_tab_is_attached(window, store, tmp_path):
    path = make_file(tmp_path, "notes.txt", 1_500)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.documents.tab.dropEvent(event)
    assert event.isAccepted()
    assert rows(window.documents.tab.model) == [("notes.txt", "notes.txt", "1 KB", to_uk(date.today()), WAITING)]


def test_a_file_over_the_limit_is_refused_with_the_limit_named(window, store, choose, rec, tmp_path, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 20 * 1024)
    choose["open"] = [make_file(tmp_path, "scan.pdf", 30 * 1024)]
    window.documents.attach_action.trigger()
    ((title, text),) = rec.told
    assert title == "File too large"
    assert "“scan.pdf” is 30 KB" in text and "at most 20 KB" in text and "not attached" in text
    assert store.db["attachment"].count == 0 and store.db["blob"].count == 0
    assert window.documents.tab.model.rowCount() == 0


def test_the_core_refusing_a_file_is_reported_too(window, store, rec, tmp_path, monkeypatch):
    """A file that grew past the limit between choosing and attaching (the core checks too)."""
    path = make_file(tmp_path, "growing.pdf", 10 * 1024)
    real_add = documents.add_attachment

    def grows(store_, path_, **kw):
        monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 1024)
        return real_add(store_, path_, **kw)

    monkeypatch.setattr(documents, "add_attachment", grows)
    window.documents.attach_paths([path])
    ((title, text),) = rec.told
    assert title == "File too large" and "at most 1 KB" in text
    assert store.db["attachment"].count == 0


# -- status -------------------------------------------------------------------------------------------
def test_status_follows_sync_not_downloaded_yet_and_on_this_laptop(window, store, case, tmp_path):
    held = add_attachment(store, make_file(tmp_path, "report.pdf", 4_000), referral_id=case["referral"], title="Report")
    synced(store)
    arrived_without_bytes(store, case["referral"])
    window.refresh()  # what a sync does when it finishes
    statuses = {r[0]: r[4] for r in rows(window.documents.tab.model)}
    assert statuses == {"Letter from school": NOT_DOWNLOADED, "Report": ON_LAPTOP}
    model = window.documents.tab.model
    row = model.row_of(held)
    assert "sent to the server" in model.index(row, DocumentsModel.STATUS).data(Qt.ItemDataRole.ToolTipRole)


def test_opening_a_file_not_downloaded_yet_says_so(qtbot, window, store, case, rec):
    arrived_without_bytes(store, case["referral"])
    window.refresh()
    tab = window.documents.tab
    assert rows(tab.model)[0][2:] == ("47 KB", to_uk(date.today()), NOT_DOWNLOADED)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)  # Enter opens
    ((title, text),) = rec.told
    assert title == "Not downloaded yet" and "Letter from school" in text and "next sync" in text
    assert rec.opened == []


# -- open and save a copy ------------------------------------------------------------------------------
def test_open_writes_a_copy_under_the_data_folder_and_opens_it(window, store, case, rec, tmp_path, isolated_home):
    path = make_file(tmp_path, "report.pdf", 2_000)
    add_attachment(store, path, referral_id=case["referral"])
    window.refresh()
    window.documents.open_action.trigger()
    (opened,) = rec.opened
    assert opened.name == "report.pdf" and opened.read_bytes() == path.read_bytes()
    assert opened.is_relative_to(isolated_home / "opened-documents")
    assert "Opened a copy of report.pdf" in window.statusBar().currentMessage()
    window.documents.clear_opened()  # as at start and quit
    assert not (isolated_home / "opened-documents").exists()


@pytest.mark.skipif(os.name != "posix", reason="owner-only modes are POSIX's; Windows uses the folder's ACL")
def test_an_opened_copy_is_owner_only_and_a_left_over_one_goes_at_start(
    make_window, store, case, rec, tmp_path, isolated_home
):
    old_umask = os.umask(0o022)  # the usual umask: files 0644 unless made private
    try:
        left = isolated_home / "opened-documents" / "leftover0000"
        left.mkdir(parents=True)
        (left / "crash.pdf").write_bytes(b"decrypted before a crash")
        path = make_file(tmp_path, "report.pdf", 2_000)
        add_attachment(store, path, referral_id=case["referral"])
        window = make_window(store)
        assert not left.exists()  # removed at the next start
        feature = window.documents
        window.tasks.use_pool(FakeThreadPool())
        feature.tell, feature.open_url = rec.tell, rec.open_url
        window.select_referral(case["referral"])
        window.case_view.tabs.setCurrentWidget(feature.tab)
        feature.open_action.trigger()
        (opened,) = rec.opened
        assert opened.read_bytes() == path.read_bytes()
        assert stat.S_IMODE(opened.stat().st_mode) == 0o600
        assert stat.S_IMODE(opened.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE((isolated_home / "opened-documents").stat().st_mode) == 0o700
    finally:
        os.umask(old_umask)


def test_opening_a_damaged_file_says_so_and_opens_nothing(window, store, case, rec, tmp_path):
    record = add_attachment(store, make_file(tmp_path, "report.pdf", 2_000), referral_id=case["referral"])
    with store.transaction():
        store.conn.execute(
            "UPDATE blob SET data = ? WHERE sha256 = ?", (b"not the file", store.get("attachment", record)["sha256"])
        )
    window.refresh()
    window.documents.tab.open_button.click()
    ((title, text),) = rec.told
    assert title == "File damaged" and "report.pdf" in text
    assert rec.opened == []


def test_save_a_copy_writes_the_file_where_chosen(window, store, case, choose, tmp_path):
    path = make_file(tmp_path, "report.pdf", 5_000)
    add_attachment(store, path, referral_id=case["referral"])
    window.refresh()
    dest = tmp_path / "out" / "copy.pdf"
    dest.parent.mkdir()
    choose["save"] = dest
    window.documents.save_action.trigger()
    assert dest.read_bytes() == path.read_bytes()
    assert "Saved a copy" in window.statusBar().currentMessage()


def test_save_a_copy_from_another_tab_first_shows_the_documents(window, store, case, choose, tmp_path):
    add_attachment(store, make_file(tmp_path, "report.pdf", 5_000), referral_id=case["referral"])
    window.refresh()
    window.case_view.tabs.setCurrentIndex(0)
    choose["save"] = tmp_path / "copy.pdf"
    window.documents.save_action.trigger()
    assert window.case_view.tabs.currentWidget() is window.documents.tab
    assert not (tmp_path / "copy.pdf").exists()  # never a document the user could not see
    window.documents.save_action.trigger()
    assert (tmp_path / "copy.pdf").exists()


# -- delete and undo --------------------------------------------------------------------------------------
def test_delete_asks_removes_the_row_and_undo_brings_it_back(qtbot, window, store, case, rec, tmp_path):
    record = add_attachment(
        store, make_file(tmp_path, "report.pdf", 2_000), referral_id=case["referral"], title="Report"
    )
    synced(store)
    window.refresh()
    tab = window.documents.tab
    activate(window, qtbot)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert "Delete “Report” from this case?" in rec.asked[0]
    assert tab.model.rowCount() == 0 and tab.stack.currentWidget() is tab.empty_page
    assert store.get("attachment", record) is None  # a tombstone, which syncs
    assert [(c["op"], c["record_id"]) for c in store.pending_changes()] == [("delete", record)]

    window.undo_stack.undo()
    # The restore is a change that syncs (a create of the same id), so it waits to go up.
    assert rows(tab.model)[0][0] == "Report" and rows(tab.model)[0][4] == WAITING
    assert store.get("attachment", record)["deleted"] == 0
    assert read_attachment(store, record) == (tmp_path / "report.pdf").read_bytes()
    window.undo_stack.redo()
    assert tab.model.rowCount() == 0


def test_cancelling_delete_keeps_the_document(window, store, case, rec, tmp_path):
    add_attachment(store, make_file(tmp_path, "report.pdf", 2_000), referral_id=case["referral"])
    window.refresh()
    rec.answer = False
    window.documents.tab.delete_button.click()
    assert len(rec.asked) == 1 and window.documents.tab.model.rowCount() == 1


def test_undo_of_an_attach_deletes_it(window, store, choose, tmp_path):
    choose["open"] = [make_file(tmp_path, "report.pdf", 100)]
    window.documents.attach_action.trigger()
    (record,) = store.db["attachment"].rows
    window.undo_stack.undo()
    assert window.documents.tab.model.rowCount() == 0
    assert store.get("attachment", record["id"]) is None


# -- the lock -----------------------------------------------------------------------------------------------
def test_locking_disables_every_document_command(window, store, case, choose, tmp_path):
    feature = window.documents
    choose["open"] = [make_file(tmp_path, "report.pdf", 100)]
    window.lock()
    actions = (feature.attach_action, feature.open_action, feature.save_action, feature.delete_action)
    assert not any(a.isEnabled() for a in actions)
    feature.attach_action.trigger()
    feature.attach()  # even if called directly
    assert store.db["attachment"].count == 0
    window.lock_screen.passphrase.setText(PASSPHRASE)
    window.lock_screen.try_unlock()
    assert all(a.isEnabled() for a in actions)
