"""Recording a PSP review in the app: the Reports menu opens the dialog for the case's plan; each
target is rated, the review is saved, and the PSP document prints the progress."""

from __future__ import annotations


from PySide6.QtCore import QDate

from desktop.caseload import Caseload
from desktop.caseload.reviews import PlanReviews
from desktop.reports.sample import make_sample_case
from tests.conftest import TODAY
from tests.reports.conftest import pdf_text
from tests.ui.conftest import FakeThreadPool


def test_a_review_is_recorded_from_the_reports_menu_and_printed_in_the_psp(make_window, store, qtbot):
    from desktop.ui.plan_review import PlanReviewDialog

    ids = make_sample_case(store)
    plan = Caseload(store, today=TODAY).add_support_plan(
        ids["referral"], "2026-10-20", targets="- Zoë will start tasks within 2 minutes.\n- Zoë will stay in class."
    )
    PlanReviews(store, today=TODAY).add_review(
        plan, "2026-11-03", [("Zoë will start tasks within 2 minutes.", 2, ""), ("Zoë will stay in class.", 3, "")]
    )
    window = make_window(store)
    feature = window.reports
    window.tasks.use_pool(FakeThreadPool())
    opened = []
    feature.open_url = lambda url: opened.append(url.toLocalFile()) or True
    window.select_referral(ids["referral"])
    seen = []

    def record(parent, store_, plan_id, today):
        dialog = PlanReviewDialog(store_, plan_id, today, parent)
        qtbot.addWidget(dialog)
        seen.append(dialog)
        dialog.when.setDate(QDate(2026, 11, 20))
        # nothing rated: the dialog says so and stays open, keeping what was typed
        dialog.note_edits[0].setText("Uses the timer.")
        dialog.save()
        assert dialog.error.isVisibleTo(dialog) and "Rate at least one target" in dialog.error.text()
        dialog.rating_boxes[0].setCurrentIndex(dialog.rating_boxes[0].findData(4))
        dialog.rating_boxes[1].setCurrentIndex(dialog.rating_boxes[1].findData(3))
        qtbot.keyClicks(dialog.notes, "Mum attended.")
        dialog.save()
        return dialog.saved_id

    feature.record_review = record
    window.findChild(type(feature.review_action), "pspReview").trigger()
    [dialog] = seen
    assert dialog.note_edits[0].text() == "Uses the timer."
    progress = PlanReviews(store).progress(plan)
    assert progress.review_dates == ("2026-11-03", "2026-11-20")
    assert [(r.ratings, r.change) for r in progress.rows] == [((2, 4), 2), ((3, 3), 0)]

    feature.psp_action.trigger()
    feature.preview_dialog.open_button.click()  # from the in-app preview to the PDF app
    text = pdf_text(open(opened[-1], "rb").read())
    assert "Progress at reviews" in text and "Mum attended." in text and "Uses the timer." in text
