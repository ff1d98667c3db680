"""Form entry: keyboard-first answering committed at once, live scores, finalise and correct."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from desktop.forms.records import FormRecords
from desktop.store import ValidationError
from desktop.ui.form_entry import FormEntryModel, FormEntryWindow

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def forms(store):
    return FormRecords(store)


def start(forms, case, pack_id="sdq-teacher-4-17", informant="teacher", age_band="4-17", point="T1"):
    return forms.start(
        pupil_id=case["pupil"],
        referral_id=case["referral"],
        pack_id=pack_id,
        informant=informant,
        age_band=age_band,
        completed_by="teacher",
        completed_on="2026-10-01",
        time_point=point,
        respondent="Mr Evans",
    )


@pytest.fixture
def open_form(qtbot, forms):
    def open_(completion_id):
        window = FormEntryWindow(forms, completion_id, "Ivy Okafor")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return open_


def current_item_id(window):
    return window.table.currentIndex().data(FormEntryModel.ItemIdRole)


def press(qtbot, window, *keys, modifier=Qt.KeyboardModifier.NoModifier):
    for key in keys:
        qtbot.keyClick(window.table, key, modifier)


def test_a_digit_answers_the_current_item_commits_it_and_moves_on(qtbot, forms, case, open_form):
    """Digits pick the option with that value; each answer is in the store at once."""
    completion = start(forms, case)
    window = open_form(completion)
    assert current_item_id(window) == "consid"
    press(qtbot, window, K.Key_2)
    assert forms.answers(completion) == {"consid": 2}
    assert current_item_id(window) == "restles"
    press(qtbot, window, K.Key_0, K.Key_1)
    assert forms.answers(completion) == {"consid": 2, "restles": 0, "somatic": 1}
    assert current_item_id(window) == "shares"
    row = window.model.row_of("consid")
    assert window.model.index(row, FormEntryModel.ANSWER).data() == "2 · Certainly True"
    assert window.count.text() == "3 of 29 answered"


def test_a_digit_that_is_no_answer_is_refused_and_nothing_stored(qtbot, forms, case, open_form):
    completion = start(forms, case)
    window = open_form(completion)
    press(qtbot, window, K.Key_7)
    assert forms.answers(completion) == {}
    assert current_item_id(window) == "consid"
    assert "7 is not an answer here" in window.message.text()


def test_arrows_move_and_n_jumps_to_the_next_unanswered_item(qtbot, forms, case, open_form):
    completion = start(forms, case)
    forms.answer(completion, "restles", 1)
    forms.answer(completion, "somatic", 1)
    window = open_form(completion)
    assert current_item_id(window) == "consid"  # opens at the first unanswered item
    press(qtbot, window, K.Key_N)
    assert current_item_id(window) == "shares"  # skips the two answered items
    press(qtbot, window, K.Key_Up, K.Key_Up)
    assert current_item_id(window) == "restles"
    press(qtbot, window, K.Key_J, modifier=CTRL)
    assert current_item_id(window) == "shares"
    press(qtbot, window, K.Key_Down)
    assert current_item_id(window) == "tantrum"


def test_live_scores_equal_the_stored_score_after_every_answer(qtbot, forms, case, open_form):
    completion = start(forms, case)
    window = open_form(completion)
    emotion = window.model.row_of("somatic")
    window.table.go_to_row(emotion)
    press(qtbot, window, K.Key_2)  # somatic
    for item, key in (("worries", K.Key_2), ("unhappy", K.Key_1), ("clingy", K.Key_2)):
        window.table.go_to_row(window.model.row_of(item))
        press(qtbot, window, key)
        stored = forms.score(completion)
        shown = {r.score_id: r for r in window.scores_model.score_rows}
        assert {sid: r.score for sid, r in shown.items()} == stored.scores
        assert {sid: r.band for sid, r in shown.items() if r.score is not None} == {
            sid: stored.band(sid) for sid, v in stored.scores.items() if v is not None
        }
    # 4 of 5 emotional items summing 7: prorated 7 × 5/4 = 8.75 → 9, "very high" for a teacher.
    model = window.scores_model
    row = [r.score_id for r in model.score_rows].index("emotion")
    assert [model.index(row, c).data() for c in range(3)] == ["Emotional problems", "9", "very high"]
    conduct = [r.score_id for r in model.score_rows].index("conduct")
    assert model.index(conduct, 1).data() == "—"
    assert window.last_score_ms < 50  # generous for slow CI; about 0.1 ms in practice


def test_backspace_and_delete_clear_the_answer(qtbot, forms, case, open_form):
    completion = start(forms, case)
    window = open_form(completion)
    press(qtbot, window, K.Key_1, K.Key_2, K.Key_Up)
    assert forms.answers(completion) == {"consid": 1, "restles": 2}
    press(qtbot, window, K.Key_Backspace)
    assert forms.answers(completion) == {"consid": 1}
    assert window.model.index(window.model.row_of("restles"), FormEntryModel.ANSWER).data() == "—"
    press(qtbot, window, K.Key_Up, K.Key_Delete)
    assert forms.answers(completion) == {}


def test_finalise_asks_when_items_are_unanswered_then_reads_only(qtbot, forms, case, open_form):
    completion = start(forms, case)
    window = open_form(completion)
    asked = []
    window.confirm = lambda title, text: asked.append(text) or False
    press(qtbot, window, K.Key_2)
    press(qtbot, window, K.Key_Return, modifier=CTRL)
    assert asked == ["28 items are unanswered. A finalised form cannot change (only be corrected). Finalise anyway?"]
    assert forms.completion(completion)["status"] == "draft"  # declined
    window.confirm = lambda title, text: True
    press(qtbot, window, K.Key_Return, modifier=CTRL)
    assert forms.completion(completion)["status"] == "final"
    assert window.correct_button.isVisible() and not window.finalise_button.isVisible()
    assert "read only" in window.status_banner.text()
    window.table.go_to_row(window.model.row_of("consid"))
    press(qtbot, window, K.Key_0, K.Key_Backspace)  # refused: the stored answers stay
    assert forms.answers(completion) == {"consid": 2}
    assert "finalised" in window.message.text()
    with pytest.raises(ValidationError, match="finalised"):
        forms.answer(completion, "consid", 0)


def test_a_complete_form_asks_before_finalising_too(qtbot, forms, case, open_form):
    completion = start(forms, case)
    for item in forms.pack("sdq-teacher-4-17").items[:-1]:
        forms.answer(completion, item.id, 0)
    window = open_form(completion)
    asked = []
    window.confirm = lambda title, text: asked.append(title) or False
    press(qtbot, window, K.Key_0)  # the last item
    press(qtbot, window, K.Key_Enter, modifier=CTRL)
    assert asked == ["Finalise this form?"]  # it cannot be undone, complete or not
    assert forms.completion(completion)["status"] == "draft"  # declined: nothing changed
    window.confirm = lambda title, text: True
    press(qtbot, window, K.Key_Enter, modifier=CTRL)
    assert forms.completion(completion)["status"] == "final"


def test_correct_opens_a_new_draft_superseding_the_final(qtbot, forms, case, open_form):
    completion = start(forms, case)
    forms.answer(completion, "consid", 2)
    forms.finalise(completion)
    window = open_form(completion)
    assert window.read_only
    changed = []
    window.changed.connect(changed.append)
    qtbot.mouseClick(window.correct_button, Qt.MouseButton.LeftButton)
    new = window.completion_id
    assert new != completion and changed == [new]
    assert forms.completion(new)["status"] == "draft"
    assert forms.completion(new)["supersedes"] == completion
    assert not window.read_only and window.finalise_button.isVisible()
    assert "correction of the form finalised" in window.status_banner.text()
    assert current_item_id(window) == "restles"  # continues at the first unanswered
    press(qtbot, window, K.Key_1)
    assert forms.answers(new) == {"consid": 2, "restles": 1}
    assert forms.answers(completion) == {"consid": 2}


def test_a_draft_reopens_where_it_stopped(qtbot, forms, case, open_form):
    completion = start(forms, case)
    window = open_form(completion)
    press(qtbot, window, K.Key_1, K.Key_1, K.Key_0)
    window.close()
    again = open_form(completion)
    assert current_item_id(again) == "shares"
    assert again.count.text() == "3 of 29 answered"
    assert again.model.index(again.model.row_of("somatic"), FormEntryModel.ANSWER).data() == "0 · Not True"
    assert [r.score for r in again.scores_model.score_rows] == list(forms.score(completion).scores.values())


def test_synthetic_pack_shows_its_banner_and_sections(qtbot, forms, case, open_form):
    boxall = open_form(start(forms, case, "boxall-synthetic", "adult", "4-11"))
    assert boxall.synthetic_banner.isVisible()
    assert "not the licensed content" in boxall.synthetic_banner.text()
    model = boxall.model
    headings = [model.index(r, 0).data() for r in range(model.rowCount()) if model.is_section(r)]
    assert headings == ["Section I: Developmental strands", "Section II: Diagnostic profile"]
    assert current_item_id(boxall) == "i01"  # the heading row is skipped
    press(qtbot, boxall, K.Key_4)  # Boxall options are 4..0: chosen by value
    assert forms.answers(boxall.completion_id) == {"i01": 4}
    sdq = open_form(start(forms, case))
    assert not sdq.synthetic_banner.isVisible()


def test_boxall_scores_show_their_position_against_the_competence_range(qtbot, forms, case, open_form):
    completion = start(forms, case, "boxall-synthetic", "adult", "4-11")
    window = open_form(completion)
    for _ in range(34):  # all of section I at 4
        press(qtbot, window, K.Key_4)
    pack = forms.pack("boxall-synthetic")
    rows = {r.score_id: r for r in window.scores_model.score_rows}
    for cluster in "ABCDEFGHIJ":
        rng = pack.normative_range(cluster, "adult", "4-11")
        where = "within" if rows[cluster].score <= rng.maximum else "above"
        assert rows[cluster].score == forms.score(completion).scores[cluster]
        assert rows[cluster].band == f"{where} range"
    assert (rows["Q"].score, rows["Q"].band) == (None, "—")  # section II not yet rated


def type_answer(qtbot, window, text):
    """The first key opens the cell's editor (as a person typing would); the rest go to it."""
    qtbot.keyClicks(window.table, text[0])
    editor = window.table.indexWidget(window.table.currentIndex())
    assert editor is not None and editor.text() == text[0]
    qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, K.Key_Return)
    # The delegate commits and closes its editor from the event loop (a queued call).
    qtbot.waitUntil(lambda: window.table.state() != QAbstractItemView.State.EditingState)


def test_typed_numbers_on_a_number_measure(qtbot, forms, case, open_form):
    """Outcome measures are numbers: typing opens the cell, Enter stores it."""
    completion = start(forms, case, "outcome-measures", "school", "all")
    window = open_form(completion)
    window.table.go_to_row(window.model.row_of("attendance"))
    type_answer(qtbot, window, "92.5")
    assert forms.answers(completion) == {"attendance": "92.5"}  # decimals are stored as text
    band = {r.score_id: r for r in window.scores_model.score_rows}["attendance"]
    assert (band.score, band.band) == (Decimal("92.5"), "not persistently absent")
    assert current_item_id(window) == "fixed_term"  # Enter moved on, as a digit does
    window.table.go_to_row(window.model.row_of("incidents"))
    type_answer(qtbot, window, "x")
    assert "is not a number" in window.message.text()
    assert forms.answers(completion) == {"attendance": "92.5"}
