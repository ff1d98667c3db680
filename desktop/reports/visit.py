"""The visit report: what a practitioner writes after a first visit, with the evidence pulled in.

Three steps, each testable on its own:

1. ``build_visit_report(store, referral_id, ...)`` gathers a ``VisitReport``: the
   pupil/school/case header, the practitioner's sections of plain text, and
   evidence blocks made from the records chosen (observations, Boxall and SDQ
   completions, T1/T2/T3 progress). Each evidence block carries a **drafted
   paragraph** built only from the figures the summary and scoring functions
   give, for the practitioner to accept, edit or ignore.
2. ``visit_document(report)`` lays that out as a generic ``Document``.
3. ``render_visit(report, letterhead)`` makes the PDF bytes.

Observation figures come through one thin adapter, ``observation_evidence``,
which reads ``desktop.observation.summary.summarise`` output: if the summary's
shape changes, that function is the one place to follow it.

No wording of a licensed instrument is printed: only scale and cluster labels
from the installed pack (a synthetic pack says so on the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable, Mapping, Sequence

from desktop.caseload import vocab
from desktop.dates import to_uk, year_group_label
from desktop.forms import boxall as boxall_mod
from desktop.forms.pack import InstrumentPack
from desktop.forms.presentation import progress_chart
from desktop.forms.records import COMPLETED_BY, TIME_POINTS, FormRecords
from desktop.observation.observation import Observation
from desktop.observation.ratio import Ratio
from desktop.observation.records import CODED, PEER
from desktop.observation.summary import ObservationSummary, summarise
from desktop.reports import charts
from desktop.reports.document import (
    ChartBlock,
    Document,
    Letterhead,
    Note,
    ReportRenderer,
    Section,
    Subheading,
    TableBlock,
    Text,
)
from desktop.reports.figures import (
    DASH,
    count_text,
    minutes_text,
    number_text,
    percent_text,
    signed_text,
)

#: The sections a service's visit report uses, in order: (key, heading).
SECTIONS = (
    ("background", "Reason for referral and background"),
    ("observation", "The observation"),
    ("assessments", "The Boxall and SDQ picture"),
    ("strengths", "Strengths"),
    ("communicates", "What the behaviour communicates"),
    ("recommendations", "Recommendations and strategies"),
    ("next_steps", "Next steps"),
)
SYNTHETIC_NOTE = (
    "Synthetic — not the licensed content. These results come from Fieldnote's "
    "invented stand-in pack and must not be used for any child."
)
POINTS = ("T1", "T2", "T3")


# -- evidence: observations --------------------------------------------------------------------
@dataclass(frozen=True)
class CodeRow:
    code: str
    label: str
    target: Ratio
    peer: Ratio | None
    off_task: bool


@dataclass(frozen=True)
class BlockRow:
    label: str
    target: Ratio
    peer: Ratio | None


@dataclass(frozen=True)
class AbcRow:
    time: str
    interval: int
    antecedent: str
    behaviour: str
    consequence: str


@dataclass(frozen=True)
class StripEntry:
    index: int
    peer: bool
    excluded: bool
    code: str | None  # the interval's behaviour code, if any


@dataclass(frozen=True)
class ObservationEvidence:
    """One observation's figures, as the report prints them."""

    observation_id: str
    pupil: str
    lesson: str
    observed_on: str  # ISO date
    scheme_name: str
    interval_seconds: int
    peer_every: int | None
    intervals: int
    observed_seconds: float
    excluded: dict[str, int]  # status → intervals, for statuses other than coded
    target_on_task: Ratio
    peer_on_task: Ratio | None
    codes: tuple[CodeRow, ...]
    blocks: tuple[BlockRow, ...]
    blocks_are_phases: bool
    strip: tuple[StripEntry, ...]
    code_colours: dict[str, str]
    code_labels: dict[str, str]
    abc: tuple[AbcRow, ...]
    strip_codes: tuple[str, ...] = ()  # the codes the strip marks, numbered in this order

    @property
    def key(self) -> str:
        return f"observation:{self.observation_id}"


