"""SDQ scoring against hand-worked cases and the instruments.md band tables."""

from __future__ import annotations

import pytest

from desktop.forms.scoring import AnswerError, round_half_up, score
from tests.forms.conftest import builtin

# Item variable → (scale, reverse-scored), from instruments.md.
SDQ_ITEMS = {
    "consid": ("prosoc", False),
    "restles": ("hyper", False),
    "somatic": ("emotion", False),
    "shares": ("prosoc", False),
    "tantrum": ("conduct", False),
    "loner": ("peer", False),
    "obeys": ("conduct", True),
    "worries": ("emotion", False),
    "caring": ("prosoc", False),
    "fidgety": ("hyper", False),
    "friend": ("peer", True),
    "fights": ("conduct", False),
    "unhappy": ("emotion", False),
    "popular": ("peer", True),
    "distrac": ("hyper", False),
    "clingy": ("emotion", False),
    "kind": ("prosoc", False),
    "lies": ("conduct", False),
    "bullied": ("peer", False),
    "helpout": ("prosoc", False),
    "reflect": ("hyper", True),
    "steals": ("conduct", False),
    "oldbest": ("peer", False),
    "afraid": ("emotion", False),
    "attends": ("hyper", True),
}
SCALE_ITEMS = {
    s: [v for v, (sc, _) in SDQ_ITEMS.items() if sc == s] for s in ("emotion", "conduct", "hyper", "peer", "prosoc")
}

PARENT = ("sdq-parent-4-17", "parent", "4-17")
TEACHER = ("sdq-teacher-4-17", "teacher", "4-17")
SELF = ("sdq-self-11-17", "self", "11-17")


def run(form, answers):
    pack_id, informant, age = form
    return score(builtin(pack_id), answers, informant, age)


def raw_for(item: str, item_score: int) -> int:
    """The answer to tick so that ``item`` scores ``item_score`` (undoing reversal)."""
    return 2 - item_score if SDQ_ITEMS[item][1] else item_score


def answers_for_scale(scale: str, total: int) -> dict:
    """All five items of ``scale`` answered so that the scale scores ``total``."""
    item_scores = [2] * (total // 2) + [total % 2]
    item_scores += [0] * (5 - len(item_scores))
    return {item: raw_for(item, s) for item, s in zip(SCALE_ITEMS[scale], item_scores[:5])}


def full_answers(emotion=0, conduct=0, hyper=0, peer=0, prosoc=10) -> dict:
    out = {}
    for scale, total in (
        ("emotion", emotion),
        ("conduct", conduct),
        ("hyper", hyper),
        ("peer", peer),
        ("prosoc", prosoc),
    ):
        out.update(answers_for_scale(scale, total))
    return out


# -- hand-worked cases ---------------------------------------------------------


def test_all_items_answered_reverse_items_scored_2_1_0():
    """A hand-scored parent form: reverse items (obeys, friend, popular, reflect, attends) flip."""
    answers = {
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
    }
    result = run(PARENT, answers)
    # emotion 0+1+0+0+1; conduct 1+(2→0)+0+0+0; hyper 1+0+1+(2→0)+(2→0);
    # peer 0+(2→0)+(2→0)+0+0; prosocial 2*5.
    assert result.scores == {
        "emotion": 2,
        "conduct": 1,
        "hyper": 2,
        "peer": 0,
        "prosoc": 10,
        "ebdtot": 5,
        "extern": 3,
        "intern": 2,
        "impact": None,
    }


def test_reverse_item_answered_not_true_scores_two():
    result = run(PARENT, {"obeys": 0, "tantrum": 0, "fights": 0, "lies": 0, "steals": 0})
    assert result.scores["conduct"] == 2


def test_prorating_three_answered_summing_4_gives_7():
    """4/3 × 5 = 6.67 → 7."""
    result = run(PARENT, {"somatic": 2, "worries": 1, "unhappy": 1})
    assert result.scores["emotion"] == 7


def test_prorating_four_answered_summing_2_rounds_half_up_to_3():
    """2/4 × 5 = 2.5 → 3 (banker's rounding would give 2)."""
    result = run(PARENT, {"somatic": 1, "worries": 1, "unhappy": 0, "clingy": 0})
    assert result.scores["emotion"] == 3


def test_prorating_uses_reversed_scores():
    """obeys ticked Not True scores 2: 1 + 2 + 1 = 4 over 3 answered → 7."""
    result = run(PARENT, {"tantrum": 1, "obeys": 0, "fights": 1})
    assert result.scores["conduct"] == 7


def test_scale_with_only_two_answered_is_missing():
    result = run(PARENT, {"somatic": 2, "worries": 2})
    assert result.scores["emotion"] is None
    assert result.band("emotion") is None


def test_total_missing_if_any_part_missing_but_other_sums_still_scored():
    answers = full_answers(emotion=3, conduct=2, hyper=4, peer=1)
    del answers["fights"], answers["lies"], answers["steals"]  # conduct: 2 of 5 answered
    result = run(PARENT, answers)
    assert result.scores["conduct"] is None
    assert result.scores["ebdtot"] is None
    assert result.scores["extern"] is None
    assert result.scores["intern"] == 4  # emotion 3 + peer 1: both present
    assert result.band("ebdtot") is None


def test_no_answers_at_all():
    result = run(PARENT, {})
    assert set(result.scores.values()) == {None}


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [
        (5, 2, 3),
        (7, 2, 4),
        (4, 2, 2),
        (20, 3, 7),
        (10, 4, 3),
        (0, 3, 0),
        (-5, 2, -2),
        (1, 3, 0),
    ],
)
def test_round_half_up(numerator, denominator, expected):
    assert round_half_up(numerator, denominator) == expected


