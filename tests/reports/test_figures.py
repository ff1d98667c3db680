"""One definition of a printed percentage: half up from the exact fraction."""

from __future__ import annotations

import pytest

from desktop.observation.ratio import Ratio
from desktop.reports.figures import DASH, percent_text


def half_up(numerator: int, denominator: int, decimals: int) -> str:
    """Worked in integers: round(n/d × 100 × 10^k) half up, then placed the point."""
    scale = 100 * 10**decimals
    whole = (2 * numerator * scale + denominator) // (2 * denominator)
    if decimals == 0:
        return f"{whole}%"
    return f"{whole // 10**decimals}.{whole % 10**decimals:0{decimals}d}%"


@pytest.mark.parametrize("decimals", [0, 1])
def test_every_fraction_up_to_120_rounds_half_up(decimals):
    for den in range(1, 121):
        for num in range(den + 1):
            assert percent_text(Ratio(num, den), decimals) == half_up(num, den, decimals), (num, den)


def test_the_halves_a_float_format_gets_wrong():
    assert percent_text(Ratio(5, 8)) == "63%" and f"{5 / 8 * 100:.0f}" == "62"
    assert percent_text(Ratio(1, 8)) == "13%" and f"{1 / 8 * 100:.0f}" == "12"
    assert percent_text(Ratio(1, 16), 1) == "6.3%"


def test_nothing_to_divide_by_prints_a_dash():
    assert percent_text(Ratio(0, 0, "no intervals")) == DASH and percent_text(None) == DASH