def off_task_codes(scheme) -> tuple[str, ...]:
    """Interval codes that describe the pupil being off task.

    A scheme does not say so directly: they are the non-on-task codes sharing a
    group with an on-task code (minute intervals: OFF-P, OFF-V, OFF-M, DIS) and
    the codes of a group whose name says "off" (BOSS: OFT-M, OFT-V, OFT-P).
    Context codes (teacher-directed, group work) are neither.
    """
    on_task = set(scheme.on_task_codes)
    on_groups = {c.group for c in scheme.codes if c.id in on_task and c.group}
    off_groups = {g.id for g in scheme.groups if "off" in (g.id + " " + g.label).lower()}
    return tuple(
        c.id
        for c in scheme.interval_codes
        if c.id not in on_task and c.group and (c.group in on_groups or c.group in off_groups)
    )


def observation_evidence(
    obs: Observation, summary: ObservationSummary | None = None, *, pupil: str = "", observed_on: str = ""
) -> ObservationEvidence:
    """The adapter from an observation and its summary to the report's figures."""
    summary = summary or summarise(obs)
    scheme = obs.scheme
    overall = summary.overall
    off = set(off_task_codes(scheme))
    labels = {c.id: c.label for c in scheme.codes}
    codes = tuple(
        CodeRow(
            code_id,
            labels.get(code_id, code_id),
            ratio,
            overall.peer.codes.get(code_id) if overall.peer else None,
            code_id in off,
        )
        for code_id, ratio in overall.target.codes.items()
    )
    blocks_src = summary.by_phase or summary.by_time_bin
    blocks = tuple(BlockRow(b.label, b.target.on_task, b.peer.on_task if b.peer else None) for b in blocks_src)
    behaviour = strip_codes(scheme, summary.on_task_codes)
    strip = strip_entries(obs, behaviour)
    abc = tuple(AbcRow(_clock(a.t), a.interval, a.antecedent, a.behaviour, a.consequence) for a in obs.abc_records)
    return ObservationEvidence(
        observation_id=obs.id,
        pupil=pupil or obs.setup.pupil or "The pupil",
        lesson=obs.setup.lesson,
        observed_on=observed_on,
        scheme_name=scheme.name,
        interval_seconds=summary.interval_seconds,
        peer_every=summary.peer_every,
        intervals=summary.intervals,
        observed_seconds=summary.observed_seconds,
        excluded={s: n for s, n in summary.statuses.items() if s != CODED and n},
        target_on_task=overall.target.on_task,
        peer_on_task=overall.peer.on_task if overall.peer else None,
        codes=codes,
        blocks=blocks,
        blocks_are_phases=bool(summary.by_phase),
        strip=strip,
        code_colours={c.id: c.colour for c in scheme.codes},
        code_labels=labels,
        abc=abc,
        strip_codes=behaviour,
    )


def strip_codes(scheme, on_task_codes: Sequence[str] | None = None) -> tuple[str, ...]:
    """The interval codes the interval strip marks: on task and off task, in the scheme's
    order (context codes such as group work are left to the tables)."""
    on = set(scheme.on_task_codes if on_task_codes is None else on_task_codes)
    off = set(off_task_codes(scheme))
    return tuple(c.id for c in scheme.interval_codes if c.id in off or c.id in on)


def strip_entries(obs: Observation, codes: Sequence[str]) -> tuple[StripEntry, ...]:
    """One entry per interval recorded so far: its subject, whether it is left out of the
    percentages, and the first of ``codes`` it scored."""
    return tuple(
        StripEntry(i.index, i.subject == PEER, i.status != CODED, next((c for c in codes if c in i.codes), None))
        for i in obs.intervals
    )


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


EXCLUDED_WORDS = {
    "skipped": "the pupil was out of view or the interval was skipped",
    "gap": "the app was not recording",
    "incomplete": "the lesson ended part-way through",
}


