"""The initial push's bulk path (issue 12): an admin's batch merged with its records read
per record type and new records written with multi-row INSERTs must give exactly the
results, records and mutation rows of the one-by-one merge."""

from __future__ import annotations

import copy
import uuid

import sqlalchemy as sa

from sync.server import service
from sync.server.accounts import User
from sync.server.db import make_engine, migrate, mutation as mutation_table, record, write_transaction
from tests.sync.conftest import mutation

ADMIN = User(id="admin", username="admin", role="admin", team=None, caseworker_id=None)


def _ids(n):
    return [str(uuid.uuid4()) for _ in range(n)]


def _batch():
    school, pupil, referral, observation, orphan_obs = _ids(5)
    events = _ids(4)
    batch = [
        mutation("school", school, "create", {"name": "Hollowmere", "urn": "990001"}, seq=1),
        mutation("pupil", pupil, "create", {"first_name": "Ivy", "last_name": "Okafor", "school_id": school}, seq=2),
        mutation(
            "referral",
            referral,
            "create",
            {"pupil_id": pupil, "school_id": school, "referral_date": "2026-11-02", "reason": "attendance"},
            seq=3,
        ),
        mutation(
            "observation",
            observation,
            "create",
            {
                "referral_id": referral,
                "lesson": "Maths",
                "interval_seconds": 60,
                "started_at": "2026-11-02T09:00:00Z",
                "status": "recording",
            },
            seq=4,
        ),
        # children of a record created earlier in the same batch
        *[
            mutation(
                "observation_event",
                e,
                "create",
                {"observation_id": observation, "seq": i, "type": "press", "payload": "{}"},
                seq=5 + i,
            )
            for i, e in enumerate(events[:3])
        ],
        # the same unique key (observation, seq) as the first event: refused
        mutation(
            "observation_event",
            events[3],
            "create",
            {"observation_id": observation, "seq": 0, "type": "press", "payload": "{}"},
            seq=8,
        ),
        # a parent the server does not hold: waits
        mutation(
            "observation_event",
            _ids(1)[0],
            "create",
            {"observation_id": orphan_obs, "seq": 0, "type": "press", "payload": "{}"},
            seq=9,
        ),
        # a value no laptop can store: refused
        mutation(
            "observation_event",
            _ids(1)[0],
            "create",
            {"observation_id": observation, "seq": 9, "type": "x" * 100000, "payload": "{}"},
            seq=10,
        ),
        # an edit of a record created in bulk earlier in the batch
        mutation("observation", observation, "update", {"lesson": "English"}, base=1, seq=11),
    ]
    batch.append(dict(batch[4]))  # a replay of a mutation within the batch
    return batch


def _run(tmp_path, name, batch, fast):
    engine = make_engine(f"sqlite:///{(tmp_path / f'{name}.db').as_posix()}")
    migrate(engine)
    with engine.connect() as conn:
        with write_transaction(conn):
            if fast:
                results = service.push(conn, ADMIN, copy.deepcopy(batch))
            else:
                results = service._push_batch(conn, ADMIN, copy.deepcopy(batch), None, fast=False)
        with conn.begin():
            records = [dict(r._mapping) for r in conn.execute(sa.select(record).order_by(record.c.seq))]
            mutations = {r.mutation_id: r.result for r in conn.execute(sa.select(mutation_table))}
    engine.dispose()
    return results, records, mutations


def test_bulk_merge_equals_one_by_one(tmp_path, monkeypatch):
    batch = _batch()
    bulk_writes = []
    real = service._bulk_create
    monkeypatch.setattr(service, "_bulk_create", lambda *a: bulk_writes.append(a[1]["entity"]) or real(*a))
    fast = _run(tmp_path, "fast", batch, fast=True)
    slow = _run(tmp_path, "slow", batch, fast=False)
    assert bulk_writes  # the bulk path was taken (observation and its events)
    assert "observation_event" in bulk_writes
    assert fast == slow
    statuses = [r["status"] for r in fast[0]]
    assert statuses == ["applied"] * 7 + ["rejected", "retry", "rejected", "applied", "applied"]


def test_a_failed_bulk_write_redoes_the_batch_one_by_one(tmp_path, monkeypatch):
    """Should the multi-row INSERT fail (here: the batch's check of unique keys is made to
    miss the repeated one, so the INSERT breaks the unique index), everything the batch
    wrote is rolled back and it is merged one by one: the same outcome."""
    batch = _batch()
    slow = _run(tmp_path, "slow", batch, fast=False)
    real_bulkable, real_batch = service._bulkable, service._push_batch
    calls = []

    def careless(ctx, m):
        return real_bulkable(ctx, m) or (
            m["op"] == "create"
            and m["entity"] == "observation_event"
            and m["fields"].get("seq") == 0
            and m["fields"].get("type") == "press"
        )

    def counted(conn, user, mutations, acked, *, fast):
        calls.append(fast)
        return real_batch(conn, user, mutations, acked, fast=fast)

    monkeypatch.setattr(service, "_bulkable", careless)
    monkeypatch.setattr(service, "_push_batch", counted)
    redone = _run(tmp_path, "redone", batch, fast=True)
    assert calls == [True, False]
    assert redone == slow


