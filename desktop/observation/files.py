"""Observation files to and from the store (no Qt): what the window's Export observation… and
Import observation file… run on the store worker (``desktop/ui/observation_files.py``).

The format and its checks are ``desktop.observation.interchange``'s, as for
``fieldnote observation export`` / ``import`` (docs/observation-format.md); storing is
``StoreObservationRepository.add``, which refuses an observation already stored.
"""

from __future__ import annotations

from pathlib import Path

from desktop.observation.interchange import from_document, read_file, to_csv, to_document, to_json
from desktop.observation.observation import Observation
from desktop.observation.store_repository import StoreObservationRepository
from desktop.store import Store


def export_file(store: Store, observation_id: str, path: Path, fmt: str) -> Path:
    """Write the stored observation to ``path`` as ``fmt`` ("json" or "csv"), as the CLI's
    export does, and record the export in the activity log. Runs on the store worker."""
    observation = StoreObservationRepository(store).get(observation_id)
    text = to_json(observation) if fmt == "json" else to_csv(observation)
    path.write_text(text, encoding="utf-8", newline="")
    store.log("export", "observation", observation_id, f"{'JSON' if fmt == 'json' else 'CSV'} to a file")
    return path


def read_for_import(store: Store, path: Path) -> tuple[Observation, str | None]:
    """The observation in the file, validated as the CLI's import validates it, and the case
    it names if that case is on this laptop (else None). Nothing is stored."""
    observation = read_file(path)
    case_id = observation.setup.case_id
    return observation, case_id if store.get("referral", case_id) else None


def store_import(store: Store, observation: Observation, case_id: str | None) -> Observation:
    """Store an observation read by ``read_for_import``, in case ``case_id`` when given (the
    file named a case not on this laptop). Runs on the store worker."""
    if case_id is not None and case_id != observation.setup.case_id:
        document = to_document(observation)
        document["setup"]["case_id"] = case_id
        observation = from_document(document)  # validated again, as any file is
    StoreObservationRepository(store).add(observation)
    return observation
