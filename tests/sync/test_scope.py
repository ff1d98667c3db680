"""Scope and authorisation: a practitioner reaches only their own cases, by any request;
reallocation takes a case off the old laptop, keeping unsent edits for review."""

from __future__ import annotations

import hashlib
import uuid

import pytest
import requests

from desktop.caseload.service import Caseload
from sync.client import SyncError, sync_status
from sync.protocol import digest, set_digest
from tests.conftest import TODAY
from tests.sync.conftest import build_service, mutation


def _allocate_new_case(service, worker: str) -> str:
    """The office records a new pupil and referral allocated to ``worker``; the referral id."""
    cl = Caseload(service.office, today=TODAY)
    pupil = cl.add_pupil(
        first_name="Noor", last_name="Haddad", school_id=service.ids["school"], date_of_birth="2016-05-02", year_group=6
    )
    referral = cl.add_referral(
        pupil_id=pupil, school_id=service.ids["school"], reason="persistent_disruption", referral_date="2026-11-03"
    )
    cl.allocate(referral, service.ids[worker])
    service.engine(service.office, "admin").sync()
    return referral


def _ids(records):
    return {(r["entity"], r["id"]) for r in records}


def test_pull_gives_a_practitioner_only_their_cases(service):
    """A's pull has A's referral, pupil, school and own caseworker record; B's has none of
    A's case; the lead's has the team's."""
    api, ids = service.server.api, service.ids
    a = _ids(api.pull_all(service.tokens["a"]))
    b = _ids(api.pull_all(service.tokens["b"]))
    lead = _ids(api.pull_all(service.tokens["lead"]))
    case = {("referral", ids["referral"]), ("pupil", ids["pupil"]), ("school", ids["school"])}
    assert case | {("caseworker", ids["cw_a"])} <= a
    assert ("caseworker", ids["cw_b"]) not in a
    assert not case & b
    assert case | {("caseworker", ids["cw_a"]), ("caseworker", ids["cw_b"])} <= lead


def test_a_team_lead_does_not_see_another_teams_cases(service, laptops):
    """Scope for a team lead stops at their team."""
    other = build_service(service.server, laptops)
    lead = _ids(service.server.api.pull_all(service.tokens["lead"]))
    assert ("referral", other.ids["referral"]) not in lead
    assert ("pupil", other.ids["pupil"]) not in lead


def test_push_cannot_edit_or_delete_another_practitioners_case(service):
    """B's update or delete of A's referral, pupil or school record is refused (403) and
    nothing changes."""
    api, ids = service.server.api, service.ids
    results = api.push(
        service.tokens["b"],
        [
            mutation("referral", ids["referral"], fields={"concern": "B was here"}, base=9),
            mutation("referral", ids["referral"], "delete", base=9),
            mutation("pupil", ids["pupil"], fields={"first_name": "Changed"}, base=9),
        ],
    ).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", 403)] * 3
    assert all("record" not in r or r["record"] is None for r in results)
    admin_view = {r["id"]: r for r in api.pull_all(service.server.admin_token)}
    assert admin_view[ids["referral"]]["fields"]["concern"] == "Leaves the classroom."
    assert admin_view[ids["pupil"]]["fields"]["first_name"] == "Ivy"


def test_push_cannot_reach_another_case_by_naming_it(service):
    """B cannot add a visit to A's referral, open a referral on A's pupil, or allocate A's
    case to themselves; nor re-create A's referral id."""
    api, ids = service.server.api, service.ids
    results = api.push(
        service.tokens["b"],
        [
            mutation(
                "visit",
                str(uuid.uuid4()),
                "create",
                {"referral_id": ids["referral"], "visit_date": "2026-11-20", "visit_type": "review"},
            ),
            mutation(
                "referral",
                str(uuid.uuid4()),
                "create",
                {
                    "pupil_id": ids["pupil"],
                    "school_id": ids["school"],
                    "referral_date": "2026-11-20",
                    "reason": "attendance",
                },
            ),
            mutation("referral", ids["referral"], fields={"caseworker_id": ids["cw_b"]}, base=9),
            mutation(
                "referral",
                ids["referral"],
                "create",
                {
                    "pupil_id": ids["pupil"],
                    "school_id": ids["school"],
                    "referral_date": "2026-11-20",
                    "reason": "attendance",
                },
            ),
        ],
    ).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", 403)] * 4
    assert not _ids(api.pull_all(service.tokens["b"])) & {("pupil", ids["pupil"]), ("referral", ids["referral"])}


