"""Push: idempotency, lost replies, duplicates and reordering, per-field merge, conflicts.

Run against SQLite and PostgreSQL (the ``server`` fixture is parametrised)."""

from __future__ import annotations

import uuid

import requests

from sync.client import local, sync_status
from sync.client.transport import Transport
from tests.sync.conftest import mutation


def _server_record(service, entity, record_id):
    records = service.server.api.pull_all(service.server.admin_token)
    return next(r for r in records if r["entity"] == entity and r["id"] == record_id)


def test_a_replayed_mutation_returns_the_original_result(service):
    """Sending the same mutation twice applies it once and answers the same both times."""
    api, token = service.server.api, service.tokens["a"]
    m = mutation("referral", service.ids["referral"], fields={"concern": "Runs off."}, base=2)
    first = api.push(token, [m]).json()["results"][0]
    second = api.push(token, [m]).json()["results"][0]
    assert first["status"] == "applied" and second == first
    assert _server_record(service, "referral", service.ids["referral"])["version"] == first["record"]["version"]


def test_the_same_mutation_id_with_other_content_is_refused_with_409(service):
    """Reusing a mutation id for a different change is a 409 and overwrites nothing."""
    api, token = service.server.api, service.tokens["a"]
    m = mutation("referral", service.ids["referral"], fields={"concern": "First."}, base=2)
    assert api.push(token, [m]).json()["results"][0]["status"] == "applied"
    forged = dict(m, fields={"concern": "Second."})
    result = api.push(token, [forged]).json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", 409)
    assert _server_record(service, "referral", service.ids["referral"])["fields"]["concern"] == "First."


class LosesReplies(requests.Session):
    """Delivers the first push to the server, then acts as if the connection dropped."""

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def request(self, method, url, **kw):
        response = super().request(method, url, **kw)
        if url.endswith("/sync/push") and not self.dropped:
            self.dropped += 1
            raise requests.ConnectionError("reply lost")
        return response


def test_a_reply_lost_after_commit_is_retried_without_duplicates(service, laptops):
    """The server commits, the reply is lost, the engine retries: one visit, one version."""
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    visit = laptop.create(
        "visit", {"referral_id": service.ids["referral"], "visit_date": "2026-11-20", "visit_type": "observation"}
    )
    laptop.update("visit", visit, {"notes": "Calmer after break."})
    session = LosesReplies()
    transport = Transport(service.server.url, service.tokens["a"], session=session, sleep=lambda s: None)
    service.engine(laptop, "a", transport=transport).sync()
    assert session.dropped == 1 and laptop.pending_count() == 0
    record = _server_record(service, "visit", visit)
    assert record["version"] == 2 and record["fields"]["notes"] == "Calmer after break."
    records = service.server.api.pull_all(service.server.admin_token)
    assert sum(1 for r in records if r["id"] == visit) == 1


def test_duplicated_and_reordered_pushes_converge(service):
    """An update arriving before its create waits (retry, nothing stored); duplicates are
    replays; an older edit from the same laptop arriving late does not undo a newer one."""
    api, token = service.server.api, service.tokens["a"]
    visit = str(uuid.uuid4())
    create = mutation(
        "visit",
        visit,
        "create",
        {"referral_id": service.ids["referral"], "visit_date": "2026-11-20", "visit_type": "review"},
        seq=1,
    )
    edit1 = mutation("visit", visit, fields={"notes": "first"}, seq=2)
    edit2 = mutation("visit", visit, fields={"notes": "second"}, seq=3)
    early = api.push(token, [edit2]).json()["results"][0]
    assert early["status"] == "retry"
    results = api.push(token, [create, edit2, create, edit1]).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "applied", "applied"]
    assert results[2] == results[0]  # the duplicate create is a replay
    assert _server_record(service, "visit", visit)["fields"]["notes"] == "second"


def test_edits_to_different_fields_merge(service, laptops):
    """Two laptops edit different fields of one referral offline: both edits survive."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    a.update("referral", service.ids["referral"], {"concern": "Hides under desk."})
    lead.update("referral", service.ids["referral"], {"source": "senco"})
    service.engine(a, "a").sync()
    report = service.engine(lead, "lead").sync()
    service.engine(a, "a").sync()
    assert report.conflicts == 0
    for laptop in (a, lead):
        row = laptop.get("referral", service.ids["referral"])
        assert (row["concern"], row["source"]) == ("Hides under desk.", "senco")


def test_the_same_field_edited_twice_keeps_both_values_in_a_conflict(service, laptops):
    """Both laptops change the concern: the first to arrive stands everywhere, the other
    value is kept in a conflict record on the server and on the laptop that sent it."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    a.update("referral", service.ids["referral"], {"concern": "From A."})
    lead.update("referral", service.ids["referral"], {"concern": "From the lead."})
    service.engine(a, "a").sync()
    report = service.engine(lead, "lead").sync()
    service.engine(a, "a").sync()
    assert report.conflicts == 1
    for laptop in (a, lead):
        assert laptop.get("referral", service.ids["referral"])["concern"] == "From A."
    [conflict] = sync_status(lead).conflicts
    assert (conflict["field"], conflict["local_value"], conflict["remote_value"]) == (
        "concern",
        "From the lead.",
        "From A.",
    )


