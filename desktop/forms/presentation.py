"""How scores, packs and outcomes are shown: labels, bands with their tones, and the
progress and means charts (no Qt).

The form window's live panel, the Assessments tab and the reports all describe a
score the same way, so the words and the band colours live here once. The charts
are descriptions (``desktop.reports.charts``): the window shows them with
``desktop/ui/chart_view.py`` and a PDF draws the same description with reportlab.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

from desktop.dates import academic_year_start, to_uk
from desktop.forms.boxall import DEVELOPMENTAL_CLUSTERS
from desktop.forms.pack import InstrumentPack, Number
from desktop.forms.records import FormRecords, Progress
from desktop.reports import charts

POINTS = ("T1", "T2", "T3")
INFORMANTS = {
    "teacher": "Teacher",
    "parent": "Parent / carer",
    "self": "Self-report (pupil)",
    "adult": "Adult who knows the child well",
    "school": "School records",
}
#: Who usually completes each informant's form (the start dialog's default).
DEFAULT_COMPLETED_BY = {
    "teacher": "teacher",
    "parent": "parent",
    "self": "pupil",
    "adult": "teacher",
    "school": "practitioner",
}
SYNTHETIC_NOTE = "synthetic — not the licensed content"

#: Band tones: (background, text). Text colours keep 7:1 contrast on their backgrounds.
TONES = {
    "typical": ("#dcfce7", "#14532d"),
    "raised": ("#fef3c7", "#78350f"),
    "high": ("#fed7aa", "#7c2d12"),
    "very_high": ("#fecaca", "#7f1d1d"),
    "outside": ("#e5e7eb", "#1f2937"),
}
TONE_ORDER = ("typical", "raised", "high", "very_high")


def informant_label(informant: str) -> str:
    """The informant in the user's words ("Parent / carer")."""
    return INFORMANTS.get(informant, informant.replace("_", " ").capitalize())


def age_band_label(band: str) -> str:
    """An age band as printed ("4–17", "All ages")."""
    return "All ages" if band == "all" else band.replace("-", "–")


def pack_label(pack: InstrumentPack) -> str:
    """The pack's title, visibly marked when it is synthetic (whatever its title says)."""
    if pack.synthetic and "synthetic" not in pack.title.lower():
        return f"{pack.title} ({SYNTHETIC_NOTE})"
    return pack.title


def format_score(value: Number | None) -> str:
    """A score as shown; a missing score is a dash."""
    if value is None:
        return "—"
    return str(value)


def format_change(value: Number | None) -> str:
    """A change with its sign (+3, 0, −2 with a true minus); a missing change is a dash."""
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else ("0" if value == 0 else f"−{-value}")


def instrument_packs(records: FormRecords) -> list[InstrumentPack]:
    """Packs a form can be started on (not audits or wording overlays), by title."""
    return sorted(
        (p for p in records.registry.packs.values() if p.kind == "instrument"),
        key=lambda p: (p.synthetic, p.title.lower()),
    )


def packs_for_age(packs: list[InstrumentPack], age: int | None) -> tuple[list[InstrumentPack], list[InstrumentPack]]:
    """``packs`` split into those for a pupil of ``age`` (whole years, on the assessment's
    date) and the rest, each in the order given. A pupil whose age is not known (no date of
    birth) fits every pack."""
    fitting = [p for p in packs if p.fits_age(age)]
    return fitting, [p for p in packs if not p.fits_age(age)]


def age_range_label(pack: InstrumentPack) -> str:
    """ "ages 2–4" (empty for a pack for any age)."""
    return f"ages {pack.age_range[0]}–{pack.age_range[1]}" if pack.age_range else ""


# -- scores with their bands ---------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreRow:
    """One score as shown: its label, value, band (or range position) and tone."""

    score_id: str
    label: str
    score: Number | None
    band: str
    tone: str | None
    detail: str = ""


