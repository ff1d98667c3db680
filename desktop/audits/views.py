"""What the audit windows show, shaped without Qt: the areas with their progress, a
section's criteria rows (rating words beside their colour, "Last time" with its arrow),
the action points, the list of audits and the cross-school summary grid. The UI's
models (``desktop.ui.audit_models``) only hand these out; every word and colour is
decided here and tested without a display."""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.audits.records import ACTION_STATUSES, AuditSnapshot
from desktop.audits.template import NOT_APPLICABLE, NOT_SEEN, RATED, YES_NO, AuditTemplate, Criterion
from desktop.dates import to_uk

COLOURS = {0: "#fecaca", 1: "#fde68a", 2: "#bbf7d0", 3: "#a7f3d0"}  # by rank from the lowest
GREY = "#e5e7eb"
DONE = "#166534"  # an area with every criterion recorded
CRITERIA_COLUMNS = ("#", "Criterion", "Rating", "Last time", "Good practice", "Evidence")
COL_NUM, COL_TEXT, COL_RATING, COL_PREVIOUS, COL_GOOD, COL_NOTE = range(6)
ACTION_COLUMNS = ("Action", "Owner", "Due", "Status", "Criteria", "Progress")
AUDIT_COLUMNS = ("Date", "School", "Template", "Kind", "Status")
ARROWS = {"up": " ↑", "down": " ↓", "same": " ="}


def level_colour(template: AuditTemplate, value: str | None) -> str | None:
    """The background of a rating: the template's own colour, else lowest red, highest
    green, in between amber; not seen and N/A grey; no rating none."""
    if value in (NOT_SEEN, NOT_APPLICABLE):
        return GREY
    if value in template.level_own_colours:
        return template.level_own_colours[value]
    rank = template.level_rank.get(value) if value else None
    if rank is None:
        return None
    top = len(template.levels) - 1
    return COLOURS[0] if rank == 0 else COLOURS[2] if rank == top else COLOURS[1]


@dataclass(frozen=True)
class AreaRow:
    section_id: str
    text: str  # "Arrival   2/3"
    complete: bool  # every criterion recorded (shown in green)


def area_rows(template: AuditTemplate, snap: AuditSnapshot) -> tuple[AreaRow, ...]:
    progress = snap.section_progress()
    rows = []
    for section in template.sections:
        done, total = progress[section.id]
        rows.append(AreaRow(section.id, f"{section.label}   {done}/{total}", done == total))
    return tuple(rows)


@dataclass(frozen=True)
class CriterionRow:
    criterion_id: str
    cells: tuple[str, ...]  # one per CRITERIA_COLUMNS
    rating_colour: str | None  # beside the rating's words, never instead of them
    previous_colour: str | None
    centred: bool  # a rated criterion's rating is centred


def value_text(template: AuditTemplate, c: Criterion, value: str | None) -> str:
    if value is None:
        return ""
    if c.kind == RATED:
        return template.level_label(value)
    if c.kind == YES_NO:
        return value.capitalize()
    return f"{value} {c.unit}".strip() if c.unit and c.unit.lower() not in ("number", "details") else value


def criterion_row(template: AuditTemplate, snap: AuditSnapshot, c: Criterion, move=None) -> CriterionRow:
    """One criterion as the table shows it; ``move`` is its ``CriterionMovement`` in a review."""
    row = snap.ratings.get(c.id) or {}
    value = row.get("value")
    previous = ""
    if move is not None:
        previous = template.level_label(move.before) + ARROWS.get(move.direction or "", "")
    cells = (
        str(c.number),
        c.text,
        value_text(template, c, value),
        previous,
        "★" if row.get("good_practice") else "",
        row.get("evidence") or "",
    )
    rated = c.kind == RATED
    return CriterionRow(
        c.id,
        cells,
        level_colour(template, value) if rated else None,
        level_colour(template, move.before) if move is not None else None,
        rated,
    )


@dataclass(frozen=True)
class ActionRow:
    action_id: str
    cells: tuple[str, ...]  # one per ACTION_COLUMNS


def action_rows(snap: AuditSnapshot) -> tuple[ActionRow, ...]:
    return tuple(
        ActionRow(
            a["id"],
            (
                a["action"],
                a["owner"] or "",
                to_uk(a["due_on"]) if a["due_on"] else "",
                ACTION_STATUSES[a["status"]],
                ", ".join(json.loads(a["criteria"])),
                a["progress"] or "",
            ),
        )
        for a in snap.actions
    )


@dataclass(frozen=True)
class AuditRow:
    audit_id: str
    cells: tuple[str, ...]  # one per AUDIT_COLUMNS


def audit_rows(audits: list[dict]) -> tuple[AuditRow, ...]:
    """``AuditRecords.list()`` as the list of audits shows it."""
    return tuple(
        AuditRow(
            a["id"],
            (
                to_uk(a["conducted_on"]),
                a["school_name"] or "",
                a["template_id"],
                "Review" if a["review_of"] else "Audit",
                "Finalised" if a["status"] == "final" else "Draft",
            ),
        )
        for a in audits
    )


