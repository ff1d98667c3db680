"""Property: three laptops, random offline edits and partial syncs, then a full sync."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from desktop.caseload import vocab
from desktop.store import Store
from sync.client.engine import SyncEngine
from sync.client.local import pending_fields
from tests.sync.conftest import KEY, PASSWORD, _start

EDITABLE = {
    "school": ["name", "area"],
    "pupil": ["first_name", "upn"],
    "referral": ["concern", "source"],
    "visit": ["notes", "attendees"],
}
VALUES = ["a", "b", "c", "d"]  # few values, so equal and clashing edits both happen
SOURCES = list(vocab.REFERRAL_SOURCES)  # a referral's source is one of these (sync.rules)

ops = st.lists(
    st.tuples(
        st.integers(0, 2),  # which laptop
        st.sampled_from(
            [
                "create_school",
                "create_pupil",
                "create_visit",
                "update",
                "update",
                "update",
                "delete",
                "push",
                "pull",
                "sync",
            ]
        ),
        st.integers(0, 1000),  # picks a record
        st.integers(0, 1000),  # picks a field / value
    ),
    max_size=16,
)


@pytest.fixture(scope="module")
def property_server(tmp_path_factory):
    """A server of its own, so the scope compared is only this test's."""
    tmp = tmp_path_factory.mktemp("server-property")
    server = _start(f"sqlite:///{(tmp / 'server.db').as_posix()}", tmp)
    yield server
    server.stop()


def _seed(server) -> tuple[str, dict]:
    team = f"team-{uuid.uuid4().hex[:8]}"
    api = server.api
    ids = {k: str(uuid.uuid4()) for k in ("school", "cw", "pupil", "referral")}
    from tests.sync.conftest import mutation

    results = api.push(
        server.admin_token,
        [
            mutation("school", ids["school"], "create", {"name": "Seed School"}),
            mutation("caseworker", ids["cw"], "create", {"name": "Seed Worker", "team": team}),
            mutation(
                "pupil", ids["pupil"], "create", {"first_name": "P", "last_name": "Q", "school_id": ids["school"]}
            ),
            mutation(
                "referral",
                ids["referral"],
                "create",
                {
                    "pupil_id": ids["pupil"],
                    "school_id": ids["school"],
                    "referral_date": "2026-11-01",
                    "reason": "attendance",
                    "caseworker_id": ids["cw"],
                    "status": "allocated",
                },
            ),
        ],
    ).json()["results"]
    assert all(r["status"] == "applied" for r in results)
    username = f"lead-{uuid.uuid4().hex[:8]}"
    assert (
        api.post(
            "/admin/users",
            server.admin_token,
            {"username": username, "password": PASSWORD, "role": "team_lead", "team": team},
        ).status_code
        == 201
    )
    return api.token(username, PASSWORD), ids


