"""The school's audit summary report and the commissioner summary, as PDFs (no Qt).

Each is built in two steps, as every Fieldnote report is: a plain data object from the
audit records and the summary functions (``audit_report_data``, ``commissioner_data``),
tested on its own; then a ``Document`` for the shared renderer
(``desktop.reports.document``). The rating grid prints each cell in its level's colour
AND its level's word, so colour never carries the meaning alone.

The commissioner summary holds no pupil data: schools, criteria and counts only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib import colors
from reportlab.platypus import Table, TableStyle

from desktop.audits.records import ACTION_STATUSES, AuditSnapshot
from desktop.audits.review import movement, section_movement
from desktop.audits.summary import CrossSchoolSummary, audit_counts
from desktop.audits.template import RATED, AuditTemplate
from desktop.dates import to_uk
from desktop.reports import charts
from desktop.reports.document import (
    ChartBlock,
    Document,
    Letterhead,
    ReportRenderer,
    Section,
    TableBlock,
    Text,
)

# Light fills under black text (contrast ≥ 7:1); the word is always printed as well.
LOW, MID, HIGH = "#f8b4b4", "#fcd98a", "#9fe3b4"
UNRATED_FILL = "#e5e7eb"
# Chart fills: the Okabe–Ito vermillion / orange / bluish green (told apart in greyscale too).
CHART_COLOURS = ("#D55E00", "#E69F00", "#009E73", "#0072B2", "#CC79A7")


def level_fill(template: AuditTemplate, value: str | None) -> str:
    """The grid colour of a value: the template's own colour for the level, else lowest
    level red, highest green, between amber."""
    if value in template.level_own_colours:
        return template.level_own_colours[value]
    rank = template.level_rank.get(value or "")
    if rank is None:
        return UNRATED_FILL
    top = len(template.levels) - 1
    if rank == 0:
        return LOW
    return HIGH if rank == top else MID


# -- the data objects ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GridRow:
    number: str  # "area.criterion", e.g. "2.3" (numbers restart in each area)
    criterion: str
    value: str | None
    label: str  # the level's word ("Red", "Not seen", "" when left blank)
    fill: str
    good_practice: bool = False


@dataclass(frozen=True)
class GridSection:
    section_id: str
    label: str
    rows: tuple[GridRow, ...]
    counts: dict[str, int]  # level label -> criteria
    not_seen: int
    not_applicable: int
    not_rated: int

    @property
    def rated(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class AuditReportData:
    audit_id: str
    school: str
    template_title: str
    conducted_on: str
    conducted_by: str
    status: str
    is_review: bool
    levels: tuple[str, ...]  # level labels, lowest first
    good_practice_text: str
    good_practice: tuple[tuple[str, str, str], ...]  # (section, criterion, evidence)
    grid: tuple[GridSection, ...]
    judgements: tuple[tuple[str, str, str, str], ...]  # (section, judgement, strengths, development)
    actions: tuple[tuple[str, str, str, str, str, str], ...]  # action, owner, due, status, criteria, progress
    meeting: tuple[str, tuple[str, ...], str] | None  # (held on, attendees, agreed)
    previous_on: str = ""
    movement: tuple[tuple[str, str, str, str], ...] = ()  # criterion, before, after, direction
    section_movement: tuple[tuple[str, int, int, int, int], ...] = ()  # section, up, same, down, compared
    fills: dict = field(default_factory=dict)  # level label -> grid colour


def criterion_refs(template: AuditTemplate) -> dict[str, str]:
    """Each criterion's "area.criterion" number (criterion numbers restart in each area)."""
    return {c.id: f"{i}.{c.number}" for i, s in enumerate(template.sections, start=1) for c in s.criteria}


