"""A long answer (a pulled page) is decoded an element at a time, to the same result."""

from __future__ import annotations

import json
import random

import pytest

from sync.client.transport import loads_in_steps

VALID = [
    "{}",
    '{"a": []}',
    '{"a":[ ]}',
    ' { "a" : [ 1 , {"x": [1,2]} , "s" ] , "b": {"c": [1]}, "d": true, "e": null } ',
    '{"a": 1, "a": [2]}',
    '{"\\u00e9": ["\\ud83d\\ude00", "\\n"]}',
    '{"a":[1]}  \n',
    "[1, 2]",
    '"text"',
    '{"a": NaN}',
    '{"records":[[],[[]],{"x":[{}]}]}',
]
INVALID = [
    "",
    "  ",
    '{"a": [1,]}',
    '{"a": 1} x',
    '{"a":[1] "b":2}',
    "{1: 2}",
    '{"a" [1]}',
    '{"a": [1, 2',
    '{"a":-}',
    '{"a":[tru]}',
    '{"a":[1]',
    '{"a":[1]]}',
    "{,}",
]


@pytest.mark.parametrize("text", VALID)
def test_the_same_value_as_json_loads(text):
    assert json.dumps(loads_in_steps(text)) == json.dumps(json.loads(text))


@pytest.mark.parametrize("text", INVALID)
def test_the_same_refusal_as_json_loads(text):
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        loads_in_steps(text)
    assert str(got.value) == str(expected.value)


def test_a_page_of_records():
    rng = random.Random(3)
    records = [
        {
            "entity": "visit",
            "id": f"id-{i}",
            "version": rng.randint(1, 9),
            "fields": {"notes": "é" * rng.randint(0, 50), "n": None, "x": rng.random()},
            "field_versions": {"notes": 2},
            "deleted": rng.random() < 0.1,
        }
        for i in range(2000)
    ]
    page = {"records": records, "revoked": [{"id": "r"}], "next_cursor": 7, "has_more": True}
    for separators in ((",", ":"), (", ", ": ")):
        text = json.dumps(page, separators=separators)
        assert loads_in_steps(text) == page


def test_a_long_array_pauses_every_few_elements():
    from sync.client.transport import PAUSE_EVERY

    pauses = []
    text = json.dumps({"records": list(range(PAUSE_EVERY * 3 + 5)), "revoked": []})
    assert loads_in_steps(text, lambda: pauses.append(1)) == json.loads(text)
    assert len(pauses) == 3
