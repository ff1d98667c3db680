"""Shared fixtures for the instrument-pack tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from desktop.forms.loader import load_pack_file
from desktop.forms.registry import BUILTIN_DIR

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def fieldnote_home(tmp_path, monkeypatch):
    """Every test gets its own data folder, so installed packs never leak."""
    home = tmp_path / "home"
    monkeypatch.setenv("FIELDNOTE_HOME", str(home))
    return home


def builtin(pack_id: str):
    """A built-in pack, freshly loaded."""
    return load_pack_file(BUILTIN_DIR / f"{pack_id}.json")


# A small but complete pack: every feature the validator checks, used as the
# starting point of the malformed-pack cases (each mutates one thing).
MINIMAL_PACK = {
    "format": "fieldnote-instrument-pack",
    "format_version": 1,
    "id": "mini",
    "version": "1.0.0",
    "title": "Minimal test instrument",
    "licence": "test data",
    "source": "test data",
    "synthetic": True,
    "informants": ["parent", "teacher"],
    "age_bands": ["4-17"],
    "response_sets": [
        {
            "id": "ntc",
            "options": [
                {"value": 0, "label": "no", "score": 0},
                {"value": 1, "label": "some", "score": 1},
                {"value": 2, "label": "yes", "score": 2},
            ],
        },
        {
            "id": "imp",
            "options": [{"value": 0, "label": "none", "score": 0}, {"value": 1, "label": "lots", "score": 1}],
        },
    ],
    "items": [
        {"id": "a1", "number": 1, "label": "a one", "response_set": "ntc"},
        {"id": "a2", "number": 2, "label": "a two", "response_set": "ntc", "reverse": True},
        {"id": "a3", "number": 3, "label": "a three", "response_set": "ntc"},
        {"id": "b1", "number": 4, "label": "b one", "response_set": "ntc"},
        {"id": "b2", "number": 5, "label": "b two", "response_set": "ntc"},
        {"id": "gate", "number": 6, "label": "any difficulty", "response_set": "ntc"},
        {"id": "i1", "number": 7, "label": "impact one", "response_set": "imp"},
    ],
    "scales": [
        {
            "id": "a",
            "label": "Scale A",
            "strand": "s",
            "items": ["a1", "a2", "a3"],
            "scoring": {"rule": "prorated_mean", "n": 3, "min_answered": 2},
        },
        {"id": "b", "label": "Scale B", "strand": "s", "items": ["b1", "b2"], "scoring": {"rule": "sum"}},
    ],
    "derived": [
        {"id": "total", "label": "Total", "rule": "sum", "of": ["a", "b"]},
        {
            "id": "impact",
            "label": "Impact",
            "rule": "impact",
            "items": ["i1"],
            "gate": {"item": "gate", "zero_when": [0]},
        },
    ],
    "band_schemes": [
        {
            "id": "bands",
            "label": "Bands",
            "tables": [
                {
                    "scale": "total",
                    "informant": "parent",
                    "age_band": "4-17",
                    "source": "test",
                    "bands": [
                        {"label": "low", "min": 0, "max": 4},
                        {"label": "mid", "min": 5, "max": 7},
                        {"label": "high", "min": 8, "max": 10},
                    ],
                },
            ],
        },
    ],
}


@pytest.fixture
def minimal_pack() -> dict:
    """A deep copy of MINIMAL_PACK to mutate."""
    return copy.deepcopy(MINIMAL_PACK)


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
