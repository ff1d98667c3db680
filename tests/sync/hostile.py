"""Values for every syncable field: a valid one, and the hostile ones a broken or malicious
client could push (used by the rules' unit tests and the hostile push test)."""

from __future__ import annotations

import json

from sync.rules import INT_MAX, INT_MIN, FieldRule

NAN, INF = float("nan"), float("inf")
# A raw JSON token no Python value serialises to; the push body carries it verbatim and the
# server's JSON parser reads it as infinity.
RAW_1E400 = "@@raw:1e400@@"


def valid_value(f: FieldRule):
    """A value the field accepts (at its limit, where it has one)."""
    rule = f.rule
    if rule.kind == "text":
        return "é" + "x" * (rule.max_length - 1)
    if rule.kind == "choice":
        return rule.choices[-1]
    if rule.kind == "date":
        return "2026-11-02"
    if rule.kind == "datetime":
        return "2026-11-02T09:15:00Z"
    if rule.kind == "json":
        return {list: "[]", dict: "{}"}.get(rule.json_type, '"a"')
    if rule.kind == "sha256":
        return "a" * 64
    if rule.kind == "boolean":
        return 1
    return rule.maximum


def hostile_values(f: FieldRule) -> list[tuple[str, object]]:
    """(what is wrong, value) pairs, each of which the field must refuse."""
    rule = f.rule
    out: list[tuple[str, object]] = [("NaN", NAN), ("Infinity", INF), ("-Infinity", -INF), ("1e400", RAW_1E400)]
    if not f.nullable:
        out.append(("null", None))
    if f.column_type == "TEXT":
        out += [
            ("a number", 12345),
            ("true", True),
            ("10**30", 10**30),
            ("too long", "x" * (rule.max_length + 1)),
            ("NUL", "ab\x00cd"),
            ("lone surrogate", "ab\ud800cd"),
            ("lone low surrogate", "\udc00"),
        ]
        if rule.kind == "choice":
            out += [("outside the choices", "bogus"), ("a choice's label", "Bogus Label")]
        elif rule.kind == "date":
            out += [("not a date", "2026-02-30"), ("a UK date", "02/11/2026")]
        elif rule.kind == "datetime":
            out += [("not a time", "yesterday")]
        elif rule.kind == "json":
            out += [("not JSON", "{not json"), ("JSON with NaN", "[NaN]")]
            if rule.json_type is list:
                out.append(("an object, not a list", '{"a": 1}'))
            elif rule.json_type is dict:
                out.append(("a list, not an object", "[1]"))
        elif rule.kind == "sha256":
            out.append(("not hex", "Z" * 64))
    else:
        out += [
            ("text", "12"),
            ("a fraction", 1.5),
            ("2**63", INT_MAX + 1),
            ("-2**63-1", INT_MIN - 1),
            ("10**30", 10**30),
        ]
        if rule.kind == "boolean":
            out.append(("neither 0 nor 1", 2))
        else:
            if rule.maximum is not None and rule.maximum < INT_MAX:
                out.append(("above the maximum", rule.maximum + 1))
            if rule.minimum is not None and rule.minimum > INT_MIN:
                out.append(("below the minimum", rule.minimum - 1))
    return out


def as_python(value):
    """What the server's JSON parser makes of a hostile value."""
    return INF if value == RAW_1E400 else value


def raw_body(obj) -> bytes:
    """``obj`` as the JSON a client could send: NaN and Infinity as bare tokens, lone
    surrogates as \\u escapes, ``RAW_1E400`` as the token 1e400 (not strict JSON; what
    ``requests``' own encoder would refuse to write)."""
    text = json.dumps(obj, allow_nan=True)
    return text.replace(json.dumps(RAW_1E400), "1e400").encode("ascii")