def draft_observation(ev: ObservationEvidence) -> str:
    """A factual paragraph from the observation's figures (plain UK English)."""
    name = ev.pupil
    lesson = ev.lesson or "a lesson"
    when = f" on {to_uk(ev.observed_on)}" if ev.observed_on else ""
    out = [
        f"{name} was observed in {lesson}{when} for {minutes_text(ev.observed_seconds)} minutes, "
        f"recorded at {ev.interval_seconds}-second intervals ({ev.intervals} intervals)."
    ]
    if ev.peer_every:
        out.append(f"Every {_ordinal(ev.peer_every)} interval observed a comparison peer instead.")
    if ev.excluded:
        total = sum(ev.excluded.values())
        if len(ev.excluded) == 1:
            status = next(iter(ev.excluded))
            why = "because " + EXCLUDED_WORDS.get(status, status)
        else:
            why = "(" + "; ".join(f"{n} because {EXCLUDED_WORDS.get(s, s)}" for s, n in ev.excluded.items()) + ")"
        out.append(f"{total} interval{'s were' if total != 1 else ' was'} left out of the percentages {why}.")
    t = ev.target_on_task
    if t.denominator:
        sentence = f"{name} was on task in {count_text(t)} intervals ({percent_text(t)})"
        p = ev.peer_on_task
        if p is not None and p.denominator:
            sentence += f", compared with {count_text(p)} ({percent_text(p)}) for the peer"
        out.append(sentence + ".")
    else:
        out.append(f"No interval of {name}'s was coded, so there is no on-task figure.")
    if t.denominator:
        offs = sorted(
            (c for c in ev.codes if c.off_task and c.target.numerator),
            key=lambda c: (-c.target.numerator, ev.codes.index(c)),
        )[:2]
        if offs:
            parts = [f"{c.label.lower()} ({count_text(c.target)} intervals, {percent_text(c.target)})" for c in offs]
            noun = "behaviours were" if len(parts) > 1 else "behaviour was"
            out.append(f"The most frequent off-task {noun} {_join(parts)}.")
        elif any(c.off_task for c in ev.codes):
            out.append("No off-task behaviour was recorded in the pupil's intervals.")
        low = _lowest_block(ev)
        if low is not None:
            where = f"during “{low.label}”" if ev.blocks_are_phases else f"in minutes {low.label}"
            out.append(
                f"Engagement was lowest {where}: on task in {count_text(low.target)} "
                f"intervals ({percent_text(low.target)})."
            )
    if ev.abc:
        n = len(ev.abc)
        out.append(f"{n} incident{'s were' if n != 1 else ' was'} recorded as ABC notes (see the table).")
    return " ".join(out)


def _lowest_block(ev: ObservationEvidence) -> BlockRow | None:
    """The phase (or time bin) with the lowest on-task share, if it is below the whole lesson's."""
    blocks = [b for b in ev.blocks if b.target.denominator]
    if len(blocks) < 2:
        return None
    low = min(blocks, key=lambda b: b.target.numerator / b.target.denominator)
    t = ev.target_on_task
    if low.target.numerator * t.denominator < t.numerator * low.target.denominator:
        return low
    return None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# -- evidence: forms ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreRow:
    score_id: str
    label: str
    score: object
    band: str | None
    raised: bool  # outside the first (typical) band


@dataclass(frozen=True)
class CompletionInfo:
    completion_id: str
    pack_id: str
    pack_title: str
    synthetic: bool
    informant: str
    completed_by: str
    completed_on: str
    time_point: str
    age_band: str


@dataclass(frozen=True)
class BoxallEvidence:
    info: CompletionInfo
    clusters: tuple[boxall_mod.ClusterResult, ...]
    strengths: tuple[str, ...]
    concerns: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"completion:{self.info.completion_id}"


@dataclass(frozen=True)
class SdqEvidence:
    info: CompletionInfo
    rows: tuple[ScoreRow, ...]
    typical_band: str

    @property
    def key(self) -> str:
        return f"completion:{self.info.completion_id}"


@dataclass(frozen=True)
class ProgressEvidence:
    pack_id: str
    pack_title: str
    synthetic: bool
    informant: str | None
    points: tuple[str, ...]  # time points present, in order
    rows: tuple[tuple[str, str, tuple[str, ...], str], ...]  # (score id, label, cells, change)
    chart: charts.BarChart | None


def boxall_evidence(info: CompletionInfo, profile: boxall_mod.BoxallProfile) -> BoxallEvidence:
    return BoxallEvidence(info, profile.clusters, profile.strengths, profile.concerns)