def test_a_practitioner_cannot_allocate_their_case_to_someone_else(service):
    """Handing a case on is the team lead's job: A's reallocation to B is refused."""
    r = service.server.api.push(
        service.tokens["a"],
        [mutation("referral", service.ids["referral"], fields={"caseworker_id": service.ids["cw_b"]}, base=9)],
    ).json()["results"][0]
    assert (r["status"], r["code"]) == ("rejected", 403)


@pytest.mark.parametrize("algorithm, compute", [("set", set_digest), ("sorted", digest)])
def test_digest_reveals_nothing_outside_scope(service, algorithm, compute):
    """B's digest is computed over B's scope only: a digest of A's case does not match for B
    and B's count excludes it (both digest algorithms)."""
    api = service.server.api
    a_records = api.pull_all(service.tokens["a"])
    a_digest = compute((r["entity"], r["id"], r["version"]) for r in a_records)
    body = {"digest": a_digest, "algorithm": algorithm}
    answer_a = api.post("/sync/digest", service.tokens["a"], body).json()
    answer_b = api.post("/sync/digest", service.tokens["b"], body).json()
    assert answer_a["match"] is True and answer_b["match"] is False
    assert answer_a["algorithm"] == answer_b["algorithm"] == algorithm
    assert answer_b["count"] == len(api.pull_all(service.tokens["b"]))


def test_admin_endpoints_refuse_practitioners_and_team_leads(service):
    """Only administrators manage accounts and publish packs."""
    api = service.server.api
    for who in ("a", "lead"):
        assert api.get("/admin/users", service.tokens[who]).status_code == 403
        assert (
            api.patch(f"/admin/users/{service.ids['a_user']}", service.tokens[who], {"role": "admin"}).status_code
            == 403
        )
        assert api.get("/admin/packs", service.tokens[who]).status_code == 403
        assert api.post("/admin/packs", service.tokens[who], {"format": "fieldnote-instrument-pack"}).status_code == 403
        assert (
            requests.delete(
                api.url + "/admin/packs/any-pack",
                timeout=30,
                headers={"Authorization": f"Bearer {service.tokens[who]}"},
            ).status_code
            == 403
        )


def test_attachment_endpoints_check_who_is_asking(service, laptops):
    """Every attachment endpoint needs a valid token; a file can be downloaded only through
    an attachment record in scope (B, outside the case, gets 404 like for a file that does
    not exist); hashes must be well formed and sizes are capped."""
    from desktop.store.attachments import MAX_ATTACHMENT_BYTES, add_attachment
    from sync.server.attachments import MAX_CHUNK_BYTES

    a = laptops("a")
    service.engine(a, "a").sync()
    data = b"%PDF-1.7 a report about one pupil"
    add_attachment(a, data, referral_id=service.ids["referral"], title="Report")
    service.engine(a, "a").sync()
    sha = hashlib.sha256(data).hexdigest()
    url = f"{service.server.url}/attachments/{sha}"

    def call(method, token, suffix="", headers=None, **kw):
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        return requests.request(method, url + suffix, headers=headers, timeout=60, **kw)

    upload = {"params": {"size": len(data)}, "data": data}
    for token in (None, "made-up-token"):
        assert call("GET", token).status_code == 401
        assert call("GET", token, "/status").status_code == 401
        assert call("PUT", token, **upload).status_code == 401
    assert call("GET", service.tokens["b"]).status_code == 404
    assert call("GET", service.tokens["b"], headers={"Range": "bytes=0-"}).status_code == 404
    assert call("GET", service.tokens["b"], "/status").json()["complete"] is False
    for who in ("a", "lead", "admin"):
        assert call("GET", service.tokens[who]).content == data
        assert call("GET", service.tokens[who], "/status").json()["complete"] is True
    bad = requests.get(
        f"{service.server.url}/attachments/{'x' * 64}/status",
        timeout=60,
        headers={"Authorization": f"Bearer {service.tokens['a']}"},
    )
    assert bad.status_code == 422
    assert call("PUT", service.tokens["b"], params={"size": MAX_ATTACHMENT_BYTES + 1}, data=b"x").status_code == 413
    assert (
        call(
            "PUT", service.tokens["b"], params={"size": MAX_ATTACHMENT_BYTES}, data=b"x" * (MAX_CHUNK_BYTES + 1)
        ).status_code
        == 413
    )


