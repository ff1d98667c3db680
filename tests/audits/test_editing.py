"""Template copies: edited, validated by the pack loader, saved as installed packs."""
from __future__ import annotations

import pytest

from desktop.audits.editing import apply_edits, save_template, template_copy
from desktop.audits.template import AuditTemplate
from desktop.forms.loader import PackError
from desktop.forms.registry import load_registry


def test_a_copy_is_edited_validated_and_installed(tmp_path):
    reg = load_registry(tmp_path)
    obj = template_copy(reg, "behaviour-audit", "our-audit")
    apply_edits(obj, title="Our behaviour audit", sections={"arrival": "Start of the day"},
                criteria={"arrival_calm": "Pupils settle within five minutes"})
    pack = save_template(obj, reg, tmp_path)
    assert (tmp_path / "our-audit.json").is_file()
    t = AuditTemplate(load_registry(tmp_path).get("our-audit"))
    assert pack.id == t.id == "our-audit" and t.title == "Our behaviour audit"
    assert t.section("arrival").label == "Start of the day"
    assert t.criteria["arrival_calm"].text == "Pupils settle within five minutes"
    # the original is untouched
    assert AuditTemplate(load_registry(tmp_path).get("behaviour-audit")).section("arrival").label == "Arrival"


def test_a_contradictory_copy_is_refused_and_nothing_is_written(tmp_path):
    reg = load_registry(tmp_path)
    obj = template_copy(reg, "behaviour-audit", "our-audit")
    obj["items"].append(dict(obj["items"][0]))  # a duplicate criterion id
    with pytest.raises(PackError) as err:
        save_template(obj, reg, tmp_path)
    assert "arrival_supervised" in str(err.value)
    assert not (tmp_path / "our-audit.json").exists()
    with pytest.raises(PackError, match="no criterion 'nope'"):
        apply_edits(template_copy(reg, "behaviour-audit", "x-audit"), criteria={"nope": "text"})


def test_a_built_in_template_is_never_overwritten(tmp_path):
    reg = load_registry(tmp_path)
    obj = template_copy(reg, "behaviour-audit", "behaviour-audit")
    with pytest.raises(PackError, match="built-in"):
        save_template(obj, reg, tmp_path)
    assert not list(tmp_path.glob("*.json"))
