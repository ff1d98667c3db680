"""Accessible (issue 13 item 11): every control on every main screen has a name a screen
reader can say, the Tab key reaches it, colour is never the only signal, and text follows
the OS font size."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.accessibility import focus_not_shown, pixel_sized_text, unnamed_controls, unreachable_controls


@pytest.fixture(autouse=True)
def yes(monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


@pytest.fixture
def demo_window(qtbot, make_window, store, caseload):
    from desktop.demo import fill_demo
    from tests.ui.conftest import FakeThreadPool

    fill_demo(caseload, 24)
    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())
    window.sync.stop()
    return window


def _first(store, sql):
    row = store.conn.execute(sql).fetchone()
    assert row is not None, sql
    return row


def _recording(window, referral):
    """A lesson being recorded (the live coding screen), on a clock that stands still."""
    from desktop.observation.engine import ObservationEngine
    from tests.observation.fakes import FakeClock
    from desktop.observation.records import ObservationSetup
    from desktop.observation.scheme import minute_intervals
    from desktop.observation.store_repository import StoreObservationRepository
    from desktop.ui.observation_window import show_recording

    setup = ObservationSetup(case_id=referral, lesson="Maths", interval_seconds=60)
    clock = FakeClock()
    engine = ObservationEngine.start(
        setup, minute_intervals(), sink=StoreObservationRepository(window.store).sink, clock=clock
    )
    return show_recording(window, engine, clock)


def screens(window, qtbot):
    """(name, top-level widget) for each main screen, opened as a user opens it."""
    store = window.store
    yield "caseload", window
    referral, observation = _first(store, "SELECT referral_id, id FROM observation WHERE status = 'final' LIMIT 1")
    window.select_referral(referral)
    window.show_case(referral)
    tabs = window.case_view.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        yield f"case {tabs.tabText(i)}", window
    from desktop.ui import dialogs

    for name, make in (
        ("visit", lambda: dialogs.visit_dialog(window.caseload, referral, window)),
        ("pupil", lambda: dialogs.pupil_dialog(window.caseload, window)),
        ("referral", lambda: dialogs.referral_dialog(window.caseload, window)),
        ("school", lambda: dialogs.school_dialog(window.caseload, window)),
        ("call", lambda: dialogs.call_dialog(window.caseload, window)),
        ("plan", lambda: dialogs.support_plan_dialog(window.caseload, referral, window)),
    ):
        dialog = make()
        dialog.show()
        yield f"{name} dialog", dialog
        dialog.close()
    case = window.caseload.open_case(referral, record_view=False)
    from desktop.observation.library import SchemeLibrary
    from desktop.ui.observation_window import open_observation, setup_dialog

    setup = setup_dialog(case, window, SchemeLibrary(store).all())
    setup.show()
    yield "observation set-up", setup
    setup.close()
    recording = _recording(window, referral)
    yield "observation recording", recording
    recording.engine.end()
    recording.close()
    shown = open_observation(window, observation)
    yield "observation summary", shown
    shown.close()
    form = _first(store, "SELECT id FROM form_completion WHERE pack_id LIKE 'sdq-%' LIMIT 1")[0]
    entry = window.assessments.open_form(form)
    yield "SDQ form", entry
    entry.close()
    boxall = store.conn.execute("SELECT id FROM form_completion WHERE pack_id LIKE 'boxall%' LIMIT 1").fetchone()
    if boxall:
        entry = window.assessments.open_form(boxall[0])
        yield "Boxall form", entry
        entry.close()
    means = window.assessments.show_means()
    yield "outcomes", means
    means.close()
    allocation = window.allocation.open()
    yield "allocation", allocation
    allocation.close()
    attention = window.attention.open() if hasattr(window, "attention") else None
    if attention is not None:
        yield "needs attention", attention
        attention.close()
    audit = _first(store, "SELECT id FROM audit LIMIT 1")[0]
    w = window.open_audit(audit)
    yield "audit", w
    w.close()
    editor = window.reports.new_visit_report()
    yield "visit report editor", editor
    editor.preview()  # rendered on the (fake, immediate) background pool
    yield "report preview", editor.preview_dialog
    editor.preview_dialog.close()
    editor.close()
    from desktop.ui.form_entry import start_dialog

    start = start_dialog(window.assessments.records, case, window, today=window.caseload.today)
    start.show()
    yield "new assessment", start
    start.close()
    from desktop.ui.import_dialog import ImportDialog

    importing = ImportDialog(window)
    importing.show()
    yield "import", importing
    importing.close()
    from desktop.ui.audit_template_editor import TemplateEditor

    templates = TemplateEditor(parent=window)
    templates.show()
    templates.make_copy()  # editable: every editing control shows
    for i in range(templates.tabs.count()):
        templates.tabs.setCurrentIndex(i)
        yield f"audit templates {templates.tabs.tabText(i)}", templates
    templates.close()
    from desktop.observation.library import SchemeLibrary
    from desktop.ui.scheme_editor import SchemeEditor

    schemes = SchemeEditor(SchemeLibrary(store), window)
    schemes.show()
    yield "coding schemes", schemes
    schemes.close()
    from desktop.ui.audit_window import SummaryDialog

    summary = SummaryDialog(window.audit_records, parent=window)
    summary.show()
    yield "audit summary", summary
    summary.close()
    from desktop.ui.main_window import SettingsDialog

    settings = SettingsDialog(window.settings, window, window.unlock_pin, pin_needed=False, keys=window.keys)
    settings.show()
    yield "settings", settings
    settings.close()
    window.lock()
    yield "lock", window


def test_every_control_on_every_screen_has_a_name_and_the_keyboard_reaches_it_visibly(qtbot, demo_window):
    problems = []
    for name, top in screens(demo_window, qtbot):
        QApplication.processEvents()
        problems += [f"{name}: no name: {p}" for p in unnamed_controls(top)]
        problems += [f"{name}: not reachable: {p}" for p in unreachable_controls(top)]
        problems += [f"{name}: focus not shown: {p}" for p in focus_not_shown(top)]
        problems += [f"{name}: text sized in pixels: {p}" for p in pixel_sized_text(top)]
    assert not problems, "\n".join(problems)


def test_text_follows_the_os_font_size(qtbot, make_window, store, case):
    """A user who sets a larger OS font gets larger headings too, in the same proportion."""
    from PySide6.QtGui import QFont

    app = QApplication.instance()
    original = QFont(app.font())
    heights = {}
    try:
        for points in (9, 18):
            font = QFont(original)
            font.setPointSize(points)
            app.setFont(font)
            window = make_window(store)
            window.select_referral(case["referral"])
            window.show_case(case["referral"])
            window.lock()
            title = window.lock_screen.title
            heights[points] = (
                title.font().pointSizeF(),
                title.sizeHint().height(),
                window.case_view.header.sizeHint().height(),
            )
            window.close()
    finally:
        app.setFont(original)
    (small_pt, small_title, small_header), (big_pt, big_title, big_header) = heights[9], heights[18]
    assert big_pt == pytest.approx(2 * small_pt)  # the heading is a multiple of the OS font
    assert big_title > 1.6 * small_title
    assert big_header > 1.6 * small_header  # rich text (the pupil's name) grows with it


def test_code_buttons_say_their_code_and_key(qtbot, demo_window):
    referral = _first(demo_window.store, "SELECT referral_id FROM observation LIMIT 1")[0]
    recording = _recording(demo_window, referral)
    qtbot.addWidget(recording)
    codes = recording.engine.observation.scheme.codes
    assert codes
    for code in codes:
        button = recording.code_buttons[code.id]
        assert button.accessibleName() == f"{code.label} (key {code.key})"
    assert "Esc" in recording.end_button.accessibleName()
    recording.engine.end()
