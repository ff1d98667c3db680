"""No clipped text (issue 13, item 2): the check itself (``desktop.ui.fit_check``), and the
screens where text was seen cut off — the empty caseload's explanation, the start dialog's
informant ("Adult who knov…"), the Boxall's synthetic warning, the SDQ's copyright note, the
case's buttons, Settings — whole at 100 % and at 150 % text size."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from desktop.ui import fit_check
from desktop.ui.main_window import PAGE_EMPTY
from tests.conftest import TODAY


@pytest.fixture(params=[1.0, 1.5], ids=["text100", "text150"])
def text_scale(request, qapp):
    """The app's text at 100 % and 150 % (as the OS's text size or display scaling makes it)."""
    before = QFont(qapp.font())
    font = QFont(before)
    font.setPointSizeF(before.pointSizeF() * request.param)
    qapp.setFont(font)
    yield request.param
    qapp.setFont(before)


def settle(widget) -> None:
    for _ in range(3):
        QApplication.processEvents()


def fits(widget) -> list[str]:
    """What is wrong: text cut off, or larger than the (offscreen) screen it is on."""
    settle(widget)
    area = widget.screen().availableGeometry()
    large = fit_check.too_large(widget, area.width(), area.height())
    return fit_check.clipped(widget) + ([large] if large else [])


# -- the check itself ----------------------------------------------------------------------------
def test_the_check_finds_each_kind_of_clipped_text(qtbot):
    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    narrow = QLabel("A label much wider than the forty pixels it was given")
    narrow.setObjectName("narrow")
    narrow.setFixedWidth(40)
    short = QLabel("A wrapped label whose several lines of text need more height than one line " * 3)
    short.setObjectName("short")
    short.setWordWrap(True)
    short.setFixedSize(160, short.fontMetrics().height())
    combo = QComboBox()
    combo.setObjectName("combo")
    combo.addItem("Adult who knows the child well")
    combo.setFixedWidth(90)
    button = QPushButton("Edit referral…")
    button.setObjectName("button")
    button.setFixedWidth(40)
    check = QCheckBox("Only the pupil's initials in report file names")
    check.setObjectName("check")
    check.setFixedWidth(60)
    whole = QLabel("Fits")
    whole.setObjectName("whole")
    for w in (narrow, short, combo, button, check, whole):
        layout.addWidget(w)
    top.show()
    qtbot.waitExposed(top)
    found = {p.split(" ", 1)[0].rsplit("/", 1)[-1] for p in fit_check.clipped(top)}
    assert found == {"narrow", "short", "combo", "button", "check"}
    for w in (narrow, short, combo, button, check):  # given their room, none is reported
        w.setMinimumSize(0, 0)
        w.setMaximumSize(16777215, 16777215)
    top.adjustSize()
    settle(top)
    assert fit_check.clipped(top) == []


def test_the_check_finds_a_column_heading_cut_off(qtbot):
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView

    model = QStandardItemModel(1, 2)
    model.setHorizontalHeaderLabels(["Instrument", "Informant"])
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.horizontalHeader().setMinimumSectionSize(10)
    table.setColumnWidth(0, 30)
    table.setColumnWidth(1, 200)
    table.show()
    qtbot.waitExposed(table)
    found = fit_check.clipped(table)
    assert len(found) == 1 and "“Instrument”" in found[0]
    table.setColumnWidth(0, 200)
    assert fit_check.clipped(table) == []


def test_the_check_finds_a_window_larger_than_its_screen(qtbot):
    top = QWidget()
    qtbot.addWidget(top)
    top.resize(1300, 600)
    assert fit_check.too_large(top, 1024, 700) is not None
    assert fit_check.too_large(top, 1366, 768) is None


# -- the screens ---------------------------------------------------------------------------------
def test_the_empty_caseload_explains_itself_whole(text_scale, make_window, store):
    window = make_window(store)
    assert window.pages.currentIndex() == PAGE_EMPTY
    empty = window.pages.widget(PAGE_EMPTY)
    assert fits(empty) == []
    text = empty.findChild(QLabel, "emptyExplanation")
    assert text.height() >= text.heightForWidth(text.width())  # every wrapped line shows


def test_the_start_dialog_shows_each_instrument_whole(text_scale, make_window, store, case):
    from desktop.ui.form_entry import start_dialog

    window = make_window(store)
    window.select_referral(case["referral"])
    dialog = start_dialog(window.assessments.records, window.case_view.case, window, today=TODAY)
    dialog.show()
    packs = dialog.fields["pack_id"]
    seen = set()
    for i in range(packs.count()):
        packs.setCurrentIndex(i)
        assert fits(dialog) == [], packs.itemData(i)
        seen.add(dialog.fields["informant"].currentText())
    assert "Adult who knows the child well" in seen  # the Boxall's: it was cut to "Adult who knov…"
    dialog.close()


@pytest.mark.parametrize("pack_id, informant, band", [("boxall-synthetic", "adult", "4-11"),
                                                     ("sdq-teacher-4-17", "teacher", "4-17")])
def test_a_form_shows_its_warning_and_notes_whole(text_scale, make_window, store, case, pack_id,
                                                   informant, band):
    window = make_window(store)
    window.select_referral(case["referral"])
    records = window.assessments.records
    if pack_id not in records.registry.packs:
        pytest.skip(f"{pack_id} is not installed")
    completion = records.start(pupil_id=case["pupil"], referral_id=case["referral"], pack_id=pack_id,
                               informant=informant, age_band=band, completed_by="teacher",
                               completed_on=TODAY, time_point="T1")
    form = window.assessments.open_form(completion)
    assert fits(form) == []
    assert form.synthetic_banner.isVisible() == records.pack(pack_id).synthetic
    form.close()


def test_the_case_buttons_wrap_rather_than_cut_their_words(text_scale, make_window, store, case):
    window = make_window(store)
    window.select_referral(case["referral"])
    window.splitter.setSizes([10_000, 1])  # the case pane as narrow as it will go
    settle(window)
    assert fit_check.clipped(window.case_view) == []
    buttons = window.case_view.buttons.values()
    assert len({b.y() for b in buttons}) > 1  # on more than one line


def test_settings_show_every_setting_whole(text_scale, make_window, store):
    from desktop.ui.main_window import SettingsDialog

    window = make_window(store)
    dialog = SettingsDialog(window.settings, window, window.unlock_pin, pin_needed=True, keys=window.keys)
    dialog.show()
    assert fits(dialog) == []
    dialog.close()
