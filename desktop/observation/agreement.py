"""Inter-observer agreement between two observations of the same lesson.

Both observations must share the interval grid: the same interval length,
the same peer rule and the same number of intervals (a final interval cut short
by an early end is dropped from each first, since observers never press "end" in
the same second). Only intervals that *both* observers coded are compared;
the others are listed in ``excluded_intervals``.

Per interval code (A = observer A scored it, B = observer B):

* interval-by-interval = intervals where A and B agree ÷ intervals compared × 100
* scored-interval (occurrence) = both scored ÷ intervals where either scored × 100
* unscored-interval (non-occurrence) = neither scored ÷ intervals where either did not × 100
* Cohen's κ over scored / not scored, with its 2×2 table

Per exclusive group: κ over the category each observer assigned per interval
(the group's code, or "(none)"). Every exclusive group of A's scheme is
listed; one that cannot be compared (no interval codes, not the same group in
B's scheme) or whose codes neither observer scored has κ None and a reason.
Per event code: total-count agreement = smaller total ÷ larger total × 100,
counting only the events in the compared intervals (both observers coded
them); ``counted`` says so in the output.

Undefined values are None with a reason: a percentage with an empty
denominator, κ with no intervals or with Pe = 1 (both observers used one
and the same category throughout, so chance agreement is already perfect).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from .errors import AgreementError
from .observation import Observation
from .ratio import Ratio, ratio
from .records import CODED, INCOMPLETE, Interval
from .scheme import RecordingMethod

NONE_CATEGORY = "(none)"
SCORED, NOT_SCORED = "scored", "not scored"


@dataclass(frozen=True)
class Kappa:
    """Cohen's κ with the contingency table behind it (rows: observer A, columns: B)."""

    categories: tuple[str, ...]
    table: tuple[tuple[int, ...], ...]
    n: int
    po: float | None
    pe: float | None
    kappa: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "table": [list(r) for r in self.table],
            "n": self.n,
            "po": self.po,
            "pe": self.pe,
            "kappa": self.kappa,
            "reason": self.reason,
        }


def cohen_kappa(table: Sequence[Sequence[int]], categories: Sequence[str] | None = None) -> Kappa:
    """κ = (Po − Pe) ÷ (1 − Pe), Pe = Σ row_i × col_i ÷ N², from a square table of counts.

    Exact fractions decide the undefined cases, so Pe = 1 is never missed
    (or invented) by floating-point rounding.
    """
    size = len(table)
    if any(len(row) != size for row in table):
        raise ValueError("a kappa table must be square")
    if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for row in table for x in row):
        raise ValueError("a kappa table holds counts (whole numbers from 0)")
    cats = tuple(categories) if categories is not None else tuple(str(i) for i in range(size))
    if len(cats) != size:
        raise ValueError("one category name per row")
    frozen = tuple(tuple(row) for row in table)
    n = sum(sum(row) for row in frozen)
    if n == 0:
        return Kappa(cats, frozen, 0, None, None, None, "no intervals to compare")
    po = Fraction(sum(frozen[i][i] for i in range(size)), n)
    rows = [sum(frozen[i]) for i in range(size)]
    cols = [sum(frozen[r][i] for r in range(size)) for i in range(size)]
    pe = Fraction(sum(r * c for r, c in zip(rows, cols)), n * n)
    if pe == 1:
        return Kappa(
            cats,
            frozen,
            n,
            float(po),
            1.0,
            None,
            "kappa is undefined: Pe = 1 (both observers assigned the same single category to every interval)",
        )
    return Kappa(cats, frozen, n, float(po), float(pe), float((po - pe) / (1 - pe)))