def audit_report_data(
    snap: AuditSnapshot, previous: AuditSnapshot | None = None, conducted_by: str = ""
) -> AuditReportData:
    """Everything the audit summary report prints, from one audit (and, for a review,
    the finalised audit it reviews)."""
    t = snap.template
    counts = {c.section_id: c for c in audit_counts(snap)}
    label_of = {str(o.value): o.label for o in t.levels}
    grid, good, judgements = [], [], []
    refs = criterion_refs(t)
    for section in t.sections:
        rated = [c for c in section.criteria if c.kind == RATED]
        for c in section.criteria:
            r = snap.ratings.get(c.id)
            if r and r["good_practice"]:
                good.append((section.label, c.text, r["evidence"] or ""))
        if rated:
            sc = counts[section.id]
            grid.append(
                GridSection(
                    section.id,
                    section.label,
                    tuple(
                        GridRow(
                            refs[c.id],
                            c.text,
                            snap.value(c.id),
                            t.level_label(snap.value(c.id)) or "Not rated",
                            level_fill(t, snap.value(c.id)),
                            bool((snap.ratings.get(c.id) or {}).get("good_practice")),
                        )
                        for c in rated
                    ),
                    {label_of[v]: n for v, n in sc.by_level.items()},
                    sc.not_seen,
                    sc.not_applicable,
                    sc.not_rated,
                )
            )
        j = snap.judgements.get(section.id)
        if j and (j["value"] or j["strengths"] or j["development"]):
            jl = ""
            if j["value"] and section.judgement_scale:
                jl = next((lv.label for lv in section.judgement_scale.levels if lv.value == j["value"]), j["value"])
            judgements.append((section.label, jl, j["strengths"] or "", j["development"] or ""))
    numbers = refs
    actions = tuple(
        (
            a["action"],
            a["owner"] or "",
            to_uk(a["due_on"]) if a["due_on"] else "",
            ACTION_STATUSES.get(a["status"], a["status"]),
            ", ".join(numbers.get(c, c) for c in json.loads(a["criteria"] or "[]")),
            a["progress"] or "",
        )
        for a in snap.actions
    )
    m = snap.meeting
    meeting = None
    if m and (m["held_on"] or m["agreed"] or json.loads(m["attendees"] or "[]")):
        meeting = (
            to_uk(m["held_on"]) if m["held_on"] else "",
            tuple(json.loads(m["attendees"] or "[]")),
            m["agreed"] or "",
        )
    moves, smoves, prev_on = (), (), ""
    if previous is not None:
        text = {c.id: f"{refs[c.id]} {c.text}" for c in t.criteria.values()}
        moves = tuple(
            (
                text[mv.criterion_id],
                t.level_label(mv.before) or "Not rated",
                t.level_label(mv.after) or "Not rated",
                {"up": "Up", "down": "Down", "same": "Same"}.get(mv.direction or "", "Not compared"),
            )
            for mv in movement(previous, snap)
        )
        smoves = tuple(
            (t.section(sid).label, sm.up, sm.same, sm.down, sm.compared)
            for sid, sm in section_movement(previous, snap).items()
        )
        prev_on = to_uk(previous.audit["conducted_on"])
    return AuditReportData(
        snap.id,
        snap.school_name,
        t.title,
        to_uk(snap.audit["conducted_on"]),
        conducted_by,
        snap.audit["status"],
        bool(snap.audit["review_of"]),
        tuple(o.label for o in t.levels),
        snap.audit["good_practice"] or "",
        tuple(good),
        tuple(grid),
        tuple(judgements),
        actions,
        meeting,
        prev_on,
        moves,
        smoves,
        {o.label: level_fill(t, str(o.value)) for o in t.levels},
    )


# -- a table whose cells carry a fill (the rating grid) ------------------------------------------
@dataclass(frozen=True)
class FilledTable(TableBlock):
    """A TableBlock with per-cell fills: {(row index in rows, column): "#rrggbb"}."""

    fills: dict = field(default_factory=dict)


class AuditRenderer(ReportRenderer):
    """The shared renderer, plus cell fills for the rating grid."""

    def table(self, block, text_width):
        out = super().table(block, text_width)
        if isinstance(block, FilledTable) and out and isinstance(out[0], Table):
            out[0].setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (col, row + 1), (col, row + 1), colors.HexColor(fill))
                        for (row, col), fill in block.fills.items()
                    ]
                    + [("BOX", (col, row + 1), (col, row + 1), 0.5, colors.white) for (row, col) in block.fills]
                )
            )
        return out