def _gap(c: boxall_mod.ClusterResult):
    """How far outside the competence range a cluster's score is (0 inside)."""
    if c.score is None:
        return 0
    if c.score < c.competence_min:
        return c.competence_min - c.score
    if c.score > c.competence_max:
        return c.score - c.competence_max
    return 0


def draft_boxall(ev: BoxallEvidence) -> str:
    """The Boxall strands furthest below the competence range, and the diagnostic ones above."""
    info = ev.info
    who = COMPLETED_BY.get(info.completed_by, info.completed_by).lower()
    out = [
        f"The {info.pack_title} was completed by the {who} on {to_uk(info.completed_on)} "
        f"({TIME_POINTS.get(info.time_point, info.time_point)})."
    ]
    dev = [c for c in ev.clusters if c.developmental and c.score is not None]
    within = [c for c in dev if c.position == "within"]
    out.append(f"{len(within)} of the {len(dev)} developmental clusters scored were within the competence range.")
    below = sorted((c for c in dev if c.position == "below"), key=lambda c: -_gap(c))[:3]
    if below:
        parts = [
            f"{c.label} ({number_text(c.score)}; range {number_text(c.competence_min)}–"
            f"{number_text(c.competence_max)}, {number_text(_gap(c))} below)"
            for c in below
        ]
        out.append(f"Furthest below the range: {_join(parts)}.")
    diag = [c for c in ev.clusters if not c.developmental and c.position == "above"]
    above = sorted(diag, key=lambda c: -_gap(c))[:3]
    if above:
        parts = [
            f"{c.label} ({number_text(c.score)}; range {number_text(c.competence_min)}–"
            f"{number_text(c.competence_max)}, {number_text(_gap(c))} above)"
            for c in above
        ]
        out.append(f"In the diagnostic profile, furthest above the range: {_join(parts)}.")
    elif any(not c.developmental and c.score is not None for c in ev.clusters):
        out.append("No diagnostic cluster was above its range.")
    return " ".join(out)


def sdq_evidence(info: CompletionInfo, pack: InstrumentPack, result) -> SdqEvidence:
    from desktop.forms.sdq import BAND_SCORES

    labels = {s.id: s.label for s in pack.scales} | {d.id: d.label for d in pack.derived}
    rows, typical = [], ""
    for sid in BAND_SCORES:
        if sid not in result.scores:
            continue
        table = pack.band_table(None, sid, result.informant, result.age_band)
        rank = table.rank_for(result.scores[sid]) if table else None
        if table and not typical:
            typical = table.bands[0].label
        rows.append(
            ScoreRow(
                sid,
                labels.get(sid, sid),
                result.scores[sid],
                table.bands[rank].label if table and rank is not None else None,
                bool(rank),
            )
        )
    return SdqEvidence(info, tuple(rows), typical)


def draft_sdq(ev: SdqEvidence) -> str:
    """Total difficulties and the scales in raised bands, with the pack's band labels."""
    info = ev.info
    who = {"teacher": "teacher", "parent": "parent or carer", "self": "pupil's own"}.get(info.informant, info.informant)
    out = [
        f"On the {who} SDQ completed on {to_uk(info.completed_on)} "
        f"({TIME_POINTS.get(info.time_point, info.time_point)})"
    ]
    total = next((r for r in ev.rows if r.score_id == "ebdtot"), None)
    if total is not None and total.score is not None:
        out[0] += f", the total difficulties score was {number_text(total.score)}" + (
            f" ({total.band})." if total.band else "."
        )
    else:
        out[0] += ", too few items were answered to score total difficulties."
    raised = [r for r in ev.rows if r.raised and r.score_id != "ebdtot" and r.score is not None]
    if raised:
        parts = [f"{r.label.lower()} {number_text(r.score)} ({r.band})" for r in raised]
        out.append(f"Outside the “{ev.typical_band}” band: {_join(parts)}.")
    elif ev.typical_band and any(r.score is not None for r in ev.rows):
        out.append(f"Every scored scale was in the “{ev.typical_band}” band.")
    return " ".join(out)


