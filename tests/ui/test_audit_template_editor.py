"""The audit template editor: a built-in is read-only, a copy is edited, validated by the
pack loader and saved as an installed pack; a refused copy says why and writes nothing."""
from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.audits.template import AuditTemplate
from desktop.forms.registry import load_registry
from desktop.ui.audit_template_editor import TemplateEditor


def open_editor(qtbot, tmp_path):
    d = TemplateEditor(installed_dir=tmp_path)
    qtbot.addWidget(d)
    d.show()
    ids = [d.templates.item(r).data(Qt.ItemDataRole.UserRole) for r in range(d.templates.count())]
    d.templates.setCurrentRow(ids.index("behaviour-audit"))
    return d


def row_of(d, ident):
    return next(r for r in range(d.table.rowCount()) if d.table.item(r, 1).text() == ident)


def test_copy_edit_and_save_as_installed(qtbot, tmp_path):
    d = open_editor(qtbot, tmp_path)
    assert not d.save_button.isEnabled() and "built-in" in d.message.text()
    r = row_of(d, "arrival_calm")
    assert not (d.table.item(r, 2).flags() & Qt.ItemFlag.ItemIsEditable)
    d.new_id.setText("our-audit")
    d.title.setText("Our behaviour audit")
    d.make_copy()
    assert d.save_button.isEnabled()  # the copy is editable
    assert d.table.item(r, 2).flags() & Qt.ItemFlag.ItemIsEditable
    d.table.item(r, 2).setText("Pupils settle within five minutes")
    d.table.item(row_of(d, "arrival"), 2).setText("Start of the day")
    d.save()
    assert d.saved_id == "our-audit", d.message.text()
    t = AuditTemplate(load_registry(tmp_path).get("our-audit"))
    assert t.title == "Our behaviour audit" and t.criteria["arrival_calm"].text == "Pupils settle within five minutes"
    assert t.section("arrival").label == "Start of the day"
    assert d.current_id() == "our-audit" and d.save_button.isEnabled()


def test_a_refused_copy_says_why_and_writes_nothing(qtbot, tmp_path):
    d = open_editor(qtbot, tmp_path)
    d.new_id.setText("behaviour-audit")  # over the built-in
    d.make_copy()
    d.save()
    assert "built-in" in d.message.text() and "Nothing was changed" in d.message.text()
    d.new_id.setText("our-audit")
    d.table.item(row_of(d, "arrival_calm"), 2).setText("")  # a criterion with no wording
    d.save()
    assert d.saved_id is None and "Not saved" in d.message.text()
    assert not list(tmp_path.glob("*.json"))


def test_schools_menu_opens_the_editor(qtbot, make_window, store):
    window = make_window(store)
    action = window.findChild(type(window.demo_action), "auditTemplates")
    assert action is not None
    action.trigger()
    assert window.template_editor.isVisible() and window.template_editor.templates.count() >= 3
    window.template_editor.close()
