"""The audit template editor: a built-in is read-only; a copy gains and loses areas and
criteria, reorders them, sets each criterion's kind, edits the rating scale (values, keys,
colours, presets), judgement scales and guidance; the pack loader validates it and it is
saved as an installed pack; a refused copy says why and writes nothing; templates are
exported and imported as JSON. A copy's own key and colour are what the audit window uses."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QLineEdit

from desktop.audits.records import AuditRecords, rating_id
from desktop.audits.template import NUMBER, RATED, TEXT, YES_NO, AuditTemplate
from desktop.forms.registry import load_registry
from desktop.ui.audit_models import DraftCriteriaModel, EntriesModel
from desktop.ui.audit_template_editor import TemplateEditor
from desktop.ui.audit_window import AuditWindow


def cell(view, row: int, column: int = 0) -> str:
    """What a list or table view shows in a cell (its model's display text)."""
    return view.model().index(row, column).data()


def edit(view, row: int, column: int, text: str) -> None:
    """A cell edited in place, as the view's editor commits it."""
    model = view.model()
    assert model.setData(model.index(row, column), text), (row, column)


def flags(view, row: int, column: int):
    return view.model().flags(view.model().index(row, column))


def background(view, row: int, column: int) -> QColor:
    return view.model().index(row, column).data(Qt.ItemDataRole.BackgroundRole).color()


def open_editor(qtbot, tmp_path, template="behaviour-audit"):
    d = TemplateEditor(installed_dir=tmp_path)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    ids = [d.templates.model().index(r, 0).data(EntriesModel.IdRole) for r in range(d.templates.count())]
    d.templates.setCurrentRow(ids.index(template))
    return d


def copy_as(qtbot, d, new_id="our-audit", title="Our behaviour audit"):
    d.new_id.setText(new_id)
    d.title.setText(title)
    qtbot.mouseClick(d.copy_button, Qt.MouseButton.LeftButton)


def click(qtbot, button):
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(combo, data):
    """Pick an entry as the user does (``activated`` is only emitted on user choice)."""
    i = combo.findData(data)
    assert i >= 0, data
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def type_into(qtbot, line_edit, text):
    line_edit.clear()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)


def select_area(d, area_id):
    ids = [d.areas.model().index(r, 0).data(EntriesModel.IdRole) for r in range(d.areas.count())]
    d.areas.setCurrentRow(ids.index(area_id))


def row_of(d, criterion_id):
    return next(
        r
        for r in range(d.table.rowCount())
        if d.table.model().index(r, 1).data(DraftCriteriaModel.CriterionIdRole) == criterion_id
    )


def level_row(table, value):
    return next(r for r in range(table.rowCount()) if cell(table, r, 0) == value)


def test_a_built_in_is_read_only_until_copied(qtbot, tmp_path):
    d = open_editor(qtbot, tmp_path)
    assert not d.save_button.isEnabled() and "built-in" in d.message.text()
    for b in (*d.area_buttons, *d.criterion_buttons, *d.rating_buttons, *d.judgement_buttons):
        assert not b.isEnabled()
    assert not (flags(d.table, 0, 1) & Qt.ItemFlag.ItemIsEditable)
    assert d.areas.count() == 10 and d.table.rowCount() == 3  # Arrival's three criteria
    copy_as(qtbot, d)
    assert d.save_button.isEnabled() and flags(d.table, 0, 1) & Qt.ItemFlag.ItemIsEditable


