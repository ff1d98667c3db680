"""Undo never overwrites someone else's change (issue 9, item 5), without a display.

A colleague's value arrives as the sync engine writes it (``tests.remote.apply_remote``, no
outbox entry) between an edit and its undo."""

from __future__ import annotations

import json

from tests.remote import apply_remote
from desktop.store.undo import Creation, FieldEdit, field_diff


def _pulled(store, entity, record_id, values, *, deleted=False):
    """A colleague's change arriving by pull (as ``SyncEngine`` applies it)."""
    row = store.get(entity, record_id, include_deleted=True)
    versions = json.loads(row["field_versions"])
    versions.update({k: row["version"] + 1 for k in values})
    apply_remote(store, entity, record_id, values, version=row["version"] + 1, field_versions=versions, deleted=deleted)


def _edit(store, entity, record_id, changes) -> FieldEdit:
    before = store.get(entity, record_id)
    store.update(entity, record_id, changes)
    old, new = field_diff(before, store.get(entity, record_id))
    return FieldEdit(store, entity, record_id, old, new)


def _outbox(store):
    return [(r["op"], json.loads(r["fields"])) for r in store.pending_changes()]


def test_undo_reverts_only_the_fields_that_still_hold_its_value(store, case):
    referral = case["referral"]
    step = _edit(store, "referral", referral, {"concern": "Shouts in assembly.", "source": "school"})
    _pulled(store, "referral", referral, {"concern": "Colleague's wording."})
    sent_before = len(store.pending_changes())
    outcome = step.undo()
    row = store.get("referral", referral)
    assert row["concern"] == "Colleague's wording."  # theirs stands
    assert row["source"] is None  # ours is undone
    assert outcome.applied == ["source"] and outcome.kept == {"concern": "Colleague's wording."}
    assert outcome.message() == (
        "Undo left the referral's concern as it is: it was changed elsewhere (by a "
        "colleague, through sync) after your edit. The rest of your change was undone."
    )
    # The undo is one ordinary edit of the field it could undo, nothing else.
    assert len(store.pending_changes()) == sent_before + 1
    assert _outbox(store)[-1] == ("update", {"source": None})


def test_undo_of_a_field_changed_elsewhere_writes_nothing(store, case):
    referral = case["referral"]
    step = _edit(store, "referral", referral, {"concern": "Shouts in assembly."})
    _pulled(store, "referral", referral, {"concern": "Colleague's wording."})
    before = _outbox(store)
    outcome = step.undo()
    assert store.get("referral", referral)["concern"] == "Colleague's wording."
    assert _outbox(store) == before and not outcome.complete
    assert "concern as it is" in outcome.message()
    # Redo is held to the same rule: the colleague's value is not replaced either.
    redo = step.redo()
    assert store.get("referral", referral)["concern"] == "Colleague's wording."
    assert redo.message().startswith("Redo left the referral's concern as it is")


def test_undo_with_nothing_changed_elsewhere_is_complete_and_silent(store, case):
    step = _edit(store, "pupil", case["pupil"], {"year_group": 6, "upn": "A123"})
    outcome = step.undo()
    row = store.get("pupil", case["pupil"])
    assert (row["year_group"], row["upn"]) == (5, None)
    assert outcome.complete and outcome.message() is None
    assert step.redo().complete and store.get("pupil", case["pupil"])["year_group"] == 6


def test_undo_of_an_edit_to_a_record_deleted_elsewhere_does_nothing(store, case):
    visit = store.create(
        "visit", {"referral_id": case["referral"], "visit_date": "2026-11-20", "visit_type": "observation"}
    )
    step = _edit(store, "visit", visit, {"notes": "Calm."})
    _pulled(store, "visit", visit, {}, deleted=True)
    before = _outbox(store)
    outcome = step.undo()
    assert outcome.deleted_elsewhere and _outbox(store) == before
    assert store.get("visit", visit, include_deleted=True)["deleted"] == 1
    assert outcome.message() == (
        "Undo left the visit alone: it was deleted elsewhere (on another laptop, then synced) after your change."
    )


def test_undo_of_a_creation_keeps_a_record_changed_or_deleted_elsewhere(store, case):
    visit = store.create(
        "visit", {"referral_id": case["referral"], "visit_date": "2026-11-20", "visit_type": "observation"}
    )
    step = Creation(store, "visit", visit)
    _pulled(store, "visit", visit, {"notes": "Added by the lead."})
    outcome = step.undo()
    assert outcome.changed_since and store.get("visit", visit)["notes"] == "Added by the lead."
    assert "kept the visit" in outcome.message()

    other = store.create(
        "visit", {"referral_id": case["referral"], "visit_date": "2026-11-21", "visit_type": "consultation"}
    )
    step = Creation(store, "visit", other)
    _pulled(store, "visit", other, {}, deleted=True)
    before = _outbox(store)
    assert step.undo().deleted_elsewhere and _outbox(store) == before

    untouched = store.create(
        "visit", {"referral_id": case["referral"], "visit_date": "2026-11-22", "visit_type": "review"}
    )
    outcome = Creation(store, "visit", untouched).undo()
    assert outcome.complete and store.get("visit", untouched) is None
