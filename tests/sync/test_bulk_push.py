"""The initial push's bulk path (issue 12): an admin's batch merged with its records read
per record type and new records written with multi-row INSERTs must give exactly the
results, records and mutation rows of the one-by-one merge."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.server import service
from sync.server.accounts import User
from sync.server.db import make_engine, migrate, mutation as mutation_table, record, write_transaction
from tests.sync.conftest import mutation

ADMIN = User(id="admin", username="admin", role="admin", team=None, caseworker_id=None)
_PUSH_BATCH = service._push_batch  # as it is (tests below spy on the module's)


def _ids(n):
    return [str(uuid.uuid4()) for _ in range(n)]


def _case():
    """A school, pupil, referral and observation: (their creates, the ids)."""
    school, pupil, referral, observation = _ids(4)
    creates = [
        mutation("school", school, "create", {"name": "Hollowmere", "urn": "990003"}, seq=1),
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
    ]
    return creates, observation


def _batch():
    creates, observation = _case()
    orphan_obs = _ids(1)[0]
    events = _ids(4)
    batch = [
        *creates,
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

    def counted(conn, user, mutations, acked, *, fast, **options):
        calls.append((fast, options.get("assume_new", False)))
        return real_batch(conn, user, mutations, acked, fast=fast, **options)

    monkeypatch.setattr(service, "_bulkable", careless)
    monkeypatch.setattr(service, "_push_batch", counted)
    redone = _run(tmp_path, "redone", batch, fast=True)
    # A unique index refusing the INSERT may mean a record taken to be new was there: the
    # batch is first redone with every record looked up, and then, failing again, one by one.
    assert calls == [(True, True), (True, False), (False, False)]
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
    creates, observation = _case()
    pupil, referral, completion = creates[1]["record_id"], creates[2]["record_id"], _ids(1)[0]
    batch = [
        *creates,
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


def _run_after(tmp_path, name, before, batch, *, fast, as_sent=False):
    """``batch`` pushed after ``before`` (pushed first, one by one): (results, records,
    mutation rows) as after ``_run``."""
    engine = make_engine(f"sqlite:///{(tmp_path / f'{name}.db').as_posix()}")
    migrate(engine)
    with engine.connect() as conn:
        with write_transaction(conn):
            _PUSH_BATCH(conn, ADMIN, copy.deepcopy(before), None, fast=False)
        with write_transaction(conn):
            if fast:
                results = service.push(conn, ADMIN, copy.deepcopy(batch), as_sent=as_sent)
            else:
                results = _PUSH_BATCH(conn, ADMIN, copy.deepcopy(batch), None, fast=False, as_sent=as_sent)
        with conn.begin():
            records = [dict(r._mapping) for r in conn.execute(sa.select(record).order_by(record.c.seq))]
            mutations = {r.mutation_id: r.result for r in conn.execute(sa.select(mutation_table))}
    engine.dispose()
    return results, records, mutations


def _events(observation, n, first_seq=10):
    return [
        mutation(
            "observation_event",
            e,
            "create",
            {"observation_id": observation, "seq": i, "type": "press", "payload": '{"key": "1"}'},
            seq=first_seq + i,
        )
        for i, e in enumerate(_ids(n))
    ]


def _counting(monkeypatch):
    calls = []
    real_batch = service._push_batch

    def counted(conn, user, mutations, acked, *, fast, **options):
        calls.append((fast, options.get("assume_new", False)))
        return real_batch(conn, user, mutations, acked, fast=fast, **options)

    monkeypatch.setattr(service, "_push_batch", counted)
    return calls


def test_a_create_of_a_record_the_server_holds_is_merged_as_one_by_one(tmp_path, monkeypatch):
    """Records a batch creates are taken to be new without looking them up. A create that
    meets a record after all (here a restore: the observation was deleted) is refused by
    the primary key at the bulk INSERT, and the batch is redone with every record looked
    up: the outcome of the one-by-one merge."""
    before, observation = _case()
    before.append(mutation("observation", observation, "delete", base=1, seq=5))
    batch = [
        *_events(observation, 0),
        mutation("observation", observation, "create", {"lesson": "English"}, seq=6),  # a restore
        *_events(observation, 3),
    ]
    slow = _run_after(tmp_path, "slow", before, batch, fast=False)
    calls = _counting(monkeypatch)
    fast = _run_after(tmp_path, "fast", before, batch, fast=True)
    assert calls == [(True, True), (True, False)]
    assert fast == slow
    assert [r["status"] for r in fast[0]] == ["applied"] * 4
    restored = next(r for r in fast[1] if r["id"] == observation)
    assert not restored["deleted"] and restored["data"]["lesson"] == "English"


def test_a_record_taken_to_be_new_and_never_written_is_checked_at_the_end(tmp_path, monkeypatch):
    """The guess is checked even where no INSERT tests it: an edit, then a create the
    checks refuse, of a record the server holds. Taken to be new, the edit would wait and
    nothing would be written; the batch's end finds the record there and redoes the batch
    with it looked up: the edit is applied, as one by one."""
    before, observation = _case()
    batch = [
        *_events(observation, 2),
        mutation("observation", observation, "update", {"lesson": "English"}, base=1, seq=6),
        mutation("observation", observation, "create", {"lesson": "x" * 100_000}, seq=7),
    ]
    slow = _run_after(tmp_path, "slow", before, batch, fast=False)
    calls = _counting(monkeypatch)
    fast = _run_after(tmp_path, "fast", before, batch, fast=True)
    assert calls == [(True, True), (True, False)]
    assert fast == slow
    assert [r["status"] for r in fast[0]] == ["applied", "applied", "applied", "rejected"]


def test_a_replayed_batch_is_not_taken_for_new_records(tmp_path, monkeypatch):
    """A batch sent again (its reply was lost) is known by its mutation ids: its creates
    are not taken to be new, and it is answered in one pass with the stored results."""
    before, observation = _case()
    batch = _events(observation, 3)
    first = _run_after(tmp_path, "first", before, batch, fast=True)
    calls = _counting(monkeypatch)
    again = _run_after(tmp_path, "again", before + batch, batch, fast=True)
    assert calls == [(True, True)]
    assert [r["status"] for r in again[0]] == ["applied"] * 3
    assert [r["seq"] for r in again[0]] == [r["seq"] for r in first[0]]


def test_as_sent_marks_exactly_the_creates_stored_as_sent(tmp_path):
    """With ``as_sent``, a create stored exactly as sent is marked so instead of carrying
    its record, and the record a laptop rebuilds from its own change (the client's
    ``_as_sent``) is the one the server would have sent. A create edited later in the
    batch, one whose true/false the server stored as 1/0, one merged one by one, and
    anything refused carry what they did before."""
    from sync.client.engine import _as_sent

    before, observation = _case()
    events = _events(observation, 4)
    events[1]["fields"]["seq"] = True  # stored as 1: not as sent
    edited = mutation(
        "observation",
        _ids(1)[0],
        "create",
        {"referral_id": before[2]["record_id"], "lesson": "Art", "started_at": "2026-11-03T09:00:00Z"},
    )
    batch = [
        *[events[0], events[1]],
        edited,
        mutation("observation", edited["record_id"], "update", {"lesson": "Music"}, seq=20),
        events[2],
        dict(events[2], mutation_id=str(uuid.uuid4())),  # the same record again: one by one
        events[3],
        mutation("observation_event", _ids(1)[0], "create", {"observation_id": observation, "seq": "x"}),
    ]
    marked = _run_after(tmp_path, "marked", before, batch, fast=True, as_sent=True)
    full = _run_after(tmp_path, "full", before, batch, fast=True)
    assert marked[1:] == full[1:]  # the same records and mutation rows
    flags = [r.get("as_sent", False) for r in marked[0]]
    assert flags == [True, False, False, False, True, False, True, False]
    for m, with_flag, without in zip(batch, marked[0], full[0]):
        assert "as_sent" not in without
        if with_flag.get("as_sent"):
            assert "record" not in with_flag
            assert _as_sent(m, with_flag["seq"]) == without["record"]
            assert {k: v for k, v in with_flag.items() if k != "as_sent"} == {
                k: v for k, v in without.items() if k != "record"
            }
        else:
            assert with_flag == without


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(),
)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.text(), min_size=5, max_size=5),
    base=st.one_of(st.integers(min_value=0, max_value=2**40), st.booleans(), st.none()),
    seq=st.one_of(st.none(), st.integers(min_value=0, max_value=2**62), st.booleans(), st.text(max_size=3)),
    schema=st.one_of(st.integers(min_value=0, max_value=2**31), st.just("4")),
    fields=st.one_of(st.dictionaries(st.text(max_size=8), _SCALARS, max_size=6), st.none(), st.just([1])),
    entity_is_text=st.booleans(),
)
def test_the_payload_hash_is_its_definition(texts, base, seq, schema, fields, entity_is_text):
    """The hash a mutation id is stored with is the SHA-256 of the mutation's canonical
    JSON, however it is worked out (hashes stored by earlier servers must still match a
    replay): the same for any values, of the expected types or not, any text (non-ASCII,
    lone surrogates, quotes), with the fields' text given too when the fast way is taken."""
    device, entity, mutation_id, op, record_id = texts
    m = {
        "mutation_id": mutation_id,
        "device_id": device,
        "entity": entity if entity_is_text else 7,
        "record_id": record_id,
        "op": op,
        "fields": fields,
        "base_version": base,
        "schema_version": schema,
        "client_seq": seq,
    }
    canonical = json.dumps({k: m.get(k) for k in service._PAYLOAD_KEYS}, sort_keys=True, separators=(",", ":"))
    digest, fields_text = service._payload(m)
    assert digest == hashlib.sha256(canonical.encode()).hexdigest() == service.payload_hash(m)
    if fields_text:
        assert fields_text == json.dumps(fields, sort_keys=True, separators=(",", ":"))
