"""Built-in and installed packs, and wording packs that replace neutral labels."""

from __future__ import annotations

import json

import pytest

from desktop.forms.loader import PackError
from desktop.forms.registry import install_pack, load_registry
from desktop.forms.scoring import score
from desktop.paths import packs_dir
from tests.forms.conftest import MINIMAL_PACK, write_json

WORDING = {
    "format": "fieldnote-instrument-pack",
    "format_version": 1,
    "kind": "wording",
    "id": "sdq-parent-4-17-wording",
    "version": "2024.1",
    "title": "SDQ parent wording (licensed)",
    "licence": "Used under the service's agreement",
    "source": "the service",
    "synthetic": False,
    "extends": "sdq-parent-4-17",
    "items": [{"id": "consid", "text": "VERBATIM ITEM ONE (test text)"}],
}


def test_built_ins_listed():
    reg = load_registry()
    assert {
        "sdq-parent-4-17",
        "sdq-teacher-4-17",
        "sdq-self-11-17",
        "sdq-parent-2-4",
        "sdq-teacher-2-4",
        "boxall-synthetic",
        "outcome-measures",
    } <= set(reg.packs)
    assert reg.problems == []


def test_installed_wording_replaces_labels_and_leaves_scoring(tmp_path):
    pack, dest = install_pack(write_json(tmp_path / "w.json", WORDING))
    assert dest == packs_dir() / "sdq-parent-4-17-wording.json"
    worded = load_registry().get("sdq-parent-4-17")
    assert worded.item("consid").display_text == "VERBATIM ITEM ONE (test text)"
    assert worded.item("shares").display_text == "sharing"  # not in the wording pack: label stays
    assert worded.wording == "sdq-parent-4-17-wording 2024.1"
    answers = {"consid": 2, "shares": 2, "caring": 1}
    assert score(worded, answers, "parent", "4-17").scores["prosoc"] == 8


def test_wording_for_an_unknown_item_refused(tmp_path):
    bad = {**WORDING, "items": [{"id": "considerate", "text": "x"}]}
    with pytest.raises(PackError, match="items 'considerate': no such item in pack 'sdq-parent-4-17'"):
        install_pack(write_json(tmp_path / "w.json", bad))
    assert list(packs_dir().glob("*.json")) == []


def test_wording_for_a_pack_not_installed_refused(tmp_path):
    with pytest.raises(PackError, match="extends 'nope', which is not a built-in or installed pack"):
        install_pack(write_json(tmp_path / "w.json", {**WORDING, "extends": "nope"}))


def test_invalid_pack_not_installed(tmp_path):
    bad = {**MINIMAL_PACK, "format_version": 3}
    with pytest.raises(PackError, match="format_version 3 is not supported"):
        install_pack(write_json(tmp_path / "bad.json", bad))
    assert list(packs_dir().iterdir()) == []


def test_installing_a_newer_version_replaces_the_older(tmp_path):
    install_pack(write_json(tmp_path / "a.json", MINIMAL_PACK))
    install_pack(write_json(tmp_path / "b.json", {**MINIMAL_PACK, "version": "2.0.0"}))
    assert [p.name for p in packs_dir().glob("*.json")] == ["mini.json"]
    assert load_registry().get("mini").version == "2.0.0"


def test_broken_installed_file_is_reported_not_fatal():
    (packs_dir() / "broken.json").write_text("{", encoding="utf-8")
    (packs_dir() / "template.json").write_text(json.dumps({"format": "fieldnote-audit-template"}), encoding="utf-8")
    reg = load_registry()
    assert "sdq-parent-4-17" in reg.packs
    assert len(reg.problems) == 1 and "broken.json" in reg.problems[0] and "not valid JSON" in reg.problems[0]


def test_installed_pack_with_a_built_in_id_replaces_it(tmp_path):
    replacement = {**MINIMAL_PACK, "id": "outcome-measures", "title": "Service outcomes"}
    install_pack(write_json(tmp_path / "o.json", replacement))
    reg = load_registry()
    assert reg.get("outcome-measures").title == "Service outcomes"
    entries = [e for e in reg.entries if e.id == "outcome-measures"]
    assert [(e.origin, e.note) for e in entries] == [("installed", "replaces the built-in pack")]


def test_unknown_pack_id_names_the_available_ones():
    with pytest.raises(KeyError, match="no instrument pack 'sdq'.*sdq-parent-4-17"):
        load_registry().get("sdq")
