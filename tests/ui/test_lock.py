"""The idle lock locks every window from one place: covers, blocked input, the PIN in keyring
mode, throttled tries, and an observation that keeps recording underneath."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton

from desktop.config import Settings
from desktop.forms.records import FormRecords
from tests.observation.fakes import FakeClock
from desktop.observation.store_repository import StoreObservationRepository
from desktop.security import FREE_ATTEMPTS, UnlockPin
from desktop.store import open_store
from desktop.store.keys import KeyManager
from desktop.ui import dialogs
from desktop.ui.form_entry import FormEntryWindow
from desktop.ui.lock import LOCKED_TITLE, LockScreen, PinDialog
from tests.conftest import PASSPHRASE

SETUP = {
    "scheme": "preset.minute-intervals",
    "lesson": "Year 5 maths",
    "teacher": "Mr Evans",
    "interval_seconds": 60,
    "planned_minutes": 10,
    "peer_every": 0,
}
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture(autouse=True)
def yes(monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


def observe(qtbot, window, case, fill_dialogs, clock):
    queue, _ = fill_dialogs
    window.select_referral(case["referral"])
    queue.append(dict(SETUP))
    recording = window.observe(clock=clock)
    qtbot.addWidget(recording)
    qtbot.waitExposed(recording)
    return recording


def open_form(qtbot, store, case, parent=None):
    """A form window open for entry (made directly, so no feature closes it at the lock)."""
    forms = FormRecords(store)
    completion = forms.start(
        pupil_id=case["pupil"],
        referral_id=case["referral"],
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on="2026-10-01",
        time_point="T1",
        respondent="Mr Evans",
    )
    form = FormEntryWindow(forms, completion, "Ivy Okafor", parent)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return forms, completion, form


def unlock_with(window, secret: str, screen: LockScreen | None = None) -> None:
    screen = screen or window.lock_screen
    screen.passphrase.setText(secret)
    screen.try_unlock()


def test_locking_covers_every_window_and_its_title(qtbot, make_window, store, case, fill_dialogs):
    """Main, observation and form windows and a dialog: each hidden behind a cover, names gone
    from the titles; unlocking gives each back as it was."""
    window = make_window(store)
    rec = observe(qtbot, window, case, fill_dialogs, FakeClock())
    _, _, form = open_form(qtbot, store, case)
    dialog = dialogs.visit_dialog(window.caseload, case["referral"], window)
    qtbot.addWidget(dialog)
    dialog.show()
    titles = {w: w.windowTitle() for w in (window, rec, form, dialog)}
    assert "Ivy Okafor" in titles[rec]
    window.lock()
    for w in (window, rec, form, dialog):
        cover = window.lock_control.cover_of(w)
        assert cover is not None and cover.isVisible(), w
        assert cover.geometry() == w.rect()  # the whole window
        for x, y in ((5, 5), (w.width() // 2, w.height() // 2), (w.width() - 5, w.height() - 5)):
            on_top = w.childAt(x, y)  # what a click or a look at this point meets
            assert on_top is cover or cover.isAncestorOf(on_top), (w, x, y)
        assert w.windowTitle() == LOCKED_TITLE
    rec.resize(rec.width() + 50, rec.height() + 30)  # a resized window stays covered
    assert window.lock_control.cover_of(rec).geometry() == rec.rect()
    unlock_with(window, PASSPHRASE)
    assert not window.locked and window.lock_control.covers == {}
    assert {w: w.windowTitle() for w in titles} == titles


def test_a_form_window_cannot_be_typed_into_while_locked(qtbot, make_window, store, case):
    window = make_window(store)
    forms, completion, form = open_form(qtbot, store, case, window)
    dialog = dialogs.visit_dialog(window.caseload, case["referral"], window)
    qtbot.addWidget(dialog)
    dialog.show()
    notes = dialog.fields["attendees"]
    window.lock()
    qtbot.keyClick(form.table, Qt.Key.Key_2)  # would answer the first item
    qtbot.keyClicks(notes, "Met the SENCo")
    qtbot.keyClick(form.table, Qt.Key.Key_Escape)  # would close the form
    assert forms.answers(completion) == {} and notes.text() == ""
    assert form.isVisible() and dialog.isVisible()
    cover = window.lock_control.cover_of(form)
    unlock_with(window, PASSPHRASE, cover)  # any window's cover opens them all
    assert not window.locked
    qtbot.keyClick(form.table, Qt.Key.Key_2)
    assert forms.answers(completion) == {"consid": 2}


def test_an_observation_keeps_recording_under_the_lock(qtbot, make_window, store, case, fill_dialogs, monkeypatch):
    """Its prompts fire (with their sound) and its intervals are committed while locked;
    the code keys do nothing; after unlock every interval that passed is on the strip."""
    beeps = []
    monkeypatch.setattr(QApplication, "beep", lambda: beeps.append(1))
    clock = FakeClock()
    window = make_window(store)
    rec = observe(qtbot, window, case, fill_dialogs, clock)
    repo = StoreObservationRepository(store)
    oid = rec.engine.observation.id
    qtbot.keyClick(rec, "1")  # on task, before the lock
    window.lock()
    cover = window.lock_control.cover_of(rec)
    assert "recording (on interval 1)" in cover.status.text()
    assert "Ivy" not in cover.status.text()
    qtbot.keyClick(rec, "2")  # under the lock: no code
    qtbot.keyClick(rec, Qt.Key.Key_Escape)  # nor "end the observation"
    for _ in range(3):
        clock.advance(60)
        rec.tick()
    stored = repo.get(oid)
    assert stored.status == "recording" and len(beeps) == 3  # each prompt's cue still sounds
    # committed while locked; the "2" (off task) pressed under the lock never reached the
    # engine, so the intervals after the first, in which nothing was keyed, are uncoded
    assert [i.codes for i in stored.intervals] == [("ON",), (), ()]
    assert [i.status for i in stored.intervals][1:] == ["uncoded", "uncoded"]
    window.lock_control._refresh_status()
    assert "on interval 4" in cover.status.text()
    unlock_with(window, PASSPHRASE)
    assert len(rec.strip.intervals) == 3
    assert rec.interval_label.text() == "Interval 4 of 10"


def test_a_wrong_passphrase_keeps_it_locked_and_tries_are_throttled(qtbot, make_window, store):
    window = make_window(store)
    now = [500.0]
    throttle = window.lock_control.unlocker.throttle
    throttle.clock, throttle.next_try = (lambda: now[0]), now[0]
    window.lock()
    screen = window.lock_screen
    assert screen.passphrase.isVisible() and screen.passphrase.placeholderText() == "Passphrase"
    for n in range(1, FREE_ATTEMPTS):
        unlock_with(window, "not it")
        assert window.locked
        assert f"did not unlock Fieldnote. {FREE_ATTEMPTS - n} more" in screen.error.text()
    unlock_with(window, "not it")
    assert "Wait 30 seconds" in screen.error.text()
    unlock_with(window, PASSPHRASE)  # during the wait even the right one is refused
    assert window.locked and "Wait" in screen.error.text()
    other = window.lock_control.cover(QDialog(window))  # every cover says so, counting down
    now[0] += 20
    window.lock_control._refresh_status()
    assert "Wait 10 seconds" in screen.error.text() and "Wait 10 seconds" in other.error.text()
    now[0] += 10  # the wait has passed
    window.lock_control._refresh_status()
    assert screen.error.isHidden()
    unlock_with(window, PASSPHRASE)
    assert not window.locked


def test_alt_f_on_the_lock_screen_types_into_the_field(qtbot, make_window, store):
    """Not to the File menu behind: Alt+letters are part of some passphrases."""
    window = make_window(store)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.lock()
    field = window.lock_screen.passphrase
    assert field.hasFocus()
    qtbot.keyClick(field, Qt.Key.Key_F, ALT)
    qtbot.keyClick(field, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # "Lock now"
    qtbot.keyClick(field, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # "New referral"
    assert field.text() == "f"
    assert QApplication.activePopupWidget() is None
    QApplication.clipboard().setText("from a password manager")
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # paste still works
    assert field.text() == "ffrom a password manager"


def test_alt_letters_never_press_a_button_behind_a_cover(qtbot, make_window, store):
    """In any window, not only the main one: a button's Alt+letter mnemonic stays dead."""
    window = make_window(store)
    dialog = QDialog(window)
    finish = QPushButton("&Finish", dialog)
    pressed = []
    finish.clicked.connect(lambda: pressed.append(1))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_F, ALT)
    qtbot.waitUntil(lambda: pressed == [1])  # the mnemonic works while unlocked
    window.lock()
    field = window.lock_control.cover_of(dialog).passphrase
    assert field.hasFocus()
    qtbot.keyClick(field, Qt.Key.Key_F, ALT)
    # a shortcut takes the key press it matches, so the letter in the field shows none did
    assert field.text() == "f"


