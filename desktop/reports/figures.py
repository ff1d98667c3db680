"""How a report writes a figure: defined once, used by every table, chart and paragraph.

Percentages are rounded half up from the exact fraction (5 of 8 is 62.5 %,
printed "63%"), never through binary floats and banker's rounding, so the
same count always prints the same figure wherever it appears.

``percent_text`` is the one definition of a printed percentage: the report
pages, the drafted paragraphs, the service report and the app's windows (the
observation window's summary and live on-task line included) all call it,
rather than formatting ``Ratio.percent`` (a binary float) with ``:.0f``, which
prints 12.5 as "12" and 62.5 as "62". No Qt here, so every window may import it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from desktop.observation.ratio import Ratio

DASH = "—"


def exact_percent(numerator: float, denominator: float) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(str(numerator)) * 100 / Decimal(str(denominator))


def percent_value(numerator: float, denominator: float, decimals: int = 0) -> Decimal | None:
    """numerator ÷ denominator × 100 rounded half up to ``decimals`` places (None if 0/0)."""
    exact = exact_percent(numerator, denominator)
    if exact is None:
        return None
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def percent_text(ratio: Ratio | None, decimals: int = 0) -> str:
    """``63%``; a dash when the ratio is missing or undefined (nothing to divide by)."""
    if ratio is None or not ratio.denominator:
        return DASH
    return f"{percent_value(ratio.numerator, ratio.denominator, decimals)}%"


def count_text(ratio: Ratio | None) -> str:
    """``30 of 48``; a dash when undefined."""
    if ratio is None or not ratio.denominator:
        return DASH
    return f"{number_text(ratio.numerator)} of {number_text(ratio.denominator)}"


def number_text(value) -> str:
    """A score or count as printed: whole numbers without decimals, Decimals as stored."""
    if value is None:
        return DASH
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    return str(value)


def minutes_text(seconds: float) -> str:
    """Observed time in minutes: ``45`` or ``44.5``."""
    minutes = Decimal(str(seconds)) / 60
    rounded = minutes.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(int(rounded)) if rounded == rounded.to_integral_value() else str(rounded)


def signed_text(value) -> str:
    """A change: ``+3``, ``-2``, ``0``; a dash when missing."""
    if value is None:
        return DASH
    return f"+{value}" if value > 0 else str(value)