def test_an_edit_meeting_a_delete_is_a_conflict_not_a_loss(service, laptops):
    """A visit deleted on one laptop and edited on another: the delete stands and the edit's
    value is kept in a conflict, in either order of arrival."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    for first, second in ((a, lead), (lead, a)):
        who = {id(a): "a", id(lead): "lead"}
        visit = first.create(
            "visit", {"referral_id": service.ids["referral"], "visit_date": "2026-11-21", "visit_type": "review"}
        )
        service.engine(first, who[id(first)]).sync()
        service.engine(second, who[id(second)]).sync()
        first.delete("visit", visit)
        second.update("visit", visit, {"notes": "Kept despite the delete."})
        service.engine(first, who[id(first)]).sync()
        report = service.engine(second, who[id(second)]).sync()
        service.engine(first, who[id(first)]).sync()
        assert report.conflicts >= 1
        assert _server_record(service, "visit", visit)["deleted"] is True
        kept = [c for laptop in (a, lead) for c in sync_status(laptop).conflicts if c["record_id"] == visit]
        assert any("Kept despite the delete." in (c["local_value"], c["remote_value"]) for c in kept)


def test_keeping_an_edit_that_met_a_delete_restores_the_record_everywhere(service, laptops):
    """The edit's side of an edit_vs_delete conflict: the record comes back (a restore, sent
    as a create of the same id) with the edit, on the server and on the laptop that deleted
    it; a pull in between never re-deletes it before the restore is sent."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    visit = a.create(
        "visit",
        {
            "referral_id": service.ids["referral"],
            "visit_date": "2026-11-21",
            "visit_type": "review",
            "notes": "First notes.",
        },
    )
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    lead.delete("visit", visit)
    a.update("visit", visit, {"notes": "Kept despite the delete."})
    service.engine(lead, "lead").sync()
    service.engine(a, "a").sync()
    assert a.get("visit", visit) is None  # the delete stood
    (conflict,) = [c for c in sync_status(a).conflicts if c["record_id"] == visit]
    assert conflict["kind"] == "edit_vs_delete"

    local.resolve_conflict(a, conflict["id"], "local")
    assert a.get("visit", visit)["notes"] == "Kept despite the delete."
    service.engine(a, "a").pull()  # the server still says deleted: the laptop's restore stands
    assert a.get("visit", visit)["notes"] == "Kept despite the delete."
    report = service.engine(a, "a").sync()
    assert report.rejected == 0 and report.digest_match is True
    server = _server_record(service, "visit", visit)
    assert server["deleted"] is False and server["fields"]["notes"] == "Kept despite the delete."
    service.engine(lead, "lead").sync()
    assert lead.get("visit", visit)["notes"] == "Kept despite the delete."
    assert [a_["action"] for a_ in a.audit_trail("visit", visit)][-2:] == ["restore", "resolve_conflict"]