def test_a_window_opened_while_locked_is_covered(qtbot, make_window, store):
    window = make_window(store)
    window.lock()
    box = QMessageBox(
        QMessageBox.Icon.Warning, "Fieldnote", "Ivy Okafor's file was saved.", QMessageBox.StandardButton.Ok, window
    )
    qtbot.addWidget(box)
    box.show()
    cover = window.lock_control.cover_of(box)
    assert cover is not None and cover.isVisible() and box.windowTitle() == LOCKED_TITLE
    qtbot.keyClick(box, Qt.Key.Key_Return)  # would press OK
    assert box.isVisible()


def test_a_modal_dialog_open_at_the_lock_is_unlocked_from_its_own_cover(qtbot, make_window, store, case):
    """A modal dialog blocks the main window's cover, so its own cover has the field; what
    was typed into the dialog is still there after unlock."""
    window = make_window(store)
    dialog = dialogs.visit_dialog(window.caseload, case["referral"], window)
    qtbot.addWidget(dialog)
    dialog.open()  # modal
    notes = dialog.fields["attendees"]
    notes.setText("Half-typed")
    window.lock()
    unlock_with(window, PASSPHRASE, window.lock_control.cover_of(dialog))
    assert not window.locked and dialog.isVisible() and notes.text() == "Half-typed"


