"""Audit templates: the built-in ones load; malformed or contradictory ones are refused
with a message naming the problem, and installing one changes nothing."""

from __future__ import annotations

import copy
import json

import pytest

import desktop.cli
from desktop.audits.template import NUMBER, RATED, TEXT, YES_NO, AuditTemplate, audit_templates
from desktop.forms.loader import PackError, load_pack_file, parse_pack
from desktop.forms.registry import BUILTIN_DIR, load_registry
from desktop.paths import packs_dir


def behaviour():
    return json.loads((BUILTIN_DIR / "behaviour-audit.json").read_text(encoding="utf-8"))


def test_builtin_templates_have_their_scales_and_sections(tmp_path):
    templates = {t.id: t for t in audit_templates(load_registry(tmp_path))}
    assert set(templates) >= {"behaviour-audit", "send-review-tool", "wellbeing-framework"}
    beh = templates["behaviour-audit"]
    assert [s.id for s in beh.sections][:5] == ["arrival", "lessons", "breaktimes", "lunchtime", "movement"]
    assert {"policy", "exclusions", "rewards_sanctions", "parents"} <= {s.id for s in beh.sections}
    assert [o.value for o in beh.levels] == ["red", "amber", "green"]
    kinds = {c.kind for c in beh.criteria.values()}
    assert kinds == {RATED, YES_NO, NUMBER, TEXT}
    assert beh.criteria["fte_count"].parse("12") == "12"
    with pytest.raises(ValueError, match="below"):
        beh.criteria["fte_count"].parse("-1")
    assert beh.criteria["restorative"].parse("Not_Seen") == "not_seen"
    with pytest.raises(ValueError, match="not one of"):
        beh.criteria["restorative"].parse("purple")
    send = templates["send-review-tool"]
    assert [lv.label for lv in send.sections[0].judgement_scale.levels] == ["Stabilise", "Repair", "Improve", "Sustain"]
    wb = templates["wellbeing-framework"]
    assert len(wb.sections) == 9
    assert [o.label for o in wb.levels] == ["Emerging", "Established", "Advanced"]


def refused(data) -> str:
    with pytest.raises(PackError) as exc:
        parse_pack(data, "t.json")
    return str(exc.value)


def test_duplicate_criterion_id_is_named():
    data = behaviour()
    data["items"][1]["id"] = data["items"][0]["id"]
    assert "duplicate item id 'arrival_supervised'" in refused(data)


def test_guidance_for_a_rating_outside_the_scale_is_named():
    data = behaviour()
    data["audit"]["criteria"][0]["guidance"]["purple"] = "no such colour"
    assert "rating 'purple' is outside its scale" in refused(data)


def test_judgement_scale_with_a_gap_is_named():
    data = behaviour()
    data["audit"]["judgement_scales"][0]["levels"][2]["rank"] = 4
    msg = refused(data)
    assert "judgement scale has gaps" in msg and "rank 3 missing" in msg


def test_rating_scale_with_gapped_scores_and_unknown_judgement_scale():
    data = behaviour()
    data["response_sets"][0]["options"][2]["score"] = 5
    data["audit"]["sections"][0]["judgement_scale"] = "nope"
    msg = refused(data)
    assert "rating scale 'rag' has gaps" in msg
    assert "unknown judgement scale 'nope'" in msg


def test_audit_field_only_in_audit_packs():
    data = behaviour()
    data["kind"] = "instrument"
    assert "field 'audit' belongs only" in refused(data)


def test_importing_a_bad_template_changes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(desktop.cli, "COMMAND_MODULES", ["desktop.forms.cli"])
    good = behaviour()
    good["id"], good["version"] = "my-audit", "1.0.0"
    (tmp_path / "good.json").write_text(json.dumps(good), encoding="utf-8")
    assert desktop.cli.main(["packs", "install", str(tmp_path / "good.json")]) == 0
    before = (packs_dir() / "my-audit.json").read_bytes()
    bad = copy.deepcopy(good)
    bad["version"] = "2.0.0"
    bad["audit"]["judgement_scales"][0]["levels"][0]["rank"] = 0
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    capsys.readouterr()
    assert desktop.cli.main(["packs", "install", str(tmp_path / "bad.json")]) != 0
    assert "judgement scale has gaps" in capsys.readouterr().err
    assert (packs_dir() / "my-audit.json").read_bytes() == before
    assert AuditTemplate(load_pack_file(packs_dir() / "my-audit.json")).version == "1.0.0"


def test_export_a_copy_edit_it_and_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(desktop.cli, "COMMAND_MODULES", ["desktop.forms.cli"])
    out = tmp_path / "mine.json"
    assert desktop.cli.main(["packs", "export", "behaviour-audit", "--copy-as", "our-audit", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["id"] == "our-audit" and data["title"].endswith("(copy)")
    data["items"][0]["label"] = "Arrival supervised by senior staff"
    out.write_text(json.dumps(data), encoding="utf-8")
    assert desktop.cli.main(["packs", "install", str(out)]) == 0
    templates = {t.id: t for t in audit_templates(load_registry())}
    assert templates["our-audit"].criteria["arrival_supervised"].text == "Arrival supervised by senior staff"
    assert templates["behaviour-audit"].criteria["arrival_supervised"].text == "Arrival supervised by visible staff"
    capsys.readouterr()
    assert desktop.cli.main(["packs", "export", "nope"]) == 2
    assert "no pack 'nope'" in capsys.readouterr().err
    # a pack with decimals survives the copy exactly
    sdq = tmp_path / "sdq.json"
    assert desktop.cli.main(["packs", "export", "outcome-measures", "--copy-as", "om2", "-o", str(sdq)]) == 0
    assert load_pack_file(sdq).id == "om2"
