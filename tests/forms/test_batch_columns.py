"""Batch SDQ scoring of real files (issue 14, item 10): a pupil id, a date and a class pass
through unscored by default; a column that looks like a misspelt item is warned about; a
column of another form of the SDQ, or named like an output score, stops the run."""

from __future__ import annotations

from tests.forms.test_cli import (
    PARENT_COLUMNS,
    TEACHER_COLUMNS,
    TYPICAL,
    output_rows,
    run,
    write_csv,
)


def test_pupil_date_and_class_pass_through_in_place(tmp_path, capsys):
    columns = ["pupil", "date", *TEACHER_COLUMNS, "class"]
    rows = [
        {
            **{k: v for k, v in TYPICAL.items() if k in TEACHER_COLUMNS},
            "pupil": "P-17",
            "date": "02/11/2026",
            "class": "5W",
        },
        {"pupil": "P-18", "date": "03/11/2026", "class": "5W", "consid": "7"},
    ]
    path = write_csv(tmp_path / "in.csv", columns, rows)
    status, out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 1  # the second row's consid is invalid: reported, left out
    assert "row 3, column consid" in err and "warning" not in err
    (row,) = output_rows(out)
    header = out.splitlines()[0].split(",")
    assert header[:2] == ["pupil", "date"] and header[len(columns) - 1] == "class"
    assert (row["pupil"], row["date"], row["class"]) == ("P-17", "02/11/2026", "5W")
    assert row["ebdtot"] == "5"


def test_a_misspelt_item_is_warned_about_and_the_item_counts_as_unanswered(tmp_path, capsys):
    columns = ["pupil", *["tantrums" if c == "tantrum" else c for c in TEACHER_COLUMNS]]
    row = {k: v for k, v in TYPICAL.items() if k in TEACHER_COLUMNS}
    row["tantrums"] = row.pop("tantrum")
    path = write_csv(tmp_path / "in.csv", columns, [{**row, "pupil": "P-1"}])
    status, out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 0
    assert (
        "warning: column 'tantrums' is not an item of the SDQ teacher 4-17 form and was "
        "passed through unscored; is it a misspelling of 'tantrum'?"
    ) in err
    assert "note: no column for tantrum" in err
    assert "pupil" not in err  # an ordinary extra column is not warned about
    out_row = output_rows(out)[0]
    assert out_row["tantrums"] == "1"
    # Conduct without tantrum: the other four (obeys 2 reversed to 0, fights, lies, steals 0)
    # prorated, 0 * 5/4 = 0; with tantrum's 1 counted it would be 1.
    assert out_row["conduct"] == "0"


def test_misspelt_by_label_and_by_typo(tmp_path, capsys):
    columns = [*[c for c in TEACHER_COLUMNS if c not in ("worries", "fidgety")], "worried", "fidgetty"]
    path = write_csv(tmp_path / "in.csv", columns, [{}])
    status, _out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 0
    assert "'worried'" in err and "misspelling of 'worries'" in err
    assert "'fidgetty'" in err and "misspelling of 'fidgety'" in err


def test_keep_silences_the_warning_for_a_column_meant_to_be_there(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", [*TEACHER_COLUMNS, "steal"], [{"steal": "x"}])
    status, out, err = run(capsys, "score", "sdq", "--informant", "teacher", "--keep", "steal", str(path))
    assert status == 0 and "warning" not in err
    assert output_rows(out)[0]["steal"] == "x"


def test_a_column_beside_its_correct_twin_is_not_warned_about(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", [*TEACHER_COLUMNS, "tantrums"], [{}])
    status, _out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 0 and "warning" not in err


def test_an_item_of_another_sdq_form_stops_the_run(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", PARENT_COLUMNS, [TYPICAL])
    status, out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 2 and out == ""
    assert "'imphome', 'impleis' are items of the SDQ parent" in err
    assert "check --informant and --age" in err


def test_a_column_named_like_an_output_score_stops_the_run(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", [*TEACHER_COLUMNS, "Emotion"], [{}])
    status, out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 2 and out == ""
    assert "column 'Emotion' has the name of a score" in err


def test_a_repeated_item_column_still_stops_the_run(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", [*TEACHER_COLUMNS, "consid"], [{}])
    status, _out, err = run(capsys, "score", "sdq", "--informant", "teacher", str(path))
    assert status == 2 and "column 'consid' appears twice" in err


def test_generic_pack_scoring_passes_extra_columns_through(tmp_path, capsys):
    path = write_csv(tmp_path / "in.csv", ["pupil", *TEACHER_COLUMNS], [{"pupil": "P-2"}])
    status, out, err = run(
        capsys, "score", "pack", "sdq-teacher-4-17", "--informant", "teacher", "--age", "4-17", str(path)
    )
    assert status == 0, err
    assert output_rows(out)[0]["pupil"] == "P-2"
