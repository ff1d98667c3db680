"""First run on a new laptop: shown only with no store and no config; each page checks its
answers; finishing saves the settings and creates the protected store."""

from __future__ import annotations

import json

import platformdirs
import pytest
from PySide6.QtWidgets import QDialog, QPushButton, QWizard

from desktop import app as bootstrap
from desktop import first_run
from desktop.config import config_path, load_settings
from desktop.store import open_store
from desktop.store.keys import KeyManager
from desktop.ui.first_run import FirstRunWizard
from desktop.ui.tasks import Tasks
from tests.ui.conftest import FakeThreadPool

STRONG = "kettle drum orange sky"


# -- when it is shown -----------------------------------------------------------------------


def test_shown_on_a_new_laptop_only(isolated_home, monkeypatch):
    assert first_run.needs_first_run()
    config_path().write_text("{}", encoding="utf-8")
    assert not first_run.needs_first_run()  # a config file: set up before


def test_not_shown_when_a_store_exists(isolated_home):
    open_store(isolated_home, "correct horse battery").close()
    config_path().unlink(missing_ok=True)
    assert not first_run.needs_first_run()


def test_not_shown_to_a_script_that_gives_the_passphrase(isolated_home, monkeypatch):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", "correct horse battery")
    assert not first_run.needs_first_run()


# -- the passphrase rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "passphrase, acceptable",
    [
        ("short", False),
        ("password1234", False),
        ("SianObriain", False),
        ("fieldnote2026", False),
        (STRONG, True),
        ("correct horse battery", True),
    ],
)
def test_passphrase_strength(passphrase, acceptable):
    strength = first_run.passphrase_strength(passphrase, ("Siân Ó Briain", "Behaviour Support"))
    assert strength.acceptable is acceptable
    assert strength.message and "Error" not in strength.message


# -- walking through the wizard -----------------------------------------------------------------


def problem(wizard) -> str:
    return wizard.currentPage().problem.text()


def fill_you(wizard, name="Siân Ó Briain", service="Ashbridge Behaviour Support"):
    page = wizard.currentPage()
    page.name.setText(name)
    page.service.setText(service)


def make_wizard(qtbot) -> FirstRunWizard:
    """A wizard whose background work (creating the key and store) runs at once."""
    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    wizard.tasks.use_pool(FakeThreadPool())
    return wizard


def test_walk_through_with_a_passphrase_and_demo_data(qtbot, isolated_home):
    wizard = make_wizard(qtbot)
    wizard.show()
    # 1. who you are: a name is required
    wizard.next()
    assert wizard.currentId() == 0 and "Enter your name" in problem(wizard)
    fill_you(wizard)
    wizard.next()
    # 2. the data folder: fixed by FIELDNOTE_HOME here, shown read-only
    data = wizard.currentPage()
    assert data.folder.text() == str(isolated_home) and not data.folder.isEnabled()
    wizard.next()
    # 3. protection: no OS keyring in tests, so only a passphrase can be chosen
    page = wizard.currentPage()
    assert not page.keyring.isEnabled() and page.passphrase_choice.isChecked()
    assert "cannot be recovered" in page.findChild(type(page.strength), "warning").text()
    page.passphrase.setText("password1234")
    assert "very common" in page.strength.text()
    wizard.next()
    assert wizard.currentPage() is page and "very common" in problem(wizard)
    page.passphrase.setText(STRONG)
    page.again.setText(STRONG + "x")
    wizard.next()
    assert wizard.currentPage() is page and "not the same" in problem(wizard)
    page.again.setText(STRONG)
    wizard.next()
    assert wizard.currentPage() is page and "Tick the box" in problem(wizard)
    page.understood.setChecked(True)
    wizard.next()
    # 4. the server: optional, but a plain-HTTP address is refused
    page = wizard.currentPage()
    page.server.setText("http://fieldnote.example.org")
    wizard.next()
    assert wizard.currentPage() is page and "https://" in problem(wizard)
    page.server.setText("")
    wizard.next()
    # 5. demo data, then finish
    page = wizard.currentPage()
    assert not (isolated_home / "fieldnote.db").exists()  # nothing is made before Finish
    page.demo.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.outcome is not None
    wizard.outcome.store.close()

    settings = load_settings()
    assert (settings.practitioner_name, settings.service_name) == ("Siân Ó Briain", "Ashbridge Behaviour Support")
    assert json.loads((isolated_home / "keyinfo.json").read_text())["mode"] == "passphrase"
    store = open_store(isolated_home, STRONG)  # the passphrase chosen opens it
    try:
        assert store.conn.execute("SELECT count(*) FROM pupil").fetchone()[0] == first_run.DEMO_PUPILS
    finally:
        store.close()
    assert not first_run.needs_first_run()


