"""The observation window's tables as plain rows of text (no Qt).

The window shows an ended observation's summary in three tables (codes, blocks, notes)
and a comparison with a second observer in one more; each is a ``TextTable`` made here
from ``desktop.observation.summary.summarise`` and ``desktop.observation.agreement.compare``,
so what a cell says is decided and tested without a display, and the window's Qt models
only show the rows. Percentages are written by ``desktop.reports.figures.percent_text``,
as every report writes them, so the window and the PDF print the same figure; an
undefined one is a dash, never 0 (see docs/observation-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.observation.agreement import AgreementReport
from desktop.observation.observation import Observation
from desktop.observation.summary import EventSummary, ObservationSummary
from desktop.reports.figures import DASH, percent_text


@dataclass(frozen=True)
class TextTable:
    """A table as shown: column headings and rows of cell text, each as wide as ``columns``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def clock_text(seconds: float) -> str:
    """Minutes and seconds into the observation: 75 -> "1:15"."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def rate_text(event: EventSummary) -> str:
    """An event's count and its rate per minute of coded time: "3 (0.50/min)"."""
    rate = DASH if event.rate_per_minute is None else f"{event.rate_per_minute:.2f}/min"
    return f"{event.count} ({rate})"


def code_labels(obs: Observation) -> dict[str, str]:
    return {c.id: c.label for c in obs.scheme.codes}


def codes_table(obs: Observation, summary: ObservationSummary) -> TextTable:
    """Per code: % of the target's (and the peer's) intervals; then each event code's count
    and rate, and each state code's % of coded time, with the whole lesson's ("Total")
    when a peer was observed."""
    labels = code_labels(obs)
    target, peer = summary.overall.target, summary.overall.peer
    events, states = summary.events, summary.states
    total = bool(peer and events)
    columns = (
        ("Code", "Target % of intervals") + (("Peer % of intervals",) if peer else ()) + (("Total",) if total else ())
    )
    rows = []
    for code_id, ratio in target.codes.items():
        row = [labels.get(code_id, code_id), percent_text(ratio)]
        if peer:
            row.append(percent_text(peer.codes.get(code_id)))
            if total:
                row.append("")
        rows.append(tuple(row))
    for code_id, event in events.items():
        row = [labels.get(code_id, code_id) + " (events)", rate_text(target.events[code_id])]
        if peer:
            row += [rate_text(peer.events[code_id]), rate_text(event)]
        rows.append(tuple(row))
    for code_id, state in states.items():
        row = [labels.get(code_id, code_id) + " (% of coded time)", percent_text(target.states[code_id].percent)]
        if peer:
            row.append(percent_text(peer.states[code_id].percent))
            if total:
                row.append(percent_text(state.percent))
        rows.append(tuple(row))
    return TextTable(columns, tuple(rows))


def blocks_heading(summary: ObservationSummary) -> str:
    """What the blocks table breaks the lesson into: its phases, else time bins."""
    return "By lesson phase" if summary.by_phase else f"By {summary.bin_seconds // 60}-minute bin"


def blocks_table(obs: Observation, summary: ObservationSummary) -> TextTable:
    """The lesson by phase (or time bin): intervals, on-task % for target and peer, events."""
    labels = code_labels(obs)
    rows = tuple(
        (
            block.label,
            str(block.total.intervals),
            percent_text(block.target.on_task),
            percent_text(block.peer.on_task) if block.peer else DASH,
            ", ".join(f"{labels.get(c, c)} {n}" for c, n in block.events.items()),
        )
        for block in summary.by_phase or summary.by_time_bin
    )
    return TextTable(("Block", "Intervals", "Target on task", "Peer on task", "Events"), rows)


def notes_table(obs: Observation) -> TextTable:
    """Lesson phases, interval notes and ABC incidents, in the order they happened."""
    rows = [(p.t, "", "Phase", p.label) for p in obs.phases]
    rows += [(i.start_s, str(i.index), "Note", i.note) for i in obs.intervals if i.note]
    rows += [
        (a.t, str(a.interval), "ABC incident", f"A: {a.antecedent} · B: {a.behaviour} · C: {a.consequence}")
        for a in obs.abc_records
    ]
    return TextTable(
        ("When", "Interval", "What", "Text"),
        tuple((clock_text(t), interval, what, text) for t, interval, what, text in sorted(rows, key=lambda r: r[0])),
    )


AGREEMENT_COLUMNS = (
    "Code",
    "Both",
    "A only",
    "B only",
    "Neither",
    "Interval-by-interval",
    "Scored-interval",
    "Unscored-interval",
    "Cohen's kappa",
)


def agreement_table(report: AgreementReport, labels: dict[str, str]) -> TextTable:
    """Per interval code: the 2×2 counts, the three agreement percentages (one decimal) and
    kappa; then per event code, the total counts of each observer and their agreement."""
    rows = []
    for code_id, c in report.codes.items():
        kappa = "undefined" if c.kappa.kappa is None else f"{c.kappa.kappa:.2f}"
        rows.append(
            (
                labels.get(code_id, code_id),
                str(c.both),
                str(c.only_a),
                str(c.only_b),
                str(c.neither),
                percent_text(c.interval_by_interval, 1),
                percent_text(c.scored_interval, 1),
                percent_text(c.unscored_interval, 1),
                kappa,
            )
        )
    for code_id, e in report.events.items():
        rows.append(
            (
                labels.get(code_id, code_id) + " (total count)",
                "",
                str(e.count_a),
                str(e.count_b),
                "",
                percent_text(e.agreement, 1),
                "",
                "",
                "",
            )
        )
    return TextTable(AGREEMENT_COLUMNS, tuple(rows))
