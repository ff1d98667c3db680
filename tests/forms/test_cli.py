"""The ``fieldnote score`` and ``fieldnote packs`` commands, run through desktop.cli.main."""

from __future__ import annotations

import csv
import io
import json

import pytest

import desktop.cli
from desktop.paths import packs_dir
from tests.forms.conftest import DATA, MINIMAL_PACK, write_json
from tests.forms.test_sdq_scoring import SDQ_ITEMS

PARENT_COLUMNS = list(SDQ_ITEMS) + ["ebddiff", "distres", "imphome", "impfrie", "impclas", "impleis"]
TEACHER_COLUMNS = list(SDQ_ITEMS) + ["ebddiff", "distres", "impfrie", "impclas"]
SCORES = ["emotion", "conduct", "hyper", "peer", "prosoc", "ebdtot", "extern", "intern", "impact"]
BANDS = [f"{s}_band" for s in ("ebdtot", "emotion", "conduct", "hyper", "peer", "prosoc", "impact")]

# The hand-scored form of test_sdq_scoring, plus impact: "definite", distress "a great deal" (2),
# home "quite a lot" (1) → impact 3.
TYPICAL = {
    "consid": 2,
    "restles": 1,
    "somatic": 0,
    "shares": 2,
    "tantrum": 1,
    "loner": 0,
    "obeys": 2,
    "worries": 1,
    "caring": 2,
    "fidgety": 0,
    "friend": 2,
    "fights": 0,
    "unhappy": 0,
    "popular": 2,
    "distrac": 1,
    "clingy": 0,
    "kind": 2,
    "lies": 0,
    "bullied": 0,
    "helpout": 2,
    "reflect": 2,
    "steals": 0,
    "oldbest": 0,
    "afraid": 1,
    "attends": 2,
    "ebddiff": 2,
    "distres": 3,
    "imphome": 2,
}
# Every difficulty at its worst, prosocial 0, every impact "a great deal".
WORST = {v: (0 if rev else 2) if scale != "prosoc" else 0 for v, (scale, rev) in SDQ_ITEMS.items()}
WORST.update({"ebddiff": 3, "distres": 3, "imphome": 3, "impfrie": 3, "impclas": 3, "impleis": 3})
# Emotional scale prorated: 3 answered summing 4 → 7; nothing else answered.
PRORATED = {"somatic": 2, "worries": 1, "unhappy": 1}


@pytest.fixture(autouse=True)
def only_forms_commands(monkeypatch):
    """Run desktop.cli.main with just this package's commands, so these tests
    do not depend on other packages' command modules."""
    monkeypatch.setattr(desktop.cli, "COMMAND_MODULES", ["desktop.forms.cli"])


def write_csv(path, columns, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") if isinstance(row, dict) else row[i] for i, c in enumerate(columns)])
    return path


def run(capsys, *argv):
    status = desktop.cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def output_rows(out):
    return list(csv.DictReader(io.StringIO(out)))


def scores_of(row):
    return {k: row[k] for k in SCORES + BANDS}


def test_forms_commands_are_registered():
    assert "desktop.forms.cli" in desktop.cli.COMMAND_MODULES


def test_score_sdq_parent(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [TYPICAL, PRORATED, WORST])
    status, out, err = run(capsys, "score", "sdq", "--informant", "parent", str(path))
    assert status == 0, err
    assert out.splitlines()[0] == ",".join(PARENT_COLUMNS + SCORES + BANDS)
    rows = output_rows(out)
    assert [scores_of(r) for r in rows] == [
        {
            "emotion": "2",
            "conduct": "1",
            "hyper": "2",
            "peer": "0",
            "prosoc": "10",
            "ebdtot": "5",
            "extern": "3",
            "intern": "2",
            "impact": "3",
            "ebdtot_band": "close to average",
            "emotion_band": "close to average",
            "conduct_band": "close to average",
            "hyper_band": "close to average",
            "peer_band": "close to average",
            "prosoc_band": "close to average",
            "impact_band": "very high",
        },
        {
            "emotion": "7",
            "conduct": "",
            "hyper": "",
            "peer": "",
            "prosoc": "",
            "ebdtot": "",
            "extern": "",
            "intern": "",
            "impact": "",
            "ebdtot_band": "",
            "emotion_band": "very high",
            "conduct_band": "",
            "hyper_band": "",
            "peer_band": "",
            "prosoc_band": "",
            "impact_band": "",
        },
        {
            "emotion": "10",
            "conduct": "10",
            "hyper": "10",
            "peer": "10",
            "prosoc": "0",
            "ebdtot": "40",
            "extern": "20",
            "intern": "20",
            "impact": "10",
            "ebdtot_band": "very high",
            "emotion_band": "very high",
            "conduct_band": "very high",
            "hyper_band": "very high",
            "peer_band": "very high",
            "prosoc_band": "very low",
            "impact_band": "very high",
        },
    ]
    # Input columns come back exactly as given.
    assert rows[0]["obeys"] == "2" and rows[1]["obeys"] == ""


def test_invalid_rows_reported_valid_rows_still_scored(tmp_path, capsys):
    bad_value = {**TYPICAL, "somatic": 3}
    bad_impact = {**TYPICAL, "impclas": "a lot"}
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [TYPICAL, bad_value, PRORATED, bad_impact])
    status, out, err = run(capsys, "score", "sdq", "--informant", "parent", str(path))
    assert status == 1
    assert "row 3, column somatic: '3' is not a valid answer (expected 0, 1, 2 or blank)" in err
    assert "row 5, column impclas: 'a lot' is not a valid answer (expected 0, 1, 2, 3 or blank)" in err
    assert "2 of 4 row(s) invalid" in err
    assert [r["emotion"] for r in output_rows(out)] == ["2", "7"]


