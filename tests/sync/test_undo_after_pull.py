"""Undo after a pull, against a real server (SQLite and PostgreSQL): a colleague's value
that arrived by sync is never overwritten by Ctrl+Z (issue 9, item 5)."""

from __future__ import annotations

from desktop.store.undo import Creation, FieldEdit, field_diff


def _edit(store, entity, record_id, changes) -> FieldEdit:
    before = store.get(entity, record_id)
    store.update(entity, record_id, changes)
    old, new = field_diff(before, store.get(entity, record_id))
    return FieldEdit(store, entity, record_id, old, new)


def _server(service, entity, record_id):
    return next(
        r
        for r in service.server.api.pull_all(service.server.admin_token)
        if r["entity"] == entity and r["id"] == record_id
    )


def test_undo_after_a_pull_keeps_the_colleague_s_value_everywhere(service, laptops):
    referral = service.ids["referral"]
    mine, lead = laptops("a"), laptops("lead")
    service.engine(mine, "a").sync()
    service.engine(lead, "lead").sync()
    visit = mine.create("visit", {"referral_id": referral, "visit_date": "2026-11-20", "visit_type": "observation"})
    created = Creation(mine, "visit", visit)
    step = _edit(mine, "referral", referral, {"concern": "Mine.", "source": "school"})
    visit_step = _edit(mine, "visit", visit, {"notes": "Calm."})
    service.engine(mine, "a").sync()

    service.engine(lead, "lead").sync()
    lead.update("referral", referral, {"concern": "The lead's wording."})
    lead.delete("visit", visit)
    service.engine(lead, "lead").sync()
    service.engine(mine, "a").sync()  # their changes arrive

    outcome = step.undo()
    assert outcome.kept == {"concern": "The lead's wording."} and outcome.applied == ["source"]
    assert visit_step.undo().deleted_elsewhere
    assert created.undo().deleted_elsewhere
    report = service.engine(mine, "a").sync()
    assert report.conflicts == 0 and mine.pending_count() == 0
    server = _server(service, "referral", referral)
    assert server["fields"]["concern"] == "The lead's wording."
    assert server["fields"]["source"] is None  # the part of the undo that was mine
    assert _server(service, "visit", visit)["deleted"] is True
    service.engine(lead, "lead").sync()
    assert lead.get("referral", referral)["concern"] == "The lead's wording."
