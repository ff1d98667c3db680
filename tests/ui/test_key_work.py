"""Key derivation and keyring writes the user starts (Settings ▸ Data protection ▸ Change…, and
the first-run set-up's Finish) run off the GUI thread: the window says so, takes no second
start, keeps processing events, and an error comes back as the same message as before, with
nothing changed."""

from __future__ import annotations

import threading
import time

import keyring.errors
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QWizard

from desktop import first_run, protection
from desktop.store import open_store
from desktop.store.keys import KEYRING_SERVICE, KeyManager
from desktop.ui.first_run import FirstRunWizard
from desktop.ui.protection import WORKING, ProtectionDialog
from desktop.ui.tasks import Tasks
from tests.conftest import PASSPHRASE, MemoryKeyring
from tests.ui.conftest import FakeThreadPool

NEW = "kettle drum orange sky"


class Ticks:
    """A timer on the GUI thread; work on another thread may wait until it has fired."""

    def __init__(self):
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self):
        self.count += 1

    def wait_for(self, n: int, seconds: float = 10.0) -> bool:
        """From a worker thread: whether the GUI thread's timer fired ``n`` more times."""
        start, deadline = self.count, time.monotonic() + seconds
        while self.count < start + n:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


def passphrase_store(home) -> KeyManager:
    open_store(home, PASSPHRASE).close()
    return KeyManager(home)


def protection_dialog(qtbot, keys, tasks) -> ProtectionDialog:
    dialog = ProtectionDialog(keys, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def new_passphrase(dialog, current=PASSPHRASE, new=NEW) -> None:
    dialog.passphrase_choice.setChecked(True)
    dialog.current.setText(current)
    dialog.new.setText(new)
    dialog.again.setText(new)
    dialog.understood.setChecked(True)


def save_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


# -- Settings ▸ Data protection ---------------------------------------------------------------


def test_a_new_passphrase_is_made_off_the_gui_thread_which_keeps_running(qtbot, isolated_home, monkeypatch):
    keys = passphrase_store(isolated_home)
    key = keys.obtain(PASSPHRASE)
    ticks = Ticks()
    seen: dict = {}
    real_derive = protection.derive_key

    def slow_derive(*args):  # scrypt for the new passphrase; it waits for the GUI's timer
        seen["thread"] = threading.get_ident()
        seen["ticked"] = ticks.wait_for(5)
        return real_derive(*args)

    monkeypatch.setattr(protection, "derive_key", slow_derive)
    calls = []
    real_change = protection.change_protection
    monkeypatch.setattr(
        "desktop.ui.protection.change_protection", lambda *a, **k: calls.append(1) or real_change(*a, **k)
    )
    dialog = protection_dialog(qtbot, keys, Tasks())  # the real shared pool
    new_passphrase(dialog)
    save_button(dialog).click()
    # at once, while the work runs: it says so and can be neither started again nor cancelled
    assert dialog.busy and dialog.working.text() == WORKING == "Protecting your data…"
    assert not save_button(dialog).isEnabled() and not dialog.new.isEnabled()
    dialog.save()
    dialog.reject()  # Esc
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=15_000)
    ticks.timer.stop()
    assert seen["ticked"]  # the GUI thread's timer fired while the key was being derived
    assert seen["thread"] != threading.get_ident()
    assert calls == [1]  # started once
    assert not dialog.busy and dialog.working.text() == ""
    assert keys.obtain(NEW) == key and keys.info().mode == "passphrase"


def test_a_wrong_current_passphrase_changes_nothing(qtbot, isolated_home):
    keys = passphrase_store(isolated_home)
    before = keys.info_path.read_bytes()
    dialog = protection_dialog(qtbot, keys, Tasks(FakeThreadPool()))
    new_passphrase(dialog, current="not the passphrase")
    dialog.save()
    assert dialog.problem.text() == "That passphrase does not unlock this store."
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert keys.info_path.read_bytes() == before
    # ready to try again: nothing stays disabled, no "working" note
    assert not dialog.busy and dialog.working.text() == ""
    assert save_button(dialog).isEnabled() and dialog.current.isEnabled()
    dialog.current.setText(PASSPHRASE)
    dialog.save()
    assert dialog.result() == QDialog.DialogCode.Accepted


class RefusingKeyring(MemoryKeyring):
    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("the keyring is locked")


def test_a_keyring_that_refuses_the_key_changes_nothing(qtbot, isolated_home):
    keys = passphrase_store(isolated_home)
    before = keys.info_path.read_bytes()
    ring = RefusingKeyring()
    keyring.set_keyring(ring)
    dialog = protection_dialog(qtbot, keys, Tasks(FakeThreadPool()))
    assert dialog.keyring.isEnabled()
    dialog.keyring.setChecked(True)
    dialog.current.setText(PASSPHRASE)
    dialog.save()
    assert dialog.problem.text().startswith("The OS keyring could not store the key")
    assert "Nothing has been changed" in dialog.problem.text()
    assert dialog.isVisible() and save_button(dialog).isEnabled() and dialog.keyring.isEnabled()
    assert keys.info_path.read_bytes() == before and not ring.secrets
    assert keys.obtain(PASSPHRASE)