def test_a_copy_is_edited_in_full_and_saved_as_installed(qtbot, tmp_path):
    d = open_editor(qtbot, tmp_path)
    copy_as(qtbot, d)
    # a new area with criteria of every kind
    click(qtbot, d.area_buttons[0])  # Add area: selected, its name ready to type
    type_into(qtbot, d.area_label, "Toilets")
    area = d.current_area()
    assert area == "new_area_11" and cell(d.areas, d.areas.currentRow()).startswith("11. Toilets")
    for text, kind, unit in (
        ("Toilets supervised at break", RATED, ""),
        ("Passes used", YES_NO, ""),
        ("Attendance SEND", NUMBER, "%"),
        ("Details of the rota", TEXT, ""),
    ):
        click(qtbot, d.criterion_buttons[0])
        edit(d.table, d.table.currentRow(), 1, text)
        if kind == NUMBER:
            choose(d.kind, kind)
            assert d.unit.isVisible()
            type_into(qtbot, d.unit, unit)
        elif kind != RATED:
            choose(d.kind, kind)
    assert [cell(d.table, r, 2) for r in range(4)] == ["Rated", "Yes / No", "Number", "Short text"]
    assert cell(d.table, 2, 3) == "%"
    # reorder: the rota's details up one; the area to the top
    click(qtbot, d.criterion_buttons[2])
    assert [cell(d.table, r, 1) for r in range(4)][2:] == ["Details of the rota", "Attendance SEND"]
    for _ in range(12):
        click(qtbot, d.area_buttons[2])
    assert cell(d.areas, 0).startswith("1. Toilets") and d.current_area() == area
    # area guidance, judged on a new Emerging / Established / Advanced scale
    d.tabs.setCurrentIndex(2)
    choose(d.judgement_preset, "eea")
    click(qtbot, d.judgement_buttons[4])  # New scale
    jid = d.judgement_scale.currentData()
    assert [cell(d.judgement, r, 1) for r in range(3)] == ["Emerging", "Established", "Advanced"]
    edit(d.judgement, 1, 1, "Secure")
    qtbot.waitUntil(
        lambda: "Secure" in [cell(d.judgement, r, 1) for r in range(3)] and cell(d.judgement, 1, 1) == "Secure"
    )
    d.tabs.setCurrentIndex(0)
    choose(d.area_judgement, jid)
    d.area_guidance.setPlainText("A named adult on the rota\n\nDoors propped open")
    # remove a criterion and a whole area
    select_area(d, "arrival")
    d.table.setCurrentCell(row_of(d, "arrival_supervised"), 1)
    click(qtbot, d.criterion_buttons[1])
    assert d.table.rowCount() == 2
    select_area(d, "parents")
    click(qtbot, d.area_buttons[1])
    # descriptors per rating for one criterion
    select_area(d, "arrival")
    d.table.setCurrentCell(row_of(d, "arrival_calm"), 1)
    assert [cell(d.guidance, r, 0) for r in range(3)] == ["Red", "Amber", "Green"]
    edit(d.guidance, 2, 1, "Settled within five minutes")
    # the rating scale: Stabilise / Repair / Improve / Sustain, own key and colour
    d.tabs.setCurrentIndex(1)
    choose(d.rating_preset, "sris")
    assert [cell(d.rating, r, 1) for r in range(4)] == ["Stabilise", "Repair", "Improve", "Sustain"]
    edit(d.rating, level_row(d.rating, "sustain"), 2, "z")
    edit(d.rating, level_row(d.rating, "stabilise"), 3, "#cc0000")
    # the table is shown again once the edit is over: the keys that rate, in the colour shown
    qtbot.waitUntil(lambda: cell(d.rating, level_row(d.rating, "sustain"), 4) == "Z or 4")
    assert background(d.rating, level_row(d.rating, "stabilise"), 4) == QColor("#cc0000")
    assert cell(d.rating, level_row(d.rating, "sustain"), 2) == "Z"
    type_into(qtbot, d.version, "2.0")
    click(qtbot, d.save_button)
    assert d.saved_id == "our-audit", d.message.text()
    assert "Saved" in d.message.text() and d.current_id() == "our-audit"

    t = AuditTemplate(load_registry(tmp_path).get("our-audit"))
    assert (t.title, t.version) == ("Our behaviour audit", "2.0")
    first = t.sections[0]
    assert (first.id, first.label) == (area, "Toilets") and "parents" not in [s.id for s in t.sections]
    assert [(c.number, c.text, c.kind) for c in first.criteria] == [
        (1, "Toilets supervised at break", RATED),
        (2, "Passes used", YES_NO),
        (3, "Details of the rota", TEXT),
        (4, "Attendance SEND", NUMBER),
    ]
    assert first.criteria[3].unit == "%"
    assert [lv.label for lv in first.judgement_scale.levels] == ["Emerging", "Secure", "Advanced"]
    assert first.guidance == ("A named adult on the rota", "Doors propped open")
    assert [c.id for c in t.section("arrival").criteria] == ["arrival_greeting", "arrival_calm"]
    assert [o.label for o in t.levels] == ["Stabilise", "Repair", "Improve", "Sustain"]
    # green's descriptor follows its place on the scale (third: Improve)
    assert t.criteria["arrival_calm"].guidance == {"improve": "Settled within five minutes"}
    assert t.level_own_keys["sustain"] == "Z" and t.level_own_colours["stabilise"] == "#CC0000"
    # the original is untouched
    assert AuditTemplate(load_registry(tmp_path).get("behaviour-audit")).section("parents")


