"""The Pastoral Support Plan document: the plan's text as typed, reviews, and a signatures block."""

from __future__ import annotations

import re
from io import BytesIO

from pypdf import PdfReader

from desktop.caseload import Caseload
from desktop.cli import main
from desktop.reports.psp import SIGNATORIES, build_psp, latest_plan, psp_document, render_psp
from desktop.store import open_store
from tests.conftest import PASSPHRASE, TODAY

from .conftest import pdf_pages, pdf_text

TARGETS = "1. Ivy will start written tasks within 2 minutes.\n2. Ivy will stay in her seat for 10 minutes."
STRATEGIES = (
    "- Class teacher: a 2-minute warning before transitions.\n- TA (Mr Łukasz Nowak): check in after each chunk."
)


def add_plan(caseload, case, **kw):
    values = dict(
        review_dates=["2026-12-11", "2027-01-22"],
        targets=TARGETS,
        strategies=STRATEGIES,
        parent_involvement="Mrs Okafor uses the same card at home.",
    )
    values.update(kw)
    return caseload.add_support_plan(case["referral"], "2026-11-20", **values)


def test_the_plan_prints_as_typed_with_reviews_and_signatures(store, caseload, case):
    plan = add_plan(caseload, case)
    report = build_psp(store, plan, report_date=TODAY)
    assert (report.pupil_name, report.start_date, report.status) == ("Ivy Okafor", "20/11/2026", "Open")
    assert report.review_dates == ("11/12/2026", "22/01/2027")
    data = render_psp(report)
    text = re.sub(r"\s+", " ", pdf_text(data))
    assert "1. Ivy will start written tasks within 2 minutes. 2. Ivy will stay in her seat" in text
    assert "• Class teacher: a 2-minute warning" in text and "Łukasz" in text
    assert "Mrs Okafor uses the same card at home." in text
    assert "1 11/12/2026" in text and "2 22/01/2027" in text
    assert [o.title for o in PdfReader(BytesIO(data)).outline] == [
        "Targets",
        "Strategies and who does what",
        "Parent and carer involvement",
        "Reviews",
        "Signatures",
    ]
    # The signatures block is never split: all its rows are on one page.
    pages = pdf_pages(data)
    signing = [p for p in pages if "Signature" in p]
    assert len(signing) == 1 and all(role in signing[0] for role in ("Pupil", "Parent / carer", "Class teacher"))


def test_empty_parts_of_a_plan_are_left_out(store, caseload, case):
    plan = add_plan(caseload, case, parent_involvement="", review_dates=[])
    titles = [s.title for s in psp_document(build_psp(store, plan)).printed_sections()]
    assert titles == ["Targets", "Strategies and who does what", "Signatures"]
    assert len(SIGNATORIES) == 5


def test_the_open_plan_is_chosen_and_the_command_writes_it(monkeypatch, isolated_home, tmp_path, capsys):
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    store = open_store(isolated_home, PASSPHRASE)
    caseload = Caseload(store, today=TODAY)
    school = caseload.add_school(name="Foxcote Primary School")
    pupil = caseload.add_pupil(first_name="Siân", last_name="Ó Briain", school_id=school)
    referral = caseload.add_referral(pupil_id=pupil, school_id=school, reason="attendance", referral_date="2026-10-01")
    out = tmp_path / "psp.pdf"
    store.close()
    assert main(["report", "psp", referral, "-o", str(out)]) == 1
    assert "no Pastoral Support Plan" in capsys.readouterr().err
    store = open_store(isolated_home, PASSPHRASE)
    caseload = Caseload(store, today=TODAY)
    old = caseload.add_support_plan(referral, "2026-10-10", targets="Old plan.", status="completed")
    new = caseload.add_support_plan(referral, "2026-09-10", targets="The open plan.")
    assert latest_plan(store, referral) == new != old
    store.close()
    assert main(["report", "psp", referral, "-o", str(out), "--date", "23/11/2026"]) == 0
    text = pdf_text(out.read_bytes())
    assert "The open plan." in text and "Pastoral Support Plan: Siân Ó Briain" in text
    assert main(["report", "psp", referral, "-o", str(out), "--plan", old]) == 0
    assert "Old plan." in pdf_text(out.read_bytes())