# -- the school's report ------------------------------------------------------------------------
def audit_document(data: AuditReportData, author: str = "", today: date | None = None) -> Document:
    kind = "review" if data.is_review else "audit"
    sections: list[Section] = []
    gp_rows = [(s, c, e) for s, c, e in data.good_practice]
    sections.append(
        Section(
            "Good practice to share",
            [
                Text(data.good_practice_text),
                TableBlock(
                    ("Area", "Criterion", "What was seen"),
                    gp_rows,
                    widths=(0.22, 0.38, 0.40),
                    caption="Criteria the practitioner flagged as good practice to share.",
                ),
            ],
        )
    )
    grid_blocks = []
    level_cols = list(data.levels) + ["Not seen", "N/A", "Not rated"]
    count_rows = [
        (g.label, *[g.counts.get(lv, 0) for lv in data.levels], g.not_seen, g.not_applicable, g.not_rated, g.rated)
        for g in data.grid
    ]
    grid_blocks.append(
        TableBlock(
            ("Area", *level_cols, "Rated"),
            count_rows,
            widths=[0.26] + [0.74 / (len(level_cols) + 1)] * (len(level_cols) + 1),
            align_right=tuple(range(1, len(level_cols) + 2)),
            caption="Criteria at each rating per area. 'Rated' counts only the "
            "scale's levels: not seen, not applicable and not rated are "
            "counted apart.",
        )
    )
    for g in data.grid:
        rows = [(r.number, r.criterion + ("  (good practice)" if r.good_practice else ""), r.label) for r in g.rows]
        grid_blocks.append(
            FilledTable(
                ("#", g.label, "Rating"),
                rows,
                widths=(0.07, 0.71, 0.22),
                fills={(i, 2): r.fill for i, r in enumerate(g.rows)},
            )
        )
    sections.append(Section("Ratings by area", grid_blocks))
    sections.append(
        Section(
            "Judgements, strengths and areas for development",
            [
                TableBlock(
                    ("Area", "Judgement", "Areas of strength", "Areas for development"),
                    data.judgements,
                    widths=(0.2, 0.16, 0.32, 0.32),
                )
            ],
        )
    )
    sections.append(
        Section(
            "Action plan",
            [
                TableBlock(
                    ("Action", "Owner", "Due", "Status", "Criteria", "Progress"),
                    data.actions,
                    widths=(0.23, 0.16, 0.16, 0.12, 0.13, 0.20),
                    caption="Criteria are the numbers in the ratings above.",
                )
            ],
        )
    )
    if data.meeting:
        held, who, agreed = data.meeting
        lines = []
        if held:
            lines.append(f"Held on {held}.")
        if who:
            lines.append("Attended: " + ", ".join(who) + ".")
        if agreed:
            lines += ["", "Agreed: " + agreed]
        sections.append(Section("Feedback meeting", [Text("\n".join(lines))]))
    if data.is_review:
        sections.append(
            Section(
                f"Movement since the audit of {data.previous_on}",
                [
                    TableBlock(
                        ("Area", "Up", "Same", "Down", "Compared"),
                        data.section_movement,
                        widths=(0.4, 0.15, 0.15, 0.15, 0.15),
                        align_right=(1, 2, 3, 4),
                        caption="Criteria rated on the scale both times; up means a higher rating now.",
                    ),
                    FilledTable(
                        ("Criterion", "Then", "Now", "Movement"),
                        data.movement,
                        widths=(0.5, 0.16, 0.16, 0.18),
                        fills={
                            (i, col): data.fills.get(m[col], UNRATED_FILL)
                            for i, m in enumerate(data.movement)
                            for col in (1, 2)
                        },
                    ),
                ],
            )
        )
    facts = [("School", data.school), ("Template", data.template_title), ("Conducted on", data.conducted_on)]
    if data.conducted_by:
        facts.append(("Conducted by", data.conducted_by))
    if data.is_review:
        facts.append(("Reviews the audit of", data.previous_on))
    if data.status != "final":
        facts.append(("Status", "Draft — not yet finalised"))
    return Document(
        title=f"Behaviour {kind} summary: {data.school}"
        if "ehaviour" in data.template_title
        else f"{data.template_title} summary: {data.school}",
        subject=f"School {kind} summary report",
        author=author,
        report_date=today or date.today(),
        facts=facts,
        sections=sections,
    )


def render_audit_report(data: AuditReportData, letterhead: Letterhead | None = None, author: str = "") -> bytes:
    return AuditRenderer(letterhead).generate(audit_document(data, author))


def load_report_data(records, audit_id: str) -> AuditReportData:
    snap = records.snapshot(audit_id)
    previous = records.snapshot(snap.audit["review_of"]) if snap.audit["review_of"] else None
    who = ""
    if snap.audit["conducted_by"]:
        row = records.store.get("caseworker", snap.audit["conducted_by"])
        who = row["name"] if row else ""
    return audit_report_data(snap, previous, who)


