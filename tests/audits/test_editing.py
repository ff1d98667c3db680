"""Template copies: edited, validated by the pack loader, saved as installed packs."""

from __future__ import annotations

import json

import pytest

from desktop.audits.editing import apply_edits, save_template, template_copy
from desktop.audits.template import AuditTemplate
from desktop.forms.loader import PackError
from desktop.forms.registry import load_registry


def test_a_copy_is_edited_validated_and_installed(tmp_path):
    reg = load_registry(tmp_path)
    obj = template_copy(reg, "behaviour-audit", "our-audit")
    apply_edits(
        obj,
        title="Our behaviour audit",
        sections={"arrival": "Start of the day"},
        criteria={"arrival_calm": "Pupils settle within five minutes"},
    )
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


# -- the editor's working copy (TemplateDraft) ---------------------------------------------------
from desktop.audits.editing import (  # noqa: E402
    NUMBER,
    RATED,
    TEXT,
    YES_NO,
    Level,
    TemplateDraft,
    export_template,
    import_template,
)
from desktop.audits.report import level_fill  # noqa: E402
from desktop.audits.template import NUMBER as T_NUMBER, TEXT as T_TEXT, YES_NO as T_YES_NO  # noqa: E402


def draft_of(reg, new_id="our-audit"):
    return TemplateDraft(template_copy(reg, "behaviour-audit", new_id))


def test_areas_and_criteria_are_added_removed_reordered_and_given_kinds(tmp_path):
    reg = load_registry(tmp_path)
    d = draft_of(reg)
    toilets = d.add_section("Toilets and changing rooms")
    rated = d.add_criterion(toilets, "Toilets supervised at break")
    yes = d.add_criterion(toilets, "Toilet passes used", kind=YES_NO)
    pct = d.add_criterion(toilets, "Attendance SEND", kind=NUMBER, unit="%", decimals=1)
    pct2 = d.add_criterion(toilets, "Attendance non-SEND", kind=NUMBER, unit="%", decimals=1)
    note = d.add_criterion(toilets, "Insert details here", kind=TEXT)
    d.move_criterion(note, -1)  # before the second percentage
    d.move_section(toilets, -10)  # first of all
    d.remove_criterion(d.criteria("arrival")[0]["id"])
    d.remove_section("parents")
    d.set_criterion_kind("arrival_calm", YES_NO)
    save_template(d.obj, reg, tmp_path)
    t = AuditTemplate(load_registry(tmp_path).get("our-audit"))
    assert [s.id for s in t.sections][:2] == [toilets, "arrival"] and "parents" not in [s.id for s in t.sections]
    first = t.sections[0]
    assert [(c.id, c.number, c.kind) for c in first.criteria] == [
        (rated, 1, RATED),
        (yes, 2, T_YES_NO),
        (pct, 3, T_NUMBER),
        (note, 4, T_TEXT),
        (pct2, 5, T_NUMBER),
    ]
    assert t.criteria[pct].unit == "%" and t.criteria[pct2].unit == "%"
    # one number set per unit, none left unused
    assert sum(1 for rs in d.obj["response_sets"] if rs.get("kind") == "number" and rs["label"] == "%") == 1
    assert "arrival_supervised" not in t.criteria and t.criteria["arrival_calm"].kind == T_YES_NO
    assert [c.number for c in t.section("arrival").criteria] == [1, 2]
    assert t.criteria[pct].parse("97.5") == "97.5"
    with pytest.raises(ValueError, match="1 decimal"):
        t.criteria[pct].parse("97.25")


