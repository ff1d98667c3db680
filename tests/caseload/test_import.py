"""Onboarding existing records: GIAS schools, and pupils, referrals, caseworkers by mapping."""

from __future__ import annotations

import csv
import json

import pytest

from desktop.caseload import importer
from desktop.caseload.importer import ImportRefused, apply_plan, plan_mapped, plan_schools

GIAS_HEADING = [
    "URN",
    "EstablishmentName",
    "LA (code)",
    "LA (name)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "Street",
    "Town",
    "Postcode",
]
GIAS_ROWS = [
    [
        "100001",
        "St Bartholomew's C of E Primary",
        "873",
        "Cambridgeshire",
        "Voluntary aided school",
        "Local authority maintained schools",
        "Open",
        "Primary",
        "Church Lane",
        "Ely",
        "CB7 4AA",
    ],
    [
        "100002",
        "Fenland Academy",
        "873",
        "Cambridgeshire",
        "Academy converter",
        "Academies",
        "Open",
        "Secondary",
        "",
        "March",
        "PE15 9AA",
    ],
    [
        "100003",
        "Riverside Special School",
        "873",
        "Cambridgeshire",
        "Community special school",
        "Special schools",
        "Open",
        "Not applicable",
        "",
        "",
        "CB1 1AA",
    ],
    [
        "100004",
        "Closed Infants",
        "873",
        "Cambridgeshire",
        "Community school",
        "Local authority maintained schools",
        "Closed",
        "Primary",
        "",
        "",
        "CB2 2AA",
    ],
    [
        "100005",
        "Elsewhere Primary",
        "999",
        "Elsewhere",
        "Community school",
        "Local authority maintained schools",
        "Open",
        "Primary",
        "",
        "",
        "ZZ1 1ZZ",
    ],
    [
        "100006",
        "Ely College of FE",
        "873",
        "Cambridgeshire",
        "Further education",
        "Colleges",
        "Open",
        "16 plus",
        "",
        "",
        "CB7 5AA",
    ],
    [
        "100007",
        "Café Côté Free School",
        "873",
        "Cambridgeshire",
        "Free schools",
        "Free Schools",
        "Open, but proposed to close",
        "All-through",
        "",
        "",
        "CB3 3AA",
    ],
]


def write_gias(path, rows=GIAS_ROWS):
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(GIAS_HEADING)
        w.writerows(rows)
    return path


def write_csv(path, heading, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(heading)
        w.writerows(rows)
    return path


def _schools(store):
    return {r["urn"]: r for r in store.db.query("SELECT * FROM school")}


def test_gias_schools_of_the_authority_mapped_to_the_vocabulary(store, tmp_path):
    path = write_gias(tmp_path / "gias.csv")
    plan = plan_schools(store, path, "873")
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, "create"),
        (3, "create"),
        (4, "create"),
        (5, "skip"),
        (6, "skip"),
        (7, "refuse"),
        (8, "create"),
    ]
    assert "Colleges" in plan.refused[0].reason
    apply_plan(store, plan, leave_out_refused=True)
    schools = _schools(store)
    assert set(schools) == {"100001", "100002", "100003", "100007"}
    assert (schools["100001"]["phase"], schools["100001"]["governance"]) == ("primary", "maintained")
    assert schools["100001"]["address"] == "Church Lane, Ely, CB7 4AA"
    assert schools["100001"]["area"] == "Cambridgeshire"
    assert (schools["100002"]["phase"], schools["100002"]["governance"]) == ("secondary", "academy")
    assert (schools["100003"]["phase"], schools["100003"]["governance"]) == ("special", "maintained")
    # Windows-1252 read as such.
    assert schools["100007"]["name"] == "Café Côté Free School"
    assert schools["100007"]["governance"] == "free_school"
    assert store.pending_count() == 4


def test_a_file_with_refused_rows_imports_nothing(store, tmp_path):
    path = write_gias(tmp_path / "gias.csv")
    plan = plan_schools(store, path, "873")
    with pytest.raises(ImportRefused, match="1 row\\(s\\) cannot be imported"):
        apply_plan(store, plan)
    assert _schools(store) == {}
    assert store.pending_count() == 0
    assert [r["action"] for r in store.audit_trail()] == []


def test_reimporting_the_same_extract_changes_nothing(store, tmp_path):
    rows = [r for r in GIAS_ROWS if r[5] != "Colleges"]
    path = write_gias(tmp_path / "gias.csv", rows)
    apply_plan(store, plan_schools(store, path, "873"))
    outbox = store.pending_count()
    again = plan_schools(store, path, "873")
    assert again.count("create") == again.count("update") == 0
    assert again.count("unchanged") == 4
    assert apply_plan(store, again) == {"created": 0, "updated": 0}
    assert store.pending_count() == outbox
    # A renamed school is updated in place (matched by URN), only the changed field.
    rows[0] = [*rows[0][:1], "St Bartholomew's Primary", *rows[0][2:]]
    write_gias(path, rows)
    plan = plan_schools(store, path, "873")
    assert [r.values for r in plan.rows if r.action == "update"] == [{"name": "St Bartholomew's Primary"}]