@pytest.mark.parametrize(
    "spoil, named",
    [
        (lambda d: edit(d.rating, 1, 2, "R"), "key 'R' is already level 'red''s key"),
        (lambda d: edit(d.rating, 0, 2, "N"), "key 'N' is kept for not seen"),
        (lambda d: edit(d.rating, 0, 3, "crimson"), "colour 'crimson' must be #RRGGBB"),
        (lambda d: edit(d.rating, 1, 0, "red"), "duplicate"),
    ],
    ids=["same-key", "reserved-key", "bad-colour", "duplicate-level"],
)
def test_a_refused_rating_scale_says_why_and_writes_nothing(qtbot, tmp_path, spoil, named):
    d = open_editor(qtbot, tmp_path)
    copy_as(qtbot, d)
    d.tabs.setCurrentIndex(1)
    edit(d.rating, 0, 2, "R")
    spoil(d)
    click(qtbot, d.save_button)
    assert d.saved_id is None
    assert named in d.message.text() and d.message.text().startswith("Not saved")
    assert "Nothing was changed" in d.message.text()
    assert not list(tmp_path.glob("*.json"))


def test_a_refused_copy_says_why_and_writes_nothing(qtbot, tmp_path):
    d = open_editor(qtbot, tmp_path)
    copy_as(qtbot, d, new_id="behaviour-audit")  # over the built-in
    click(qtbot, d.save_button)
    assert "built-in" in d.message.text() and "Nothing was changed" in d.message.text()
    d.new_id.setText("our-audit")
    edit(d.table, row_of(d, "arrival_calm"), 1, "")  # a criterion with no wording
    click(qtbot, d.save_button)
    assert d.saved_id is None and "Not saved" in d.message.text() and "arrival_calm" in d.message.text()
    assert not list(tmp_path.glob("*.json"))


def test_export_and_import_json(qtbot, tmp_path, monkeypatch):
    installed, out = tmp_path / "installed", tmp_path / "our-audit.json"
    d = open_editor(qtbot, installed, "send-review-tool")
    copy_as(qtbot, d, title="Our SEND review")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    click(qtbot, d.export_button)
    assert "Exported" in d.message.text() and json.loads(out.read_text())["title"] == "Our SEND review"
    assert not list(installed.glob("*.json"))  # exporting installs nothing
    # a file with a judgement scale with gaps is refused by name, and nothing is installed
    spoilt = json.loads(out.read_text())
    spoilt["audit"]["judgement_scales"][0]["levels"][3]["rank"] = 6
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spoilt))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    click(qtbot, d.import_button)
    assert "Not imported" in d.message.text() and "judgement scale has gaps" in d.message.text()
    assert "rank 4, 5 missing" in d.message.text()
    assert not list(installed.glob("*.json"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(out), ""))
    click(qtbot, d.import_button)
    assert d.current_id() == "our-audit" and "Imported" in d.message.text()
    t = AuditTemplate(load_registry(installed).get("our-audit"))
    assert t.title == "Our SEND review" and t.section("leadership").judgement_scale.id == "sris"


