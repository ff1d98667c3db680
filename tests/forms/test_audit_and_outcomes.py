"""Audit templates (RAG criteria) and outcome measures in the same pack format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.forms.loader import load_pack_file
from desktop.forms.scoring import AnswerError, score
from tests.forms.conftest import DATA, builtin


@pytest.fixture
def audit():
    return load_pack_file(DATA / "behaviour-audit.json")


def test_audit_template_validates_as_an_audit(audit):
    assert audit.kind == "audit"
    assert audit.item("consistent_approach").evidence is True
    assert audit.response_sets["rag"].option("not_seen").score is None


def test_audit_counts_ratings_and_summarises_sections(audit):
    result = score(
        audit,
        {
            "consistent_approach": "red",
            "rewards_focus": "amber",
            "restorative": "green",
            "policy_current": "green",
            "policy_wording": "not_seen",
            "fte_count": 12,
            "fte_reasons": "persistent disruptive behaviour",
        },
        "practitioner",
        "school",
    )
    assert result.scores == {
        "reds": 1,
        "ambers": 1,
        "greens": 2,
        "lessons_rating": Decimal("1.0"),  # (0 + 1 + 2) / 3
        "policy_rating": Decimal("2.0"),  # "not seen" is recorded but not averaged
        "exclusions": 12,
    }
    assert result.bands["section_rag"] == {"lessons_rating": "Amber", "policy_rating": "Green"}


def test_audit_mean_rounds_half_up_to_one_decimal(audit):
    # (1 + 2 + 2) / 3 = 1.666… → 1.7; (0 + 1) / 2 = 0.5 → Red.
    result = score(
        audit,
        {
            "consistent_approach": "amber",
            "rewards_focus": "green",
            "restorative": "green",
            "policy_current": "red",
            "policy_wording": "amber",
        },
        "practitioner",
        "school",
    )
    assert result.scores["lessons_rating"] == Decimal("1.7")
    assert result.scores["policy_rating"] == Decimal("0.5")
    assert result.band("policy_rating") == "Red"


def test_audit_with_nothing_rated_has_no_tallies(audit):
    result = score(audit, {"fte_count": 0}, "practitioner", "school")
    assert result.scores["reds"] is None
    assert result.scores["lessons_rating"] is None
    assert result.scores["exclusions"] == 0


def test_audit_refuses_a_rating_not_on_the_scale(audit):
    with pytest.raises(AnswerError, match="'purple' is not a valid answer"):
        score(audit, {"consistent_approach": "purple"}, "practitioner", "school")


def test_outcome_measures_score_counts_and_percentages():
    pack = builtin("outcome-measures")
    result = score(
        pack,
        {"incidents": 14, "attendance": "87.5", "fixed_term": 2, "permanent": 0, "reading": "101.5"},
        "school",
        "all",
    )
    assert result.scores == {
        "incidents": 14,
        "attendance": Decimal("87.5"),
        "fixed_term": 2,
        "permanent": 0,
        "reading": Decimal("101.5"),
        "writing": None,
        "maths": None,
        "exclusions": 2,
    }
    assert result.band("attendance") == "persistently absent"


@pytest.mark.parametrize(
    "attendance, band",
    [
        ("100", "not persistently absent"),
        ("90.1", "not persistently absent"),
        ("90.0", "persistently absent"),
        ("50.1", "persistently absent"),
        ("50", "severely absent"),
        ("0", "severely absent"),
    ],
)
def test_attendance_thresholds(attendance, band):
    assert score(builtin("outcome-measures"), {"attendance": attendance}, "school", "all").band("attendance") == band


@pytest.mark.parametrize(
    "item, value, message",
    [
        ("attendance", "100.1", "outside 0 to 100"),
        ("attendance", "90.25", "more than 1 decimal place"),
        ("incidents", -1, "outside 0"),
        ("incidents", "2.5", "more than 0 decimal place"),
        ("incidents", "lots", "not a number"),
    ],
)
def test_outcome_values_checked(item, value, message):
    with pytest.raises(AnswerError, match=message):
        score(builtin("outcome-measures"), {item: value}, "school", "all")


def test_unbounded_count_allows_large_values():
    assert score(builtin("outcome-measures"), {"incidents": 250_000}, "school", "all").scores["incidents"] == 250_000
