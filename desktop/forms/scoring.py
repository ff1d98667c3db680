"""The scoring engine: a pack compiled into a plan, then applied to answers.

``score(pack, answers, informant, age_band)`` is the call forms and reports
use. Batch work (the CSV command, 100,000 rows) uses the same
``ScoringPlan`` directly on answer lists in item order, so each row costs
tuple walks and dict look-ups only: every reference, reverse-scoring and band
boundary is resolved once when the plan is built.

Rounding is half up with integer (or Decimal) arithmetic: the SDQ's 2.5 is 3,
where Python's ``round`` would give 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Mapping, Sequence

from desktop.forms.pack import InstrumentPack, Number, ResponseSet, Value


class AnswerError(ValueError):
    """An answer that the item's response set does not allow."""

    def __init__(self, item_id: str, message: str):
        self.item_id = item_id
        self.message = message
        super().__init__(f"item '{item_id}': {message}")


@dataclass(frozen=True)
class ScoreResult:
    """Scores and bands of one completion.

    ``scores`` maps every scale and derived score id (pack order) to its score,
    None when missing. ``bands`` maps band scheme id → score id → band label
    (None when the score is missing), for the scores that scheme bands for
    this informant and age band.
    """

    pack_id: str
    informant: str
    age_band: str
    scores: dict[str, Number | None]
    bands: dict[str, dict[str, str | None]]

    def band(self, score_id: str, scheme: str | None = None) -> str | None:
        """Band label of a score in ``scheme`` (default: the pack's first scheme)."""
        if scheme is None:
            if not self.bands:
                return None
            scheme = next(iter(self.bands))
        return self.bands.get(scheme, {}).get(score_id)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator/denominator rounded to the nearest integer, halves upward.

    Integer arithmetic only (no float error, no banker's rounding):
    floor(x + 1/2) = floor((2n + d) / 2d) for d > 0.
    """
    return (2 * numerator + denominator) // (2 * denominator)


def _quantize(value: Decimal, decimals: int) -> Number:
    if decimals == 0:
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


_BAD = object()


def _number_parser(rset: ResponseSet) -> Callable[[Any], Value]:
    """Parse/check a number answer; returns int (no decimals) or Decimal."""
    step = Decimal(1).scaleb(-rset.decimals)

    def parse(raw: Any) -> Value:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        try:
            value = Decimal(str(raw).strip()) if not isinstance(raw, (int, Decimal)) else Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"'{raw}' is not a number") from None
        if not value.is_finite():
            raise ValueError(f"'{raw}' is not a number")
        if value != value.quantize(step, rounding=ROUND_HALF_UP):
            raise ValueError(f"'{raw}' has more than {rset.decimals} decimal place(s)")
        if value < rset.minimum or (rset.maximum is not None and value > rset.maximum):
            upper = "" if rset.maximum is None else f" to {rset.maximum}"
            raise ValueError(f"'{raw}' is outside {rset.minimum}{upper}")
        return int(value) if rset.decimals == 0 else value.quantize(step)

    return parse


class ScoringPlan:
    """A pack compiled for one informant and age band.

    Answers are a sequence aligned with ``item_ids`` holding each item's
    answer value (None when not answered).
    """

    def __init__(self, pack: InstrumentPack, informant: str, age_band: str):
        if informant not in pack.informants:
            raise ValueError(f"pack '{pack.id}' has no informant '{informant}' (it has {', '.join(pack.informants)})")
        if age_band not in pack.age_bands:
            raise ValueError(f"pack '{pack.id}' has no age band '{age_band}' (it has {', '.join(pack.age_bands)})")
        self.pack = pack
        self.informant = informant
        self.age_band = age_band
        self.item_ids: tuple[str, ...] = tuple(it.id for it in pack.items)
        self.positions: dict[str, int] = {item_id: i for i, item_id in enumerate(self.item_ids)}
        self.score_ids: tuple[str, ...] = pack.score_ids()
        score_pos = {sid: i for i, sid in enumerate(self.score_ids)}

        # Per item: value -> score (reverse-scoring applied), or None for numbers.
        score_maps: list[dict | None] = []
        self._accept: list[dict | None] = []
        self._number_parsers: list[Callable | None] = []
        for it in pack.items:
            rset = pack.response_sets[it.response_set]
            if rset.kind == "options":
                lo, hi = rset.score_bounds()
                smap = {}
                for opt in rset.options:
                    s = opt.score
                    if it.reverse and s is not None:
                        s = lo + hi - s
                    smap[opt.value] = s
                score_maps.append(smap)
                accept = {opt.value: opt.value for opt in rset.options}
                # Raw CSV/text cells map straight to the option value.
                accept.update({str(opt.value): opt.value for opt in rset.options})
                self._accept.append(accept)
                self._number_parsers.append(None)
            else:
                score_maps.append(None)
                self._accept.append(None)
                self._number_parsers.append(_number_parser(rset) if rset.kind == "number" else None)
        self._options_text = [
            ", ".join(str(o.value) for o in pack.response_sets[it.response_set].options) for it in pack.items
        ]

        steps: list[tuple] = []
        for s in pack.scales:
            members = tuple((self.positions[m], score_maps[self.positions[m]]) for m in s.items)
            if s.rule == "count":
                counted = set(s.values)
                members = tuple((pos, {v: (1 if v in counted else 0) for v in smap}) for pos, smap in members)
            rule = s.rule
            if (
                rule == "prorated_mean"
                and s.decimals == 0
                and all(smap is not None and None not in smap.values() for _pos, smap in members)
            ):
                # Every answer scores (e.g. SDQ 0/1/2) and the score is whole: a
                # leaner loop for the common case, which the batch command runs per
                # row. A scale with decimals takes the general path, which keeps them.
                rule = "prorated_scored"
            steps.append((rule, members, s.n or len(s.items), s.min_answered, s.decimals))
        for d in pack.derived:
            if d.rule == "sum":
                steps.append(("dsum", tuple(score_pos[p] for p in d.of)))
            else:
                members = tuple((self.positions[m], score_maps[self.positions[m]]) for m in d.items)
                gate = self.positions[d.gate_item] if d.gate_item else None
                steps.append(("impact", members, gate, frozenset(d.gate_zero_when)))
        self._steps = tuple(steps)

        # Band look-ups per scheme: (score position, lookup). Integer scores
        # with a bounded range get a list indexed by score - minimum.
        self._bands: dict[str, tuple[tuple[str, ...], tuple[tuple[int, Callable], ...]]] = {}
        for scheme in pack.band_schemes:
            entries = []
            for table in scheme.tables:
                if (table.informant, table.age_band) != (informant, age_band):
                    continue
                entries.append((table.scale, score_pos[table.scale], self._band_lookup(table)))
            self._bands[scheme.id] = (tuple(e[0] for e in entries), tuple((e[1], e[2]) for e in entries))

    @staticmethod
    def _band_lookup(table) -> Callable[[Number | None], str | None]:
        bounded_ints = all(isinstance(b.minimum, int) and isinstance(b.maximum, int) for b in table.bands)
        if bounded_ints:
            lo = min(b.minimum for b in table.bands)
            hi = max(b.maximum for b in table.bands)
            if hi - lo <= 10_000:
                labels = [table.band_for(v) for v in range(lo, hi + 1)]

                def lookup(score, labels=labels, lo=lo, hi=hi):
                    return labels[score - lo] if score is not None and lo <= score <= hi else None

                return lookup
        return table.band_for

    # -- answers -----------------------------------------------------------

    def parse_answer(self, position: int, raw: Any) -> Value | None:
        """Turn a raw answer (a form value or a CSV cell) into the item's value.

        Blank or None means not answered. Raises ValueError with a message
        naming the allowed answers.
        """
        if raw is None:
            return None
        accept = self._accept[position]
        if accept is not None:
            value = accept.get(raw, _BAD) if not isinstance(raw, bool) else _BAD
            if value is _BAD and isinstance(raw, str):
                stripped = raw.strip()
                if stripped == "":
                    return None
                value = accept.get(stripped, _BAD)
            if value is _BAD:
                raise ValueError(f"'{raw}' is not a valid answer (expected {self._options_text[position]} or blank)")
            return value
        if isinstance(raw, str) and raw.strip() == "":
            return None
        parser = self._number_parsers[position]
        if parser is None:
            return raw  # text answers are recorded, never scored
        return parser(raw)

    def cell_map(self, position: int) -> dict:
        """Exact text cells → answer value for an option item ("" → not answered).

        The batch reader tries this first and falls back to ``parse_answer``
        (which strips spaces and explains errors) only on a miss.
        """
        accept = self._accept[position]
        cells = {k: v for k, v in (accept or {}).items() if isinstance(k, str)}
        cells[""] = None
        return cells

    def answers_from_mapping(self, answers: Mapping[str, Any]) -> list[Value | None]:
        """Item-ordered answer values from ``{item_id: value}``; AnswerError on a bad one."""
        values: list[Value | None] = [None] * len(self.item_ids)
        for item_id, raw in answers.items():
            pos = self.positions.get(item_id)
            if pos is None:
                raise AnswerError(item_id, f"no such item in pack '{self.pack.id}'")
            try:
                values[pos] = self.parse_answer(pos, raw)
            except ValueError as exc:
                raise AnswerError(item_id, str(exc)) from None
        return values

    # -- scoring -----------------------------------------------------------

    def compute(self, values: Sequence[Value | None]) -> list[Number | None]:
        """Scores in ``score_ids`` order from item-ordered answer values."""
        out: list[Number | None] = []
        append = out.append
        for step in self._steps:
            rule = step[0]
            if rule == "prorated_scored":
                _, members, n, min_answered, _d = step
                total = answered = 0
                for pos, smap in members:
                    v = values[pos]
                    if v is not None:
                        total += smap[v]
                        answered += 1
                if answered < min_answered or answered == 0:
                    append(None)
                elif answered == n:
                    append(total)
                else:
                    append((2 * total * n + answered) // (2 * answered))  # round_half_up, inlined
            elif rule == "prorated_mean" or rule == "sum":
                _, members, n, min_answered, decimals = step
                total = 0
                answered = 0
                for pos, smap in members:
                    v = values[pos]
                    if v is not None:
                        s = v if smap is None else smap[v]
                        if s is not None:
                            total += s
                            answered += 1
                if answered < min_answered or (answered == 0 and rule == "prorated_mean"):
                    append(None)
                elif rule == "sum":
                    append(total if type(total) is int else _quantize(total, decimals))
                elif type(total) is int and decimals == 0:
                    append(round_half_up(total * n, answered))
                else:
                    append(_quantize(Decimal(total) * n / answered, decimals))
            elif rule == "count":
                _, members, _n, min_answered, _d = step
                hits = 0
                answered = 0
                for pos, cmap in members:
                    v = values[pos]
                    if v is not None:
                        answered += 1
                        hits += cmap[v]
                append(None if answered < min_answered else hits)
            elif rule == "dsum":
                total = 0
                for p in step[1]:
                    s = out[p]
                    if s is None:
                        total = None
                        break
                    total += s
                append(total)
            else:  # impact
                _, members, gate, zero_when = step
                if gate is not None and values[gate] in zero_when:
                    append(0)
                    continue
                total = 0
                answered = 0
                for pos, smap in members:
                    v = values[pos]
                    if v is not None:
                        answered += 1
                        s = smap[v]
                        if s is not None:
                            total += s
                append(total if answered else None)
        return out

    def band_score_ids(self, scheme: str | None = None) -> tuple[str, ...]:
        """Score ids that ``scheme`` bands for this informant and age band."""
        scheme = self._scheme_id(scheme)
        return self._bands[scheme][0] if scheme else ()

    def band_labels(self, scores: Sequence[Number | None], scheme: str | None = None) -> list[str | None]:
        """Band labels aligned with ``band_score_ids(scheme)``."""
        scheme = self._scheme_id(scheme)
        if not scheme:
            return []
        return [lookup(scores[pos]) for pos, lookup in self._bands[scheme][1]]

    def _scheme_id(self, scheme: str | None) -> str | None:
        if scheme is None:
            return self.pack.band_schemes[0].id if self.pack.band_schemes else None
        if scheme not in self._bands:
            raise ValueError(f"pack '{self.pack.id}' has no band scheme '{scheme}'")
        return scheme

    def result(self, values: Sequence[Value | None]) -> ScoreResult:
        """A full ScoreResult (scores and every scheme's bands) for one completion."""
        scores = self.compute(values)
        bands = {
            scheme_id: dict(zip(ids, (lookup(scores[pos]) for pos, lookup in lookups)))
            for scheme_id, (ids, lookups) in self._bands.items()
        }
        return ScoreResult(self.pack.id, self.informant, self.age_band, dict(zip(self.score_ids, scores)), bands)


def plan_for(pack: InstrumentPack, informant: str, age_band: str) -> ScoringPlan:
    """The pack's compiled plan for this informant and age band (built once, cached)."""
    key = (informant, age_band)
    plan = pack._plans.get(key)
    if plan is None:
        plan = pack._plans[key] = ScoringPlan(pack, informant, age_band)
    return plan


def score(pack: InstrumentPack, answers: Mapping[str, Any], informant: str, age_band: str) -> ScoreResult:
    """Score one completion.

    ``answers`` maps item id to the answer value as recorded on the form
    (e.g. SDQ 0/1/2 raw responses; reverse-scoring is the scorer's job) or
    None when not answered. Raises AnswerError for a value the item does not
    allow and ValueError for an informant or age band the pack does not have.
    """
    plan = plan_for(pack, informant, age_band)
    return plan.result(plan.answers_from_mapping(answers))
