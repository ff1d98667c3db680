"""Issue 15's "done when", through the app: on the demo data a practitioner opens a case, writes
a short visit report that pulls in an observation and a Boxall, inserts two strategies from the
bank with the picker, previews, finalises and issues it; a team lead then produces the year's
service report from the same data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QUrl

from desktop.caseload import Caseload
from desktop.demo import fill_demo
from desktop.observation.store_repository import StoreObservationRepository
from desktop.observation.summary import summarise
from desktop.reports.figures import percent_text
from desktop.reports.records import ReportRecords
from desktop.reports.sample import add_evidence
from desktop.reports.service import service_figures
from desktop.store.attachments import attachments_for, read_attachment
from desktop.ui.reports import EvidenceModel
from tests.conftest import TODAY
from tests.reports.conftest import pdf_text
from tests.ui.conftest import FakeThreadPool


def test_a_demo_case_gets_a_visit_report_and_the_lead_a_service_report(make_window, store, qtbot, tmp_path):
    from desktop.reports.strategies import load_bank
    from desktop.ui.reports import StrategyPicker

    caseload = Caseload(store, today=TODAY)
    fill_demo(caseload, pupils=40, referrals=50, seed=7)
    # an active case of a primary pupil (the demo has no observations or forms: add them)
    case = next(r for r in caseload.caseload() if r.status == "active" and (r.year_group or 99) <= 6)
    evidence = add_evidence(store, case.referral_id, observed_on="2026-11-16")

    window = make_window(store)
    feature = window.reports
    window.tasks.use_pool(FakeThreadPool())
    opened: list[Path] = []
    feature.open_url = lambda url: opened.append(Path(QUrl(url).toLocalFile())) or True
    feature.ask = lambda *_: True
    told = []
    feature.tell = lambda _p, title, text: told.append((title, text))
    feature._bank = load_bank(tmp_path / "installed", tmp_path / "mine.json")

    def pick(parent, bank, queries=["now next", "chunk"]):
        """The real picker: type words, Enter chooses the first match."""
        picker = StrategyPicker(bank, parent)
        qtbot.addWidget(picker)
        qtbot.keyClicks(picker.search, queries.pop(0))
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
        return picker.chosen

    feature.pick_strategy = pick

    window.select_referral(case.referral_id)
    window.findChild(type(feature.new_action), "newVisitReport").trigger()
    editor = next(iter(feature.editors.values()))
    qtbot.waitExposed(editor)
    qtbot.keyClicks(editor.sections["background"], "Leaves lessons without permission.")
    qtbot.keyClicks(editor.sections["strengths"], "Kind to younger pupils; enjoys practical work.")
    model = editor.evidence_model
    for i in range(model.rowCount()):
        if model.index(i).data(EvidenceModel.EvidenceKeyRole)[1] in evidence.values():
            assert model.setData(model.index(i), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    editor.sections["recommendations"].setFocus()
    qtbot.waitUntil(lambda: editor.last_section == "recommendations")
    editor.strategy_button.click()
    editor.strategy_button.click()
    bank = feature._bank
    stored = ReportRecords(store).get(editor.report_id)
    assert stored["sections"]["recommendations"] == (
        bank.get("now-next").for_report() + "\n" + bank.get("chunking").for_report()
    )
    assert stored["evidence"]["observations"] == [evidence["observation"]]
    assert stored["evidence"]["completions"] == [evidence["boxall"]]

    editor.preview_button.click()
    assert editor.preview_dialog.current_page() == 1 and len(editor.preview_dialog.page_views) >= 2
    editor.preview_dialog.open_button.click()
    preview = pdf_text(opened[-1].read_bytes())
    assert "Leaves lessons without permission." in preview
    assert ReportRecords(store).get(editor.report_id)["status"] == "draft"

    editor.preview_dialog.action_buttons["previewFinalise"].click()  # finalise from the preview
    assert told == []
    row = ReportRecords(store).get(editor.report_id)
    assert row["status"] == "final" and len(row["issued_sha256"]) == 64
    [doc] = [d for d in attachments_for(store, case.referral_id) if d["id"] == row["attachment_id"]]
    issued = pdf_text(read_attachment(store, doc["id"]))
    # the figures printed are the summary's and the scorer's
    obs = StoreObservationRepository(store).get(evidence["observation"])
    target = summarise(obs).overall.target
    assert f"{percent_text(target.on_task)} ({target.on_task.numerator} of {target.on_task.denominator})" in issued
    assert "Boxall" in issued and "Synthetic" in issued
    for strategy in (bank.get("now-next"), bank.get("chunking")):
        assert strategy.title in issued
    pupil = store.get("pupil", case.pupil_id)
    assert pupil["first_name"] in issued

    # the team lead's year: 1 September to today, as a PDF
    pdf = tmp_path / "service.pdf"
    feature.ask_service = lambda _parent, _today: (date(2026, 9, 1), TODAY, False, str(pdf))
    feature.service_action.trigger()
    assert opened[-1] == pdf
    text = pdf_text(pdf.read_bytes())
    figures = service_figures(store, date(2026, 9, 1), TODAY)
    assert "Service report: 01/09/2026 to 23/11/2026" in text
    assert "Referrals received" in text and str(figures.referrals) in text


def test_the_editors_strategy_search_offers_banks_from_the_server(make_window, store, qtbot):
    """A ``strategies`` pack installed at sync (packs/server/) is in the picker with the built-in bank."""
    import json

    from desktop.forms.registry import SERVER_SUBDIR
    from desktop.paths import packs_dir
    from desktop.ui.reports import StrategiesModel, StrategyPicker
    from tests.forms.test_strategy_pack import BANK

    folder = packs_dir() / SERVER_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bank.json").write_text(json.dumps(BANK), encoding="utf-8")
    window = make_window(store)
    bank = window.reports.strategy_bank()
    picker = StrategyPicker(bank)
    qtbot.addWidget(picker)
    qtbot.keyClicks(picker.search, "signal card desk")
    assert picker.model.index(0).data() == "Zoë's signal  —  A bank"
    picker.search.clear()
    qtbot.keyClicks(picker.search, "now next")
    assert picker.model.index(0).data(StrategiesModel.StrategyIdRole) == "now-next"
    # a bank arriving with a later sync is offered the next time the picker opens
    second = dict(
        BANK,
        id="bank-2",
        title="Second bank",
        strategies=[{"id": "s9", "title": "Quiet reading", "text": "Ten minutes' reading."}],
    )
    (folder / "bank-2.json").write_text(json.dumps(second), encoding="utf-8")
    assert window.reports.strategy_bank().get("s9").source == "Second bank"
