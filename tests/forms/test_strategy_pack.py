"""A strategy bank is an instrument pack of kind ``strategies``, validated by the same loader."""

from __future__ import annotations

import copy

import pytest

from desktop.forms.loader import PackError, parse_pack

BANK = {
    "format": "fieldnote-instrument-pack",
    "format_version": 1,
    "kind": "strategies",
    "id": "bank",
    "version": "1",
    "title": "A bank",
    "licence": "ours",
    "source": "test",
    "synthetic": False,
    "strategies": [
        {"id": "s1", "title": "Zoë's signal", "text": "A card on the desk.", "tags": ["calm"]},
        {"id": "s2", "title": "No tags", "text": "Text."},
    ],
}


def test_a_strategies_pack_loads_its_strategies():
    pack = parse_pack(copy.deepcopy(BANK))
    assert pack.kind == "strategies" and pack.items == () and pack.scales == ()
    assert [(s.id, s.title, s.tags) for s in pack.strategies] == [
        ("s1", "Zoë's signal", ("calm",)),
        ("s2", "No tags", ()),
    ]


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda d: d["strategies"][0].pop("text"), "strategies[0] 's1': missing required field 'text'"),
        (lambda d: d["strategies"][1].update(id="s1"), "duplicate strategy id 's1'"),
        (lambda d: d["strategies"][0].update(tags="calm"), "field 'tags' must be a list"),
        (lambda d: d["strategies"][0].update(tags=["calm", ""]), "field 'tags' must be a list of words"),
        (lambda d: d["strategies"][0].update(text="x" * 4001), "at most 4000"),
        (lambda d: d["strategies"][0].update(colour="red"), "unknown field 'colour'"),
        (lambda d: d.update(strategies=[]), "must list at least one strategy"),
        (lambda d: d.update(items=[]), "a strategies pack may not contain 'items'"),
        (lambda d: d.update(kind="instrument"), "only a strategies pack may list 'strategies'"),
    ],
)
def test_a_faulty_bank_is_refused_naming_the_problem(change, problem):
    data = copy.deepcopy(BANK)
    change(data)
    with pytest.raises(PackError) as err:
        parse_pack(data, "bank.json")
    assert any(problem in p for p in err.value.problems), err.value.problems