def kappa_from_pairs(pairs: Sequence[tuple[str, str]], categories: Sequence[str]) -> Kappa:
    """κ from (category by A, category by B) per interval."""
    index = {c: i for i, c in enumerate(categories)}
    table = [[0] * len(categories) for _ in categories]
    for a, b in pairs:
        table[index[a]][index[b]] += 1
    return cohen_kappa(table, categories)


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one interval code, with the counts behind every figure."""

    code: str
    intervals: int
    both: int
    only_a: int
    only_b: int
    neither: int
    interval_by_interval: Ratio
    scored_interval: Ratio
    unscored_interval: Ratio
    kappa: Kappa

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "intervals": self.intervals,
            "both": self.both,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "neither": self.neither,
            "interval_by_interval": self.interval_by_interval.to_dict(),
            "scored_interval": self.scored_interval.to_dict(),
            "unscored_interval": self.unscored_interval.to_dict(),
            "kappa": self.kappa.to_dict(),
        }


def code_agreement(code: str, a: Sequence[bool], b: Sequence[bool]) -> CodeAgreement:
    """Agreement on one code from each observer's scored/not-scored flags per interval."""
    if len(a) != len(b):
        raise AgreementError("both observers need a flag for every interval")
    both = sum(1 for x, y in zip(a, b) if x and y)
    neither = sum(1 for x, y in zip(a, b) if not x and not y)
    only_a = sum(1 for x, y in zip(a, b) if x and not y)
    only_b = sum(1 for x, y in zip(a, b) if y and not x)
    n = len(a)
    return CodeAgreement(
        code=code,
        intervals=n,
        both=both,
        only_a=only_a,
        only_b=only_b,
        neither=neither,
        interval_by_interval=ratio(both + neither, n, "no intervals to compare"),
        scored_interval=ratio(both, both + only_a + only_b, f"neither observer scored {code} in any interval"),
        unscored_interval=ratio(neither, neither + only_a + only_b, f"both observers scored {code} in every interval"),
        kappa=cohen_kappa([[both, only_a], [only_b, neither]], (SCORED, NOT_SCORED)),
    )


@dataclass(frozen=True)
class CountAgreement:
    """Total-count agreement on one event code."""

    code: str
    count_a: int
    count_b: int
    agreement: Ratio
    counted: str = "every event"  # which events the totals count, in words

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "count_a": self.count_a,
            "count_b": self.count_b,
            "counted": self.counted,
            "agreement": self.agreement.to_dict(),
        }


def count_agreement(code: str, count_a: int, count_b: int, counted: str = "every event") -> CountAgreement:
    """Smaller total ÷ larger total × 100; undefined when neither counted any."""
    return CountAgreement(
        code,
        count_a,
        count_b,
        ratio(min(count_a, count_b), max(count_a, count_b), f"neither observer counted {code}"),
        counted,
    )


