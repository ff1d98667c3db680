"""A prorated mean with decimals keeps them, whether or not every option carries a score."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from desktop.forms.loader import parse_pack
from desktop.forms.scoring import score
from tests.forms.conftest import MINIMAL_PACK


def mean_pack(scored_options: bool) -> dict:
    """Five items rated 1–5, one scale: their mean to one decimal place (n: 1)."""
    data = copy.deepcopy(MINIMAL_PACK)
    options = [{"value": v, "label": str(v), "score": v} for v in range(1, 6)]
    if not scored_options:
        options.append({"value": 0, "label": "don't know", "score": None})
    data["response_sets"] = [{"id": "five", "options": options}]
    data["items"] = [
        {"id": f"q{k}", "number": k, "label": f"question {k}", "response_set": "five"} for k in range(1, 6)
    ]
    data["scales"] = [
        {
            "id": "mean",
            "label": "Mean rating",
            "strand": "s",
            "items": [f"q{k}" for k in range(1, 6)],
            "scoring": {"rule": "prorated_mean", "n": 1, "min_answered": 1, "decimals": 1},
        }
    ]
    data["derived"], data["band_schemes"] = [], []
    return data


@pytest.mark.parametrize("scored_options", [True, False])
@pytest.mark.parametrize(
    "answers, expected",
    [
        ([5, 5, 4, 5, 4], Decimal("4.6")),  # 23 / 5
        ([5, 4, None, None, None], Decimal("4.5")),  # 9 / 2
        ([4, 4, 5, None, None], Decimal("4.3")),  # 13 / 3 = 4.333…
        ([5, 5, 4, 4, 5], Decimal("4.6")),
        ([3, 3, 3, 3, 3], Decimal("3.0")),
    ],
)
def test_prorated_mean_keeps_its_decimals(scored_options, answers, expected):
    pack = parse_pack(mean_pack(scored_options), "mean")
    got = score(pack, {f"q{k}": a for k, a in enumerate(answers, start=1)}, "parent", "4-17").scores["mean"]
    assert got == expected and str(got) == str(expected)