# -- the report --------------------------------------------------------------------------------
@dataclass(frozen=True)
class VisitReport:
    """A visit report's content: header, the practitioner's sections, and the evidence."""

    report_date: date
    author: str
    pupil_name: str
    date_of_birth: str
    year_group: str
    school_name: str
    referral_date: str
    reason: str
    caseworker: str
    sections: Mapping[str, str] = field(default_factory=dict)  # section key → text
    observations: tuple[ObservationEvidence, ...] = ()
    boxall: tuple[BoxallEvidence, ...] = ()
    sdq: tuple[SdqEvidence, ...] = ()
    progress: tuple[ProgressEvidence, ...] = ()
    #: evidence key → the paragraph printed with it (a draft accepted or edited; absent: none).
    evidence_text: Mapping[str, str] = field(default_factory=dict)
    #: Chosen records that are no longer on this laptop (deleted, or their pack removed).
    missing: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"Visit report: {self.pupil_name}"

    def drafts(self) -> dict[str, str]:
        """Every evidence block's drafted paragraph, by evidence key."""
        out = {o.key: draft_observation(o) for o in self.observations}
        out |= {b.key: draft_boxall(b) for b in self.boxall}
        out |= {s.key: draft_sdq(s) for s in self.sdq}
        return out


def _completion_info(records: FormRecords, row: dict) -> CompletionInfo:
    pack = records.pack(row["pack_id"])
    return CompletionInfo(
        row["id"],
        pack.id,
        pack.title,
        pack.synthetic,
        row["informant"],
        row["completed_by"],
        row["completed_on"],
        row["time_point"],
        row["age_band"],
    )


def progress_evidence(
    records: FormRecords, pupil_id: str, pack: InstrumentPack, informant: str
) -> ProgressEvidence | None:
    """The pupil's latest final scores on one instrument at T1, T2 and T3, with bands and change."""
    progress = records.progress(pupil_id, pack.id, informant)
    points = tuple(tp for tp in POINTS if tp in progress.by_time_point)
    if not points:
        return None
    labels = {s.id: s.label for s in pack.scales} | {d.id: d.label for d in pack.derived}
    rows = []
    for sid in progress.score_ids:
        cells = []
        for tp in points:
            result = progress.by_time_point[tp]
            score = result.scores.get(sid)
            band = result.band(sid)
            cells.append(number_text(score) + (f" ({band})" if band and score is not None else ""))
        last = points[-1]
        change = progress.change(sid, to=last, since=points[0]) if len(points) > 1 else None
        rows.append((sid, labels.get(sid, sid), tuple(cells), signed_text(change)))
    # The same chart the Assessments tab shows, titled for the page.
    chart = (
        replace(progress_chart(pack, progress), title=f"{pack.title}: scores at {', '.join(points)}")
        if len(pack.scales) <= 12
        else None
    )
    return ProgressEvidence(pack.id, pack.title, pack.synthetic, informant, points, tuple(rows), chart)