def test_keeping_the_other_side_of_a_delete_restores_their_change(service, laptops):
    """delete_vs_edit: this laptop deleted a record someone else had just changed; keeping the
    server's side brings the record back with their change, for both laptops."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    visit = a.create(
        "visit", {"referral_id": service.ids["referral"], "visit_date": "2026-11-21", "visit_type": "review"}
    )
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    lead.update("visit", visit, {"notes": "The lead's notes."})
    service.engine(lead, "lead").sync()
    a.delete("visit", visit)
    service.engine(a, "a").sync()
    (conflict,) = [c for c in sync_status(a).conflicts if c["record_id"] == visit]
    assert conflict["kind"] == "delete_vs_edit" and a.get("visit", visit) is None

    local.resolve_conflict(a, conflict["id"], "remote")
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    for laptop in (a, lead):
        assert laptop.get("visit", visit)["notes"] == "The lead's notes."
    assert _server_record(service, "visit", visit)["deleted"] is False


def test_a_restore_replayed_after_a_later_delete_from_the_same_laptop_changes_nothing(service):
    """Requests reordered: a laptop's restore arriving after its own later delete does not
    bring the record back."""
    api, token = service.server.api, service.tokens["a"]
    visit = str(uuid.uuid4())
    fields = {"referral_id": service.ids["referral"], "visit_date": "2026-11-21", "visit_type": "review"}
    create = mutation("visit", visit, "create", fields, seq=1)
    assert api.push(token, [create]).json()["results"][0]["status"] == "applied"
    delete_1 = mutation("visit", visit, "delete", base=1, seq=2)
    restore = mutation("visit", visit, "create", fields, base=2, seq=3)
    delete_2 = mutation("visit", visit, "delete", base=3, seq=4)
    for m in (delete_1, delete_2, restore):  # the restore arrives last
        api.push(token, [m])
    assert _server_record(service, "visit", visit)["deleted"] is True


def test_a_rejected_change_is_visible_and_does_not_block_the_queue(service, laptops):
    """A change the server refuses for good goes to 'needs attention'; later ones still go."""
    laptop = laptops("b")
    service.engine(laptop, "b").sync()
    # B's laptop names A's referral (which B cannot see) in a new visit: refused (403).
    laptop.conn.execute("PRAGMA foreign_keys = OFF")
    laptop.create("visit", {"referral_id": service.ids["referral"], "visit_date": "2026-11-20", "visit_type": "review"})
    laptop.conn.execute("PRAGMA foreign_keys = ON")
    school = laptop.create("school", {"name": "Fernside Academy"})
    report = service.engine(laptop, "b").sync()
    assert report.rejected == 1 and report.sent == 1
    status = sync_status(laptop)
    assert status.changes_waiting == 0
    [item] = status.needs_attention
    assert item["entity"] == "visit" and "access" in item["last_error"]
    assert any(r["id"] == school for r in service.server.api.pull_all(service.tokens["b"]))


def test_schema_versions_are_negotiated(service):
    """The current schema and the previous release's are accepted; others are refused with a
    clear 426 (whole request) or 422 (one change written by a too-old schema)."""
    api, token = service.server.api, service.tokens["a"]
    from sync.protocol import ACCEPTED_SCHEMA_VERSIONS, SCHEMA_VERSION

    old, new = ACCEPTED_SCHEMA_VERSIONS[0], ACCEPTED_SCHEMA_VERSIONS[-1]
    assert new == SCHEMA_VERSION
    r = api.post("/sync/push", token, {"schema_version": SCHEMA_VERSION + 1, "mutations": []})
    assert r.status_code == 426 and "Update Fieldnote" in r.json()["detail"]
    r = requests.get(
        api.url + "/sync/pull",
        headers={"Authorization": f"Bearer {token}", "X-Fieldnote-Schema": str(old - 1)},
        timeout=10,
    )
    assert r.status_code == 426
    previous = dict(
        mutation("referral", service.ids["referral"], fields={"concern": "Old app"}, base=2), schema_version=old
    )
    ancient = dict(
        mutation("referral", service.ids["referral"], fields={"concern": "Ancient"}, base=2), schema_version=old - 1
    )
    results = api.push(token, [previous, ancient]).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("applied", 200), ("rejected", 422)]
    assert "schema version" in results[1]["error"]


def test_every_accepted_change_gets_a_higher_sequence_number(service):
    """Sequence numbers only grow, in the order changes were accepted."""
    api, token = service.server.api, service.tokens["a"]
    seqs = []
    for text in ("one", "two", "three"):
        m = mutation("referral", service.ids["referral"], fields={"concern": text}, base=2)
        seqs.append(api.push(token, [m]).json()["results"][0]["seq"])
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


def test_an_edit_meeting_finalised_evidence_is_a_conflict(service, laptops):
    """A form finalised on one laptop while another edits the draft: the final version
    stands everywhere and the late edit is kept as an 'edit_vs_final' conflict."""
    a, lead = laptops("a"), laptops("lead")
    service.engine(a, "a").sync()
    form = a.create(
        "form_completion",
        {
            "pupil_id": service.ids["pupil"],
            "referral_id": service.ids["referral"],
            "pack_id": "sdq-teacher-4-17",
            "pack_version": "1",
            "informant": "teacher",
            "age_band": "4-17",
            "completed_by": "teacher",
            "completed_on": "2026-11-20",
            "time_point": "T1",
            "respondent": "Ms Reed",
        },
    )
    service.engine(a, "a").sync()
    service.engine(lead, "lead").sync()
    a.update("form_completion", form, {"status": "final", "finalised_at": "2026-11-21"})
    lead.update("form_completion", form, {"respondent": "Mr Cole"})
    service.engine(a, "a").sync()
    report = service.engine(lead, "lead").sync()
    assert report.conflicts == 1
    for laptop in (a, lead):
        row = laptop.get("form_completion", form)
        assert (row["status"], row["respondent"]) == ("final", "Ms Reed")
    [conflict] = sync_status(lead).conflicts
    assert (conflict["kind"], conflict["local_value"]) == ("edit_vs_final", "Mr Cole")