# -- keyring mode: the PIN ----------------------------------------------------------------------
@pytest.fixture
def keyring_window(qtbot, isolated_home, memory_keyring):
    from desktop.ui.main_window import MainWindow

    store = open_store(isolated_home, actor="tester")  # no passphrase: keyring mode
    window = MainWindow(
        store, KeyManager(isolated_home), Settings(), lambda: open_store(isolated_home), save_config=lambda s: None
    )
    window.lock_control._quit = lambda: quits.append(1)
    quits: list = []
    window.quits = quits
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
    store.close()


def set_pin(window, pin: str, current: str = "") -> PinDialog:
    dialog = PinDialog(window.unlock_pin, window)
    dialog.current.setText(current)
    dialog.new.setText(pin)
    dialog.again.setText(pin)
    dialog.save()
    return dialog


def test_keyring_mode_without_a_pin_cannot_be_unlocked_by_a_click(keyring_window, qtbot):
    """The old lock opened with one click on Unlock; with no PIN there is nothing to click
    but Quit (everything is saved), and the start offers to set a PIN."""
    window = keyring_window
    assert window.keys.mode == "keyring"
    window.lock()
    screen = window.lock_screen
    assert not screen.button.isVisible() and not screen.passphrase.isVisible()
    assert "No PIN is set" in screen.message.text() and screen.quit_button.isVisible()
    screen.try_unlock()
    assert window.locked
    qtbot.mouseClick(screen.quit_button, Qt.MouseButton.LeftButton)
    assert window.quits == [1]


