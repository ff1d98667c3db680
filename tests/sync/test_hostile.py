"""Hostile values: the server accepts only what every laptop can store (issue 9, items 1, 2
and 9), on SQLite and PostgreSQL.

A practitioner pushes, for every syncable entity and field, values of the wrong type, out
of range, too long, non-finite (NaN, Infinity and 1e400 as the raw JSON tokens a client
could send), with NUL, with lone surrogates (as \\u escapes), outside an enumeration, and
duplicates of a unique key. Each is rejected (422) with a reason naming the field, nothing
is stored, and a team lead's and an admin's laptops still sync."""

from __future__ import annotations

import uuid

import pytest
import requests

from desktop.store import Store
from desktop.store.attachments import add_attachment
from desktop.store.schema import SYNCABLE
from sync import rules
from sync.client import sync_status
from sync.client.engine import SyncEngine
from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION
from tests.sync.conftest import KEY, _start, build_service, mutation, postgres_database
from tests.sync.hostile import hostile_values, raw_body


def raw_push(server, token: str, mutations: list[dict]) -> requests.Response:
    """A push whose body is written by hand: bare NaN/Infinity/1e400 tokens and \\u escapes
    of lone surrogates, as a broken or malicious client could send them."""
    return requests.post(
        server.url + "/sync/push",
        data=raw_body({"schema_version": SCHEMA_VERSION, "mutations": mutations}),
        headers={
            "Authorization": f"Bearer {token}",
            SCHEMA_HEADER: str(SCHEMA_VERSION),
            "Content-Type": "application/json",
        },
        timeout=60,
    )


class World:
    """One team on a server, and a valid record of every syncable type written by
    practitioner A's laptop through the store (so the store's own rules pass them)."""

    def __init__(self, server, tmp):
        self.server = server
        self.tmp = tmp
        self.stores: list[Store] = []
        self.service = build_service(server, self.laptop)
        ids, a = self.service.ids, self.laptop("a")
        self.a = a
        self.engine(a, "a")
        r = ids["referral"]
        cw_record = ids["cw_a"]
        completion = a.create(
            "form_completion",
            {
                "pupil_id": ids["pupil"],
                "referral_id": r,
                "pack_id": "sdq",
                "pack_version": "1",
                "informant": "teacher",
                "age_band": "4-17",
                "completed_by": "teacher",
                "completed_on": "2026-11-20",
                "time_point": "T1",
            },
        )
        observation = a.create(
            "observation",
            {"referral_id": r, "interval_seconds": 10, "status": "recording", "started_at": "2026-11-20T09:00:00Z"},
        )
        self.records = {
            "school": a.create("school", {"name": "Fenwick Academy", "phase": "secondary"}),
            "caseworker": cw_record,
            "pupil": a.create(
                "pupil", {"first_name": "Noor", "last_name": "Hale", "school_id": ids["school"], "year_group": 4}
            ),
            "referral": r,
            "visit": a.create(
                "visit", {"referral_id": r, "visit_date": "2026-11-20", "visit_type": "observation", "notes": "Calm."}
            ),
            "support_plan": (plan := a.create("support_plan", {"referral_id": r, "start_date": "2026-11-21"})),
            "helpline_call": a.create(
                "helpline_call", {"call_date": "2026-11-19", "topic": "Advice on transitions", "referral_id": r}
            ),
            "form_completion": completion,
            "form_answer": a.create("form_answer", {"completion_id": completion, "item_id": "q1", "value": "1"}),
            "observation": observation,
            "observation_event": a.create(
                "observation_event", {"observation_id": observation, "seq": 1, "type": "started", "payload": "{}"}
            ),
            "coding_scheme": a.create("coding_scheme", {"name": "On task", "definition": "{}"}),
            "attachment": add_attachment(a, b"%PDF-1.4 report", referral_id=r, filename="report.pdf"),
            "report": a.create(
                "report",
                {"referral_id": r, "report_date": "2026-11-21", "sections": '{"reason": "Referred in autumn."}'},
            ),
            "plan_review": a.create(
                "plan_review", {"referral_id": r, "plan_id": plan, "review_date": "2026-11-22", "ratings": "[]"}
            ),
            "exclusion": a.create(
                "exclusion",
                {"pupil_id": ids["pupil"], "referral_id": r, "exclusion_date": "2026-11-02", "kind": "fixed"},
            ),
        }
        audit = a.create(
            "audit",
            {
                "school_id": ids["school"],
                "template_id": "behaviour-audit",
                "template_version": "1",
                "conducted_by": cw_record,
                "conducted_on": "2026-11-20",
            },
        )
        self.records.update(
            {
                "audit": audit,
                "audit_rating": a.create(
                    "audit_rating",
                    {
                        "audit_id": audit,
                        "criterion_id": "arrival-greeting",
                        "value": "G",
                        "rated_at": "2026-11-20T08:40:00Z",
                        "evidence": "Staff at the gate.",
                    },
                ),
                "audit_judgement": a.create(
                    "audit_judgement", {"audit_id": audit, "section_id": "arrival", "value": "Green"}
                ),
                "audit_action": a.create(
                    "audit_action",
                    {
                        "audit_id": audit,
                        "action": "Share the greeting rota.",
                        "due_on": "2027-01-10",
                        "criteria": '["arrival-greeting"]',
                    },
                ),
                "audit_meeting": a.create(
                    "audit_meeting", {"audit_id": audit, "held_on": "2026-11-20", "attendees": "Head, SENCo"}
                ),
            }
        )
        assert set(self.records) == set(SYNCABLE)
        self.second_answer = a.create("form_answer", {"completion_id": completion, "item_id": "q2", "value": "2"})
        self.engine(a, "a")
        assert a.pending_count() == 0 and not sync_status(a).needs_attention
        self.lead = self.laptop("lead")
        self.admin = self.laptop("admin")
        for store, who in ((self.lead, "lead"), (self.admin, "admin")):
            self.engine(store, who)
        # What each laptop held before anything hostile was pushed (a school A recorded
        # that no case names is outside the lead's scope).
        self.held = {
            who: {e for e, i in self.records.items() if store.get(e, i) is not None}
            for store, who in ((self.lead, "lead"), (self.admin, "admin"))
        }
        assert self.held["admin"] == set(SYNCABLE) and len(self.held["lead"]) >= 10

    def laptop(self, name: str) -> Store:
        store = Store.open(self.tmp / f"{name}-{uuid.uuid4().hex[:6]}.db", KEY, actor=name)
        self.stores.append(store)
        return store

    def engine(self, store: Store, who: str):
        return SyncEngine(store, self.server.url, self.service.tokens[who]).sync()

    def server_records(self, entity: str) -> dict[str, dict]:
        records = self.server.api.pull_all(self.server.admin_token, limit=5000)
        return {r["id"]: r for r in records if r["entity"] == entity}

    def close(self):
        for store in self.stores:
            store.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """A server of its own (the world's coding scheme reaches every user of a server, so it
    must not appear in other tests' pulls)."""
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{(tmp / 'server.db').as_posix()}"
    else:
        admin, name = postgres_database("fieldnote_hostile")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    server = _start(url, tmp)
    w = None
    try:
        w = World(server, tmp)  # inside: a world that fails to build still stops its server
        yield w
    finally:
        if w is not None:
            w.close()
        server.stop()
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def _assert_rejected(results, expected):
    assert len(results) == len(expected)
    for result, (what, must_name) in zip(results, expected):
        assert (result["status"], result["code"]) == ("rejected", 422), (what, result)
        assert must_name in result["error"], (what, result["error"])