@dataclass(frozen=True)
class AgreementReport:
    observation_a: str
    observation_b: str
    interval_seconds: int
    grid_intervals: int
    compared_intervals: tuple[int, ...]
    excluded_intervals: tuple[int, ...]
    codes: dict[str, CodeAgreement]
    groups: dict[str, Kappa]
    events: dict[str, CountAgreement]
    codes_not_shared: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``fieldnote observation agreement --json`` prints)."""
        return {
            "observation_a": self.observation_a,
            "observation_b": self.observation_b,
            "interval_seconds": self.interval_seconds,
            "grid_intervals": self.grid_intervals,
            "compared_intervals": list(self.compared_intervals),
            "excluded_intervals": list(self.excluded_intervals),
            "codes": {k: v.to_dict() for k, v in self.codes.items()},
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
            "events": {k: v.to_dict() for k, v in self.events.items()},
            "codes_not_shared": list(self.codes_not_shared),
        }


def compare(a: Observation, b: Observation) -> AgreementReport:
    """Agreement between observers A and B of the same lesson (see the module docstring)."""
    if a.setup.interval_seconds != b.setup.interval_seconds:
        raise AgreementError(
            f"the interval grids differ: {a.id} uses {a.setup.interval_seconds} s intervals, "
            f"{b.id} uses {b.setup.interval_seconds} s"
        )
    if a.setup.peer_every != b.setup.peer_every:
        raise AgreementError(
            f"the peer rule differs: {a.id} observes a peer every {a.setup.peer_every or 'never'}, "
            f"{b.id} every {b.setup.peer_every or 'never'}"
        )
    size = a.setup.interval_seconds
    ivs_a, ivs_b = _grid(a.intervals, size), _grid(b.intervals, size)
    if len(ivs_a) != len(ivs_b):
        raise AgreementError(f"the interval grids differ: {a.id} has {len(ivs_a)} intervals, {b.id} has {len(ivs_b)}")
    compared = tuple(x.index for x, y in zip(ivs_a, ivs_b) if x.status == CODED and y.status == CODED)
    excluded = tuple(x.index for x, y in zip(ivs_a, ivs_b) if x.index not in compared)
    pairs = [(ivs_a[k - 1], ivs_b[k - 1]) for k in compared]

    ids_a = {c.id: c for c in a.scheme.interval_codes}
    ids_b = {c.id: c for c in b.scheme.interval_codes}
    shared = [c for c in ids_a if c in ids_b]
    not_shared = tuple(sorted(set(ids_a) ^ set(ids_b)))
    if not shared:
        raise AgreementError(f"{a.id} and {b.id} share no interval codes; were they coded with the same scheme?")
    codes = {c: code_agreement(c, [c in x.codes for x, _ in pairs], [c in y.codes for _, y in pairs]) for c in shared}

    groups: dict[str, Kappa] = {}
    for g in a.scheme.groups:
        if not g.exclusive:
            continue
        members = tuple(c.id for c in a.scheme.codes_in_group(g.id) if c.method.per_interval)
        reason = None
        if not members:
            reason = f"group {g.id} has no interval codes to compare"
        elif not any(h.id == g.id and h.exclusive for h in b.scheme.groups):
            reason = f"group {g.id} is not an exclusive group in {b.id}'s scheme"
        elif members != tuple(c.id for c in b.scheme.codes_in_group(g.id) if c.method.per_interval):
            reason = f"group {g.id} holds different codes in the two schemes"
        if reason:
            groups[g.id] = Kappa((), (), len(pairs), None, None, None, f"kappa is undefined: {reason}")
            continue
        cats = members + (NONE_CATEGORY,)
        k = kappa_from_pairs([(_category(x, members), _category(y, members)) for x, y in pairs], cats)
        if pairs and not any(set(x.codes + y.codes) & set(members) for x, y in pairs):
            k = Kappa(
                k.categories,
                k.table,
                k.n,
                k.po,
                k.pe,
                None,
                f"kappa is undefined (Pe = 1): neither observer scored any code of group {g.id} "
                "in the compared intervals",
            )
        groups[g.id] = k

    events: dict[str, CountAgreement] = {}
    in_compared = set(compared)
    for code in a.scheme.codes_by(RecordingMethod.EVENT):
        if b.scheme.has_code(code.id) and b.scheme.code(code.id).method is RecordingMethod.EVENT:
            ca = sum(1 for e in a.counts if e.code == code.id and e.interval in in_compared)
            cb = sum(1 for e in b.counts if e.code == code.id and e.interval in in_compared)
            events[code.id] = count_agreement(
                code.id, ca, cb, f"events in the {len(compared)} intervals both observers coded"
            )

    return AgreementReport(
        observation_a=a.id,
        observation_b=b.id,
        interval_seconds=a.setup.interval_seconds,
        grid_intervals=len(ivs_a),
        compared_intervals=compared,
        excluded_intervals=excluded,
        codes=codes,
        groups=groups,
        events=events,
        codes_not_shared=not_shared,
    )


def _grid(intervals: Sequence[Interval], size: int) -> list[Interval]:
    # A last interval cut short by an early end is not on the shared grid.
    if intervals and (intervals[-1].status == INCOMPLETE or intervals[-1].end_s - intervals[-1].start_s < size):
        return list(intervals[:-1])
    return list(intervals)


def _category(interval: Interval, members: Sequence[str]) -> str:
    found = [c for c in interval.codes if c in members]
    return found[0] if found else NONE_CATEGORY
