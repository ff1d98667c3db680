"""Audit summaries: pure functions over audit snapshots (no Qt, no store).

Definitions (each figure means one thing; docs/audits.md says the same):

* **rated** (a denominator): criteria, or schools, rated on one of the scale's levels.
  "Not seen", "not applicable" and criteria left blank are counted apart and never
  enter a denominator.
* **One school, one audit** in a cross-school summary: each school's latest finalised
  audit or review on the template, conducted in the date range (a correction that is
  finalised replaces what it corrects; a draft never counts).
* **Area for development**: a criterion rated on the scale's lowest level (Red,
  Emerging...). **Good practice**: a criterion the practitioner flagged as good practice.
* **Movement**: for each finalised review in the range, each criterion rated on a level
  both in the review and in the audit it reviews: up, down or the same; and the
  before → after transitions (Red → Amber ...). Rows add up to the criteria compared.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from desktop.audits.records import AuditSnapshot
from desktop.audits.review import movement
from desktop.audits.template import NOT_APPLICABLE, NOT_SEEN, RATED, AuditTemplate

NOT_RATED = "not_rated"  # left blank


@dataclass(frozen=True)
class SectionCounts:
    section_id: str
    label: str
    by_level: dict[str, int]  # level value -> criteria, in scale order
    not_seen: int
    not_applicable: int
    not_rated: int

    @property
    def rated(self) -> int:
        return sum(self.by_level.values())

    def share(self, level: str) -> float | None:
        return self.by_level[level] / self.rated if self.rated else None


def audit_counts(snap: AuditSnapshot) -> list[SectionCounts]:
    """For one audit: counts by rating per section (rated criteria only)."""
    t = snap.template
    out = []
    for section in t.sections:
        crits = [c for c in section.criteria if c.kind == RATED]
        if not crits:
            continue
        values = Counter(snap.value(c.id) for c in crits)
        out.append(
            SectionCounts(
                section.id,
                section.label,
                {str(o.value): values.get(str(o.value), 0) for o in t.levels},
                values.get(NOT_SEEN, 0),
                values.get(NOT_APPLICABLE, 0),
                values.get(None, 0),
            )
        )
    return out


@dataclass
class CriterionAcross:
    criterion_id: str
    section_id: str
    text: str
    schools_by_level: dict[str, int]
    not_seen: int = 0
    not_applicable: int = 0
    not_rated: int = 0
    good_practice: int = 0

    @property
    def rated(self) -> int:
        return sum(self.schools_by_level.values())


@dataclass
class MovementCounts:
    criterion_id: str
    up: int = 0
    down: int = 0
    same: int = 0
    transitions: Counter = field(default_factory=Counter)  # (before, after) -> reviews

    @property
    def compared(self) -> int:
        return self.up + self.down + self.same


@dataclass
class CrossSchoolSummary:
    template_id: str
    date_from: str | None
    date_to: str | None
    schools: int
    audit_ids: list[str]
    criteria: list[CriterionAcross]
    development: list[tuple[str, int]]  # (criterion id, schools at the lowest level), most first
    good_practice: list[tuple[str, int]]  # (criterion id, schools flagging it), most first
    reviews: int
    movement: list[MovementCounts]

    def as_dict(self) -> dict:
        return {
            "template_id": self.template_id,
            "from": self.date_from,
            "to": self.date_to,
            "schools": self.schools,
            "audits": self.audit_ids,
            "criteria": [
                {
                    "criterion": c.criterion_id,
                    "section": c.section_id,
                    "text": c.text,
                    "schools_by_level": c.schools_by_level,
                    "rated": c.rated,
                    "not_seen": c.not_seen,
                    "not_applicable": c.not_applicable,
                    "not_rated": c.not_rated,
                    "good_practice": c.good_practice,
                }
                for c in self.criteria
            ],
            "areas_for_development": [{"criterion": c, "schools": n} for c, n in self.development],
            "good_practice": [{"criterion": c, "schools": n} for c, n in self.good_practice],
            "reviews": self.reviews,
            "movement": [
                {
                    "criterion": m.criterion_id,
                    "up": m.up,
                    "down": m.down,
                    "same": m.same,
                    "compared": m.compared,
                    "transitions": [{"from": b, "to": a, "reviews": n} for (b, a), n in sorted(m.transitions.items())],
                }
                for m in self.movement
            ],
        }


def latest_per_school(audits: list[dict]) -> list[dict]:
    """Of current finalised audits (oldest first), each school's latest."""
    latest: dict[str, dict] = {}
    for a in sorted(audits, key=lambda a: (a["conducted_on"], a.get("finalised_at") or "")):
        latest[a["school_id"]] = a
    return sorted(latest.values(), key=lambda a: a["school_id"])