@dataclass(frozen=True)
class SummaryGrid:
    """Schools at each rating per criterion: ``shades[r][c]`` is ``(colour, alpha)`` on a
    level's cell with schools in it (deeper = a larger share of the rated schools)."""

    columns: tuple[str, ...]
    refs: tuple[str, ...]  # each row's criterion reference ("1.1"), as the chart's bars
    rows: tuple[tuple[str, ...], ...]
    shades: tuple[tuple[tuple[str, int] | None, ...], ...]
    level_columns: range  # the columns of the scale's levels (centred)


def summary_grid(template: AuditTemplate, summary) -> SummaryGrid:
    from desktop.audits.report import criterion_refs

    levels = [str(o.value) for o in template.levels]
    columns = (
        "Area",
        "Criterion",
        *(template.level_label(v) for v in levels),
        "Not seen",
        "N/A",
        "Rated",
        "Good practice",
        "Up",
        "Down",
        "Same",
    )
    sections = {sec.id: sec.label for sec in template.sections}
    moves = {m.criterion_id: m for m in summary.movement}
    refs = criterion_refs(template)
    rows, shades = [], []
    for c in summary.criteria:
        m = moves[c.criterion_id]
        rows.append(
            (
                sections.get(c.section_id, c.section_id),
                c.text,
                *(str(c.schools_by_level[v]) for v in levels),
                str(c.not_seen),
                str(c.not_applicable),
                str(c.rated),
                str(c.good_practice),
                str(m.up),
                str(m.down),
                str(m.same),
            )
        )
        shade: list[tuple[str, int] | None] = [None] * len(columns)
        for i, v in enumerate(levels):
            if c.rated and c.schools_by_level[v]:
                shade[2 + i] = (level_colour(template, v), int(60 + 195 * c.schools_by_level[v] / c.rated))
        shades.append(tuple(shade))
    return SummaryGrid(
        columns,
        tuple(refs[c.criterion_id] for c in summary.criteria),
        tuple(rows),
        tuple(shades),
        range(2, 2 + len(levels)),
    )


# -- the template editor (desktop.ui.audit_template_editor) ------------------------------
EDITOR_CRITERIA_COLUMNS = ("No.", "Criterion", "Kind", "Unit")
GUIDANCE_COLUMNS = ("Rating", "Descriptor")


@dataclass(frozen=True)
class Entry:
    """One line of a list: what it shows and the id it stands for."""

    id: str
    text: str


def template_entries(registry) -> tuple[Entry, ...]:
    """The audit templates of a registry by title: title, then id and where it comes from."""
    origin = {e.id: e.origin for e in registry.entries if not e.note.startswith("not used")}
    packs = sorted((p for p in registry.packs.values() if p.kind == "audit"), key=lambda p: p.title.lower())
    return tuple(
        Entry(
            p.id,
            f"{p.title}\n{p.id} · {'built-in' if origin.get(p.id) == 'built-in' else origin.get(p.id, 'installed')}",
        )
        for p in packs
    )


def draft_areas(draft) -> tuple[Entry, ...]:
    """A ``TemplateDraft``'s areas, numbered, each with its count of criteria."""
    return tuple(
        Entry(s["id"], f"{n}. {s['label']}  ({len(draft.criteria(s['id']))})")
        for n, s in enumerate(draft.sections(), 1)
    )


@dataclass(frozen=True)
class DraftCriterion:
    criterion_id: str
    cells: tuple[str, ...]  # one per EDITOR_CRITERIA_COLUMNS


def draft_criteria(draft, section_id: str | None) -> tuple[DraftCriterion, ...]:
    from desktop.audits.editing import KINDS

    rows = []
    for item in draft.criteria(section_id) if section_id else []:
        kind, unit = draft.criterion_kind(item["id"])
        rows.append(
            DraftCriterion(
                item["id"],
                (str(item["number"]), item.get("text") or item.get("label", ""), KINDS.get(kind, "Choice"), unit),
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class GuidanceRow:
    value: str  # the level's value (kept); its label is shown
    cells: tuple[str, str]  # the level's label, the descriptor


def draft_guidance(draft, criterion_id: str | None, levels) -> tuple[GuidanceRow, ...]:
    given = draft.criterion_guidance(criterion_id) if criterion_id else {}
    return tuple(GuidanceRow(lv.value, (lv.label, given.get(lv.value, ""))) for lv in levels)


def rates_with(levels) -> tuple[tuple[str, str], ...]:
    """Beside each level, the keys that rate with it in the audit window ("Z or 4") and the
    colour it is shown in when it has none of its own (lowest red, highest green, amber)."""
    from desktop.audits.template import scale_keys

    own = {lv.value: lv.key.upper() for lv in levels if lv.key}
    keys = scale_keys([(lv.value, lv.label) for lv in levels], own)
    return tuple(
        (
            " or ".join(sorted((k for k, v in keys.items() if v == lv.value), key=str.isdigit)),
            COLOURS[0] if r == 0 else COLOURS[2] if r == len(levels) - 1 else COLOURS[1],
        )
        for r, lv in enumerate(levels)
    )
