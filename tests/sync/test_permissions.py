"""Who may write what (``sync.permissions``), per role, against real server processes on
SQLite and PostgreSQL: schools, coding schemes and caseworker records."""

from __future__ import annotations

import uuid

import pytest

from desktop.caseload import Caseload
from tests.conftest import TODAY
from tests.sync.conftest import build_service, mutation
from tests.sync.fresh import fresh_server

BASE = 10**6  # a base newer than any version: a permitted change is applied, not a conflict


def _push(service, who: str, entity: str, record_id: str, op: str = "update", **fields) -> dict:
    r = service.server.api.push(
        service.tokens[who], [mutation(entity, record_id, op, fields, base=BASE, device=f"device-{who}")]
    )
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def _ok(result: dict) -> None:
    assert result["status"] == "applied", result


def _refused(result: dict, words: str) -> None:
    assert result["status"] == "rejected" and result["code"] == 403, result
    assert words in result["error"], result["error"]


def _stored(service, entity: str, record_id: str) -> dict:
    records = service.server.api.pull_all(service.server.admin_token)
    return next(r for r in records if r["entity"] == entity and r["id"] == record_id)


def test_schools_practitioners_add_and_fix_their_own_leads_and_admins_edit_any(service):
    sid = service.ids["school"]  # added by the office, named by A's case
    # A practitioner cannot rename or delete a school someone else added, even one in scope.
    _refused(_push(service, "a", "school", sid, name="Renamed by A"), "someone else added")
    _refused(_push(service, "a", "school", sid, "delete"), "team lead or an administrator")
    assert _stored(service, "school", sid)["fields"]["name"] == "Hollowmere Primary School"
    # ... but may add one, and correct or delete it while only their own records name it.
    mine = str(uuid.uuid4())
    _ok(_push(service, "a", "school", mine, "create", name="Hollowmere Primry"))
    _ok(_push(service, "a", "school", mine, name="Hollowmere Primary (Annexe)"))
    _ok(_push(service, "a", "pupil", str(uuid.uuid4()), "create", first_name="Ada", last_name="Lovell", school_id=mine))
    _ok(_push(service, "a", "school", mine, phase="primary"))
    # The attack of issue 9: name someone's school in a pupil of your own, then edit it.
    _ok(_push(service, "b", "pupil", str(uuid.uuid4()), "create", first_name="Ben", last_name="Hart", school_id=mine))
    _refused(_push(service, "b", "school", mine, name="Taken over"), "someone else added")
    _refused(_push(service, "b", "school", mine, "delete"), "someone else added")
    # Now a colleague's pupil is at A's school: A can no longer change it alone either.
    _refused(_push(service, "a", "school", mine, name="Again"), "colleagues' records name it")
    _refused(_push(service, "a", "school", mine, "delete"), "colleagues' records name it")
    # Team leads and administrators edit and delete schools.
    _ok(_push(service, "lead", "school", sid, area="North"))
    _ok(_push(service, "admin", "school", mine, name="Hollowmere Annexe"))
    _ok(_push(service, "admin", "school", mine, "delete"))  # (the lead has no case there)
    assert _stored(service, "school", mine)["deleted"] is True
    # Restoring is deleting's other half: a practitioner cannot bring back a school.
    _refused(_push(service, "b", "school", mine, "create", name="Back"), "team lead")
    _ok(_push(service, "admin", "school", mine, "create", name="Hollowmere Annexe"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_coding_schemes_are_edited_by_leads_and_admins_and_by_whoever_made_one(tmp_path, laptops, kind):
    # A server of its own: every user of a server receives its coding schemes.
    with fresh_server(tmp_path, kind) as server:
        _coding_schemes(build_service(server, laptops))


def _coding_schemes(service) -> None:
    shared = str(uuid.uuid4())
    _ok(_push(service, "admin", "coding_scheme", shared, "create", name="Service scheme", definition="{}"))
    for op, fields in (("update", {"name": "Hijacked"}), ("delete", {})):
        _refused(_push(service, "a", "coding_scheme", shared, op, **fields), "copy it")
    own = str(uuid.uuid4())
    _ok(_push(service, "a", "coding_scheme", own, "create", name="A's copy", definition="{}"))
    _ok(_push(service, "a", "coding_scheme", own, name="A's copy, edited"))
    _refused(_push(service, "b", "coding_scheme", own, name="B's now"), "someone else added")
    _ok(_push(service, "lead", "coding_scheme", shared, name="Service scheme v2"))
    _ok(_push(service, "lead", "coding_scheme", own, "delete"))
    _ok(_push(service, "a", "coding_scheme", str(uuid.uuid4()), "create", name="Another", definition="{}"))
    _ok(_push(service, "admin", "coding_scheme", shared, "delete"))
    assert _stored(service, "coding_scheme", shared)["fields"]["name"] == "Service scheme v2"


def test_caseworker_records_team_and_role_change_only_by_an_admin(service):
    a, b, team = service.ids["cw_a"], service.ids["cw_b"], service.team
    # A practitioner: contact fields of their own record only.
    _ok(_push(service, "a", "caseworker", a, email="sam@example.org", name="Sam Whitfield-Ng"))
    _refused(_push(service, "a", "caseworker", a, team="another-team"), "Only an administrator")
    _refused(_push(service, "a", "caseworker", a, role="team_lead"), "Only an administrator")
    _refused(_push(service, "a", "caseworker", a, area="Docklands"), "ask your team lead")
    _refused(_push(service, "a", "caseworker", a, "delete"), "Only an administrator")
    _refused(
        _push(service, "a", "caseworker", str(uuid.uuid4()), "create", name="Me too", team=team),
        "administrator or a team lead",
    )
    assert _stored(service, "caseworker", a)["fields"]["team"] == team
    # A team lead: their team's records, staying in the team, neither team nor role.
    _ok(_push(service, "lead", "caseworker", b, area="Docklands", specialisms='["autism"]'))
    _refused(_push(service, "lead", "caseworker", b, team="another-team"), "Only an administrator")
    _refused(_push(service, "lead", "caseworker", b, role="team_lead"), "Only an administrator")
    _refused(_push(service, "lead", "caseworker", b, "delete"), "Only an administrator")
    _ok(_push(service, "lead", "caseworker", str(uuid.uuid4()), "create", name="New starter", team=team))
    _refused(
        _push(service, "lead", "caseworker", str(uuid.uuid4()), "create", name="Elsewhere", team="another-team"),
        "their own team only",
    )
    _refused(
        _push(service, "lead", "caseworker", str(uuid.uuid4()), "create", name="Boss", team=team, role="team_lead"),
        "Only an administrator",
    )
    # An administrator: anything.
    _ok(_push(service, "admin", "caseworker", a, team="another-team", role="team_lead"))
    _ok(_push(service, "admin", "caseworker", b, "delete"))
    assert _stored(service, "caseworker", a)["fields"]["team"] == "another-team"


def test_a_refused_edit_from_the_app_waits_under_needs_attention_and_others_still_sync(service, laptops):
    """The laptop path: a practitioner's rename of the school goes to needs attention with
    the reason; nothing reaches the server, and the lead's laptop syncs as before."""
    a_laptop = laptops("a")
    service.engine(a_laptop, "a").sync()
    cl = Caseload(a_laptop, today=TODAY)
    cl.update_school(service.ids["school"], name="Renamed on A's laptop")
    report = service.engine(a_laptop, "a").sync()
    assert report.rejected == 1
    (reason,) = [r["last_error"] for r in a_laptop.db.query("SELECT last_error FROM outbox WHERE state = 'rejected'")]
    assert "team lead or an administrator" in reason
    assert _stored(service, "school", service.ids["school"])["fields"]["name"] == "Hollowmere Primary School"
    lead_laptop = laptops("lead")
    service.engine(lead_laptop, "lead").sync()
    assert lead_laptop.get("school", service.ids["school"])["name"] == "Hollowmere Primary School"