def cross_school(
    template: AuditTemplate,
    snaps: dict[str, AuditSnapshot],
    reviewed: dict[str, AuditSnapshot],
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    top: int = 10,
) -> CrossSchoolSummary:
    """The commissioner's summary over ``snaps`` (current finalised audits of ``template``
    in the range, by id) and ``reviewed`` (the audits the reviews among them follow up)."""
    chosen = latest_per_school([s.audit for s in snaps.values()])
    lowest = str(template.levels[0].value)
    rows: list[CriterionAcross] = []
    for section in template.sections:
        for c in section.criteria:
            if c.kind != RATED:
                continue
            row = CriterionAcross(c.id, section.id, c.text, {str(o.value): 0 for o in template.levels})
            for a in chosen:
                r = snaps[a["id"]].ratings.get(c.id)
                v = r["value"] if r else None
                if v in row.schools_by_level:
                    row.schools_by_level[v] += 1
                elif v == NOT_SEEN:
                    row.not_seen += 1
                elif v == NOT_APPLICABLE:
                    row.not_applicable += 1
                else:
                    row.not_rated += 1
                if r and r["good_practice"]:
                    row.good_practice += 1
            rows.append(row)
    order = {r.criterion_id: i for i, r in enumerate(rows)}

    def ranked(pairs):
        return sorted(((c, n) for c, n in pairs if n), key=lambda p: (-p[1], order[p[0]]))[:top]

    moves = {r.criterion_id: MovementCounts(r.criterion_id) for r in rows}
    reviews = [s for s in snaps.values() if s.audit["review_of"] and s.audit["review_of"] in reviewed]
    for review in sorted(reviews, key=lambda s: s.id):
        for m in movement(reviewed[review.audit["review_of"]], review):
            if m.change is None:
                continue
            mc = moves[m.criterion_id]
            mc.up += m.change > 0
            mc.down += m.change < 0
            mc.same += m.change == 0
            mc.transitions[(m.before, m.after)] += 1
    return CrossSchoolSummary(
        template.id,
        date_from,
        date_to,
        len(chosen),
        [a["id"] for a in chosen],
        rows,
        ranked((r.criterion_id, r.schools_by_level[lowest]) for r in rows),
        ranked((r.criterion_id, r.good_practice) for r in rows),
        len(reviews),
        [moves[r.criterion_id] for r in rows],
    )


def load_summary(
    records, template_id: str, date_from: str | None = None, date_to: str | None = None, top: int = 10
) -> CrossSchoolSummary:
    """Read what ``cross_school`` needs from the store in a handful of queries."""
    template = records.template(template_id)
    audits = [a for a in records.current_finals(date_from, date_to) if a["template_id"] == template_id]
    reviewed_ids = {a["review_of"] for a in audits if a["review_of"]}
    by_id = {a["id"]: a for a in records.current_finals() if a["id"] in reviewed_ids}
    # A review of an audit since corrected still compares with what it reviewed.
    for rid in reviewed_ids - set(by_id):
        row = records.store.get("audit", rid)
        if row is not None:
            by_id[rid] = row
    snaps = bulk_snapshots(records, template, audits)
    reviewed = bulk_snapshots(records, template, list(by_id.values()))
    return cross_school(template, snaps, reviewed, date_from=date_from, date_to=date_to, top=top)


def bulk_snapshots(records, template: AuditTemplate, audits: list[dict]) -> dict[str, AuditSnapshot]:
    """Snapshots holding ratings only, read with one query per 500 audits."""
    out = {a["id"]: AuditSnapshot(a, template, "") for a in audits}
    ids = list(out)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in records.store.db.query(
            "SELECT audit_id, criterion_id, value, evidence, good_practice FROM audit_rating "
            f"WHERE deleted = 0 AND audit_id IN ({marks})",
            chunk,
        ):
            out[r["audit_id"]].ratings[r["criterion_id"]] = r
    return out