def report_file_name(data: AuditReportData) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in data.school).strip("-")
    kind = "review" if data.is_review else "audit"
    return f"{kind}-summary-{safe}-{data.conducted_on.replace('/', '-')}.pdf"


def issue_report(records, audit_id: str, letterhead: Letterhead | None = None, author: str = "") -> tuple[str, bytes]:
    """Render the summary report and attach it to the audit (encrypted, synced, as visit
    reports are); returns (attachment id, PDF bytes). One transaction."""
    from desktop.store.attachments import put_blob, sha256_hex

    data = load_report_data(records, audit_id)
    pdf = render_audit_report(data, letterhead, author)
    audit = records.audit(audit_id)
    store = records.store
    with store.transaction():
        digest = sha256_hex(pdf)
        put_blob(store, pdf, digest)
        att = store.create(
            "attachment",
            {
                "sha256": digest,
                "size": len(pdf),
                "media_type": "application/pdf",
                "filename": report_file_name(data),
                "title": f"Audit summary report ({data.conducted_on})",
                "school_id": audit["school_id"],
                "audit_id": audit_id,
            },
        )
        store.log("export", "audit", audit_id, "summary report issued as an attachment")
    return att, pdf


# -- the commissioner summary (across schools; no pupil data) ------------------------------------
@dataclass(frozen=True)
class CriterionRow:
    ref: str  # "section.criterion" numbers, e.g. "2.3" (numbers restart in each section)
    section: str
    text: str
    counts: dict[str, int]  # level label -> schools
    not_seen: int
    not_applicable: int
    not_rated: int
    good_practice: int

    @property
    def rated(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class CommissionerData:
    template_title: str
    date_from: str
    date_to: str
    schools: int
    reviews: int
    levels: tuple[str, ...]
    criteria: tuple[CriterionRow, ...]
    development: tuple[tuple[str, int], ...]  # (criterion "n. text", schools at the lowest level)
    good_practice: tuple[tuple[str, int], ...]  # (criterion "n. text", schools flagging it)
    movement: tuple[tuple[str, int, int, int, int], ...]  # criterion, up, same, down, compared
    transitions: tuple[tuple[str, str, int], ...]  # before label, after label, criteria


def commissioner_data(summary: CrossSchoolSummary, template: AuditTemplate) -> CommissionerData:
    """The commissioner summary's figures: exactly ``cross_school``'s, labelled."""
    crit = template.criteria
    label = {str(o.value): o.label for o in template.levels}
    sec = {s.id: s.label for s in template.sections}

    refs = criterion_refs(template)

    def name(cid: str) -> str:
        return f"{refs[cid]} {crit[cid].text}"

    rows = tuple(
        CriterionRow(
            refs[c.criterion_id],
            sec.get(c.section_id, c.section_id),
            c.text,
            {label[v]: n for v, n in c.schools_by_level.items()},
            c.not_seen,
            c.not_applicable,
            c.not_rated,
            c.good_practice,
        )
        for c in summary.criteria
    )
    trans: dict[tuple[str, str], int] = {}
    for m in summary.movement:
        for (b, a), n in m.transitions.items():
            key = (template.level_label(b), template.level_label(a))
            trans[key] = trans.get(key, 0) + n
    order = {lv: i for i, lv in enumerate(label.values())}
    return CommissionerData(
        template.title,
        to_uk(summary.date_from) if summary.date_from else "",
        to_uk(summary.date_to) if summary.date_to else "",
        summary.schools,
        summary.reviews,
        tuple(label.values()),
        rows,
        tuple((name(c), n) for c, n in summary.development),
        tuple((name(c), n) for c, n in summary.good_practice),
        tuple((name(m.criterion_id), m.up, m.same, m.down, m.compared) for m in summary.movement if m.compared),
        tuple(
            (b, a, n)
            for (b, a), n in sorted(trans.items(), key=lambda kv: (order.get(kv[0][0], 9), order.get(kv[0][1], 9)))
        ),
    )


def commissioner_chart(data: CommissionerData, section: str | None = None) -> charts.BarChart:
    """Schools at each level per criterion, stacked (the same description for window and PDF)."""
    rows = [r for r in data.criteria if section is None or r.section == section]
    k = len(data.levels)
    series = tuple(
        charts.Series(
            lv,
            tuple(float(r.counts[lv]) for r in rows),
            CHART_COLOURS[0]
            if i == 0
            else CHART_COLOURS[2]
            if i == k - 1
            else CHART_COLOURS[1 if k == 3 else 3 + (i % 2)],
            striped=0 < i < k - 1,
        )
        for i, lv in enumerate(data.levels)
    )
    return charts.BarChart(
        f"Schools at each rating{': ' + section if section else ''}",
        tuple(r.ref for r in rows),
        series,
        y_label="Schools",
        stacked=True,
        short_labels=tuple(r.ref for r in rows),
        height=230.0,
    )


def commissioner_document(data: CommissionerData, author: str = "", today: date | None = None) -> Document:
    levels = list(data.levels)
    sections = [
        Section(
            "At a glance",
            [
                Text(
                    f"{data.schools} school(s) had a finalised {data.template_title.lower()} or review conducted "
                    f"between {data.date_from} and {data.date_to}; each school counts once, at its latest. "
                    f"{data.reviews} follow-up review(s) in the range were compared with the audits they review.\n\n"
                    "'Rated' counts schools rated on the scale: not seen, not applicable and not rated are "
                    "counted apart and never in a denominator. No pupil is named or counted in this report."
                )
            ],
        )
    ]
    by_section: dict[str, list[CriterionRow]] = {}
    for r in data.criteria:
        by_section.setdefault(r.section, []).append(r)
    blocks = [
        ChartBlock(
            commissioner_chart(data),
            caption="One bar per criterion, by its number in the tables below (area.criterion); "
            "each segment prints its number of schools and the total sits on top; "
            f"the striped segment is {', '.join(levels[1:-1]) or 'the middle level'}.",
        )
    ]
    for name, rows in by_section.items():
        blocks.append(
            TableBlock(
                ("#", name, *levels, "Not seen", "N/A", "Rated"),
                [
                    (r.ref, r.text, *[r.counts[lv] for lv in levels], r.not_seen, r.not_applicable, r.rated)
                    for r in rows
                ],
                widths=[0.07, 0.31] + [0.62 / (len(levels) + 3)] * (len(levels) + 3),
                align_right=tuple(range(2, len(levels) + 5)),
            )
        )
    sections.append(Section("Schools at each rating, per criterion", blocks))
    sections.append(
        Section(
            "Most frequent areas for development",
            [
                TableBlock(
                    ("Criterion", f"Schools rated {levels[0]}"),
                    data.development,
                    widths=(0.8, 0.2),
                    align_right=(1,),
                    caption=f"An area for development is a criterion rated {levels[0]} (the scale's lowest level).",
                )
            ],
        )
    )
    sections.append(
        Section(
            "Most frequent good practice",
            [
                TableBlock(
                    ("Criterion", "Schools"),
                    data.good_practice,
                    widths=(0.8, 0.2),
                    align_right=(1,),
                    caption="Criteria the practitioner flagged as good practice to share.",
                )
            ],
        )
    )
    sections.append(
        Section(
            "Movement between audits and reviews",
            [
                TableBlock(
                    ("From", "To", "Criteria"),
                    data.transitions,
                    widths=(0.35, 0.35, 0.3),
                    align_right=(2,),
                    caption="Over every review in the range: each criterion rated on the scale in the "
                    "review and in the audit it reviews.",
                ),
                TableBlock(
                    ("Criterion", "Up", "Same", "Down", "Compared"),
                    data.movement,
                    widths=(0.52, 0.12, 0.12, 0.12, 0.12),
                    align_right=(1, 2, 3, 4),
                ),
            ],
        )
    )
    return Document(
        title=f"{data.template_title}: commissioner summary",
        subject=f"Across schools, {data.date_from} to {data.date_to}",
        author=author,
        report_date=today or date.today(),
        facts=[
            ("Period", f"{data.date_from} to {data.date_to}"),
            ("Schools", str(data.schools)),
            ("Reviews compared", str(data.reviews)),
        ],
        sections=sections,
    )


def render_commissioner(data: CommissionerData, letterhead: Letterhead | None = None, author: str = "") -> bytes:
    return AuditRenderer(letterhead).generate(commissioner_document(data, author))