def test_a_copys_own_key_and_colour_rate_in_the_audit_window(qtbot, tmp_path, store, case):
    d = open_editor(qtbot, tmp_path)
    copy_as(qtbot, d)
    d.tabs.setCurrentIndex(1)
    edit(d.rating, level_row(d.rating, "green"), 2, "K")
    edit(d.rating, level_row(d.rating, "green"), 3, "#22AA55")
    click(qtbot, d.save_button)
    assert d.saved_id == "our-audit", d.message.text()
    records = AuditRecords(store, load_registry(tmp_path))
    audit = records.start(
        school_id=case["school"], template_id="our-audit", conducted_on="2026-10-05", conducted_by=case["caseworker"]
    )
    w = AuditWindow(records, audit)
    qtbot.addWidget(w)
    w.show()
    w.table.setFocus()
    w.table.setCurrentCell(0, 2)
    qtbot.keyClick(w.table, Qt.Key.Key_K)
    assert store.get("audit_rating", rating_id(audit, "arrival_supervised"))["value"] == "green"
    assert w.criteria.index(0, 2).data(Qt.ItemDataRole.BackgroundRole).color() == QColor("#22AA55")
    qtbot.keyClick(w.table, Qt.Key.Key_G)  # its own key replaces the label's letter
    assert "not a key" in w.message.text()
    assert store.get("audit_rating", rating_id(audit, "arrival_greeting")) is None
    qtbot.keyClick(w.table, Qt.Key.Key_3)  # and its place on the scale still rates
    assert store.get("audit_rating", rating_id(audit, "arrival_greeting"))["value"] == "green"


def test_schools_menu_opens_the_editor(qtbot, make_window, store):
    window = make_window(store)
    action = window.findChild(type(window.demo_action), "auditTemplates")
    assert action is not None
    action.trigger()
    assert window.template_editor.isVisible() and window.template_editor.templates.count() >= 3
    window.template_editor.close()


def test_a_template_from_the_server_is_copied_not_changed(qtbot, tmp_path):
    from desktop.audits.editing import template_copy
    from desktop.forms.registry import SERVER_SUBDIR

    obj = template_copy(load_registry(tmp_path), "behaviour-audit", "ashbridge-audit", "Ashbridge audit")
    (tmp_path / SERVER_SUBDIR).mkdir()
    (tmp_path / SERVER_SUBDIR / "ashbridge-audit.json").write_text(json.dumps(obj), encoding="utf-8")
    d = open_editor(qtbot, tmp_path, "ashbridge-audit")
    assert not d.save_button.isEnabled() and "from the server" in d.message.text()
    copy_as(qtbot, d, new_id="our-audit")
    click(qtbot, d.save_button)
    assert d.saved_id == "our-audit" and (tmp_path / "our-audit.json").is_file()
    assert json.loads((tmp_path / SERVER_SUBDIR / "ashbridge-audit.json").read_text()) == obj


def test_a_new_criterion_is_typed_into_its_cell(qtbot, tmp_path):
    """Add criterion opens its wording for typing; Enter commits it to the draft, and the
    built-in's cells cannot be edited at all."""
    d = open_editor(qtbot, tmp_path)
    assert not d.table.model().setData(d.table.model().index(0, 1), "Changed")
    copy_as(qtbot, d)
    click(qtbot, d.criterion_buttons[0])
    assert d.table.state() == d.table.State.EditingState
    (editor,) = [w for w in d.table.viewport().findChildren(QLineEdit) if w.isVisible()]
    editor.selectAll()
    qtbot.keyClicks(editor, "Gate staffed by 8:40")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: d.table.state() == d.table.State.NoState)  # the delegate commits queued
    cid = d.current_criterion()
    assert cell(d.table, d.table.currentRow(), 1) == "Gate staffed by 8:40"
    in_draft = next(c for c in d.draft.criteria(d.current_area()) if c["id"] == cid)
    assert (in_draft.get("text") or in_draft["label"]) == "Gate staffed by 8:40"
    assert d.table.model().index(d.table.currentRow(), 1).data(Qt.ItemDataRole.ToolTipRole) == f"id: {cid}"
    assert "not yet saved" in d.message.text()