def test_the_rating_scale_judgement_scale_and_guidance_are_edited(tmp_path):
    reg = load_registry(tmp_path)
    d = draft_of(reg)
    d.set_criterion_guidance("arrival_calm", "green", "Settled within five minutes")
    d.apply_rating_preset("sris")
    levels = d.rating_levels()
    assert [lv.value for lv in levels] == ["stabilise", "repair", "improve", "sustain"]
    levels[0].colour = "#ff0000"
    levels[3].key = "z"
    d.set_rating_levels(levels)
    # descriptors follow their level by position (green was the third level: improve)
    assert d.criterion_guidance("arrival_calm") == {"improve": "Settled within five minutes"}
    assert d.criterion_guidance("rewards_used")["stabilise"].startswith("Rarely seen")
    jid = d.add_judgement_scale("eea")
    d.set_judgement_levels(
        jid,
        [Level("emerging", "Emerging"), Level("secure", "Secure"), Level("advanced", "Advanced")],
        "Emerging / Secure / Advanced",
    )
    d.set_section_judgement("arrival", jid)
    d.set_section_judgement("lessons", None)
    d.set_section_guidance("arrival", ["Staff at the gate", "", "  A calm start  "])
    save_template(d.obj, reg, tmp_path)
    t = AuditTemplate(load_registry(tmp_path).get("our-audit"))
    assert [o.label for o in t.levels] == ["Stabilise", "Repair", "Improve", "Sustain"]
    assert t.level_own_keys["sustain"] == "Z" and t.level_own_colours["stabilise"] == "#FF0000"
    assert level_fill(t, "stabilise") == "#FF0000"
    assert t.criteria["arrival_calm"].guidance == {"improve": "Settled within five minutes"}
    arrival = t.section("arrival")
    assert [lv.label for lv in arrival.judgement_scale.levels] == ["Emerging", "Secure", "Advanced"]
    assert [lv.rank for lv in arrival.judgement_scale.levels] == [1, 2, 3]
    assert arrival.guidance == ("Staff at the gate", "A calm start")
    assert t.section("lessons").judgement_scale is None
    assert t.section("breaktimes").judgement_scale.id == "rag_judgement"


@pytest.mark.parametrize(
    "spoil, named",
    [
        (lambda d: d.obj["items"].append(dict(d.obj["items"][0])), "duplicate"),
        (lambda d: d.set_criterion_guidance("arrival_calm", "purple", "?"), "'purple' is outside its scale"),
        (lambda d: d.judgement_scale("rag_judgement")["levels"][2].update(rank=4), "judgement scale has gaps"),
        (lambda d: d.set_rating_levels([Level("red", "Red", "N"), Level("green", "Green")]), "kept for not seen"),
        (
            lambda d: d.set_rating_levels([Level("red", "Red", "R"), Level("green", "Green", "r")]),
            "already level 'red''s key",
        ),
        (lambda d: d.set_rating_levels([Level("red", "Red", "", "red"), Level("green", "Green")]), "#RRGGBB"),
        (lambda d: d.set_rating_levels([Level("red", "Red")]), "at least two scored levels"),
        (lambda d: d.set_criterion_text("arrival_calm", ""), "arrival_calm"),
    ],
)
def test_a_contradictory_edit_is_refused_by_name_and_writes_nothing(tmp_path, spoil, named):
    reg = load_registry(tmp_path)
    d = draft_of(reg)
    spoil(d)
    with pytest.raises(PackError) as err:
        save_template(d.obj, reg, tmp_path)
    assert named in str(err.value)
    assert not list(tmp_path.glob("*.json"))


def test_export_and_import_json(tmp_path):
    installed, elsewhere = tmp_path / "installed", tmp_path / "elsewhere"
    reg = load_registry(installed)
    d = draft_of(reg)
    d.add_criterion("arrival", "Late gate staffed", kind=YES_NO)
    d.set_rating_levels([Level("red", "Red", "Q", "#AA0000"), Level("amber", "Amber"), Level("green", "Green")])
    out = tmp_path / "our-audit.json"
    export_template(d.obj, out)
    pack = import_template(out, load_registry(elsewhere), elsewhere)
    t = AuditTemplate(load_registry(elsewhere).get(pack.id))
    assert t.criteria["late_gate_staffed"].kind == T_YES_NO and t.level_own_keys == {"red": "Q"}
    assert (elsewhere / "our-audit.json").read_text() == out.read_text()
    # an invalid file is refused by name and installs nothing
    bad = tmp_path / "bad.json"
    obj = json.loads(out.read_text())
    obj["id"], obj["audit"]["judgement_scales"][0]["levels"][0]["rank"] = "bad-audit", 0
    bad.write_text(json.dumps(obj))
    with pytest.raises(PackError, match="judgement scale has gaps"):
        import_template(bad, load_registry(elsewhere), elsewhere)
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(PackError, match="not valid JSON"):
        import_template(tmp_path / "junk.json", load_registry(elsewhere), elsewhere)
    assert sorted(p.name for p in elsewhere.glob("*.json")) == ["our-audit.json"]
    # a built-in's id is never taken by an import
    obj["id"] = "behaviour-audit"
    obj["audit"]["judgement_scales"][0]["levels"][0]["rank"] = 1
    bad.write_text(json.dumps(obj))
    with pytest.raises(PackError, match="built-in"):
        import_template(bad, load_registry(elsewhere), elsewhere)
