"""Property tests: scoring invariants that must hold for any answers."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.forms.scoring import round_half_up, score
from tests.forms.conftest import builtin
from tests.forms.test_sdq_scoring import SCALE_ITEMS, SDQ_ITEMS

FORMS = [
    ("sdq-parent-4-17", "parent", "4-17"),
    ("sdq-teacher-4-17", "teacher", "4-17"),
    ("sdq-self-11-17", "self", "11-17"),
]
PACKS = {pack_id: builtin(pack_id) for pack_id, _, _ in FORMS}
DIFFICULTY_ITEMS = [v for v, (scale, _) in SDQ_ITEMS.items() if scale != "prosoc"]

answer = st.sampled_from([None, 0, 1, 2])
answer_sets = st.fixed_dictionaries({item: answer for item in SDQ_ITEMS})
forms = st.sampled_from(FORMS)


def run(form, answers):
    pack_id, informant, age = form
    return score(PACKS[pack_id], answers, informant, age)


@given(forms, answer_sets, st.sampled_from([v for v in DIFFICULTY_ITEMS if not SDQ_ITEMS[v][1]]), st.data())
def test_raising_a_non_reverse_difficulty_answer_never_lowers_its_scale(form, answers, item, data):
    low = data.draw(st.sampled_from([0, 1]))
    high = data.draw(st.integers(low + 1, 2))
    scale = SDQ_ITEMS[item][0]
    before = run(form, {**answers, item: low}).scores[scale]
    after = run(form, {**answers, item: high}).scores[scale]
    assert (before is None) == (after is None)
    if before is not None:
        assert after >= before


@given(forms, answer_sets, st.sampled_from([v for v, (_, rev) in SDQ_ITEMS.items() if rev]), st.data())
def test_raising_a_reverse_scored_answer_never_raises_its_scale(form, answers, item, data):
    low = data.draw(st.sampled_from([0, 1]))
    high = data.draw(st.integers(low + 1, 2))
    scale = SDQ_ITEMS[item][0]
    before = run(form, {**answers, item: low}).scores[scale]
    after = run(form, {**answers, item: high}).scores[scale]
    if before is not None:
        assert after <= before


@given(forms, answer_sets)
def test_total_is_the_sum_of_its_four_parts(form, answers):
    s = run(form, answers).scores
    parts = [s["emotion"], s["conduct"], s["hyper"], s["peer"]]
    if None in parts:
        assert s["ebdtot"] is None
    else:
        assert s["ebdtot"] == sum(parts)
        assert s["extern"] == s["conduct"] + s["hyper"]
        assert s["intern"] == s["emotion"] + s["peer"]


@given(forms, answer_sets)
def test_scale_is_prorated_mean_rounded_half_up(form, answers):
    """Each scale equals the definition worked in exact fractions."""
    s = run(form, answers).scores
    for scale, items in SCALE_ITEMS.items():
        item_scores = [(2 - answers[i]) if SDQ_ITEMS[i][1] else answers[i] for i in items if answers[i] is not None]
        if len(item_scores) < 3:
            assert s[scale] is None
        else:
            exact = Fraction(sum(item_scores) * 5, len(item_scores))
            assert s[scale] == math.floor(exact + Fraction(1, 2))
            assert 0 <= s[scale] <= 10


@given(st.integers(-10_000, 10_000), st.integers(1, 1_000))
def test_round_half_up_matches_decimal_round_half_up_for_non_negative(numerator, denominator):
    expected = math.floor(Fraction(numerator, denominator) + Fraction(1, 2))
    assert round_half_up(numerator, denominator) == expected
    if numerator >= 0:
        exact = Decimal(numerator) / Decimal(denominator)
        assert round_half_up(numerator, denominator) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


TABLES = [
    (pack_id, scheme.id, table)
    for pack_id in PACKS
    for scheme in PACKS[pack_id].band_schemes
    for table in scheme.tables
]


@settings(max_examples=300)
@given(st.sampled_from(TABLES), st.data())
def test_bands_are_monotone_in_score(entry, data):
    """A higher difficulty score never falls in a milder band; prosocial runs the other way."""
    pack_id, _scheme, table = entry
    lo, hi = PACKS[pack_id].score_ranges[table.scale]
    a = data.draw(st.integers(lo, hi))
    b = data.draw(st.integers(a, hi))
    rank_a, rank_b = table.rank_for(a), table.rank_for(b)
    assert rank_a is not None and rank_b is not None
    if table.scale == "prosoc":
        assert rank_b <= rank_a
    else:
        assert rank_b >= rank_a


@given(forms, answer_sets)
def test_every_scored_scale_gets_a_band(form, answers):
    result = run(form, answers)
    for scale, band in result.bands["four_band"].items():
        assert (band is None) == (result.scores[scale] is None)