# -- impact supplement ---------------------------------------------------------


def test_impact_zero_when_overall_answer_is_no_even_if_items_ticked():
    result = run(PARENT, {"ebddiff": 0, "distres": 3, "imphome": 3})
    assert result.scores["impact"] == 0
    assert result.band("impact") == "close to average"


def test_impact_missing_when_no_impact_item_answered():
    assert run(PARENT, {"ebddiff": 2}).scores["impact"] is None


def test_impact_items_score_0_0_1_2_and_missing_items_count_0():
    # distres "A great deal" 2 + imphome "Quite a lot" 1 + impfrie "Only a little" 0; others missing.
    result = run(PARENT, {"ebddiff": 2, "distres": 3, "imphome": 2, "impfrie": 1})
    assert result.scores["impact"] == 3
    assert result.band("impact") == "very high"


@pytest.mark.parametrize("answer, expected", [(0, 0), (1, 0), (2, 1), (3, 2)])
def test_impact_item_coding(answer, expected):
    assert run(PARENT, {"ebddiff": 1, "impclas": answer}).scores["impact"] == expected


def test_impact_scored_when_overall_question_left_blank():
    assert run(PARENT, {"distres": 2, "impleis": 3}).scores["impact"] == 3


def test_parent_impact_maximum_is_10():
    answers = {"ebddiff": 3, **{v: 3 for v in ("distres", "imphome", "impfrie", "impclas", "impleis")}}
    assert run(PARENT, answers).scores["impact"] == 10


def test_teacher_impact_is_three_items_0_to_6():
    answers = {"ebddiff": 3, "distres": 3, "impfrie": 3, "impclas": 3}
    result = run(TEACHER, answers)
    assert result.scores["impact"] == 6
    assert result.band("impact") == "very high"


def test_teacher_form_has_no_home_or_leisure_impact():
    with pytest.raises(AnswerError, match="imphome"):
        run(TEACHER, {"imphome": 1})


def test_self_report_impact_is_0_to_10():
    answers = {"ebddiff": 1, **{v: 3 for v in ("distres", "imphome", "impfrie", "impclas", "impleis")}}
    assert run(SELF, answers).scores["impact"] == 10


# -- answers refused -----------------------------------------------------------


@pytest.mark.parametrize("value", [3, -1, "3", "x", True, 1.5])
def test_invalid_item_answer_refused(value):
    with pytest.raises(AnswerError) as err:
        run(PARENT, {"consid": value})
    assert err.value.item_id == "consid"


def test_answer_given_as_text_is_the_same_answer():
    """Form widgets and CSV cells hold text: "2" means the option 2."""
    assert run(PARENT, {"somatic": "2", "worries": " 1 ", "unhappy": ""}).scores["emotion"] is None
    assert run(PARENT, {"somatic": "2", "worries": " 1 ", "unhappy": "1"}).scores["emotion"] == 7


def test_unknown_item_refused():
    with pytest.raises(AnswerError, match="no such item"):
        run(PARENT, {"considerate": 1})


def test_wrong_informant_or_age_band_refused():
    pack = builtin("sdq-parent-4-17")
    with pytest.raises(ValueError, match="informant 'teacher'"):
        score(pack, {}, "teacher", "4-17")
    with pytest.raises(ValueError, match="age band '2-4'"):
        score(pack, {}, "parent", "2-4")


# -- bands at every cut-off (tables copied from instruments.md) ---------------

