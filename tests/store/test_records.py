"""Every edit to a syncable record writes its outbox entry and audit entry in the same transaction."""

from __future__ import annotations

import json

import pytest

from desktop.store import StoreError


def test_create_writes_record_outbox_and_audit(store):
    school = store.create("school", {"name": "Foxcote Primary School", "urn": "990123"})
    row = store.get("school", school)
    assert row["version"] == 1 and row["deleted"] == 0
    assert json.loads(row["field_versions"]) == {"name": 1, "urn": 1}
    (entry,) = store.pending_changes()
    assert (entry["entity"], entry["record_id"], entry["op"], entry["base_version"]) == ("school", school, "create", 0)
    assert json.loads(entry["fields"]) == {"name": "Foxcote Primary School", "urn": "990123"}
    assert entry["device_id"] == store.device_id and entry["schema_version"] == store.schema_version
    assert [(a["action"], a["actor"], a["record_id"]) for a in store.audit_trail()] == [("create", "tester", school)]


def test_update_records_only_changed_fields_with_base_version(store):
    school = store.create("school", {"name": "Foxcote Primary School", "urn": "990123"})
    after = store.update("school", school, {"name": "Foxcote Primary School", "area": "Ashbridge East"})
    assert after["version"] == 2
    assert json.loads(after["field_versions"]) == {"name": 1, "urn": 1, "area": 2}
    entry = store.pending_changes()[-1]
    assert (entry["op"], entry["base_version"], json.loads(entry["fields"])) == (
        "update",
        1,
        {"area": "Ashbridge East"},
    )
    assert store.audit_trail()[-1]["detail"] == "area"


def test_update_without_change_writes_nothing(store):
    school = store.create("school", {"name": "Foxcote"})
    store.update("school", school, {"name": "Foxcote"})
    assert store.pending_count() == 1 and len(store.audit_trail()) == 1


def test_delete_is_a_tombstone_and_blocks_later_edits(store):
    school = store.create("school", {"name": "Foxcote"})
    store.delete("school", school)
    assert store.get("school", school) is None
    tomb = store.get("school", school, include_deleted=True)
    assert tomb["deleted"] == 1 and tomb["version"] == 2
    assert store.pending_changes()[-1]["op"] == "delete"
    with pytest.raises(StoreError, match="deleted"):
        store.update("school", school, {"name": "Other"})


def test_restore_brings_a_deleted_record_back_as_a_create_of_the_same_id(store):
    school = store.create("school", {"name": "Foxcote", "urn": "990123"})
    store.delete("school", school)
    back = store.restore("school", school, {"area": "Ashbridge East"})
    assert (back["deleted"], back["version"], back["name"], back["area"]) == (0, 3, "Foxcote", "Ashbridge East")
    assert json.loads(back["field_versions"])["area"] == 3
    entry = store.pending_changes()[-1]
    assert (entry["op"], entry["record_id"], entry["base_version"]) == ("create", school, 2)
    fields = json.loads(entry["fields"])
    assert (fields["name"], fields["urn"], fields["area"]) == ("Foxcote", "990123", "Ashbridge East")
    assert store.audit_trail()[-1]["action"] == "restore"
    with pytest.raises(StoreError, match="not deleted"):
        store.restore("school", school)


def test_acknowledged_outbox_entries_are_pruned_after_a_while(store):
    """Sent entries older than the limit go; pending, rejected and recent sent ones stay."""
    old_sent, old_pending, old_rejected, new_sent = (store.create("school", {"name": n}) for n in ("A", "B", "C", "D"))
    entries = {e["record_id"]: e for e in store.pending_changes()}
    store.mark_sent([entries[old_sent]["mutation_id"], entries[new_sent]["mutation_id"]])
    store.mark_rejected(entries[old_rejected]["mutation_id"], "refused")
    store.conn.execute("UPDATE outbox SET created_at = '2026-01-01T00:00:00.000Z' WHERE record_id != ?", (new_sent,))
    assert store.prune_sent(older_than_days=30) == 1
    left = {r[0] for r in store.conn.execute("SELECT record_id FROM outbox")}
    assert left == {old_pending, old_rejected, new_sent}
    assert store.get("school", old_sent)["name"] == "A"  # the record itself stays


def test_failed_transaction_leaves_no_record_outbox_or_audit(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.create("school", {"name": "Half made"})
            raise RuntimeError("power cut")
    assert store.db["school"].count == 0
    assert store.pending_count() == 0
    assert store.audit_trail() == []


def test_unknown_fields_and_types_are_refused(store):
    with pytest.raises(StoreError, match="no field"):
        store.create("school", {"name": "X", "headteacher": "Y"})
    with pytest.raises(StoreError, match="Unknown record type"):
        store.create("outbox", {"op": "create"})
    with pytest.raises(StoreError, match="no field"):
        store.create("school", {"name": "X", "version": 7})  # sync columns are the store's


def test_ids_are_client_generated_uuids(store):
    import uuid

    school = store.create("school", {"name": "A"})
    assert uuid.UUID(school).version == 4
    assert store.pending_changes()[0]["mutation_id"] != school


def test_audit_trail_is_append_only(store):
    store.create("school", {"name": "A"})
    with pytest.raises(Exception, match="append-only"):
        store.conn.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(Exception, match="append-only"):
        store.conn.execute("DELETE FROM audit_log")
    assert store.audit_trail()[0]["actor"] == "tester"


def test_foreign_keys_are_enforced(store):
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.create("pupil", {"school_id": "no-such-school", "first_name": "A", "last_name": "B"})
    assert store.pending_count() == 0