def test_not_a_gias_extract_is_refused(store, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["URN", "Name"], [["100001", "A school"]])
    with pytest.raises(ImportRefused, match="not a GIAS extract"):
        plan_schools(store, path, "873")


@pytest.fixture
def schools(store, tmp_path):
    apply_plan(store, plan_schools(store, write_gias(tmp_path / "gias.csv"), "873"), leave_out_refused=True)
    return _schools(store)


PUPIL_MAP = {
    "first_name": "Forename",
    "last_name": "Surname",
    "date_of_birth": "DOB",
    "upn": "UPN",
    "school_urn": "School URN",
    "year_group": "NC Year",
    "sen": "SEN",
    "fsm": "FSM",
}
PUPIL_HEADING = ["Forename", "Surname", "DOB", "UPN", "School URN", "NC Year", "SEN", "FSM"]


def test_pupils_dry_run_lists_every_refused_row_and_why(store, schools, tmp_path):
    path = write_csv(
        tmp_path / "pupils.csv",
        PUPIL_HEADING,
        [
            ["Ivy", "Okafor", "14/03/2017", "A123456789012", "100001", "Year 4", "SEN support", "Y"],
            ["Noah", "Baker", "31/02/2016", "", "100001", "5", "None", "N"],
            ["Mia", "Shah", "01/09/2016", "", "123456", "5", "None", "N"],
            ["Leo", "Grant", "01/09/2016", "", "100002", "5", "Sometimes", "N"],
            ["", "Nameless", "01/09/2016", "", "100002", "5", "None", "N"],
            ["Ivy", "Okafor", "14/03/2017", "A123456789012", "100001", "4", "None", "N"],
        ],
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps(PUPIL_MAP))
    plan = plan_mapped(store, "pupil", path, mapping)
    assert plan.count("create") == 1
    reasons = {r.line: r.reason for r in plan.refused}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "'31/02/2016' is not a date" in reasons[3]
    assert "no school with URN 123456" in reasons[4]
    assert "SEN status 'Sometimes'" in reasons[5]
    assert "no first_name" in reasons[6]
    assert "also on line 2" in reasons[7]
    created = plan.rows[0].values
    assert created["sen"] == "sen_support" and created["fsm"] == 1
    assert created["year_group"] == 4 and created["date_of_birth"] == "2017-03-14"


def test_pupils_referrals_caseworkers_import_and_reimport_changes_nothing(store, schools, tmp_path):
    workers = write_csv(
        tmp_path / "workers.csv",
        ["Name", "Email", "Team", "Skills"],
        [["Sam Whitfield", "sam@example.org", "North", "SEMH; ASD"], ["Priya Nair", "", "South", ""]],
    )
    worker_map = {"name": "Name", "email": "Email", "team": "Team", "specialisms": "Skills"}
    pupils = write_csv(
        tmp_path / "pupils.csv",
        PUPIL_HEADING,
        [
            ["Ivy", "Okafor", "14/03/2017", "A123456789012", "100001", "4", "None", "N"],
            ["Noah", "Baker", "02/02/2016", "", "100002", "5", "EHC plan", "Y"],
        ],
    )
    referrals = write_csv(
        tmp_path / "refs.csv",
        ["UPN", "First", "Last", "Born", "Date", "Why", "Worker", "Notes"],
        [
            [
                "A123456789012",
                "",
                "",
                "",
                "02/11/2025",
                "Persistent disruptive behaviour",
                "Sam Whitfield",
                "Leaves the classroom.",
            ],
            ["", "Noah", "Baker", "02/02/2016", "03/11/2025", "attendance", "", ""],
        ],
    )
    ref_map = {
        "pupil_upn": "UPN",
        "pupil_first_name": "First",
        "pupil_last_name": "Last",
        "pupil_date_of_birth": "Born",
        "referral_date": "Date",
        "reason": "Why",
        "caseworker_name": "Worker",
        "concern": "Notes",
    }
    for _ in range(2):
        for entity, path, mapping in (
            ("caseworker", workers, worker_map),
            ("pupil", pupils, PUPIL_MAP),
            ("referral", referrals, ref_map),
        ):
            plan = plan_mapped(store, entity, path, mapping)
            assert not plan.refused, importer.describe_refusals(plan)
            apply_plan(store, plan)
        if _ == 0:
            outbox = store.pending_count()
    assert store.pending_count() == outbox  # the second import wrote nothing
    rows = list(
        store.db.query(
            "SELECT r.*, p.first_name, c.name AS worker FROM referral r JOIN pupil p "
            "ON p.id = r.pupil_id LEFT JOIN caseworker c ON c.id = r.caseworker_id "
            "ORDER BY referral_date"
        )
    )
    assert [(r["first_name"], r["reason"], r["status"], r["worker"]) for r in rows] == [
        ("Ivy", "persistent_disruption", "allocated", "Sam Whitfield"),
        ("Noah", "attendance", "new", None),
    ]
    assert rows[1]["school_id"] == schools["100002"]["id"]  # the pupil's school
    sam = store.db.execute("SELECT specialisms FROM caseworker WHERE email = ?", ["sam@example.org"]).fetchone()[0]
    assert json.loads(sam) == ["SEMH", "ASD"]


