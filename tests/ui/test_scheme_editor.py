"""Coding schemes: presets are read-only, a copy is editable, saved schemes are validated and offered."""

from __future__ import annotations

from desktop.observation.library import SchemeLibrary
from desktop.observation.scheme import MINUTE_INTERVALS_ID
from desktop.ui.scheme_editor import SchemeEditor


def test_copy_a_preset_edit_it_and_use_it(qtbot, store, case):
    library = SchemeLibrary(store)
    editor = SchemeEditor(library)
    qtbot.addWidget(editor)
    assert not editor.save_button.isEnabled()  # a preset cannot change
    assert "Copy it" in editor.message.text()
    editor.copy_current()
    assert editor.save_button.isEnabled() and editor.name.text() == "Minute intervals (copy)"
    editor.name.setText("Minute intervals with calling out")
    editor.interval.setValue(30)
    editor.add_code()
    row = editor.codes_model.rowCount() - 1
    for col, value in enumerate(("CALL", "c", "Calls out", "#DC2626", "event", "")):
        assert editor.codes_model.setData(editor.codes_model.index(row, col), value)
    assert editor.save()
    (custom,) = [s for s in library.all() if not library.is_preset(s.id)]
    assert (custom.name, custom.interval_seconds) == ("Minute intervals with calling out", 30)
    assert custom.code("CALL").key == "c" and custom.code("CALL").method.value == "event"
    assert library.get(MINUTE_INTERVALS_ID).interval_seconds == 60  # the preset is unchanged
    assert store.get("coding_scheme", custom.id)["name"] == custom.name  # kept (and synced)

    from desktop.ui.observation_window import setup_dialog

    case_data = {
        "referral": {"id": case["referral"]},
        "pupil": {"first_name": "Ivy", "last_name": "Okafor"},
        "school": {"name": "Hollowmere"},
    }
    dialog = setup_dialog(case_data, schemes_available=library.all())
    qtbot.addWidget(dialog)
    combo = dialog.fields["scheme"]
    assert combo.findData(custom.id) >= 0


def test_an_invalid_edit_is_refused_with_the_reason(qtbot, store):
    library = SchemeLibrary(store)
    editor = SchemeEditor(library)
    qtbot.addWidget(editor)
    editor.copy_current()
    model = editor.codes_model
    assert model.setData(model.index(1, 1), model.index(0, 1).data())  # two codes, one key
    assert not editor.save()
    assert "key" in editor.message.text().lower()
    assert [s.name for s in library.all() if not library.is_preset(s.id)] == ["Minute intervals (copy)"]
    assert library.get(editor.current.id).codes[1].key != library.get(editor.current.id).codes[0].key


def test_carry_over_is_a_scheme_flag_off_by_default_and_editable(qtbot, store):
    library = SchemeLibrary(store)
    editor = SchemeEditor(library)
    qtbot.addWidget(editor)
    assert not editor.carry_over.isChecked() and not editor.carry_over.isEnabled()  # preset: off, fixed
    editor.copy_current()
    assert editor.carry_over.isEnabled() and not editor.carry_over.isChecked()
    editor.carry_over.setChecked(True)
    assert editor.save()
    assert library.get(editor.current.id).carry_over is True
    editor.carry_over.setChecked(False)
    assert editor.save() and library.get(editor.current.id).carry_over is False


def test_the_lists_are_models_a_preset_cannot_be_edited_in_place(qtbot, store):
    """The schemes list gives each scheme's id by role; a preset's code cells refuse edits,
    a copy's accept them; the colour cell is painted in its colour."""
    from PySide6.QtCore import Qt

    from desktop.ui.scheme_editor import SchemeIdRole

    library = SchemeLibrary(store)
    editor = SchemeEditor(library)
    qtbot.addWidget(editor)
    ids = [editor.schemes_model.index(r).data(SchemeIdRole) for r in range(editor.schemes_model.rowCount())]
    assert ids == [s.id for s in library.all()]
    assert editor.schemes_model.index(0).data().endswith("(built-in)")
    codes = editor.codes_model
    first_code = library.get(ids[0]).codes[0]
    assert codes.index(0, 0).data() == first_code.id
    assert codes.index(0, 3).data(Qt.ItemDataRole.BackgroundRole).name().lower() == first_code.colour.lower()
    assert not codes.flags(codes.index(0, 2)) & Qt.ItemFlag.ItemIsEditable
    assert not codes.setData(codes.index(0, 2), "Changed") and codes.index(0, 2).data() == first_code.label
    editor.copy_current()
    assert codes.flags(codes.index(0, 2)) & Qt.ItemFlag.ItemIsEditable
    assert codes.setData(codes.index(0, 2), "Changed") and codes.index(0, 2).data() == "Changed"
