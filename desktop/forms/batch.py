"""Scoring a CSV of completions: one row per completion, one column per item.

Columns that are not items of the form (a pupil id, a date, a class) are passed through
unscored; one whose name looks like a misspelt item (``tantrums``) is warned about.
File-level problems (no header, a repeated item column, a column that is an item of
another form of the same instrument, a column named like an output score) stop the run
with ``CsvFileError``. Row-level problems (a value the item does not allow, a
short row) are reported as ``row N, column X: message`` — N counts lines as a
spreadsheet shows them, the header being row 1 — and that row is left out of
the output while every valid row is still scored.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Iterable, Sequence, TextIO

from desktop.forms.scoring import ScoringPlan

_BAD = object()


class CsvFileError(ValueError):
    """The CSV as a whole cannot be scored (header problems, empty file)."""


@dataclass
class BatchSummary:
    """What a batch run did: rows read, rows scored, row-level problems."""

    rows: int = 0
    scored: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    passed_through: list[str] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return self.rows - self.scored


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _report(problems: list[str], on_problem, message: str) -> None:
    problems.append(message)
    if on_problem:
        on_problem(message)


SIMILARITY = 0.8  # difflib ratio from which a column name "looks like" an item id or label


def looks_like(name: str, plan: ScoringPlan) -> str | None:
    """The item id a column name looks like a misspelling of (by id or label), or None."""
    candidates: dict[str, str] = {}
    for item in plan.pack.items:
        candidates.setdefault(item.label.strip().lower(), item.id)
        candidates[item.id] = item.id
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=SIMILARITY)
    return candidates[match[0]] if match else None


def score_csv(
    plan: ScoringPlan,
    source: TextIO,
    sink: TextIO,
    *,
    band_columns: Sequence[str] | None = None,
    scheme: str | None = None,
    keep: Iterable[str] = (),
    form_name: str = "",
    on_problem=None,
    other_forms: dict[str, str] | None = None,
) -> BatchSummary:
    """Read completions from ``source``, write input columns + scores + bands to ``sink``.

    ``band_columns`` lists the scores whose band is written as
    ``<score>_band`` (default: those the scheme bands); a score the scheme
    has no table for gets a blank band. Every column that is not an item is passed
    through unscored; ``keep`` names such columns not to warn about even if they look
    like a misspelt item. ``other_forms`` maps item ids of the instrument's other forms to
    the form's name: a column naming one is refused (a wrong ``--informant``/``--age``).
    ``on_problem`` is called with each row-level message as it is found (the CLI prints
    them to stderr).
    """
    reader = csv.reader(source)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFileError("the file is empty: expected a header row of item names") from None

    keep_names = {k.strip().lower() for k in keep}
    item_ids = set(plan.item_ids)
    other_forms = other_forms or {}
    form = f" {form_name}" if form_name else ""
    seen: dict[str, int] = {}
    col_of: dict[int, int] = {}  # item position -> column index
    passed: list[str] = []
    foreign: list[str] = []
    warnings: list[str] = []
    outputs = {s.lower() for s in plan.score_ids} | {f"{s}_band".lower() for s in plan.score_ids}
    present = {h.strip().lower() for h in header} & item_ids
    for idx, raw_name in enumerate(header):
        name = raw_name.strip().lower()
        if name in item_ids:
            if name in seen:
                raise CsvFileError(f"column '{raw_name}' appears twice (columns {seen[name] + 1} and {idx + 1})")
            seen[name] = idx
            col_of[plan.positions[name]] = idx
            continue
        seen.setdefault(name, idx)
        if name in other_forms and name not in keep_names:
            foreign.append(raw_name)
        elif name in outputs:
            raise CsvFileError(
                f"column '{raw_name}' has the name of a score this command writes; rename it "
                "(the output would have two columns of that name)"
            )
        else:
            passed.append(raw_name)
            similar = None if name in keep_names else looks_like(name, plan)
            if similar and similar not in present:
                warnings.append(
                    f"column '{raw_name}' is not an item of the{form} form and was "
                    f"passed through unscored; is it a misspelling of '{similar}'?"
                )
    if foreign:
        forms = sorted({other_forms[f.strip().lower()] for f in foreign})
        raise CsvFileError(
            f"column(s) {', '.join(repr(u) for u in foreign)} are items of the "
            f"{' / '.join(forms)} form, not of the{form} form "
            f"(expected: {', '.join(plan.item_ids)}): check --informant and --age"
        )
    summary = BatchSummary(warnings=warnings, passed_through=passed)
    absent = [i for i in plan.item_ids if i not in seen]
    if absent:
        summary.notes.append(f"no column for {', '.join(absent)}: treated as not answered")

    score_ids = plan.score_ids
    scheme_scores = plan.band_score_ids(scheme)
    if band_columns is None:
        band_columns = scheme_scores
    # Where each requested band column's label sits in band_labels(), or None.
    band_slots = [scheme_scores.index(s) if s in scheme_scores else None for s in band_columns]

    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(header + list(score_ids) + [f"{s}_band" for s in band_columns])

    width = len(header)
    # Cells are fetched in item order in one C-level pass: an item with no
    # column reads a padding cell ("" = not answered) appended to each row.
    fetch_idx = [col_of.get(pos, width) for pos in range(len(plan.item_ids))]
    getter = itemgetter(*fetch_idx) if len(fetch_idx) > 1 else (lambda r, i=fetch_idx[0]: (r[i],))
    cell_maps = [plan.cell_map(pos) for pos in range(len(plan.item_ids))]
    names = [header[i].strip() if i < width else "" for i in fetch_idx]
    # Integer scores (all but decimal scales) are formatted from a table.
    int_cells: dict = {i: str(i) for i in range(-100, 1001)}
    int_cells[None] = ""
    all_int = all(plan.pack.score_decimals[s] == 0 for s in score_ids)
    compute = plan.compute
    band_labels = plan.band_labels
    writerow = writer.writerow
    problems = summary.problems
    rows = scored = 0
    for rownum, row in enumerate(reader, start=2):
        if not row:
            continue  # blank line
        rows += 1
        if len(row) != width:
            _report(problems, on_problem, f"row {rownum}: expected {width} fields, found {len(row)}")
            continue
        row.append("")
        cells = getter(row)
        row.pop()
        values = list(map(dict.get, cell_maps, cells, repeat(_BAD)))
        if _BAD in values:
            ok = True
            for pos, v in enumerate(values):
                if v is _BAD:
                    try:
                        values[pos] = plan.parse_answer(pos, cells[pos])
                    except ValueError as exc:
                        _report(problems, on_problem, f"row {rownum}, column {names[pos]}: {exc}")
                        ok = False
            if not ok:
                continue
        scores = compute(values)
        labels = band_labels(scores, scheme)
        if all_int:
            row += [int_cells[s] if s in int_cells else _fmt(s) for s in scores]
        else:
            row += [_fmt(s) for s in scores]
        row += ["" if slot is None or labels[slot] is None else labels[slot] for slot in band_slots]
        writerow(row)
        scored += 1
    summary.rows, summary.scored = rows, scored
    return summary
