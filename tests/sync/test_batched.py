"""The batched paths of a bulk first sync: a page applied per record type in one go, the
pull page rendered straight to JSON on the server, the remembered digest, the prefetched
page. Each must do exactly what the record-by-record path did."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.remote import apply_remote
from desktop.forms.records import FormRecords
from sync.client import local
from sync.client.engine import SyncEngine
from sync.protocol import digest, record_hash, set_digest, set_digest_of
from sync.server import service as server_service
from sync.server.accounts import User
from sync.server.db import make_engine, migrate, write_transaction
from tests.sync.conftest import mutation

SDQ = ("consid", "restles", "somatic")


def _rows(store, entity):
    return [
        {k: v for k, v in r.items() if k != "modified_at"}
        for r in store.db.query(f"SELECT * FROM [{entity}] ORDER BY id")
    ]


def _seed(store):
    """A school, pupil and a finalised SDQ form (answers included), as the office made them."""
    school = store.create("school", {"name": "Hollowmere", "urn": "990001"})
    pupil = store.create("pupil", {"first_name": "Ivy", "last_name": "Okafor", "school_id": school})
    forms = FormRecords(store)
    completion = forms.start(
        pupil_id=pupil,
        pack_id="sdq-teacher-4-17",
        informant="teacher",
        age_band="4-17",
        completed_by="teacher",
        completed_on="2026-10-01",
        time_point="T1",
    )
    for item in SDQ:
        forms.answer(completion, item, 1)
    forms.finalise(completion)
    return school, pupil, completion


def _states(store):
    """Every syncable row of ``store`` as the server would send it (version + 1)."""
    out = []
    for entity in ("school", "pupil", "form_completion", "form_answer"):
        for row in store.db.query(f"SELECT * FROM [{entity}]"):
            fields = {
                k: v for k, v in row.items() if k not in ("id", "version", "field_versions", "modified_at", "deleted")
            }
            out.append(
                {
                    "entity": entity,
                    "id": row["id"],
                    "version": row["version"],
                    "field_versions": json.loads(row["field_versions"]),
                    "fields": fields,
                    "deleted": bool(row["deleted"]),
                }
            )
    return out


def test_apply_remote_many_writes_what_apply_remote_writes(laptops):
    """New rows, unchanged rows (nothing written), changed rows, and the sync columns of a
    finalised form (past the evidence triggers): the batch equals record-by-record."""
    office, one, many = laptops("office"), laptops("one"), laptops("many")
    _seed(office)
    states = _states(office)
    rounds = [
        states,
        states,  # the same again: nothing changes
        [
            dict(s, version=s["version"] + 1, field_versions={k: v + 1 for k, v in s["field_versions"].items()})
            for s in states
        ],
    ]  # new server versions of final evidence
    for page in rounds:
        changed_one = set()
        with one.transaction():
            one.conn.execute("PRAGMA foreign_keys = OFF")
            for s in page:
                if apply_remote(
                    one,
                    s["entity"],
                    s["id"],
                    s["fields"],
                    version=s["version"],
                    field_versions=s["field_versions"],
                    deleted=s["deleted"],
                ):
                    changed_one.add(s["id"])
        changed_many = set()
        with many.transaction():
            many.conn.execute("PRAGMA foreign_keys = OFF")
            for entity in ("school", "pupil", "form_completion", "form_answer"):
                changed_many |= many.apply_remote_many(
                    entity,
                    [
                        {
                            "id": s["id"],
                            "values": s["fields"],
                            "version": s["version"],
                            "field_versions": s["field_versions"],
                            "deleted": s["deleted"],
                        }
                        for s in page
                        if s["entity"] == entity
                    ],
                )
        assert changed_many == changed_one
        for entity in ("school", "pupil", "form_completion", "form_answer"):
            assert _rows(many, entity) == _rows(one, entity)
    assert page and changed_many  # the last round changed the final records
    # The evidence triggers are back after the batch.
    with pytest.raises(Exception, match="finalised form cannot change"):
        many.conn.execute("UPDATE form_answer SET value = '2'")


def test_a_page_keeps_unsent_local_edits_and_takes_a_record_once_at_its_newest(laptops):
    """Batched apply: a field edited here and not yet sent keeps its value; a record given
    twice in one batch ends at its newest version; records of unknown types are skipped."""
    laptop = laptops("a")
    engine = SyncEngine(laptop, "http://127.0.0.1:1", None)
    school = str(uuid.uuid4())
    with laptop.transaction():
        engine._apply_states(
            [
                {
                    "entity": "school",
                    "id": school,
                    "version": 1,
                    "field_versions": {"name": 1, "urn": 1},
                    "fields": {"name": "Old", "urn": "1"},
                    "deleted": False,
                }
            ]
        )
    laptop.update("school", school, {"name": "Mine"})  # pending here
    newer = {
        "entity": "school",
        "id": school,
        "version": 3,
        "field_versions": {"name": 3, "urn": 3},
        "fields": {"name": "Theirs", "urn": "3"},
        "deleted": False,
    }
    older = dict(newer, version=2, fields={"name": "Theirs", "urn": "2"})
    with laptop.transaction():
        changed = engine._apply_states(
            [
                newer,
                older,
                {"entity": "hologram", "id": "x", "version": 1, "field_versions": {}, "fields": {}, "deleted": False},
            ]
        )
    assert changed == 1
    row = laptop.get("school", school)
    assert (row["name"], row["urn"]) == ("Mine", "3")
    assert local.server_version(laptop, "school", school) == 3


def test_the_sorted_digest_is_forgotten_by_every_change_to_the_held_versions(laptops):
    laptop = laptops("a")
    local.set_server_versions(laptop, "school", [("s1", 1), ("s2", 4)])
    first = local.held_digest(laptop, "sorted")
    assert first == digest(local.held_versions(laptop))
    assert local.get_state(laptop, "digest").endswith(first)  # remembered
    local.set_server_versions(laptop, "school", [("s3", 1)])
    assert local.get_state(laptop, "digest") is None  # forgotten by the writer
    second = local.held_digest(laptop, "sorted")
    assert second != first and second == digest(local.held_versions(laptop))
    # A change made behind the sync code's back is caught by the fingerprint.
    laptop.conn.execute("UPDATE sync_record SET server_version = 9 WHERE record_id = 's1'")
    assert local.held_digest(laptop, "sorted") == digest(local.held_versions(laptop)) != second


def test_the_set_digest_is_kept_up_to_date_without_hashing_everything(laptops, monkeypatch):
    """Once computed, the "set" digest follows new, changed and unchanged versions by
    adjusting its sums; only a change made behind the sync code's back (or a removal)
    makes it hash every record again."""
    laptop = laptops("a")
    local.set_server_versions(laptop, "school", [(f"s{i}", 1) for i in range(50)])
    assert local.held_digest(laptop) == set_digest(local.held_versions(laptop))
    hashed = []
    real = local.record_hash
    monkeypatch.setattr(local, "record_hash", lambda *a: hashed.append(a) or real(*a))
    local.set_server_versions(laptop, "school", [("s1", 2), ("s2", 1), ("new", 1)])
    local.set_server_versions(laptop, "pupil", [("p1", 3)], held={})
    assert local.held_digest(laptop) == set_digest(local.held_versions(laptop))
    assert len(hashed) == 4  # s1 old and new, "new", p1: not 52 records
    laptop.conn.execute("UPDATE sync_record SET server_version = 9 WHERE record_id = 's3'")
    assert local.held_digest(laptop) == set_digest(local.held_versions(laptop))
    assert len(hashed) > 50  # the fingerprint caught it: hashed afresh
    with laptop.transaction():
        laptop.conn.execute("DELETE FROM sync_record WHERE record_id = 's4'")
        local.forget_digest(laptop)
    assert local.held_digest(laptop) == set_digest(local.held_versions(laptop))


def test_the_remembered_digest_is_per_algorithm(laptops):
    laptop = laptops("a")
    local.set_server_versions(laptop, "school", [("s1", 1)])
    as_set = local.held_digest(laptop, "set")
    assert local.held_digest(laptop, "sorted") == digest(local.held_versions(laptop)) != as_set
    assert local.held_digest(laptop, "set") == as_set


def test_the_sorted_digest_is_the_same_line_by_line_hash():
    import hashlib

    items = [("visit", str(uuid.uuid4()), i % 5 + 1) for i in range(50)]
    h = hashlib.sha256()
    for entity, record_id, version in sorted(items):
        h.update(f"{entity}:{record_id}:{version}\n".encode())
    assert digest(reversed(items)) == h.hexdigest()


def test_the_set_digest_is_order_free_and_sees_every_difference():
    items = [("visit", str(uuid.uuid4()), i % 5 + 1) for i in range(200)]
    base = set_digest(items)
    assert set_digest(reversed(items)) == base
    assert set_digest(items[1:]) != base  # one missing
    assert set_digest(items + [("visit", "extra", 1)]) != base  # one extra
    bumped = [items[0][:2] + (items[0][2] + 1,), *items[1:]]
    assert set_digest(bumped) != base  # one version different
    moved = [("pupil",) + items[0][1:], *items[1:]]
    assert set_digest(moved) != base  # same id, other type
    sums = [record_hash(*i) for i in items]
    assert base == set_digest_of(len(items), sum(a for a, _ in sums), sum(b for _, b in sums))
    assert all(0 <= a < 2**32 and 0 <= b < 2**32 for a, b in sums)


def test_the_pull_page_rendered_as_json_equals_the_pull_page(tmp_path):
    """``pull_json`` (stored JSON copied as text) says exactly what ``pull`` says, for an
    admin and for a scoped user, page by page."""
    engine = make_engine(f"sqlite:///{(tmp_path / 'server.db').as_posix()}")
    migrate(engine)
    admin = User(id="admin", username="admin", role="admin", team=None, caseworker_id=None)
    worker, school, pupil, referral = (str(uuid.uuid4()) for _ in range(4))
    batch = [
        mutation("caseworker", worker, "create", {"name": "Sam", "team": "T"}),
        mutation("school", school, "create", {"name": "Hollowmere \u00e9cole", "urn": "1"}),
        mutation(
            "pupil", pupil, "create", {"first_name": 'Ivy "Q"', "last_name": "O", "school_id": school, "year_group": 5}
        ),
        mutation(
            "referral",
            referral,
            "create",
            {
                "pupil_id": pupil,
                "school_id": school,
                "referral_date": "2026-11-02",
                "reason": "other",
                "concern": "line\nbreak \u2014 dash",
                "caseworker_id": worker,
            },
        ),
    ]
    batch += [
        mutation(
            "visit",
            str(uuid.uuid4()),
            "create",
            {"referral_id": referral, "visit_date": "2026-11-10", "visit_type": "review", "notes": f"visit {i}"},
        )
        for i in range(5)
    ]
    batch.append(mutation("visit", batch[-1]["record_id"], "delete"))
    lead = User(id="lead", username="lead", role="team_lead", team="T", caseworker_id=None)
    with engine.connect() as conn:
        with write_transaction(conn):
            results = server_service.push(conn, admin, batch)
        assert all(r["status"] == "applied" for r in results)
        for user in (admin, lead):
            cursor, pages = 0, 0
            while True:
                with conn.begin():
                    body, counts = server_service.pull_json(conn, user, cursor, 3)
                    page = server_service.pull(conn, user, cursor, 3)
                assert json.loads(body) == page
                assert counts == {"records": len(page["records"]), "revoked": 0}
                cursor, pages = page["next_cursor"], pages + 1
                if not page["has_more"]:
                    break
            assert pages >= 3
    engine.dispose()


def test_an_older_server_refusing_big_pages_is_asked_for_smaller_ones(laptops):
    """Servers before pages of 5,000 answer 422 to a larger limit: the engine asks again
    with 1,000 and carries on."""
    from sync.client.engine import LEGACY_PULL_LIMIT
    from sync.client.errors import Refused

    asked = []

    class OldServer:
        server_url = "http://127.0.0.1:1"

        def get(self, path, params):
            asked.append(params["limit"])
            if params["limit"] > LEGACY_PULL_LIMIT:
                raise Refused("The server refused the request (HTTP 422).", 422)
            return {"records": [], "revoked": [], "next_cursor": 7, "has_more": False}

    engine = SyncEngine(laptops("a"), "http://127.0.0.1:1", None, transport=OldServer())
    report = engine.pull()
    assert asked == [5000, LEGACY_PULL_LIMIT] and report.cursor == 7 and engine.cursor == 7
