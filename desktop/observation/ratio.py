"""A percentage that knows when it is undefined.

An empty denominator gives ``percent`` None and a ``reason`` in words, never
0 and never a ZeroDivisionError: "0 % on task" and "no intervals to count"
mean different things to a practitioner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ratio:
    """numerator ÷ denominator × 100, or None with ``reason`` when the denominator is 0."""

    numerator: float
    denominator: float
    reason: str | None = None

    @property
    def percent(self) -> float | None:
        if not self.denominator:
            return None
        return self.numerator / self.denominator * 100

    def to_dict(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": self.percent,
            "reason": self.reason,
        }

    def __str__(self) -> str:
        if self.percent is None:
            return f"undefined ({self.reason})"
        return f"{self.percent:.1f} % ({_n(self.numerator)}/{_n(self.denominator)})"


def ratio(numerator: float, denominator: float, empty_reason: str) -> Ratio:
    """A Ratio whose reason is ``empty_reason`` when the denominator is 0."""
    return Ratio(numerator, denominator, None if denominator else empty_reason)


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"
