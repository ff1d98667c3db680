"""Every figure in a drafted paragraph equals the figure the summary or scoring functions give.

Random observations and completions (hypothesis); each paragraph is read back
with regular expressions and its numbers compared with ``summarise``,
``boxall.profile`` and ``score`` worked out independently here.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.forms import boxall
from desktop.forms.registry import load_registry
from desktop.forms.scoring import score
from desktop.observation import Interval, LessonPhase, ObservationRecord, ObservationSetup
from desktop.observation.observation import Observation, record_events
from desktop.observation.records import CODED, GAP, SKIPPED, subject_of
from desktop.observation.scheme import boss, minute_intervals
from desktop.observation.summary import summarise
from desktop.reports.visit import (
    CompletionInfo,
    boxall_evidence,
    draft_boxall,
    draft_observation,
    draft_sdq,
    observation_evidence,
    off_task_codes,
    sdq_evidence,
)

from .conftest import half_up_percent

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@st.composite
def observations(draw):
    scheme = draw(st.sampled_from([minute_intervals(), boss()]))
    size = scheme.interval_seconds
    n = draw(st.integers(1, 70))
    peer_every = draw(st.sampled_from([None, 2, 3, 5]))
    interval_codes = [c.id for c in scheme.interval_codes]
    rows = []
    for k in range(1, n + 1):
        status = draw(st.sampled_from([CODED] * 6 + [SKIPPED, GAP]))
        chosen = draw(st.sets(st.sampled_from(interval_codes), max_size=3)) if status == CODED else set()
        # respect exclusive groups: keep at most one code per exclusive group
        kept, groups = [], set()
        for c in scheme.codes:
            if c.id in chosen:
                exclusive = c.group and scheme.group(c.group).exclusive
                if exclusive and c.group in groups:
                    continue
                groups.add(c.group)
                kept.append(c.id)
        rows.append(Interval(k, subject_of(k, peer_every), status, tuple(kept), float((k - 1) * size), float(k * size)))
    times = sorted(draw(st.sets(st.integers(0, n * size - 1), max_size=3)))
    phases = tuple(LessonPhase(f"phase {i + 1}", float(t)) for i, t in enumerate(times))
    record = ObservationRecord(
        id="obs-h",
        version=1,
        supersedes=None,
        state="ended",
        setup=ObservationSetup(
            case_id="C", pupil="Zoë", lesson="Science", interval_seconds=size, peer_every=peer_every
        ),
        scheme=scheme,
        started_at="2026-11-10T09:00:00Z",
        ended_at="2026-11-10T11:00:00Z",
        end_reason="completed",
        observed_s=float(n * size),
        intervals=tuple(rows),
        phases=phases,
    )
    return Observation.replay(record_events(record))


def fraction(match) -> tuple[int, int, str]:
    return int(match.group(1)), int(match.group(2)), match.group(3) + "%"


@SETTINGS
@given(observations())
def test_observation_paragraph_figures_equal_the_summary(obs):
    summary = summarise(obs)
    ev = observation_evidence(obs, pupil="Zoë", observed_on="2026-11-10")
    text = draft_observation(ev)
    target, peer = summary.overall.target, summary.overall.peer

    assert f"({summary.intervals} intervals)" in text
    assert f"at {summary.interval_seconds}-second intervals" in text
    excluded = sum(n for s, n in summary.statuses.items() if s != CODED)
    left = re.search(r"(\d+) intervals? (?:were|was) left out", text)
    assert (int(left.group(1)) if left else 0) == excluded

    on = re.search(r"Zoë was on task in (\d+) of (\d+) intervals \((\d+)%\)", text)
    if target.included == 0:
        assert on is None and "no on-task figure" in text
        return
    assert fraction(on) == (
        target.on_task.numerator,
        target.included,
        half_up_percent(target.on_task.numerator, target.included),
    )
    vs = re.search(r"compared with (\d+) of (\d+) \((\d+)%\) for the peer", text)
    if peer is not None and peer.included:
        assert fraction(vs) == (
            peer.on_task.numerator,
            peer.included,
            half_up_percent(peer.on_task.numerator, peer.included),
        )
    else:
        assert vs is None

    labels = {c.id: c.label.lower() for c in obs.scheme.codes}
    off = off_task_codes(obs.scheme)
    mentioned = re.findall(r"([a-z][a-z :-]*?) \((\d+) of (\d+) intervals, (\d+)%\)", text)
    counts = sorted((target.codes[c].numerator for c in off if target.codes[c].numerator), reverse=True)
    assert [int(m[1]) for m in mentioned] == counts[:2]
    for label, num, den, pct in mentioned:
        code = next(c for c in off if labels[c].endswith(label.strip()) or label.strip().endswith(labels[c]))
        assert (int(num), int(den), pct + "%") == (
            target.codes[code].numerator,
            target.included,
            half_up_percent(target.codes[code].numerator, target.included),
        )

    low = re.search(r"Engagement was lowest during “(.+?)”: on task in (\d+) of (\d+) intervals \((\d+)%\)", text)
    blocks = [b for b in summary.by_phase if b.target.included] if summary.by_phase else []
    if low:
        block = next(b for b in summary.by_phase if b.label == low.group(1))
        share = block.target.on_task.numerator / block.target.included
        assert (int(low.group(2)), int(low.group(3))) == (block.target.on_task.numerator, block.target.included)
        assert low.group(4) + "%" == half_up_percent(block.target.on_task.numerator, block.target.included)
        assert share == min(b.target.on_task.numerator / b.target.included for b in blocks)
        assert share < target.on_task.numerator / target.included


def _info(pack, informant, age_band, time_point="T1") -> CompletionInfo:
    return CompletionInfo(
        "c1", pack.id, pack.title, pack.synthetic, informant, "teacher", "2026-11-10", time_point, age_band
    )


@SETTINGS
@given(st.data())
def test_boxall_paragraph_figures_equal_the_profile(data):
    pack = load_registry().get("boxall-synthetic")
    answers = {it.id: data.draw(st.sampled_from([None, 0, 1, 2, 3, 4])) for it in pack.items}
    age_band = data.draw(st.sampled_from(pack.age_bands))
    profile = boxall.profile(pack, answers, age_band)
    text = draft_boxall(boxall_evidence(_info(pack, pack.informants[0], age_band), profile))

    dev = [c for c in profile.clusters if c.developmental and c.score is not None]
    m = re.search(r"(\d+) of the (\d+) developmental clusters scored were within", text)
    assert (int(m.group(1)), int(m.group(2))) == (sum(c.position == "within" for c in dev), len(dev))
    by_label = {c.label: c for c in profile.clusters}
    mentions = re.findall(r"(Cluster [A-Z] \(synthetic\)) \((\d+); range (\d+)–(\d+), (\d+) (below|above)\)", text)
    for label, sc, lo, hi, gap, side in mentions:
        c = by_label[label]
        assert (int(sc), int(lo), int(hi)) == (c.score, c.competence_min, c.competence_max)
        assert int(gap) == (c.competence_min - c.score if side == "below" else c.score - c.competence_max)
        assert c.position == side and c.developmental == (side == "below")
    below = sorted((c.competence_min - c.score for c in dev if c.position == "below"), reverse=True)[:3]
    assert sorted((int(g) for *_, g, s in mentions if s == "below"), reverse=True) == below


@SETTINGS
@given(st.data())
def test_sdq_paragraph_figures_equal_the_scores_and_bands(data):
    pack = load_registry().get("sdq-teacher-4-17")
    answers = {}
    for it in pack.items:
        options = [o.value for o in pack.response_sets[it.response_set].options]
        answers[it.id] = data.draw(st.sampled_from([None] + options))
    result = score(pack, answers, "teacher", "4-17")
    text = draft_sdq(sdq_evidence(_info(pack, "teacher", "4-17"), pack, result))

    total = re.search(r"total difficulties score was (\d+)(?: \(([a-z ]+)\))?", text)
    if result.scores["ebdtot"] is None:
        assert total is None
    else:
        assert int(total.group(1)) == result.scores["ebdtot"]
        assert total.group(2) == result.band("ebdtot")
    labels = {s.id: s.label.lower() for s in pack.scales} | {d.id: d.label.lower() for d in pack.derived}
    for sid in ("emotion", "conduct", "hyper", "peer", "prosoc", "impact"):
        value, band = result.scores.get(sid), result.band(sid)
        typical = pack.band_table(None, sid, "teacher", "4-17").bands[0].label
        mention = f"{labels[sid]} {value} ({band})"
        assert (mention in text) == (value is not None and band != typical)