def build_visit_report(
    store,
    referral_id: str,
    *,
    sections: Mapping[str, str] | None = None,
    observation_ids: Iterable[str] = (),
    completion_ids: Iterable[str] = (),
    records: FormRecords | None = None,
    author: str = "",
    report_date: date | None = None,
    evidence_text: Mapping[str, str] | None = None,
) -> VisitReport:
    """Gather a visit report from the store: the case's header, ``sections`` (key → text),
    and evidence from the chosen observations and completions.

    ``evidence_text`` is what the practitioner kept for each evidence block (key →
    text); when None, every drafted paragraph is taken as offered.
    """
    from desktop.observation.store_repository import StoreObservationRepository

    referral = store.get("referral", referral_id)
    if referral is None:
        raise KeyError(f"no case {referral_id!r}")
    pupil = store.get("pupil", referral["pupil_id"]) or {}
    school = store.get("school", referral["school_id"]) or {}
    worker = store.get("caseworker", referral["caseworker_id"]) if referral.get("caseworker_id") else None
    first = pupil.get("first_name") or "The pupil"
    records = records or FormRecords(store)

    repo = StoreObservationRepository(store)
    observations = []
    missing: list[str] = []
    for oid in observation_ids:
        row = store.get("observation", oid)
        if row is None:  # deleted since it was chosen (here or on another laptop)
            missing.append(f"observation:{oid}")
            continue
        observations.append(
            observation_evidence(repo.get(oid), pupil=first, observed_on=(row.get("started_at") or "")[:10])
        )

    boxalls, sdqs, progress, seen = [], [], [], set()
    for cid in completion_ids:
        row = store.get("form_completion", cid)
        try:
            if row is None:
                raise KeyError(cid)
            pack = records.pack(row["pack_id"])
        except KeyError:  # deleted, or its pack is no longer installed
            missing.append(f"completion:{cid}")
            continue
        info = _completion_info(records, row)
        if pack.structure == "boxall":
            boxalls.append(
                boxall_evidence(info, boxall_mod.profile(pack, records.answers(cid), row["age_band"], row["informant"]))
            )
        elif pack.id.startswith("sdq-"):
            sdqs.append(sdq_evidence(info, pack, records.score(cid)))
        if (pack.id, row["informant"]) not in seen:
            seen.add((pack.id, row["informant"]))
            p = progress_evidence(records, pupil.get("id", referral["pupil_id"]), pack, row["informant"])
            if p is not None and (len(p.points) > 1 or pack.structure != "boxall"):
                progress.append(p)

    report = VisitReport(
        report_date=report_date or date.today(),
        author=author or (worker or {}).get("name", ""),
        pupil_name=f"{pupil.get('first_name', '')} {pupil.get('last_name', '')}".strip(),
        date_of_birth=to_uk(pupil.get("date_of_birth")),
        year_group=year_group_label(pupil.get("year_group")),
        school_name=school.get("name", ""),
        referral_date=to_uk(referral["referral_date"]),
        reason=vocab.REFERRAL_REASONS.get(referral["reason"], referral["reason"]),
        caseworker=(worker or {}).get("name", ""),
        sections=dict(sections or {}),
        observations=tuple(observations),
        boxall=tuple(boxalls),
        sdq=tuple(sdqs),
        progress=tuple(progress),
        missing=tuple(missing),
    )
    if evidence_text is None:
        evidence_text = report.drafts()
    return VisitReport(**{**report.__dict__, "evidence_text": dict(evidence_text)})


# -- layout ------------------------------------------------------------------------------------
def _observation_blocks(ev: ObservationEvidence, text: str | None) -> list:
    lesson = ev.lesson or "lesson"
    when = f", {to_uk(ev.observed_on)}" if ev.observed_on else ""
    blocks: list = [Subheading(f"Classroom observation: {lesson}{when}")]
    if text:
        blocks.append(Text(text))
    peer = ev.peer_on_task is not None
    rows = [
        ["On task", f"{percent_text(ev.target_on_task)} ({count_text(ev.target_on_task)})"]
        + ([f"{percent_text(ev.peer_on_task)} ({count_text(ev.peer_on_task)})"] if peer else [])
    ]
    rows.append(
        ["Intervals coded", str(ev.target_on_task.denominator)] + ([str(ev.peer_on_task.denominator)] if peer else [])
    )
    blocks.append(
        TableBlock(
            ["Measure", f"{ev.pupil}"] + (["Peer"] if peer else []),
            rows,
            caption=f"{ev.scheme_name}: {ev.intervals} intervals of {ev.interval_seconds} s, "
            f"{minutes_text(ev.observed_seconds)} minutes observed.",
            widths=[0.4, 0.3, 0.3] if peer else [0.5, 0.5],
        )
    )
    code_rows = [
        [c.label, f"{percent_text(c.target)} ({count_text(c.target)})"]
        + ([f"{percent_text(c.peer)} ({count_text(c.peer)})"] if peer else [])
        for c in ev.codes
    ]
    series = [charts.Series(ev.pupil, tuple(_pct_float(c.target) for c in ev.codes), charts.TARGET_COLOUR)]
    if peer:
        series.append(
            charts.Series("Peer", tuple(_pct_float(c.peer) for c in ev.codes), charts.PEER_COLOUR, striped=True)
        )
    blocks.append(
        ChartBlock(
            charts.BarChart(
                "Percentage of coded intervals scoring each code",
                tuple(c.label for c in ev.codes),
                tuple(series),
                y_max=100,
                value_suffix="%",
                short_labels=tuple(c.code for c in ev.codes),
            ),
            caption="Each bar is labelled with its percentage; the peer's bars are striped.",
        )
    )
    blocks.append(
        TableBlock(
            ["Code", ev.pupil] + (["Peer"] if peer else []), code_rows, widths=[0.4, 0.3, 0.3] if peer else [0.5, 0.5]
        )
    )
    blocks.append(
        ChartBlock(
            interval_strip(ev),
            caption="Each cell is one interval, marked with its behaviour code's number; "
            "a bar above a cell marks a peer interval.",
        )
    )
    if ev.blocks:
        kind = "Lesson phase" if ev.blocks_are_phases else "Minutes"
        blocks.append(
            TableBlock(
                [kind, f"{ev.pupil} on task"] + (["Peer on task"] if peer else []),
                [
                    [b.label, f"{percent_text(b.target)} ({count_text(b.target)})"]
                    + ([f"{percent_text(b.peer)} ({count_text(b.peer)})"] if peer else [])
                    for b in ev.blocks
                ],
                widths=[0.4, 0.3, 0.3] if peer else [0.5, 0.5],
            )
        )
    if ev.abc:
        blocks.append(
            TableBlock(
                ["Time", "Antecedent", "Behaviour", "Consequence"],
                [[a.time, a.antecedent, a.behaviour, a.consequence] for a in ev.abc],
                caption="ABC incidents (time from the start of the observation).",
                widths=[0.1, 0.3, 0.3, 0.3],
            )
        )
    return blocks


