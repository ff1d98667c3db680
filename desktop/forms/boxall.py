"""The Boxall Profile: its public structure, and results from a licensed pack.

The structure below is public (instruments.md) and built in. The licensed
content — item wording, which item belongs to which cluster, and the
competence ranges — is nurtureuk's and comes from a pack the service installs
(``"structure": "boxall"``). ``boxall-synthetic`` stands in for tests and the
demo; its key and ranges are invented and must never be used on a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from desktop.forms.pack import InstrumentPack, Number
from desktop.forms.scoring import plan_for

ITEMS_PER_SECTION = 34
SECTION_DEVELOPMENTAL = "I"
SECTION_DIAGNOSTIC = "II"

#: Section I answer key (score → meaning); every item is rated 0–4.
SECTION_I_KEY = {
    4: "yes/usually",
    3: "at times",
    2: "to some extent",
    1: "not really/virtually never",
    0: "does not arise/not relevant",
}

#: Section I (developmental strands): strand → its clusters.
DEVELOPMENTAL_STRANDS = {
    "Organisation of experience": ("A", "B", "C", "D", "E"),
    "Internalisation of controls": ("F", "G", "H", "I", "J"),
}
#: Section II (diagnostic profile) groups; which of Q–Z sits in which group
#: is part of the pack (instruments.md names the groups, not the split).
DIAGNOSTIC_GROUPS = ("Self-limiting features", "Undeveloped behaviour", "Unsupported development")
DIAGNOSTIC_CLUSTERS = ("Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z")
DEVELOPMENTAL_CLUSTERS = tuple(c for clusters in DEVELOPMENTAL_STRANDS.values() for c in clusters)

#: The two forms, by age band.
FORMS = {
    "4-11": "Boxall Profile (ages 4–11, restandardised 2017)",
    "11-19": "Boxall Profile for Young People (ages 11–19)",
}


def structure_problems(pack: InstrumentPack) -> list[str]:
    """Ways a ``"structure": "boxall"`` pack departs from the Boxall structure."""
    problems: list[str] = []
    where = "boxall structure"
    section_ids = {s.id for s in pack.sections}
    for sec in (SECTION_DEVELOPMENTAL, SECTION_DIAGNOSTIC):
        if sec not in section_ids:
            problems.append(f"{where}: missing section '{sec}'")
    for band in pack.age_bands:
        if band not in FORMS:
            problems.append(f"{where}: age band '{band}' is not a Boxall form ({', '.join(FORMS)})")

    by_section: dict[str | None, list] = {}
    for item in pack.items:
        by_section.setdefault(item.section, []).append(item)
        rset = pack.response_sets[item.response_set]
        scores = sorted(o.score for o in rset.options if o.score is not None) if rset.kind == "options" else []
        if scores != [0, 1, 2, 3, 4]:
            problems.append(f"{where}: item '{item.id}' must be rated 0-4 (response set '{rset.id}')")
        if item.reverse:
            problems.append(f"{where}: item '{item.id}' is reverse-scored; Boxall items are not")
    for sec in (SECTION_DEVELOPMENTAL, SECTION_DIAGNOSTIC):
        numbers = sorted(it.number for it in by_section.get(sec, []))
        if numbers != list(range(1, ITEMS_PER_SECTION + 1)):
            problems.append(
                f"{where}: section '{sec}' must have items numbered 1-{ITEMS_PER_SECTION}, found {len(numbers)} item(s)"
            )
    for sec in by_section:
        if sec not in (SECTION_DEVELOPMENTAL, SECTION_DIAGNOSTIC):
            problems.append(f"{where}: items must be in section I or II, not {sec!r}")

    expected = {c: (SECTION_DEVELOPMENTAL, strand) for strand, cs in DEVELOPMENTAL_STRANDS.items() for c in cs}
    expected.update({c: (SECTION_DIAGNOSTIC, None) for c in DIAGNOSTIC_CLUSTERS})
    scales = {s.id: s for s in pack.scales}
    for cid in expected:
        if cid not in scales:
            problems.append(f"{where}: missing cluster '{cid}'")
    for s in pack.scales:
        if s.id not in expected:
            problems.append(f"{where}: scale '{s.id}' is not a Boxall cluster (A-J, Q-Z)")
            continue
        section, strand = expected[s.id]
        if s.rule != "sum":
            problems.append(f"{where}: cluster '{s.id}' must use the sum rule")
        if strand is not None and s.strand != strand:
            problems.append(f"{where}: cluster '{s.id}' belongs to strand '{strand}', not {s.strand!r}")
        if strand is None and s.strand not in DIAGNOSTIC_GROUPS:
            problems.append(f"{where}: cluster '{s.id}' must be in one of {', '.join(DIAGNOSTIC_GROUPS)}")
        for m in s.items:
            if pack.item(m).section != section:
                problems.append(
                    f"{where}: cluster '{s.id}' (section {section}) lists item '{m}' of section {pack.item(m).section}"
                )
    groups = {s.strand for s in pack.scales if s.id in DIAGNOSTIC_CLUSTERS}
    for group in DIAGNOSTIC_GROUPS:
        if group not in groups:
            problems.append(f"{where}: no cluster in diagnostic group '{group}'")
    # Across strands too: each item scores in exactly one cluster.
    owners: dict[str, str] = {}
    for s in pack.scales:
        for m in s.items:
            if m in owners and owners[m] != s.id:
                problems.append(f"{where}: item '{m}' is in clusters '{owners[m]}' and '{s.id}'")
            owners[m] = s.id
    for item in pack.items:
        if item.id not in owners:
            problems.append(f"{where}: item '{item.id}' is in no cluster")
    for cid in expected:
        for informant in pack.informants:
            for band in pack.age_bands:
                if cid in scales and pack.normative_range(cid, informant, band) is None:
                    problems.append(f"{where}: no competence range for cluster '{cid}', {informant}, {band}")
    return problems


@dataclass(frozen=True)
class ClusterResult:
    """One cluster's score and where it sits against the competence range."""

    cluster: str
    label: str
    section: str
    strand: str
    developmental: bool
    score: Number | None
    competence_min: Number
    competence_max: Number
    #: "below", "within" or "above" the competence range; None if missing.
    position: str | None