FOUR_BAND = {
    "ebdtot": {
        "parent": "0-13 / 14-16 / 17-19 / 20-40",
        "teacher": "0-11 / 12-15 / 16-18 / 19-40",
        "self": "0-14 / 15-17 / 18-19 / 20-40",
    },
    "emotion": {"parent": "0-3 / 4 / 5-6 / 7-10", "teacher": "0-3 / 4 / 5 / 6-10", "self": "0-4 / 5 / 6 / 7-10"},
    "conduct": {"parent": "0-2 / 3 / 4-5 / 6-10", "teacher": "0-2 / 3 / 4 / 5-10", "self": "0-3 / 4 / 5 / 6-10"},
    "hyper": {"parent": "0-5 / 6-7 / 8 / 9-10", "teacher": "0-5 / 6-7 / 8 / 9-10", "self": "0-5 / 6 / 7 / 8-10"},
    "peer": {"parent": "0-2 / 3 / 4 / 5-10", "teacher": "0-2 / 3-4 / 5 / 6-10", "self": "0-2 / 3 / 4 / 5-10"},
    "prosoc": {"parent": "8-10 / 7 / 6 / 0-5", "teacher": "6-10 / 5 / 4 / 0-3", "self": "7-10 / 6 / 5 / 0-4"},
    "impact": {"parent": "0 / 1 / 2 / 3-10", "teacher": "0 / 1 / 2 / 3-6", "self": "0 / 1 / 2 / 3-10"},
}
THREE_BAND_PARENT = {
    "ebdtot": "0-13 / 14-16 / 17-40",
    "emotion": "0-3 / 4 / 5-10",
    "conduct": "0-2 / 3 / 4-10",
    "hyper": "0-5 / 6 / 7-10",
    "peer": "0-2 / 3 / 4-10",
    "prosoc": "6-10 / 5 / 0-4",
}
DIFFICULTY_LABELS = ["close to average", "slightly raised", "high", "very high"]
PROSOCIAL_LABELS = ["close to average", "slightly lowered", "low", "very low"]
FORMS = {"parent": PARENT, "teacher": TEACHER, "self": SELF}


def cut_offs(spec: str, labels: list[str]):
    """(score, expected band) at both ends of every band in ``spec``."""
    for part, label in zip(spec.split(" / "), labels, strict=True):
        lo, _, hi = part.partition("-")
        for value in {int(lo), int(hi or lo)}:
            yield value, label


def answers_scoring(scale: str, value: int, informant: str) -> dict:
    """Complete answers giving ``scale`` the score ``value``."""
    if scale in SCALE_ITEMS:
        return full_answers(**{scale: value}) if scale != "prosoc" else full_answers(prosoc=value)
    if scale == "ebdtot":
        parts = {}
        left = value
        for part in ("emotion", "conduct", "hyper", "peer"):
            parts[part] = min(left, 10)
            left -= parts[part]
        return full_answers(**parts)
    assert scale == "impact"
    impact_items = (
        ["distres", "impfrie", "impclas"]
        if informant == "teacher"
        else ["distres", "imphome", "impfrie", "impclas", "impleis"]
    )
    raw = {0: 0, 1: 2, 2: 3}  # item score → the answer that gives it
    answers = {"ebddiff": 2 if value else 1}
    left = value
    for item in impact_items:
        s = min(left, 2)
        answers[item] = raw[s]
        left -= s
    return answers


CASES = [
    (informant, scale, value, label)
    for scale, by_informant in FOUR_BAND.items()
    for informant, spec in by_informant.items()
    for value, label in cut_offs(spec, PROSOCIAL_LABELS if scale == "prosoc" else DIFFICULTY_LABELS)
]


@pytest.mark.parametrize("informant, scale, value, label", CASES)
def test_four_band_cut_offs(informant, scale, value, label):
    result = run(FORMS[informant], answers_scoring(scale, value, informant))
    assert result.scores[scale] == value
    assert result.band(scale, "four_band") == label


@pytest.mark.parametrize(
    "scale, value, label",
    [
        (scale, value, label)
        for scale, spec in THREE_BAND_PARENT.items()
        for value, label in cut_offs(spec, ["normal", "borderline", "abnormal"])
    ],
)
def test_three_band_cut_offs_parent(scale, value, label):
    result = run(PARENT, answers_scoring(scale, value, "parent"))
    assert result.scores[scale] == value
    assert result.band(scale, "three_band") == label


def test_three_band_given_only_for_parent_4_17():
    assert [s.id for s in builtin("sdq-parent-4-17").band_schemes] == ["four_band", "three_band"]
    assert [s.id for s in builtin("sdq-teacher-4-17").band_schemes] == ["four_band"]
    assert [s.id for s in builtin("sdq-self-11-17").band_schemes] == ["four_band"]


@pytest.mark.parametrize("pack_id, informant", [("sdq-parent-2-4", "parent"), ("sdq-teacher-2-4", "teacher")])
def test_two_to_four_forms_score_without_bands(pack_id, informant):
    """instruments.md gives no 2-4 cut-offs: scores yes, bands none (see pack notes)."""
    result = score(builtin(pack_id), full_answers(emotion=5, conduct=3, hyper=7, peer=2), informant, "2-4")
    assert result.scores["ebdtot"] == 17
    assert result.bands == {}
    assert "ASSUMPTION" in builtin(pack_id).notes


def test_every_band_table_cites_a_source():
    for pack_id in ("sdq-parent-4-17", "sdq-teacher-4-17", "sdq-self-11-17"):
        for scheme in builtin(pack_id).band_schemes:
            for table in scheme.tables:
                assert "youthinmind" in table.source


def test_labels_are_neutral_not_the_questionnaire_wording():
    pack = builtin("sdq-parent-4-17")
    assert pack.item("consid").label == "consideration"
    assert all(item.text is None for item in pack.items)
    assert all(len(item.label.split()) <= 4 for item in pack.items)