def _pct_float(r: Ratio | None) -> float | None:
    if r is None or not r.denominator:
        return None
    return float(percent_text(r).rstrip("%"))


STRIP_TITLE = "Interval by interval"
NO_CODE_FILL = "#f9fafb"  # coded, but none of the strip's codes


def strip_chart(
    entries: Sequence[StripEntry],
    codes: Sequence[str],
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    *,
    title: str = STRIP_TITLE,
    per_row: int = 30,
    slots: int = 0,
) -> charts.IntervalStrip:
    """The interval strip's description: the one the visit report prints and the observation
    window shows (``desktop/ui/observation_window.py``), so both mark each code alike.

    Each of ``codes`` is numbered in order, whether seen yet or not, so a mark never changes
    its meaning while a lesson is being recorded."""
    marks = {code: str(i + 1) for i, code in enumerate(codes)}
    cells = tuple(
        charts.StripCell(
            marks.get(s.code, ""), colours.get(s.code, "#ffffff") if s.code else NO_CODE_FILL, s.peer, s.excluded
        )
        for s in entries
    )
    legend = tuple((marks[c], labels.get(c, c), colours.get(c, "#ffffff")) for c in codes)
    return charts.IntervalStrip(title, cells, legend, per_row=per_row, slots=slots)


def observation_strip(
    obs: Observation, *, title: str = STRIP_TITLE, per_row: int = 30, slots: int = 0
) -> charts.IntervalStrip:
    """The strip of an observation as it stands (while recording too); cheap enough to
    rebuild at every refresh of the observation window (no summary is computed)."""
    codes = strip_codes(obs.scheme)
    scheme = obs.scheme
    return strip_chart(
        strip_entries(obs, codes),
        codes,
        {c.id: c.colour for c in scheme.codes},
        {c.id: c.label for c in scheme.codes},
        title=title,
        per_row=per_row,
        slots=slots,
    )


def interval_strip(ev: ObservationEvidence) -> charts.IntervalStrip:
    return strip_chart(ev.strip, ev.strip_codes, ev.code_colours, ev.code_labels)