def _held(store: Store, entity: str, deleted: bool = False) -> list[str]:
    return [
        r[0] for r in store.conn.execute(f"SELECT id FROM [{entity}] WHERE deleted = ? ORDER BY id", (int(deleted),))
    ]


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=ops)
@example(
    script=[
        (0, "update", 0, 0),
        (1, "update", 0, 2),
        (0, "sync", 0, 0),
        (1, "sync", 0, 0),
        (2, "delete", 0, 0),
        (2, "update", 3, 1),
    ]
)
def test_random_offline_work_converges_and_loses_no_edit(property_server, script):
    """After random creates, edits, deletes and partial syncs on three laptops of one team
    lead, a full sync leaves every laptop equal to the server, nothing waiting, and every
    edit either in the data, superseded by a later edit of that field, or in a conflict."""
    token, ids = _seed(property_server)
    with tempfile.TemporaryDirectory() as tmp:
        stores = [Store.open(Path(tmp) / f"laptop{i}.db", KEY, actor=f"laptop{i}") for i in range(3)]
        try:
            engines = [SyncEngine(s, property_server.url, token, page_size=5) for s in stores]
            for engine in engines:
                engine.sync()
            # Every edit: (entity, id, field, value, laptop, step, step it was pushed at).
            edits: list[list] = []
            last_pull = [0, 0, 0]
            seen_by: list[list] = [[], [], []]

            def pushed(laptop: int, step: int) -> None:
                for e in edits:
                    if e[4] == laptop and e[6] is None:
                        e[6] = step

            for step, (who, kind, pick, choice) in enumerate(script, start=1):
                store, engine = stores[who], engines[who]
                if kind == "create_school":
                    store.create("school", {"name": VALUES[choice % 4]})
                elif kind == "create_pupil":
                    schools = _held(store, "school")
                    store.create(
                        "pupil",
                        {"first_name": "N", "last_name": VALUES[choice % 4], "school_id": schools[pick % len(schools)]},
                    )
                elif kind == "create_visit":
                    store.create(
                        "visit",
                        {
                            "referral_id": ids["referral"],
                            "visit_date": "2026-11-20",
                            "visit_type": "review",
                            "notes": VALUES[choice % 4],
                        },
                    )
                elif kind == "update":
                    # Mostly the one referral every laptop holds, so edits clash often.
                    entity = ["referral", "referral", "referral", "pupil", "school", "visit"][pick % 6]
                    held = _held(store, entity)
                    if held:
                        record_id = held[pick % len(held)]
                        name = EDITABLE[entity][choice % 2]
                        value = (
                            f"{VALUES[choice % 4]}{who}" if name != "source" else SOURCES[choice // 2 % 2 * 3 + who]
                        )  # distinct per laptop, as above
                        store.update(entity, record_id, {name: value})
                        # [7]: the edits this laptop had seen when it made this one
                        edits.append([entity, record_id, name, value, who, step, None, list(seen_by[who])])
                elif kind == "delete":
                    entity = ["visit", "school"][choice % 2]
                    held = [i for i in _held(store, entity) if i != ids["school"]]
                    if held:
                        store.delete(entity, held[pick % len(held)])
                elif kind == "push":
                    engine.push()
                    pushed(who, step)
                elif kind == "pull":
                    engine.pull()
                    last_pull[who] = step
                else:
                    engine.sync()
                    pushed(who, step)
                    last_pull[who] = step + 0.5  # its pull came after its push
                seen_by[who] = [e for e in edits if e[4] == who or (e[6] is not None and e[6] < last_pull[who])]
            for _ in range(2):
                for engine in engines:
                    engine.sync()

            server = {(r["entity"], r["id"]): r for r in property_server.api.pull_all(token)}
            for store in stores:
                assert store.pending_count() == 0
                assert store.conn.execute("SELECT count(*) FROM outbox WHERE state != 'sent'").fetchone()[0] == 0
                held = {
                    (e, i)
                    for e, i, _ in store.conn.execute("SELECT entity, record_id, server_version FROM sync_record")
                }
                assert held == set(server)
                for (entity, record_id), state in server.items():
                    row = store.get(entity, record_id, include_deleted=True)
                    assert bool(row["deleted"]) == state["deleted"]
                    for name, value in state["fields"].items():
                        assert row[name] == value, (entity, name)
                    assert not pending_fields(store, entity, record_id)

            db = property_server.database_url.removeprefix("sqlite:///")
            with sqlite3.connect(db) as conn:
                conflicts = conn.execute(
                    "SELECT entity, record_id, field, kept_value, other_value FROM conflict"
                ).fetchall()
            kept = {(e, i, f, json.loads(v)) for e, i, f, k, o in conflicts for v in (k, o) if v is not None}
            for edit in edits:
                entity, record_id, name, value = edit[:4]
                final = server[(entity, record_id)]["fields"].get(name)
                superseded = any(
                    later[:3] == edit[:3] and any(e is edit for e in later[7]) for later in edits if later[5] > edit[5]
                )
                assert final == value or superseded or (entity, record_id, name, value) in kept, (entity, name, value)
        finally:
            for store in stores:
                store.close()