def _without_conflict_ids(outcome):
    """Results, records and mutation rows with each conflict's (random) id left out."""

    def strip(result):
        return {
            **result,
            "conflicts": [{k: v for k, v in c.items() if k != "id"} for c in result.get("conflicts") or []],
        }

    results, records, mutations = outcome
    return ([strip(r) for r in results], records, {k: strip(v) for k, v in mutations.items()})


def test_edits_of_records_created_in_the_batch_merge_as_one_by_one(tmp_path, monkeypatch):
    """Edits of records created in bulk earlier in the same batch (an observation ended,
    then finalised; a form finalised) are merged into the rows waiting for the INSERT: the
    results, records and mutation rows are those of the one-by-one merge, including the
    edits that must go the usual way (another laptop's edit of a field, an edit of a record
    once final, an older edit of a field this laptop changed since)."""
    school, pupil, referral, observation, completion = _ids(5)
    batch = [
        mutation("school", school, "create", {"name": "Hollowmere", "urn": "990002"}, seq=1),
        mutation("pupil", pupil, "create", {"first_name": "Ivy", "last_name": "Okafor", "school_id": school}, seq=2),
        mutation(
            "referral",
            referral,
            "create",
            {"pupil_id": pupil, "school_id": school, "referral_date": "2026-11-02", "reason": "attendance"},
            seq=3,
        ),
        mutation(
            "observation",
            observation,
            "create",
            {
                "referral_id": referral,
                "lesson": "Maths",
                "interval_seconds": 60,
                "started_at": "2026-11-02T09:00:00Z",
                "status": "recording",
            },
            seq=4,
        ),
        *[
            mutation(
                "observation_event",
                e,
                "create",
                {"observation_id": observation, "seq": i, "type": "press", "payload": "{}"},
                seq=5 + i,
            )
            for i, e in enumerate(_ids(3))
        ],
        mutation(
            "form_completion",
            completion,
            "create",
            {
                "pupil_id": pupil,
                "referral_id": referral,
                "pack_id": "sdq-teacher-4-17",
                "pack_version": "1",
                "informant": "teacher",
                "age_band": "4-17",
                "completed_by": "teacher",
                "completed_on": "2026-11-02",
                "time_point": "T1",
                "status": "draft",
            },
            seq=8,
        ),
        mutation(
            "form_answer", _ids(1)[0], "create", {"completion_id": completion, "item_id": "consid", "value": "1"}, seq=9
        ),
        # merged into the pending rows
        mutation(
            "observation",
            observation,
            "update",
            {"status": "ended", "ended_at": "2026-11-02T10:00:00Z"},
            base=0,
            seq=10,
        ),
        mutation("observation", observation, "update", {"lesson": "Maths"}, seq=11),  # no-op
        mutation("form_completion", completion, "update", {"respondent": "Ms Bench"}, seq=12),
        # an older edit of a field this laptop has changed since: skipped
        mutation("form_completion", completion, "update", {"respondent": "Mr Old"}, seq=7),
        # another laptop's edit of a field: one by one (a conflict, both values kept)
        mutation("form_completion", completion, "update", {"respondent": "Ms Other"}, device="device-other", seq=1),
        mutation("observation", observation, "update", {"status": "final"}, seq=13),
        # an edit of a record once final: one by one (kept as a conflict)
        mutation("observation", observation, "update", {"lesson": "English"}, seq=14),
        # a refused edit: rejected, as one by one
        mutation("form_completion", completion, "update", {"status": "nonsense"}, seq=15),
    ]
    merged = []
    real = service._merge_pending
    monkeypatch.setattr(service, "_merge_pending", lambda ctx, m: merged.append(m["entity"]) or real(ctx, m))
    fast = _run(tmp_path, "fast", batch, fast=True)
    slow = _run(tmp_path, "slow", batch, fast=False)
    assert merged == ["observation", "observation", "form_completion", "form_completion"]
    assert _without_conflict_ids(fast) == _without_conflict_ids(slow)
    statuses = [r["status"] for r in fast[0]]
    assert statuses == ["applied"] * 13 + ["conflict", "applied", "conflict", "rejected"]
    final = next(r for r in fast[1] if r["id"] == observation)
    assert final["data"]["status"] == "final" and final["data"]["lesson"] == "Maths"
    assert final["version"] == 3
