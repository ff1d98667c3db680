"""``fieldnote report visit ID -o FILE.pdf``."""

from __future__ import annotations

import json

from desktop.cli import main
from desktop.reports.sample import make_sample_case
from desktop.store import open_store
from tests.conftest import PASSPHRASE

from .conftest import pdf_text


def make_case(isolated_home):
    store = open_store(isolated_home, PASSPHRASE)
    ids = make_sample_case(store)
    store.close()
    return ids


def test_the_visit_report_command_writes_the_pdf_and_records_the_export(monkeypatch, isolated_home, tmp_path, capsys):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    ids = make_case(isolated_home)
    text = tmp_path / "text.json"
    text.write_text(json.dumps({"strengths": "Zoë enjoys practical work."}), encoding="utf-8")
    out = tmp_path / "report.pdf"
    assert main(["report", "visit", ids["referral"], "-o", str(out), "--text", str(text), "--date", "23/11/2026"]) == 0
    body = pdf_text(out.read_bytes())
    assert "Zoë enjoys practical work." in body
    assert "Calls out; leaves her seat." in body  # the referral's concern stands in for background
    assert body.count("Classroom observation:") == 2 and body.count("SDQ (Teacher):") == 3
    assert "23/11/2026" in body and "OFFICIAL-SENSITIVE" in body
    store = open_store(isolated_home)
    assert ("export", ids["referral"]) in [(r["action"], r["record_id"]) for r in store.audit_trail()]
    store.close()


def test_chosen_evidence_only(monkeypatch, isolated_home, tmp_path):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    ids = make_case(isolated_home)
    out = tmp_path / "report.pdf"
    assert (
        main(
            [
                "report",
                "visit",
                ids["referral"],
                "-o",
                str(out),
                "--observation",
                ids["observations"][1],
                "--completion",
                ids["completions"][0],
            ]
        )
        == 0
    )
    body = pdf_text(out.read_bytes())
    assert body.count("Classroom observation:") == 1 and "English" in body
    assert "Boxall" in body and "SDQ (Teacher):" not in body


def test_an_unknown_case_or_bad_text_file_is_a_clear_error(monkeypatch, isolated_home, tmp_path, capsys):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    ids = make_case(isolated_home)
    out = tmp_path / "report.pdf"
    assert main(["report", "visit", "nope", "-o", str(out)]) == 1
    assert "there is no case 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"summary": "x"}), encoding="utf-8")
    assert main(["report", "visit", ids["referral"], "-o", str(out), "--text", str(bad)]) == 1
    assert "must map section names" in capsys.readouterr().err
    assert not out.exists()