class ScoreDescriber:
    """Band or range look-ups for one pack, informant and age band, resolved once."""

    def __init__(self, pack: InstrumentPack, informant: str, age_band: str):
        self.pack = pack
        labels = {s.id: s.label for s in pack.scales}
        labels.update({d.id: d.label for d in pack.derived})
        self.labels = labels
        boxall = pack.structure == "boxall"
        self._lookups = []
        for sid in pack.score_ids():
            table = pack.band_table(None, sid, informant, age_band)
            rng = None if table else pack.normative_range(sid, informant, age_band)
            # Boxall: developmental clusters below, diagnostic above the range are concerns.
            concern_below = boxall and sid in DEVELOPMENTAL_CLUSTERS
            self._lookups.append((sid, labels[sid], table, rng, concern_below, boxall))

    def rows(self, scores: dict[str, Number | None]) -> list[ScoreRow]:
        """Each of the pack's scores with its band, tone and the band's source."""
        out = []
        for sid, label, table, rng, concern_below, boxall in self._lookups:
            score = scores.get(sid)
            band, tone, detail = "", None, ""
            if table is not None:
                rank = table.rank_for(score)
                if rank is not None:
                    band = table.bands[rank].label
                    n = len(table.bands)
                    tone = TONE_ORDER[round(rank * 3 / (n - 1))] if n > 1 else "typical"
                    detail = table.source
            elif rng is not None:
                detail = f"{rng.label or 'range'} {rng.minimum}–{rng.maximum}"
                if score is not None:
                    where = "below" if score < rng.minimum else "above" if score > rng.maximum else "within"
                    band = f"{where} range"
                    concern = (where == "below") if concern_below else (where == "above" and boxall)
                    tone = "typical" if where == "within" else "high" if concern else "outside"
            out.append(ScoreRow(sid, label, score, band if score is not None else "—", tone, detail))
        return out


# -- a pupil's completions -----------------------------------------------------------------------
def completion_cells(records: FormRecords, rows: list[dict]) -> list[tuple[str, ...]]:
    """The Assessments list's text for each completion: date, instrument, informant, time
    point, status (a draft shows how many items are answered) and how it relates to
    corrections. A completion whose pack is no longer installed still lists, marked."""
    by_id = {r["id"]: r for r in rows}
    answered = records.answered_counts([r["id"] for r in rows])
    successors = {r["supersedes"]: r for r in rows if r["supersedes"]}
    cells = []
    for r in rows:
        pack = records.registry.packs.get(r["pack_id"])
        title = pack_label(pack) if pack else f"{r['pack_id']} (pack not installed)"
        status = "Final"
        if r["status"] != "final":
            total = len(pack.items) if pack else "?"
            status = f"Draft · {answered.get(r['id'], 0)}/{total}"
        notes = []
        old = by_id.get(r["supersedes"]) if r["supersedes"] else None
        if r["supersedes"]:
            when = to_uk(old["finalised_at"]) if old else "an earlier date"
            notes.append(f"Supersedes the form finalised {when}")
        newer = successors.get(r["id"])
        if newer:
            notes.append("Superseded by a correction" if newer["status"] == "final" else "Correction in progress")
        cells.append(
            (
                to_uk(r["completed_on"]),
                title,
                informant_label(r["informant"]),
                r["time_point"] if r["time_point"] != "other" else "Other",
                status,
                "; ".join(notes),
            )
        )
    return cells