def test_keyring_mode_needs_the_pin(keyring_window):
    window = keyring_window
    set_pin(window, "4826")
    assert "4826" not in (window.store.meta("unlock_pin") or "x")
    window.lock()
    screen = window.lock_screen
    assert screen.passphrase.placeholderText() == "PIN" and screen.passphrase.isVisible()
    screen.try_unlock()  # nothing typed: the keyring alone no longer opens it
    assert window.locked and "Type your PIN" in screen.error.text()
    unlock_with(window, "4827")
    assert window.locked and "That PIN did not unlock Fieldnote" in screen.error.text()
    unlock_with(window, "4826")
    assert not window.locked


def test_keyring_mode_with_a_pin_starts_locked(keyring_window):
    """The keyring opened the store with no question, so the PIN is asked for at start."""
    window = keyring_window
    set_pin(window, "13579")
    window.protect_at_start()
    assert window.locked and window.lock_screen.passphrase.placeholderText() == "PIN"


def test_the_pin_dialog_checks_the_current_pin_and_the_new_one(keyring_window):
    window = keyring_window
    pin = window.unlock_pin
    assert not set_pin(window, "12").save() and not pin.is_set()
    short = set_pin(window, "12")
    assert "at least 4 digits" in short.error.text()
    mismatch = PinDialog(pin, window)
    mismatch.new.setText("1234")
    mismatch.again.setText("1243")
    assert not mismatch.save() and "different" in mismatch.error.text()
    assert set_pin(window, "1234").result() == PinDialog.DialogCode.Accepted
    change = PinDialog(pin, window)
    assert change.current.isVisibleTo(change)
    wrong_current = set_pin(window, "5678", current="0000")
    assert "current PIN is not right" in wrong_current.error.text()
    assert UnlockPin(window.store).matches("1234")
    set_pin(window, "5678", current="1234")
    assert pin.matches("5678") and not pin.matches("1234")


def test_settings_say_whether_a_pin_is_needed(keyring_window):
    from desktop.ui.main_window import SettingsDialog

    window = keyring_window
    needed = SettingsDialog(window.settings, window, window.unlock_pin, pin_needed=True)
    assert "Not set. Needed" in needed.pin_state.text()
    assert needed.pin_button.text() == "Set PIN…" and not needed.pin_button.isHidden()
    set_pin(window, "2468")
    again = SettingsDialog(window.settings, window, window.unlock_pin, pin_needed=True)
    assert again.pin_state.text().startswith("Set:") and again.pin_button.text() == "Change PIN…"


def test_settings_in_passphrase_mode_need_no_pin(qtbot, make_window, store):
    from desktop.ui.main_window import SettingsDialog

    window = make_window(store)
    dialog = SettingsDialog(window.settings, window, window.unlock_pin, pin_needed=not window.keys.needs_passphrase())
    assert "Not needed" in dialog.pin_state.text() and dialog.pin_button.isHidden()


def test_keyring_mode_with_no_pin_is_offered_one_after_start(keyring_window, monkeypatch):
    window = keyring_window
    chosen = []
    monkeypatch.setattr(window, "set_pin", lambda: chosen.append(1) or True)
    assert window.offer_pin() and chosen == [1]  # the question is answered Yes
    window.protect_at_start()
    assert not window.locked  # nothing to ask for yet: the offer comes after start


def test_the_app_starts_locked_in_keyring_mode_with_a_pin(qtbot, isolated_home, memory_keyring):
    """The keyring opens the store without a question, so the window shows the PIN lock
    before anything else."""
    from desktop import app as bootstrap

    store = open_store(isolated_home)
    UnlockPin(store).set("8642")
    store.close()
    app, window, store = bootstrap.start_app([])
    qtbot.addWidget(window)
    try:
        assert window.locked and window.lock_screen.isVisible()
        assert window.lock_screen.passphrase.placeholderText() == "PIN"
        unlock_with(window, "8642")
        assert not window.locked
    finally:
        app.processEvents()
        window.stop_background_work()
        store.close()