def _boxall_blocks(ev: BoxallEvidence, text: str | None) -> list:
    info = ev.info
    blocks: list = [
        Subheading(
            f"{info.pack_title}: {to_uk(info.completed_on)} ({TIME_POINTS.get(info.time_point, info.time_point)})"
        )
    ]
    if info.synthetic:
        blocks.append(Note(SYNTHETIC_NOTE))
    if text:
        blocks.append(Text(text))
    for developmental, title in (
        (True, "Section I: developmental strands (higher is more developed)"),
        (False, "Section II: diagnostic profile (lower is fewer difficulties)"),
    ):
        cs = [c for c in ev.clusters if c.developmental == developmental]
        if not cs:
            continue
        blocks.append(
            ChartBlock(
                charts.BarChart(
                    title,
                    tuple(c.label for c in cs),
                    (
                        charts.Series(
                            "Score", tuple(None if c.score is None else float(c.score) for c in cs), charts.PALETTE[0]
                        ),
                    ),
                    ranges=tuple((float(c.competence_min), float(c.competence_max)) for c in cs),
                    range_label="competence range" + (" (synthetic)" if info.synthetic else ""),
                    short_labels=tuple(c.cluster for c in cs),
                    y_label="Score",
                )
            )
        )
    blocks.append(
        TableBlock(
            ["Cluster", "Strand or group", "Score", "Competence range", "Position"],
            [
                [
                    f"{c.cluster}: {c.label}",
                    c.strand,
                    number_text(c.score),
                    f"{number_text(c.competence_min)}–{number_text(c.competence_max)}",
                    c.position or DASH,
                ]
                for c in ev.clusters
            ],
            widths=[0.3, 0.28, 0.1, 0.17, 0.15],
            align_right=(2,),
        )
    )
    return blocks


def _sdq_blocks(ev: SdqEvidence, text: str | None) -> list:
    info = ev.info
    who = {"teacher": "Teacher", "parent": "Parent / carer", "self": "Self-report"}.get(info.informant, info.informant)
    blocks: list = [
        Subheading(f"SDQ ({who}): {to_uk(info.completed_on)} ({TIME_POINTS.get(info.time_point, info.time_point)})")
    ]
    if info.synthetic:
        blocks.append(Note(SYNTHETIC_NOTE))
    if text:
        blocks.append(Text(text))
    blocks.append(
        TableBlock(
            ["Scale", "Score", "Band"],
            [[r.label, number_text(r.score), r.band or DASH] for r in ev.rows],
            widths=[0.5, 0.15, 0.35],
            align_right=(1,),
        )
    )
    return blocks


def progress_blocks(ev: ProgressEvidence, always_chart: bool = False) -> list:
    blocks: list = [Subheading(f"Progress: {ev.pack_title}" + (f" ({ev.informant})" if ev.informant else ""))]
    if ev.synthetic:
        blocks.append(Note(SYNTHETIC_NOTE))
    change = f"{ev.points[0]}→{ev.points[-1]}" if len(ev.points) > 1 else "Change"
    n = len(ev.points)
    blocks.append(
        TableBlock(
            ["Score", *ev.points, change],
            [[label, *cells, ch] for _sid, label, cells, ch in ev.rows],
            widths=[0.31] + [0.57 / n] * n + [0.12],
            align_right=(n + 1,),
        )
    )
    if ev.chart is not None and (len(ev.points) > 1 or always_chart):
        blocks.append(ChartBlock(ev.chart, caption="Bars darken from T1 to T3; each is labelled with its score."))
    return blocks


def visit_document(report: VisitReport) -> Document:
    """The report laid out as sections; evidence sits under its section."""
    texts = report.evidence_text
    sections = []
    for key, title in SECTIONS:
        blocks: list = [Text(report.sections.get(key, ""))]
        if key == "observation":
            for ev in report.observations:
                blocks += _observation_blocks(ev, texts.get(ev.key))
        elif key == "assessments":
            for b in report.boxall:
                blocks += _boxall_blocks(b, texts.get(b.key))
            for s in report.sdq:
                blocks += _sdq_blocks(s, texts.get(s.key))
            for p in report.progress:
                blocks += progress_blocks(p)
        sections.append(Section(title, tuple(blocks)))
    facts = [
        ("Pupil", report.pupil_name),
        ("Date of birth", report.date_of_birth),
        ("Year group", report.year_group),
        ("School", report.school_name),
        ("Referred", f"{report.referral_date}: {report.reason}"),
        ("Caseworker", report.caseworker),
        ("Report date", to_uk(report.report_date)),
    ]
    return Document(
        title=report.title,
        subject=f"Visit report for {report.school_name}",
        author=report.author,
        report_date=report.report_date,
        facts=[(k, v) for k, v in facts if v],
        sections=tuple(sections),
    )


def render_visit(report: VisitReport, letterhead: Letterhead | None = None) -> bytes:
    """The visit report's PDF."""
    return ReportRenderer(letterhead).generate(visit_document(report))