def test_an_attachment_is_in_exactly_its_cases_scope(service, laptops):
    """An attachment of A's case reaches A and the lead, not B, and B cannot edit it. When
    the case is reallocated to B, B receives the record and its file, and A's laptop loses
    both."""
    from desktop.store.attachments import add_attachment, read_attachment

    api, ids = service.server.api, service.ids
    a, b = laptops("a"), laptops("b")
    service.engine(a, "a").sync()
    data = b"%PDF-1.7 " + uuid.uuid4().bytes * 1000
    attachment = add_attachment(a, data, referral_id=ids["referral"], title="Plan review")
    service.engine(a, "a").sync()
    assert ("attachment", attachment) in _ids(api.pull_all(service.tokens["a"]))
    assert ("attachment", attachment) in _ids(api.pull_all(service.tokens["lead"]))
    assert ("attachment", attachment) not in _ids(api.pull_all(service.tokens["b"]))
    [result] = api.push(
        service.tokens["b"], [mutation("attachment", attachment, fields={"title": "B was here"}, base=9)]
    ).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", 403)

    service.engine(b, "b").sync()
    assert b.get("attachment", attachment) is None and b.db["blob"].count == 0
    r = api.push(
        service.server.admin_token,
        [mutation("referral", ids["referral"], fields={"caseworker_id": ids["cw_b"]}, base=9)],
    )
    assert r.json()["results"][0]["status"] == "applied"
    report = service.engine(b, "b").sync()
    assert report.downloaded == 1 and read_attachment(b, attachment) == data
    service.engine(a, "a").sync()
    assert a.get("attachment", attachment, include_deleted=True) is None
    assert a.db["blob"].count == 0  # the bytes left with the case
    sha = hashlib.sha256(data).hexdigest()
    assert (
        requests.get(
            f"{service.server.url}/attachments/{sha}",
            timeout=60,
            headers={"Authorization": f"Bearer {service.tokens['a']}"},
        ).status_code
        == 404
    )


def test_reallocation_revokes_the_case_and_keeps_unsent_edits_for_review(service, laptops):
    """The lead moves A's case to B: A's next pull purges the referral, its visit and pupil;
    A's unsent edit of the visit is kept in the review list, not lost; B receives the case
    with A's earlier, sent visit."""
    a, lead, b = laptops("a"), laptops("lead"), laptops("b")
    service.engine(a, "a").sync()
    visit = a.create(
        "visit",
        {
            "referral_id": service.ids["referral"],
            "visit_date": "2026-11-19",
            "visit_type": "observation",
            "notes": "Sent.",
        },
    )
    service.engine(a, "a").sync()
    a.update("visit", visit, {"notes": "Unsent second thoughts."})
    service.engine(lead, "lead").sync()
    lead.update("referral", service.ids["referral"], {"caseworker_id": service.ids["cw_b"]})
    service.engine(lead, "lead").sync()

    report = service.engine(a, "a").pull()
    assert report.purged >= 3 and report.to_review == 1
    assert a.get("referral", service.ids["referral"], include_deleted=True) is None
    assert a.get("visit", visit, include_deleted=True) is None
    assert a.get("pupil", service.ids["pupil"], include_deleted=True) is None
    [item] = sync_status(a).review
    assert item["entity"] == "visit" and "Unsent second thoughts." in item["changes"]
    assert a.pending_count() == 0  # moved out of the queue, not sent to be refused
    assert [e["action"] for e in a.audit_trail("referral", service.ids["referral"])][-1] == "purge"
    assert service.engine(a, "a").verify() is True

    service.engine(b, "b").sync()
    assert b.get("referral", service.ids["referral"])["caseworker_id"] == service.ids["cw_b"]
    assert b.get("visit", visit)["notes"] == "Sent."
    assert b.get("pupil", service.ids["pupil"])["first_name"] == "Ivy"


def test_a_practitioner_keeps_the_cases_they_record_until_allocated(service, laptops):
    """A new referral a practitioner records (unallocated) stays on their laptop and is in
    the lead's allocation queue."""
    a = laptops("a")
    service.engine(a, "a").sync()
    pupil = a.create("pupil", {"first_name": "Noah", "last_name": "Bell", "school_id": service.ids["school"]})
    referral = a.create(
        "referral",
        {"pupil_id": pupil, "school_id": service.ids["school"], "referral_date": "2026-11-21", "reason": "attendance"},
    )
    report = service.engine(a, "a").sync()
    assert report.rejected == 0 and a.get("referral", referral)
    assert ("referral", referral) in _ids(service.server.api.pull_all(service.tokens["lead"]))
    assert ("referral", referral) not in _ids(service.server.api.pull_all(service.tokens["b"]))