@dataclass(frozen=True)
class BoxallProfile:
    """A completed profile: clusters in pack order, strengths and concerns.

    Strengths are developmental clusters within their competence range;
    concerns are developmental clusters below it and diagnostic clusters
    above it (instruments.md).
    """

    pack_id: str
    informant: str
    age_band: str
    clusters: tuple[ClusterResult, ...]
    strengths: tuple[str, ...]
    concerns: tuple[str, ...]

    def cluster(self, cluster_id: str) -> ClusterResult:
        for c in self.clusters:
            if c.cluster == cluster_id:
                return c
        raise KeyError(cluster_id)


@dataclass(frozen=True)
class ClusterChange:
    """How one cluster moved between two completions (None where missing)."""

    cluster: str
    before: Number | None
    after: Number | None
    change: Number | None
    position_before: str | None
    position_after: str | None


def _position(score: Number | None, lo: Number, hi: Number) -> str | None:
    if score is None:
        return None
    return "below" if score < lo else "above" if score > hi else "within"


def profile(
    pack: InstrumentPack, answers: Mapping[str, Any], age_band: str, informant: str | None = None
) -> BoxallProfile:
    """Score a Boxall completion against the pack's competence ranges.

    ``answers`` maps item id to its 0–4 rating (None if not rated).
    """
    if pack.structure != "boxall":
        raise ValueError(f"pack '{pack.id}' is not a Boxall Profile pack")
    informant = informant or pack.informants[0]
    plan = plan_for(pack, informant, age_band)
    scores = dict(zip(plan.score_ids, plan.compute(plan.answers_from_mapping(answers))))
    clusters = []
    for s in pack.scales:
        rng = pack.normative_range(s.id, informant, age_band)
        developmental = s.id in DEVELOPMENTAL_CLUSTERS
        clusters.append(
            ClusterResult(
                cluster=s.id,
                label=s.label,
                section=SECTION_DEVELOPMENTAL if developmental else SECTION_DIAGNOSTIC,
                strand=s.strand or "",
                developmental=developmental,
                score=scores[s.id],
                competence_min=rng.minimum,
                competence_max=rng.maximum,
                position=_position(scores[s.id], rng.minimum, rng.maximum),
            )
        )
    strengths = tuple(c.cluster for c in clusters if c.developmental and c.position == "within")
    concerns = tuple(
        c.cluster
        for c in clusters
        if (c.developmental and c.position == "below") or (not c.developmental and c.position == "above")
    )
    return BoxallProfile(pack.id, informant, age_band, tuple(clusters), strengths, concerns)


def compare(before: BoxallProfile, after: BoxallProfile) -> tuple[ClusterChange, ...]:
    """Per-cluster change from ``before`` to ``after`` (after minus before)."""
    if before.pack_id != after.pack_id:
        # Different packs may key items to clusters differently: not comparable.
        raise ValueError(f"cannot compare profiles from packs '{before.pack_id}' and '{after.pack_id}'")
    changes = []
    for b in before.clusters:
        a = after.cluster(b.cluster)
        delta = None if a.score is None or b.score is None else a.score - b.score
        changes.append(ClusterChange(b.cluster, b.score, a.score, delta, b.position, a.position))
    return tuple(changes)
