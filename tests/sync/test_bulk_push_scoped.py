"""The set-wise push for every role (issue 12): a practitioner's or a team lead's batch is
merged with scope asked per record type, not per change, and must give exactly the
results, records and mutation rows of the one-by-one merge -- refusals (403) included."""

from __future__ import annotations

import copy
import uuid

import pytest
import sqlalchemy as sa

from sync.server import service
from sync.server.accounts import User
from sync.server.db import make_engine, migrate, mutation as mutation_table, record, write_transaction
from tests.sync.conftest import mutation, postgres_database

ADMIN = User(id="admin", username="admin", role="admin", team=None, caseworker_id=None)


def _ids(n):
    return [str(uuid.uuid4()) for _ in range(n)]


class World:
    """Two teams' caseworkers, a school, two pupils with a referral each (one allocated to
    practitioner A of team T, one to C of team U) and an observation on C's case."""

    def __init__(self):
        (self.cw_a, self.cw_b, self.cw_c, self.school, self.p1, self.p2, self.r1, self.r2, self.o2) = _ids(9)
        self.a = User(id="user-a", username="a", role="practitioner", team="T", caseworker_id=self.cw_a)
        self.lead = User(id="user-lead", username="lead", role="team_lead", team="T", caseworker_id=self.cw_b)

        self.setup = self._setup()  # built once: the same mutation ids in every run

    def _setup(self) -> list[dict]:
        return [
            mutation("caseworker", self.cw_a, "create", {"name": "A", "team": "T"}, seq=1),
            mutation("caseworker", self.cw_b, "create", {"name": "B", "team": "T"}, seq=2),
            mutation("caseworker", self.cw_c, "create", {"name": "C", "team": "U"}, seq=3),
            mutation("school", self.school, "create", {"name": "Hollowmere", "urn": "990001"}, seq=4),
            *[
                mutation(
                    "pupil", p, "create", {"first_name": "Ivy", "last_name": n, "school_id": self.school}, seq=5 + i
                )
                for i, (p, n) in enumerate(((self.p1, "One"), (self.p2, "Two")))
            ],
            *[
                mutation(
                    "referral",
                    r,
                    "create",
                    {
                        "pupil_id": p,
                        "school_id": self.school,
                        "referral_date": "2026-11-02",
                        "reason": "attendance",
                        "caseworker_id": cw,
                    },
                    seq=7 + i,
                )
                for i, (r, p, cw) in enumerate(((self.r1, self.p1, self.cw_a), (self.r2, self.p2, self.cw_c)))
            ],
            mutation("observation", self.o2, "create", _obs(self.r2), seq=9),
        ]


def _obs(referral):
    return {
        "referral_id": referral,
        "lesson": "Maths",
        "interval_seconds": 60,
        "started_at": "2026-11-02T09:00:00Z",
        "status": "recording",
    }


def _event(observation, i):
    return {"observation_id": observation, "seq": i, "type": "press", "payload": "{}"}


def _practitioner_batch(w: World) -> list[dict]:
    obs, pupil, own_school, pupil_b = _ids(4)
    events = _ids(5)
    m = "device-a"
    batch = [
        mutation("observation", obs, "create", _obs(w.r1), device=m, seq=1),
        *[
            mutation("observation_event", e, "create", _event(obs, i), device=m, seq=2 + i)
            for i, e in enumerate(events[:3])
        ],
        # naming records out of scope: refused
        mutation("observation", _ids(1)[0], "create", _obs(w.r2), device=m, seq=5),
        mutation("observation_event", _ids(1)[0], "create", _event(w.o2, 0), device=m, seq=6),
        mutation("referral", w.r2, "update", {"reason": "bullying"}, base=1, device=m, seq=7),
        # a pupil of one's own, a school of one's own, corrected, a pupil at it
        mutation(
            "pupil",
            pupil,
            "create",
            {"first_name": "Ada", "last_name": "Lovell", "school_id": w.school},
            device=m,
            seq=8,
        ),
        mutation("school", own_school, "create", {"name": "Hollowmere Primry"}, device=m, seq=9),
        mutation("school", own_school, "update", {"name": "Hollowmere Annexe"}, base=1, device=m, seq=10),
        mutation(
            "pupil",
            pupil_b,
            "create",
            {"first_name": "Bo", "last_name": "Lovell", "school_id": own_school},
            device=m,
            seq=11,
        ),
        mutation("school", own_school, "update", {"phase": "primary"}, base=2, device=m, seq=12),
        # someone else's school: refused
        mutation("school", w.school, "update", {"name": "Renamed"}, base=1, device=m, seq=13),
        # an edit of the observation written in bulk, then more events
        mutation("observation", obs, "update", {"status": "ended"}, base=1, device=m, seq=14),
        *[
            mutation("observation_event", e, "create", _event(obs, 3 + i), device=m, seq=15 + i)
            for i, e in enumerate(events[3:])
        ],
        # handing one's case to another team's caseworker (not in scope), or to no one
        # (an unallocated case someone else recorded is out of one's scope after): refused
        mutation("referral", w.r1, "update", {"caseworker_id": w.cw_c}, base=1, device=m, seq=17),
        mutation("referral", w.r1, "update", {"caseworker_id": None}, base=1, device=m, seq=18),
        # a parent the server does not hold: waits
        mutation("observation_event", _ids(1)[0], "create", _event(_ids(1)[0], 0), device=m, seq=19),
    ]
    batch.append(dict(batch[1]))  # a replay within the batch
    return batch