def test_reallocation_purges_finalised_evidence_from_the_old_laptop(service, laptops):
    """A finalised observation and its append-only events leave the old laptop with the
    case (the server keeps them; the store's evidence triggers stay in place) and reach
    the new caseworker intact."""
    a, lead, b = laptops("a"), laptops("lead"), laptops("b")
    service.engine(a, "a").sync()
    obs = a.create(
        "observation",
        {
            "referral_id": service.ids["referral"],
            "interval_seconds": 60,
            "status": "recording",
            "started_at": "2026-11-20T09:00:00Z",
        },
    )
    events = [
        a.create("observation_event", {"observation_id": obs, "seq": i, "type": "mark", "payload": "{}"})
        for i in range(3)
    ]
    a.update("observation", obs, {"status": "final"})
    service.engine(a, "a").sync()
    triggers_before = a.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    ).fetchall()
    service.engine(lead, "lead").sync()
    lead.update("referral", service.ids["referral"], {"caseworker_id": service.ids["cw_b"]})
    service.engine(lead, "lead").sync()
    service.engine(a, "a").sync()
    assert a.get("observation", obs, include_deleted=True) is None
    assert a.db["observation_event"].count == 0
    assert (
        a.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()
        == triggers_before
    )
    service.engine(b, "b").sync()
    assert b.get("observation", obs)["status"] == "final"
    assert {e for e in events if b.get("observation_event", e)} == set(events)


def test_a_laptop_signed_in_as_someone_else_holds_only_their_cases(service, laptops):
    """A signs out and B signs in on the same laptop: the next sync pulls B's whole scope
    and A's case leaves the laptop (nothing of A's was unsent)."""
    laptop = laptops("shared")
    service.engine(laptop, "a").sync()
    assert laptop.get("referral", service.ids["referral"]) is not None
    b_case = _allocate_new_case(service, "cw_b")
    report = service.engine(laptop, "b").sync()
    assert laptop.get("referral", service.ids["referral"]) is None
    assert laptop.get("referral", b_case) is not None
    assert report.purged >= 1 and report.digest_match is True


def test_another_user_cannot_sync_while_the_first_has_unsent_changes(service, laptops):
    """A's unsent edit is never sent in B's name nor purged: B's sync is refused, saying
    whose changes wait, and nothing moves."""
    laptop = laptops("shared")
    service.engine(laptop, "a").sync()
    laptop.update("referral", service.ids["referral"], {"concern": "A's unsent words."})
    with pytest.raises(SyncError, match=service.ids["a_username"]):
        service.engine(laptop, "b").sync()
    assert laptop.pending_count() == 1
    assert laptop.get("referral", service.ids["referral"])["concern"] == "A's unsent words."
    server = {r["id"]: r for r in service.server.api.pull_all(service.server.admin_token)}
    assert server[service.ids["referral"]]["fields"]["concern"] != "A's unsent words."
    service.engine(laptop, "a").sync()  # A can still send it
    assert laptop.pending_count() == 0


def test_a_changed_caseworker_link_resyncs_the_scope_at_once(service, laptops):
    """An administrator points A's account at B's caseworker record: at A's next sync the
    old case leaves and B's arrive, without waiting for a digest mismatch."""
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    b_case = _allocate_new_case(service, "cw_b")
    r = service.server.api.patch(
        f"/admin/users/{service.ids['a_user']}", service.server.admin_token, {"caseworker_id": service.ids["cw_b"]}
    )
    assert r.status_code == 200, r.text
    report = service.engine(laptop, "a").sync()
    assert laptop.get("referral", service.ids["referral"]) is None
    assert laptop.get("referral", b_case) is not None
    assert report.resynced is False  # the scope change was seen before the digest


def test_a_token_past_half_its_life_is_refreshed_and_kept(service, laptops, monkeypatch):
    import sync.client.engine as engine_module

    laptop = laptops("a")
    kept = []
    engine = service.engine(laptop, "a", on_token=kept.append)
    engine.sync()
    assert kept == []  # a fresh token is left alone
    later = engine_module.time.time() + 7 * 60 * 60
    monkeypatch.setattr(engine_module.time, "time", lambda: later)
    engine.sync()
    assert len(kept) == 1 and kept[0] != service.tokens["a"]
    assert engine.transport.token == kept[0]
    assert service.server.api.get("/sync/pull", kept[0]).status_code == 200