@pytest.mark.parametrize("entity", SYNCABLE)
def test_hostile_values_are_rejected_and_nothing_is_stored(world, entity):
    """Every hostile value of every field of ``entity``, as an edit of a record A holds and
    as a new record, is rejected naming the field; the server's records stay as they were;
    the team lead's and the admin's laptops still sync and still hold the valid record."""
    record_id = world.records[entity]
    before = world.server_records(entity)
    base = before[record_id]["version"]
    valid = before[record_id]["fields"]
    mutations, expected = [], []
    for name, f in sorted(rules.rules()[entity].items()):
        for what, value in hostile_values(f):
            mutations.append(mutation(entity, record_id, "update", {name: value}, base=base))
            expected.append((f"update {name}: {what}", rules.label(entity, name)))
            mutations.append(mutation(entity, str(uuid.uuid4()), "create", {**valid, name: value}))
            expected.append((f"create {name}: {what}", rules.label(entity, name)))
    assert len(mutations) <= 2000
    for start in range(0, len(mutations), 500):
        response = raw_push(world.server, world.service.tokens["a"], mutations[start : start + 500])
        assert response.status_code == 200, response.text[:500]
        _assert_rejected(response.json()["results"], expected[start : start + 500])
    assert world.server_records(entity) == before  # nothing stored, nothing changed
    for store, who in ((world.lead, "lead"), (world.admin, "admin")):
        report = world.engine(store, who)
        assert not report.errors
        held = store.get(entity, record_id)
        assert (held is not None) == (entity in world.held[who])
        if held is not None:
            assert all(held[k] == v for k, v in valid.items()), (who, held, valid)