def test_keyring_protection_keeps_the_key_in_the_keyring(qtbot, isolated_home, memory_keyring):
    wizard = make_wizard(qtbot)
    wizard.show()
    fill_you(wizard)
    wizard.next()
    wizard.next()
    page = wizard.currentPage()
    assert page.keyring.isEnabled() and page.keyring.isChecked()
    assert not page.fields.isVisibleTo(wizard)  # no passphrase fields in keyring mode
    wizard.next()
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    store = wizard.outcome.store
    try:
        assert store.conn.execute("SELECT count(*) FROM pupil").fetchone()[0] == 0  # empty start
    finally:
        store.close()
    info = KeyManager(isolated_home).info()
    assert info.mode == "keyring"
    assert memory_keyring.secrets[("Fieldnote", info.keyring_account)] == wizard.outcome.key.hex()


def test_a_chosen_data_folder_is_kept_in_settings(tmp_path, monkeypatch, memory_keyring):
    """Without FIELDNOTE_HOME the folder is the user's choice, saved in the config file."""
    monkeypatch.delenv("FIELDNOTE_HOME")
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda *a, **k: str(tmp_path / "config"))
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "default"))
    assert first_run.needs_first_run()
    chosen = tmp_path / "elsewhere"
    choices = first_run.FirstRunChoices(practitioner_name="Sam", data_dir="relative/folder")
    assert "full folder path" in first_run.check(choices)["data"]
    choices.data_dir = str(chosen)
    store, _key = first_run.apply(choices)
    store.close()
    assert (chosen / "fieldnote.db").exists() and not (tmp_path / "default").exists()
    assert load_settings().data_dir == str(chosen)
    from desktop import paths

    assert paths.data_dir() == chosen
    # a folder that already holds a store is refused (no second set-up over it)
    again = first_run.FirstRunChoices(practitioner_name="Sam", data_dir=str(chosen))
    assert "already holds Fieldnote data" in first_run.check(again)["data"]


# -- from the app's start ---------------------------------------------------------------------


def test_the_app_starts_with_the_set_up_and_opens_on_its_store(qtbot, isolated_home, monkeypatch):
    def walk(wizard):  # what the user does in the dialog's own event loop
        wizard.tasks.use_pool(FakeThreadPool())
        wizard.show()
        fill_you(wizard)
        wizard.next()
        wizard.next()
        page = wizard.currentPage()
        page.passphrase.setText(STRONG)
        page.again.setText(STRONG)
        page.understood.setChecked(True)
        wizard.next()
        wizard.next()
        wizard.currentPage().demo.setChecked(True)
        wizard.button(QWizard.WizardButton.FinishButton).click()
        return QDialog.DialogCode(wizard.result())

    monkeypatch.setattr(FirstRunWizard, "exec", walk)
    app, window, store = bootstrap.start_app([])  # no passphrase asked again
    qtbot.addWidget(window)
    try:
        assert window.isVisible() and window.model.rowCount() > 0
        assert "Ashbridge Behaviour Support" in window.windowTitle()
    finally:
        app.processEvents()
        window.stop_background_work()
        store.close()


def test_cancelling_the_set_up_quits_and_creates_nothing(qtbot, isolated_home, monkeypatch):
    monkeypatch.setattr(FirstRunWizard, "exec", lambda wizard: QDialog.DialogCode.Rejected)
    assert bootstrap.start_app([]) == 0
    assert not (isolated_home / "fieldnote.db").exists()
    assert not (isolated_home / "keyinfo.json").exists()
    assert first_run.needs_first_run()  # shown again next time


# -- changing it later in Settings -------------------------------------------------------------


def test_settings_switch_the_store_from_keyring_to_passphrase(qtbot, isolated_home, memory_keyring, monkeypatch):
    from desktop.config import Settings
    from desktop.ui.main_window import SettingsDialog
    from desktop.ui.protection import ProtectionDialog

    store = open_store(isolated_home)  # keyring mode: the memory keyring holds the key
    store.close()
    keys = KeyManager(isolated_home)
    key = keys.obtain()
    dialog = SettingsDialog(Settings(practitioner_name="Sam"), keys=keys, tasks=Tasks(FakeThreadPool()))
    qtbot.addWidget(dialog)
    assert dialog.protection.text() == "This computer's keyring"
    problems = []

    def fill(protection):
        protection.passphrase_choice.setChecked(True)
        protection.new.setText(STRONG)
        protection.again.setText(STRONG)
        protection.save()  # the box is not ticked yet
        problems.append(protection.problem.text())
        protection.understood.setChecked(True)
        protection.save()
        return protection.result()

    monkeypatch.setattr(ProtectionDialog, "exec", fill)
    dialog.findChild(QPushButton, "changeProtection").click()
    assert "Tick the box" in problems[0]
    assert dialog.protection.text() == "A passphrase typed at start"
    assert keys.info().mode == "passphrase" and keys.obtain(STRONG) == key
    assert not memory_keyring.secrets  # the key is no longer in the keyring
