"""``fieldnote audit list|export|summary`` and the renamed ``fieldnote activity``."""

from __future__ import annotations

import csv
import io
import json

from desktop.audits.records import AuditRecords
from desktop.cli import main
from desktop.store import open_store
from tests.conftest import PASSPHRASE


def seed(home):
    from desktop.caseload import Caseload

    store = open_store(home, PASSPHRASE)
    school = Caseload(store).add_school(name="Foxcote Primary School")
    records = AuditRecords(store)
    aid = records.start(school_id=school, template_id="behaviour-audit", conducted_on="2026-10-05")
    records.rate(aid, "arrival_calm", "amber")
    records.note(aid, "arrival_calm", "Long queue; calm once inside")
    records.rate(aid, "arrival_supervised", "not_seen")
    records.judge(aid, "arrival", value="amber")
    records.add_action(
        aid, "Second member of staff at the gate", owner="Head", due_on="2026-11-30", criteria=["arrival_supervised"]
    )
    records.finalise(aid)
    store.close()
    return aid


def test_list_export_and_summary(monkeypatch, capsys, isolated_home):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    aid = seed(isolated_home)
    assert main(["audit", "list"]) == 0
    out = capsys.readouterr().out
    assert aid[:8] in out and "05/10/2026" in out and "Foxcote" in out and "final" in out

    assert main(["audit", "export", aid[:8], "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    arrival = data["sections"][0]
    assert arrival["judgement"] == "amber"
    calm = next(c for c in arrival["criteria"] if c["id"] == "arrival_calm")
    assert (calm["value"], calm["label"], calm["evidence"]) == ("amber", "Amber", "Long queue; calm once inside")
    assert data["action_points"][0]["criteria"] == ["arrival_supervised"]

    assert main(["audit", "export", aid, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 29 and {r["criterion"]: r["value"] for r in rows}["arrival_supervised"] == "not_seen"

    assert main(["audit", "summary", "--from", "01/09/2026", "--to", "31/12/2026", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    calm = next(c for c in s["criteria"] if c["criterion"] == "arrival_calm")
    assert s["schools"] == 1 and calm["schools_by_level"] == {"red": 0, "amber": 1, "green": 0}
    sup = next(c for c in s["criteria"] if c["criterion"] == "arrival_supervised")
    assert (sup["rated"], sup["not_seen"]) == (0, 1)

    assert main(["audit", "summary", "--from", "31/12/2026", "--to", "01/09/2026"]) == 2
    assert "after" in capsys.readouterr().err
    assert main(["audit", "export", "nope"]) == 1
    assert "no audit" in capsys.readouterr().err


def test_activity_is_the_old_audit_trail(monkeypatch, capsys, isolated_home):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    seed(isolated_home)
    assert main(["activity"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert any(r["entity"] == "audit_rating" for r in rows)


def test_report_and_commissioner_pdfs_from_the_command_line(monkeypatch, capsys, isolated_home, tmp_path):
    import io as _io

    from pypdf import PdfReader

    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    aid = seed(isolated_home)
    out = tmp_path / "audit.pdf"
    assert main(["audit", "report", aid[:8], "-o", str(out)]) == 0
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(_io.BytesIO(out.read_bytes())).pages).split())
    assert "Foxcote Primary School" in text and "Second member of staff" in text
    assert main(["audit", "report", "nope", "-o", str(tmp_path / "x.pdf")]) == 1
    assert not (tmp_path / "x.pdf").exists()

    summary = tmp_path / "summary.pdf"
    assert main(["audit", "summary", "--from", "01/09/2026", "--to", "31/12/2026", "-o", str(summary), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)  # --json still prints the figures
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(_io.BytesIO(summary.read_bytes())).pages).split())
    assert f"Schools {s['schools']}" in text and "01/09/2026 to 31/12/2026" in text