# -- progress and outcome charts -----------------------------------------------------------------
def progress_chart(pack: InstrumentPack, progress: Progress) -> charts.BarChart:
    """A pupil's progress as bars: the pack's scales (not its totals, whose range would
    flatten the scales), one bar per time point, and each scale's shaded range: the
    first (typical) band, or the normative/competence range of the first time point's
    informant and age band."""
    scales = [(s.id, s.label) for s in pack.scales]
    points = [tp for tp in POINTS if tp in progress.by_time_point]
    series = tuple(
        charts.Series(
            tp,
            tuple(
                None
                if progress.by_time_point[tp].scores.get(sid) is None
                else float(progress.by_time_point[tp].scores[sid])
                for sid, _ in scales
            ),
            charts.TIME_POINT_COLOURS[tp],
        )
        for tp in points
    )
    ranges: list[tuple[float, float] | None] = []
    label = "typical range"
    first = progress.by_time_point[points[0]] if points else None
    for sid, _ in scales:
        found = None
        if first is not None:
            table = pack.band_table(None, sid, first.informant, first.age_band)
            if table is not None and table.bands[0].maximum is not None:
                found = (float(table.bands[0].minimum), float(table.bands[0].maximum))
                label = f"{table.bands[0].label} range"
            else:
                rng = pack.normative_range(sid, first.informant, first.age_band)
                if rng is not None:
                    found = (float(rng.minimum), float(rng.maximum))
                    label = rng.label or "normative range"
        ranges.append(found)
    tops = [pack.score_ranges.get(sid, (0, None))[1] for sid, _ in scales]
    y_max = float(max(tops)) if tops and None not in tops else None
    return charts.BarChart(
        "",
        tuple(lab for _, lab in scales),
        series,
        y_max=y_max,
        y_label="Score",
        ranges=tuple(ranges) if any(ranges) else (),
        range_label=label,
        short_labels=tuple(sid for sid, _ in scales),
    )


MeansRow = tuple[str, Mapping[str, tuple[float | None, int]]]  # (score label, time point → (mean, n))


def means_rows(
    pack: InstrumentPack, means: Mapping[str, Mapping[str, tuple[float | None, int]]], include_totals: bool = False
) -> list[MeansRow]:
    """The scores a means plot shows, in the pack's order, each with its (mean, n) at the
    time points it has one; totals (on a larger scale) only when asked for."""
    labels = [(s.id, s.label) for s in pack.scales]
    if include_totals:
        labels += [(d.id, d.label) for d in pack.derived]
    rows = []
    for sid, label in labels:
        points = {tp: means[tp][sid] for tp in POINTS if sid in means.get(tp, {})}
        if points:
            rows.append((label, points))
    return rows


def means_chart(rows: Sequence[MeansRow]) -> charts.LineChart | None:
    """A cohort's means as lines across T1–T3, one per score; under each time point the
    number of pupils its means rest on ("n=4", or "n=2–4" where the scores differ).
    None when no score has a mean."""
    if not any(m is not None for _, pts in rows for m, _n in pts.values()):
        return None
    series = tuple(
        charts.Series(
            label,
            tuple(points.get(tp, (None, 0))[0] for tp in POINTS),
            charts.PALETTE[i % len(charts.PALETTE)],
            striped=i >= len(charts.PALETTE),
        )
        for i, (label, points) in enumerate(rows)
    )
    notes = []
    for tp in POINTS:
        ns = sorted({pts[tp][1] for _, pts in rows if pts.get(tp, (None, 0))[0] is not None})
        notes.append("" if not ns else f"n={ns[0]}" if len(ns) == 1 else f"n={ns[0]}–{ns[-1]}")
    return charts.LineChart("", POINTS, series, y_label="Mean score", value_decimals=2, notes=tuple(notes))


def closed_referrals_by_year(store) -> dict[int, list[str]]:
    """Closed referrals grouped by the English school year (1 Sep – 31 Aug) they closed in:
    the cohorts a means plot offers."""
    years: dict[int, list[str]] = {}
    for row in store.db.query(
        "SELECT id, closed_on FROM referral WHERE deleted = 0 AND status = 'closed' "
        "AND closed_on IS NOT NULL ORDER BY closed_on"
    ):
        years.setdefault(academic_year_start(date.fromisoformat(row["closed_on"])), []).append(row["id"])
    return years