def test_short_row_is_an_invalid_row(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text(",".join(PARENT_COLUMNS) + "\n1,2,1\n" + ",".join(["0"] * len(PARENT_COLUMNS)) + "\n")
    status, out, err = run(capsys, "score", "sdq", "--informant", "parent", str(path))
    assert status == 1
    assert f"row 2: expected {len(PARENT_COLUMNS)} fields, found 3" in err
    assert len(output_rows(out)) == 1


def test_a_column_that_is_not_an_item_is_passed_through(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS + ["pupil"], [{**TYPICAL, "pupil": "P1"}])
    status, out, err = run(capsys, "score", "sdq", "--informant", "parent", str(path))
    assert status == 0 and err == ""
    row = output_rows(out)[0]
    assert row["pupil"] == "P1" and row["ebdtot"] == "5"


def test_teacher_file_with_home_impact_column_refused(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [TYPICAL])
    status, _out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 2
    assert "'imphome', 'impleis'" in err


def test_teacher_scores_and_bands(tmp_path, capsys):
    row = {**WORST, "ebddiff": 3}
    row = {k: v for k, v in row.items() if k in TEACHER_COLUMNS}
    # Teacher: conduct 4 is "high" (parent: 4-5 high too), peer 5 "high" (parent: very high).
    answers = {
        **{v: 0 for v in SDQ_ITEMS},
        "friend": 2,
        "popular": 2,
        "obeys": 2,
        "reflect": 2,
        "attends": 2,
        "consid": 2,
        "shares": 2,
        "caring": 2,
        "kind": 2,
        "helpout": 2,
        "tantrum": 2,
        "fights": 2,
        "loner": 2,
        "bullied": 2,
        "oldbest": 1,
        "ebddiff": 1,
        "distres": 2,
        "impclas": 1,
    }
    path = write_csv(tmp_path / "in.csv", TEACHER_COLUMNS, [row, answers])
    status, out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 0, err
    worst, mixed = output_rows(out)
    assert worst["impact"] == "6" and worst["impact_band"] == "very high"
    assert (mixed["conduct"], mixed["conduct_band"]) == ("4", "high")
    assert (mixed["peer"], mixed["peer_band"]) == ("5", "high")
    assert (mixed["impact"], mixed["impact_band"]) == ("1", "slightly raised")
    assert (mixed["ebdtot"], mixed["ebdtot_band"]) == ("9", "close to average")


def test_self_report_defaults_to_11_17(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [{**WORST, "consid": 2, "shares": 2, "caring": 2}])
    status, out, _err = run(capsys, "score", "sdq", "--informant", "self", str(path))
    assert status == 0
    row = output_rows(out)[0]
    assert (row["prosoc"], row["prosoc_band"]) == ("6", "slightly lowered")  # parent would say "low"


def test_two_to_four_form_has_blank_bands(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [TYPICAL])
    status, out, _err = run(capsys, "score", "sdq", "--informant", "parent", "--age", "2-4", str(path))
    assert status == 0
    row = output_rows(out)[0]
    assert row["ebdtot"] == "5"
    assert all(row[b] == "" for b in BANDS)


def test_three_band_scheme(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [WORST])
    status, out, _err = run(capsys, "score", "sdq", "--informant", "parent", "--scheme", "three_band", str(path))
    assert status == 0
    row = output_rows(out)[0]
    assert row["ebdtot_band"] == "abnormal" and row["impact_band"] == ""


def test_unknown_scheme_refused(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [TYPICAL])
    status, _out, err = run(capsys, "score", "sdq", "--informant", "teacher", "--scheme", "three_band", str(path))
    assert status == 2 and "no band scheme 'three_band'" in err


def test_keep_passes_an_id_column_through_and_missing_columns_are_noted(tmp_path, capsys):
    columns = ["pupil"] + list(SDQ_ITEMS)
    path = write_csv(tmp_path / "in.csv", columns, [{**TYPICAL, "pupil": "P-17"}])
    status, out, err = run(capsys, "score", "sdq", "--informant", "parent", "--keep", "pupil", str(path))
    assert status == 0
    row = output_rows(out)[0]
    assert row["pupil"] == "P-17" and row["ebdtot"] == "5" and row["impact"] == ""
    assert "note: no column for ebddiff, distres, imphome, impfrie, impclas, impleis" in err


def test_spaces_and_excel_bom_tolerated(tmp_path, capsys):
    path = tmp_path / "in.csv"
    header = ",".join(c.upper() if c == "consid" else c for c in PARENT_COLUMNS)
    cells = [f" {TYPICAL.get(c, '')} " if c == "somatic" else str(TYPICAL.get(c, "")) for c in PARENT_COLUMNS]
    path.write_text("\ufeff" + header + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    status, out, err = run(capsys, "score", "sdq", "--informant", "parent", str(path))
    assert status == 0, err
    assert output_rows(out)[0]["emotion"] == "2"


def test_empty_and_missing_files(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    status, _out, err = run(capsys, "score", "sdq", "--informant", "parent", str(empty))
    assert status == 2 and "the file is empty" in err
    status, _out, err = run(capsys, "score", "sdq", "--informant", "parent", str(tmp_path / "nope.csv"))
    assert status == 2 and "cannot read" in err


def test_score_any_pack_by_id(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", ["incidents", "attendance"], [{"incidents": 3, "attendance": "88.5"}])
    status, out, err = run(
        capsys, "score", "pack", "outcome-measures", "--informant", "school", "--age", "all", str(path)
    )
    assert status == 0, err
    row = output_rows(out)[0]
    assert (row["incidents"], row["attendance"], row["attendance_band"]) == ("3", "88.5", "persistently absent")


# -- packs ---------------------------------------------------------------------


def test_packs_list_shows_built_in_and_installed(tmp_path, capsys):
    write_json(tmp_path / "mini.json", MINIMAL_PACK)
    assert run(capsys, "packs", "install", str(tmp_path / "mini.json"))[0] == 0
    status, out, _err = run(capsys, "packs", "list")
    assert status == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "built-in" in lines["sdq-parent-4-17"]
    assert "SYNTHETIC" in lines["boxall-synthetic"]
    assert "installed" in lines["mini"]


def test_packs_install_copies_validated_pack(tmp_path, capsys):
    write_json(tmp_path / "audit.json", json.loads((DATA / "behaviour-audit.json").read_text()))
    status, out, _err = run(capsys, "packs", "install", str(tmp_path / "audit.json"))
    assert status == 0
    assert out.startswith("installed: example-behaviour-audit 0.1.0")
    assert (packs_dir() / "example-behaviour-audit.json").read_bytes() == (tmp_path / "audit.json").read_bytes()


def test_packs_install_refuses_invalid_pack(tmp_path, capsys):
    bad = {**MINIMAL_PACK, "scales": [{**MINIMAL_PACK["scales"][0], "items": ["a1", "zz"]}, MINIMAL_PACK["scales"][1]]}
    write_json(tmp_path / "bad.json", bad)
    status, out, err = run(capsys, "packs", "install", str(tmp_path / "bad.json"))
    assert status == 1
    assert "scales[0] 'a': unknown item 'zz'" in err
    assert out == "" and list(packs_dir().iterdir()) == []


def test_packs_validate(tmp_path, capsys):
    status, out, _err = run(capsys, "packs", "validate", str(DATA / "behaviour-audit.json"))
    assert status == 0 and out.startswith("valid: example-behaviour-audit")
    (tmp_path / "broken.json").write_text('{"format": ')
    status, out, err = run(capsys, "packs", "validate", str(tmp_path / "broken.json"))
    assert status == 1 and "not valid JSON" in err and out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "--help"],
        ["score", "sdq", "--help"],
        ["score", "pack", "--help"],
        ["packs", "--help"],
        ["packs", "list", "--help"],
        ["packs", "install", "--help"],
        ["packs", "validate", "--help"],
    ],
)
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        desktop.cli.main(argv)
    assert exit_.value.code == 0
    assert "usage: fieldnote" in capsys.readouterr().out


def test_bad_informant_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        desktop.cli.main(["score", "sdq", "--informant", "carer", "x.csv"])
    assert exit_.value.code == 2
