"""Form completions in the encrypted store: answers commit as entered, finals are immutable."""

from __future__ import annotations

import pytest

from desktop.forms.records import FormRecords
from desktop.store import ValidationError, open_store
from tests.conftest import PASSPHRASE

EMOTION = ("somatic", "worries", "unhappy", "clingy", "afraid")
CONDUCT = ("tantrum", "obeys", "fights", "lies", "steals")


@pytest.fixture
def forms(store):
    return FormRecords(store)


def start(forms, case, point="T1", on="2026-10-01"):
    return forms.start(
        pupil_id=case["pupil"],
        referral_id=case["referral"],
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on=on,
        time_point=point,
        respondent="Mr Evans",
    )


def test_each_answer_is_committed_when_given(forms, case, isolated_home):
    completion = start(forms, case)
    forms.answer(completion, "worries", 2)
    other = open_store(isolated_home, PASSPHRASE)  # a second connection sees it at once
    try:
        rows = list(other.db.query("SELECT item_id, value FROM form_answer"))
    finally:
        other.close()
    assert rows == [{"item_id": "worries", "value": "2"}]
    forms.answer(completion, "worries", 1)
    forms.answer(completion, "worries", None)  # cleared
    assert forms.answers(completion) == {}
    assert [e["op"] for e in forms.store.pending_changes() if e["entity"] == "form_answer"] == [
        "create",
        "update",
        "update",
    ]


def test_live_scores_follow_the_sdq_rules(forms, case):
    completion = start(forms, case)
    for item, value in zip(EMOTION[:3], (2, 1, 1)):  # 3 answered summing 4 -> prorated 7
        forms.answer(completion, item, value)
    result = forms.score(completion)
    assert result.scores["emotion"] == 7
    assert result.scores["conduct"] is None and result.scores["ebdtot"] is None
    for item, value in zip(CONDUCT, (0, 2, 0, 0, 0)):  # obeys is reverse-scored: 2 -> 0
        forms.answer(completion, item, value)
    assert forms.score(completion).scores["conduct"] == 0


def test_invalid_answer_is_refused_with_the_allowed_values(forms, case):
    completion = start(forms, case)
    with pytest.raises(ValidationError, match="not a valid answer"):
        forms.answer(completion, "worries", 7)
    with pytest.raises(ValidationError, match="no item"):
        forms.answer(completion, "imphome", 1)  # the teacher form has no home-life item
    assert forms.answers(completion) == {}


def test_start_is_validated(forms, case):
    with pytest.raises(ValidationError) as info:
        forms.start(
            pupil_id=case["pupil"],
            pack_id="sdq-teacher-4-17",
            informant="parent",
            age_band="4-17",
            completed_by="someone",
            completed_on="2026-10-01",
            time_point="T9",
        )
    assert set(info.value.problems) == {"informant", "completed_by", "time_point"}


def test_a_finalised_form_is_immutable_even_to_sql(forms, case):
    completion = start(forms, case)
    forms.answer(completion, "worries", 2)
    forms.finalise(completion)
    with pytest.raises(ValidationError, match="finalised"):
        forms.answer(completion, "worries", 0)
    with pytest.raises(Exception, match="finalised form cannot change"):
        forms.store.conn.execute("UPDATE form_answer SET value = '0'")
    with pytest.raises(Exception, match="finalised form cannot change"):
        forms.store.conn.execute("UPDATE form_completion SET time_point = 'T2'")
    assert forms.answers(completion) == {"worries": 2}


def test_a_correction_is_a_new_version_that_supersedes(forms, case):
    completion = start(forms, case)
    for item in EMOTION:
        forms.answer(completion, item, 1)
    forms.finalise(completion)
    corrected = forms.correct(completion)
    assert forms.store.get("form_completion", corrected)["supersedes"] == completion
    assert forms.answers(corrected) == forms.answers(completion)
    forms.answer(corrected, "afraid", 2)
    forms.finalise(corrected)
    progress = forms.progress(case["pupil"], "sdq-teacher-4-17")
    assert progress.by_time_point["T1"].scores["emotion"] == 6  # the correction counts, not the original


def test_progress_across_time_points_and_cohort_means(forms, caseload, case):
    def complete(pupil, referral, point, on, values):
        c = forms.start(
            pupil_id=pupil,
            referral_id=referral,
            pack_id="sdq-teacher-4-17",
            informant="teacher",
            age_band="4-17",
            completed_by="teacher",
            completed_on=on,
            time_point=point,
        )
        for item, value in zip(EMOTION, values):
            forms.answer(c, item, value)
        forms.finalise(c)

    complete(case["pupil"], case["referral"], "T1", "2026-09-10", (2, 2, 2, 1, 1))  # 8
    complete(case["pupil"], case["referral"], "T2", "2026-11-10", (1, 1, 0, 0, 1))  # 3
    progress = forms.progress(case["pupil"], "sdq-teacher-4-17")
    assert progress.by_time_point["T1"].scores["emotion"] == 8
    assert progress.by_time_point["T2"].scores["emotion"] == 3
    assert progress.change("emotion") == -5
    assert progress.by_time_point["T1"].band("emotion") == "very high"
    assert progress.by_time_point["T2"].band("emotion") == "close to average"

    other_pupil = caseload.add_pupil(first_name="Theo", last_name="Ward", school_id=case["school"])
    other_ref = caseload.add_referral(pupil_id=other_pupil, school_id=case["school"], reason="attendance")
    complete(other_pupil, other_ref, "T1", "2026-09-12", (1, 1, 1, 1, 0))  # 4
    draft = forms.start(
        pupil_id=other_pupil,
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on="2026-11-01",
        time_point="T2",
    )
    forms.answer(draft, "worries", 2)  # drafts never count
    means = forms.cohort_means("sdq-teacher-4-17", [case["referral"], other_ref, case["referral"]])
    assert means["T1"]["emotion"] == (6.0, 2)
    assert means["T2"]["emotion"] == (3.0, 1)
