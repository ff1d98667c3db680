"""Boxall Profile: built-in structure, licensed content from a pack, results and change."""

from __future__ import annotations

import copy
import json

import pytest

from desktop.forms import boxall
from desktop.forms.loader import PackError, parse_pack
from desktop.forms.registry import BUILTIN_DIR
from tests.forms.conftest import builtin

RAW = json.loads((BUILTIN_DIR / "boxall-synthetic.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pack():
    return builtin("boxall-synthetic")


def ratings(pack, section_i: int, section_ii: int, **overrides) -> dict:
    answers = {it.id: (section_i if it.section == "I" else section_ii) for it in pack.items}
    answers.update(overrides)
    return answers


def test_synthetic_pack_is_plainly_marked(pack):
    assert pack.synthetic is True
    assert pack.title == "Boxall Profile (synthetic — not the licensed content)"
    assert pack.structure == "boxall"
    assert all(r.source.startswith("SYNTHETIC") for r in pack.normative_ranges)


def test_structure_two_sections_of_34_items_clusters_and_strands(pack):
    assert sum(1 for it in pack.items if it.section == "I") == 34
    assert sum(1 for it in pack.items if it.section == "II") == 34
    strands = {s.id: s.strand for s in pack.scales}
    assert [c for c, st in strands.items() if st == "Organisation of experience"] == list("ABCDE")
    assert [c for c, st in strands.items() if st == "Internalisation of controls"] == list("FGHIJ")
    assert {strands[c] for c in "QRSTUVWXYZ"} == set(boxall.DIAGNOSTIC_GROUPS)
    assert sorted(pack.age_bands) == sorted(boxall.FORMS)  # 4-11 form and Young People form


def test_cluster_score_is_sum_of_its_items(pack):
    cluster_a = next(s for s in pack.scales if s.id == "A")
    answers = ratings(pack, 4, 0)
    answers[cluster_a.items[0]] = 1
    result = boxall.profile(pack, answers, "4-11")
    assert result.cluster("A").score == 4 * len(cluster_a.items) - 3


def test_competent_profile_all_strengths_no_concerns(pack):
    result = boxall.profile(pack, ratings(pack, 4, 0), "4-11")
    assert result.strengths == tuple("ABCDEFGHIJ")
    assert result.concerns == ()
    assert {c.position for c in result.clusters} == {"within"}


def test_concerns_are_developmental_below_and_diagnostic_above(pack):
    cluster_b = next(s for s in pack.scales if s.id == "B")
    cluster_q = next(s for s in pack.scales if s.id == "Q")
    answers = ratings(pack, 4, 0)
    answers.update({i: 0 for i in cluster_b.items})  # B: 0, below its range
    answers.update({i: 4 for i in cluster_q.items})  # Q: maximum, above its range
    result = boxall.profile(pack, answers, "4-11")
    assert result.cluster("B").position == "below"
    assert result.cluster("Q").position == "above"
    assert result.concerns == ("B", "Q")
    assert "B" not in result.strengths


def test_young_people_form_uses_its_own_ranges(pack):
    # Synthetic ranges: cluster A (16 max) needs 10+ on the 4-11 form, 11+ on the YP form.
    cluster_a = next(s for s in pack.scales if s.id == "A")
    answers = ratings(pack, 4, 0)
    for item in cluster_a.items[:2]:
        answers[item] = 1  # A = 16 - 6 = 10
    assert boxall.profile(pack, answers, "4-11").cluster("A").position == "within"
    assert boxall.profile(pack, answers, "11-19").cluster("A").position == "below"


def test_unrated_item_leaves_its_cluster_missing(pack):
    item = next(s for s in pack.scales if s.id == "C").items[0]
    result = boxall.profile(pack, ratings(pack, 4, 0, **{item: None}), "4-11")
    assert result.cluster("C").score is None
    assert result.cluster("C").position is None
    assert "C" not in result.strengths


def test_change_between_two_completions(pack):
    cluster_b = next(s for s in pack.scales if s.id == "B")
    first = ratings(pack, 4, 0)
    first.update({i: 1 for i in cluster_b.items})
    before = boxall.profile(pack, first, "4-11")
    after = boxall.profile(pack, ratings(pack, 4, 0), "4-11")
    changes = {c.cluster: c for c in boxall.compare(before, after)}
    assert changes["B"] == boxall.ClusterChange(
        "B", len(cluster_b.items), 4 * len(cluster_b.items), 3 * len(cluster_b.items), "below", "within"
    )
    assert changes["A"].change == 0


def test_compare_refuses_profiles_from_different_packs(pack):
    other = parse_pack({**copy.deepcopy(RAW), "id": "boxall-other"})
    a = boxall.profile(pack, ratings(pack, 4, 0), "4-11")
    b = boxall.profile(other, ratings(other, 4, 0), "4-11")
    with pytest.raises(ValueError, match="cannot compare"):
        boxall.compare(a, b)


def test_profile_needs_a_boxall_pack():
    with pytest.raises(ValueError, match="not a Boxall Profile pack"):
        boxall.profile(builtin("sdq-parent-4-17"), {}, "4-17")


def _mutated(mutate):
    data = copy.deepcopy(RAW)
    mutate(data)
    with pytest.raises(PackError) as err:
        parse_pack(data, "licensed.json")
    return "\n".join(err.value.problems)


def test_pack_missing_an_item_breaks_the_structure():
    def drop_last_section_ii_item(d):
        victim = [it for it in d["items"] if it["section"] == "II"][-1]["id"]
        d["items"] = [it for it in d["items"] if it["id"] != victim]
        for s in d["scales"]:
            s["items"] = [i for i in s["items"] if i != victim]

    assert "section 'II' must have items numbered 1-34, found 33 item(s)" in _mutated(drop_last_section_ii_item)


def test_cluster_in_the_wrong_strand_refused():
    def move(d):
        next(s for s in d["scales"] if s["id"] == "F")["strand"] = "Organisation of experience"

    assert "cluster 'F' belongs to strand 'Internalisation of controls'" in _mutated(move)


def test_cluster_missing_a_competence_range_refused():
    def drop(d):
        d["normative_ranges"] = [
            r for r in d["normative_ranges"] if not (r["scale"] == "Z" and r["age_band"] == "11-19")
        ]

    assert "no competence range for cluster 'Z', adult, 11-19" in _mutated(drop)


def test_item_in_two_clusters_refused():
    def share(d):
        a = next(s for s in d["scales"] if s["id"] == "A")
        f = next(s for s in d["scales"] if s["id"] == "F")
        f["items"].append(a["items"][0])

    assert "is in clusters 'A' and 'F'" in _mutated(share)


def test_ratings_must_be_0_to_4():
    def three_point(d):
        d["response_sets"][0]["options"] = d["response_sets"][0]["options"][:3]

    assert "must be rated 0-4" in _mutated(three_point)


def test_unknown_form_refused():
    def bad_form(d):
        d["age_bands"] = ["4-11", "11-19", "20-25"]

    assert "age band '20-25' is not a Boxall form" in _mutated(bad_form)