def test_the_window_runs_the_change_on_its_tasks(qtbot, store, make_window, monkeypatch):
    from desktop.ui.main_window import SettingsDialog

    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())
    used = []

    def change(dialog):
        used.append(dialog.tasks)
        new_passphrase(dialog)
        dialog.save()
        return dialog.result()

    monkeypatch.setattr(ProtectionDialog, "exec", change)

    def settings(dialog):
        dialog.findChild(QPushButton, "changeProtection").click()
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(SettingsDialog, "exec", settings)
    window.open_settings()
    assert used == [window.tasks]
    assert window.keys.info().mode == "passphrase" and window.keys.obtain(NEW)


# -- the first-run set-up ---------------------------------------------------------------------


def walk_to_finish(wizard, passphrase: str | None = NEW) -> None:
    page = wizard.currentPage()
    page.name.setText("Siân Ó Briain")
    page.service.setText("Ashbridge Behaviour Support")
    wizard.next()
    wizard.next()
    page = wizard.currentPage()
    if passphrase:
        page.passphrase.setText(passphrase)
        page.again.setText(passphrase)
        page.understood.setChecked(True)
    wizard.next()
    wizard.next()


def finish(wizard):
    return wizard.button(QWizard.WizardButton.FinishButton)


def test_the_set_up_creates_the_store_off_the_gui_thread_which_keeps_running(qtbot, isolated_home, monkeypatch):
    ticks = Ticks()
    seen: dict = {}
    real_create = first_run.create

    def slow_create(choices):
        seen["thread"] = threading.get_ident()
        seen["ticked"] = ticks.wait_for(5)
        return real_create(choices)

    monkeypatch.setattr(first_run, "create", slow_create)
    wizard = FirstRunWizard()  # no main window yet: its own Tasks, on the shared pool
    qtbot.addWidget(wizard)
    wizard.show()
    walk_to_finish(wizard)
    page = wizard.currentPage()
    page.demo.setChecked(True)
    finish(wizard).click()
    assert wizard.busy and page.working.text().startswith("Protecting your data…")
    for which in (
        QWizard.WizardButton.FinishButton,
        QWizard.WizardButton.BackButton,
        QWizard.WizardButton.CancelButton,
    ):
        assert not wizard.button(which).isEnabled()
    assert not page.demo.isEnabled()
    wizard.reject()  # Esc, or the title bar's close
    assert wizard.isVisible() and wizard.outcome is None
    qtbot.waitUntil(lambda: wizard.result() == QDialog.DialogCode.Accepted, timeout=15_000)
    ticks.timer.stop()
    assert seen["ticked"] and seen["thread"] != threading.get_ident()
    store = wizard.outcome.store  # opened here, on the GUI thread, and usable here
    try:
        assert store.conn.execute("SELECT count(*) FROM pupil").fetchone()[0] == first_run.DEMO_PUPILS
    finally:
        store.close()
    assert KeyManager(isolated_home).obtain(NEW) == wizard.outcome.key


def test_a_keyring_that_refuses_the_key_is_said_and_finish_can_be_tried_again(qtbot, isolated_home):
    ring = RefusingKeyring()
    keyring.set_keyring(ring)
    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    wizard.tasks.use_pool(FakeThreadPool())
    wizard.show()
    walk_to_finish(wizard, passphrase=None)  # the keyring, the default where there is one
    finish(wizard).click()
    page = wizard.currentPage()
    assert page.problem.text().startswith("Fieldnote could not create its data")
    assert "the keyring is locked" in page.problem.text()
    assert wizard.result() != QDialog.DialogCode.Accepted and wizard.outcome is None
    assert not (isolated_home / "keyinfo.json").exists()
    assert not (isolated_home / "fieldnote.db").exists()
    from desktop import first_run

    assert first_run.needs_first_run()  # quit now, and the set-up is offered at the next start
    assert finish(wizard).isEnabled() and not wizard.busy and page.working.text() == ""
    good = MemoryKeyring()
    keyring.set_keyring(good)
    finish(wizard).click()  # tried again once the keyring works
    assert wizard.result() == QDialog.DialogCode.Accepted
    wizard.outcome.store.close()
    info = KeyManager(isolated_home).info()
    assert good.secrets[(KEYRING_SERVICE, info.keyring_account)] == wizard.outcome.key.hex()


@pytest.fixture(autouse=True)
def _shared_pool_idle():
    """No test leaves work running on the shared pool."""
    yield
    assert Tasks().close(15_000)