def test_duplicates_of_a_unique_key_are_rejected(world):
    """A second answer to the same item of a form, or a second event with the same
    observation and sequence number, is rejected with the reason; so is an edit that would
    make one. Nothing is stored and the lead's and admin's laptops still sync."""
    token, records = world.service.tokens["a"], world.records
    answers, events = world.server_records("form_answer"), world.server_records("observation_event")
    answer = answers[records["form_answer"]]["fields"]
    second = answers[world.second_answer]
    event = events[records["observation_event"]]["fields"]
    pushed = [
        mutation("form_answer", str(uuid.uuid4()), "create", dict(answer, value="3")),
        mutation("form_answer", world.second_answer, "update", {"item_id": answer["item_id"]}, base=second["version"]),
        mutation("observation_event", str(uuid.uuid4()), "create", dict(event, type="ended")),
    ]
    results = raw_push(world.server, token, pushed).json()["results"]
    _assert_rejected(
        results,
        [
            ("answer", "already has an answer to item 'q1'"),
            ("moved answer", "already has an answer to item 'q1'"),
            ("event", "already has an event number 1"),
        ],
    )
    assert world.server_records("form_answer") == answers
    assert world.server_records("observation_event") == events
    for store, who in ((world.lead, "lead"), (world.admin, "admin")):
        assert not world.engine(store, who).errors


def test_unfit_identifiers_are_rejected_not_a_server_error(world):
    """Ids and field names no database can store get a 422 result each, never a 500."""
    token, school = world.service.tokens["a"], world.records["school"]
    good = dict(op="update", entity="school", record_id=school, base=0)
    pushed = [
        dict(mutation(**good), mutation_id="m\x00" + uuid.uuid4().hex[:8]),
        dict(mutation(**good), mutation_id="\ud800" + uuid.uuid4().hex[:8]),
        dict(mutation(**good), device_id="dev\x00ice"),
        dict(mutation(**good), device_id="dev\udfffice"),
        mutation("school", "rec\x00ord", "create", {"name": "X"}),
        mutation("school", "rec\ud800", "create", {"name": "X"}),
        mutation("sch\x00ool", str(uuid.uuid4()), "create", {"name": "X"}),
        mutation("school\ud800", str(uuid.uuid4()), "create", {"name": "X"}),
        mutation("school", school, "update", {"na\x00me": "X"}),
        mutation("school", school, "update", {"name\ud800": "X"}),
    ]
    response = raw_push(world.server, token, pushed)
    assert response.status_code == 200, response.text[:500]
    for result in response.json()["results"]:
        assert (result["status"], result["code"]) == ("rejected", 422), result
        assert "\x00" not in result["error"]
    assert not world.engine(world.admin, "admin").errors


def test_a_tombstone_keeps_its_unique_key(service, laptops):
    """Laptops keep deleted records under their UNIQUE index, so a new answer to an item
    whose answer was deleted would break every laptop holding the tombstone: refused. The
    deleted answer itself can come back (a restore of the same record)."""
    a = laptops("a")
    engine = service.engine(a, "a")
    engine.sync()
    completion = a.create(
        "form_completion",
        {
            "pupil_id": service.ids["pupil"],
            "referral_id": service.ids["referral"],
            "pack_id": "sdq",
            "pack_version": "1",
            "informant": "teacher",
            "age_band": "4-17",
            "completed_by": "teacher",
            "completed_on": "2026-11-20",
            "time_point": "T1",
        },
    )
    answer = a.create("form_answer", {"completion_id": completion, "item_id": "q7", "value": "1"})
    a.delete("form_answer", answer)
    engine.sync()
    api = service.server.api
    again = api.push(
        service.tokens["a"],
        [
            mutation(
                "form_answer", str(uuid.uuid4()), "create", {"completion_id": completion, "item_id": "q7", "value": "2"}
            )
        ],
    ).json()["results"][0]
    assert (again["status"], again["code"]) == ("rejected", 422)
    a.restore("form_answer", answer, {"value": "2"})
    engine.sync()
    assert not sync_status(a).needs_attention
    lead = laptops("lead")
    service.engine(lead, "lead").sync()
    assert lead.get("form_answer", answer)["value"] == "2"


def test_two_new_answers_to_one_item_in_one_batch_keep_only_the_first(world):
    """The unique index itself refuses the second (a new record costs no look-up): the
    first is applied, the second rejected with the reason, and the batch goes on."""
    token = world.service.tokens["a"]
    completion = world.records["form_completion"]
    first, second, after = (str(uuid.uuid4()) for _ in range(3))
    results = raw_push(
        world.server,
        token,
        [
            mutation("form_answer", first, "create", {"completion_id": completion, "item_id": "q9", "value": "1"}),
            mutation("form_answer", second, "create", {"completion_id": completion, "item_id": "q9", "value": "2"}),
            mutation("form_answer", after, "create", {"completion_id": completion, "item_id": "q10", "value": "3"}),
        ],
    ).json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == 422
    assert "already has an answer to item 'q9'" in results[1]["error"]
    answers = world.server_records("form_answer")
    assert first in answers and after in answers and second not in answers
    for store, who in ((world.lead, "lead"), (world.admin, "admin")):
        assert not world.engine(store, who).errors
        assert store.get("form_answer", first)["value"] == "1"