def test_closed_referrals_and_unknown_pupils_are_refused(store, schools, tmp_path):
    path = write_csv(
        tmp_path / "refs.csv",
        ["UPN", "Date", "Why", "Status"],
        [["Z999999999999", "02/11/2025", "attendance", "new"], ["Z999999999999", "02/11/2025", "attendance", "Closed"]],
    )
    plan = plan_mapped(
        store, "referral", path, {"pupil_upn": "UPN", "referral_date": "Date", "reason": "Why", "status": "Status"}
    )
    reasons = [r.reason for r in plan.refused]
    assert "its pupil is not in the store" in reasons[0]
    assert len(reasons) == 2


def test_a_mapping_naming_missing_columns_is_refused(store, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["Forename"], [["Ivy"]])
    with pytest.raises(ImportRefused, match="no column\\(s\\) Surname"):
        plan_mapped(store, "pupil", path, {"first_name": "Forename", "last_name": "Surname", "school_urn": "Forename"})
    with pytest.raises(ImportRefused, match="does not know"):
        plan_mapped(store, "pupil", path, {"shoe_size": "Forename"})


def test_import_command_dry_run_then_import(store, isolated_home, tmp_path, monkeypatch, capsys):
    from desktop.cli import main

    store.close()
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", "correct horse battery")
    path = write_gias(tmp_path / "gias.csv")
    assert main(["import", "schools", str(path), "--la", "873", "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "refused line 7 (Ely College of FE (URN 100006))" in out
    assert "4 to create" in out and "nothing has been imported" in out
    assert main(["import", "schools", str(path), "--la", "873"]) == 1
    assert "nothing has been imported" in capsys.readouterr().err
    assert main(["import", "schools", str(path), "--la", "873", "--leave-out-refused"]) == 0
    assert "Imported: 4 created, 0 updated." in capsys.readouterr().out


# -- what the import dialog builds on ---------------------------------------------------------
def test_a_first_mapping_is_guessed_from_usual_headings():
    heading = ["Forename", "Surname", "D.O.B.", "NC Year", "UPN", "School URN", "FSM", "Notes", "Sex"]
    assert importer.guess_mapping("pupil", heading) == {
        "first_name": "Forename",
        "last_name": "Surname",
        "date_of_birth": "D.O.B.",
        "year_group": "NC Year",
        "gender": "Sex",
        "upn": "UPN",
        "fsm": "FSM",
        "school_urn": "School URN",
    }
    # A referral file: the pupil's UPN, each heading given to one field only, a field's
    # own name before a usual heading for another.
    heading = ["UPN", "Date referred", "Reason for referral", "Caseworker", "Details", "Status", "URN", "First name"]
    assert importer.guess_mapping("referral", heading) == {
        "pupil_upn": "UPN",
        "pupil_first_name": "First name",
        "school_urn": "URN",
        "referral_date": "Date referred",
        "reason": "Reason for referral",
        "concern": "Details",
        "status": "Status",
        "caseworker_name": "Caseworker",
    }
    assert importer.guess_mapping("caseworker", ["Full name", "E-mail", "Team"]) == {
        "name": "Full name",
        "email": "E-mail",
        "team": "Team",
    }
    assert importer.guess_mapping("caseworker", ["Colour"]) == {}


def test_a_guessed_mapping_plans_like_a_written_one(store, schools, tmp_path):
    path = write_csv(
        tmp_path / "pupils.csv",
        PUPIL_HEADING,
        [["Ivy", "Okafor", "14/03/2017", "A123456789012", "100001", "4", "None", "N"]],
    )
    guessed = importer.guess_mapping("pupil", PUPIL_HEADING)
    assert guessed == PUPIL_MAP
    assert plan_mapped(store, "pupil", path, guessed).count("create") == 1


def test_the_extracts_authorities_are_listed_with_their_open_schools(tmp_path):
    path = write_gias(tmp_path / "gias.csv")
    assert importer.gias_authorities(path) == [("873", "Cambridgeshire", 5), ("999", "Elsewhere", 1)]
    with pytest.raises(ImportRefused, match="not a GIAS extract"):
        importer.gias_authorities(write_csv(tmp_path / "x.csv", ["URN"], [["1"]]))


def test_import_file_plans_again_and_writes_with_progress_or_nothing(store, tmp_path):
    path = write_gias(tmp_path / "gias.csv")
    seen = []
    with pytest.raises(ImportRefused, match="cannot be imported"):
        importer.import_file(store, "school", path, la_code="873")
    assert _schools(store) == {} and store.pending_count() == 0
    plan, counts = importer.import_file(
        store, "school", path, la_code="873", leave_out_refused=True, progress=lambda d, t: seen.append((d, t))
    )
    assert counts == {"created": 4, "updated": 0} and len(plan.refused) == 1
    assert seen[-1] == (14, 14) and seen == sorted(seen)  # planned, then written
    with pytest.raises(ImportRefused, match="local authority"):
        importer.plan_file(store, "school", path)