def _lead_batch(w: World) -> list[dict]:
    visit, visit2, cw_d, cw_x = _ids(4)
    m = "device-lead"
    return [
        mutation(
            "visit",
            visit,
            "create",
            {"referral_id": w.r1, "visit_date": "2026-11-03", "visit_type": "consultation"},
            device=m,
            seq=1,
        ),
        mutation("caseworker", cw_d, "create", {"name": "D", "team": "T"}, device=m, seq=2),
        mutation("caseworker", cw_x, "create", {"name": "X", "team": "U"}, device=m, seq=3),
        mutation("referral", w.r1, "update", {"caseworker_id": cw_d}, base=1, device=m, seq=4),
        mutation(
            "visit",
            visit2,
            "create",
            {"referral_id": w.r1, "visit_date": "2026-11-04", "visit_type": "consultation"},
            device=m,
            seq=5,
        ),
        mutation(
            "visit",
            _ids(1)[0],
            "create",
            {"referral_id": w.r2, "visit_date": "2026-11-04", "visit_type": "consultation"},
            device=m,
            seq=6,
        ),
        mutation("school", w.school, "update", {"name": "Hollowmere Primary"}, base=1, device=m, seq=7),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A function giving a new, empty database's URL by name, on SQLite or PostgreSQL."""
    made = []

    def url(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{(tmp_path / f'{name}.db').as_posix()}"
        conn, db = postgres_database("fieldnote_bulk")
        made.append((conn, db))
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"

    yield url
    for conn, db in made:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.close()


def _run(database, name, world, user, batch, fast, statements=None):
    engine = make_engine(database(name))
    migrate(engine)
    with engine.connect() as conn:
        with write_transaction(conn):
            service._push_batch(conn, ADMIN, copy.deepcopy(world.setup), None, fast=False)

        def note(_conn, _cursor, statement, *_rest):
            statements.append(statement)

        if statements is not None:
            sa.event.listen(conn, "before_cursor_execute", note)
        with write_transaction(conn):
            if fast:
                results = service.push(conn, user, copy.deepcopy(batch))
            else:
                results = service._push_batch(conn, user, copy.deepcopy(batch), None, fast=False)
        if statements is not None:
            sa.event.remove(conn, "before_cursor_execute", note)
        with conn.begin():
            records = [dict(r._mapping) for r in conn.execute(sa.select(record).order_by(record.c.seq))]
            mutations = {r.mutation_id: r.result for r in conn.execute(sa.select(mutation_table))}
    engine.dispose()
    return results, records, mutations


def _counted(monkeypatch):
    calls = []
    real = service._push_batch

    def counted(conn, user, mutations, acked, *, fast, **options):
        calls.append(fast)
        return real(conn, user, mutations, acked, fast=fast, **options)

    monkeypatch.setattr(service, "_push_batch", counted)
    return calls, real


def test_a_practitioners_batch_merged_set_wise_equals_one_by_one(database, monkeypatch):
    world = World()
    batch = _practitioner_batch(world)
    slow = _run(database, "slow", world, world.a, batch, fast=False)
    calls, _ = _counted(monkeypatch)
    bulk = []
    real = service._bulk_create
    monkeypatch.setattr(service, "_bulk_create", lambda *a: bulk.append(a[1]["record_id"]) or real(*a))
    fast = _run(database, "fast", world, world.a, batch, fast=True)
    assert calls[-1:] == [True]  # stayed set-wise: nothing redone one by one
    assert fast == slow
    # Refusals earlier in the batch do not send the rest one by one: the last events are
    # still written in bulk.
    assert {batch[14]["record_id"], batch[15]["record_id"]} <= set(bulk)
    by_status = [(r["status"], r["code"]) for r in fast[0]]
    assert by_status == [("applied", 200)] * 4 + [("rejected", 403)] * 3 + [("applied", 200)] * 5 + [
        ("rejected", 403)
    ] + [("applied", 200)] * 3 + [("rejected", 403), ("rejected", 403), ("retry", 404), ("applied", 200)]
    assert "You do not have access to the referral" in fast[0][4]["error"]
    assert "someone else added" in fast[0][12]["error"]
    assert "outside what you may see" in fast[0][17]["error"]


def test_a_team_leads_batch_merged_set_wise_equals_one_by_one(database, monkeypatch):
    """A lead's batch that moves scope (a new caseworker in the team, a case handed to
    them) and goes on writing under it."""
    world = World()
    batch = _lead_batch(world)
    slow = _run(database, "slow", world, world.lead, batch, fast=False)
    calls, _ = _counted(monkeypatch)
    fast = _run(database, "fast", world, world.lead, batch, fast=True)
    assert calls[-1:] == [True]
    assert fast == slow
    assert [r["status"] for r in fast[0]] == [
        "applied",
        "applied",
        "rejected",
        "applied",
        "applied",
        "rejected",
        "applied",
    ]


def test_a_record_written_in_bulk_outside_the_writers_scope_redoes_the_batch(database, monkeypatch):
    """An exclusion about a pupil of one's own that no referral names yet is not in one's
    scope (records hang off cases): written in bulk, the check at the write finds it out
    of scope, and the batch is merged again one by one, which refuses it."""
    world = World()
    pupil, obs = _ids(2)
    batch = [
        mutation("observation", obs, "create", _obs(world.r1), seq=1),
        mutation(
            "pupil", pupil, "create", {"first_name": "Ada", "last_name": "Lovell", "school_id": world.school}, seq=2
        ),
        mutation("exclusion", _ids(1)[0], "create", {"pupil_id": pupil, "exclusion_date": "2026-11-03"}, seq=3),
        mutation("observation_event", _ids(1)[0], "create", _event(obs, 0), seq=4),
    ]
    slow = _run(database, "slow", world, world.a, batch, fast=False)
    calls, _ = _counted(monkeypatch)
    redone = _run(database, "redone", world, world.a, batch, fast=True)
    assert calls == [False, True, False]  # the world, then the batch: set-wise, redone
    assert redone == slow
    assert [r["status"] for r in redone[0]] == ["applied", "applied", "rejected", "applied"]
    assert "outside what you may see" in redone[0][2]["error"]


def test_a_practitioners_large_batch_asks_scope_per_record_type_not_per_change(database):
    """An observation and 400 of its events from a practitioner: the statements run do not
    grow with the number of changes."""
    world = World()
    obs = str(uuid.uuid4())
    batch = [mutation("observation", obs, "create", _obs(world.r1), seq=1)] + [
        mutation("observation_event", str(uuid.uuid4()), "create", _event(obs, i), seq=2 + i) for i in range(400)
    ]
    statements: list[str] = []
    results = _run(database, "large", world, world.a, batch, fast=True, statements=statements)[0]
    assert [r["status"] for r in results] == ["applied"] * 401
    assert len(statements) < 30, len(statements)


def test_a_practitioners_edits_of_records_created_in_the_batch_merge_set_wise(database, monkeypatch):
    """A practitioner's observation created, ended and finalised in one batch, its events
    between: the edits are merged into the row waiting for the INSERT (whose scope is then
    asked once, at the bulk write), with the outcome of the one-by-one merge."""
    world = World()
    obs = _ids(1)[0]
    m = "device-a"
    batch = [
        mutation("observation", obs, "create", _obs(world.r1), device=m, seq=1),
        *[
            mutation("observation_event", e, "create", _event(obs, i), device=m, seq=2 + i)
            for i, e in enumerate(_ids(3))
        ],
        mutation(
            "observation",
            obs,
            "update",
            {"status": "ended", "ended_at": "2026-11-02T10:00:00Z"},
            base=0,
            device=m,
            seq=5,
        ),
        mutation("observation", obs, "update", {"status": "final"}, base=0, device=m, seq=6),
        mutation("observation", obs, "update", {"lesson": "English"}, base=0, device=m, seq=7),
    ]
    slow = _run(database, "slow", world, world.a, batch, fast=False)
    calls, _ = _counted(monkeypatch)
    merged = []
    real = service._merge_pending
    monkeypatch.setattr(service, "_merge_pending", lambda ctx, mu: merged.append(mu["record_id"]) or real(ctx, mu))
    fast = _run(database, "fast", world, world.a, batch, fast=True)
    assert calls[-1:] == [True]  # stayed set-wise
    assert merged == [obs, obs]  # ended, finalised; the edit once final went one by one

    def strip(result):  # a conflict's id is random
        return {**result, "conflicts": [{k: v for k, v in c.items() if k != "id"} for c in result["conflicts"]]}

    assert [strip(r) for r in fast[0]] == [strip(r) for r in slow[0]]
    assert fast[1] == slow[1]  # the records
    assert {k: strip(v) for k, v in fast[2].items()} == {k: strip(v) for k, v in slow[2].items()}
    assert [r["status"] for r in fast[0]] == ["applied"] * 6 + ["conflict"]
    assert fast[0][-1]["conflicts"][0]["kind"] == "edit_vs_final"
