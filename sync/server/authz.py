"""Write authorisation on the server: gathers the facts ``sync.permissions`` needs about one
pushed change (who created the record, whether others' records name it, the caseworker
record's team) and asks it. Scope (may this user see the record at all) is checked before."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync import permissions
from sync.server.accounts import User
from sync.server.db import record

# Records (other than the school itself) naming a school and written by someone else.
_SHARED_SCHOOL = (
    sa.select(record.c.id)
    .where(
        record.c.school_id == sa.bindparam("school"),
        record.c.entity != "school",
        sa.or_(record.c.created_by.is_(None), record.c.created_by != sa.bindparam("user")),
    )
    .limit(1)
)


def shared_schools(conn: Connection, user: User, school_ids: list[str]) -> set[str]:
    """Of ``school_ids``, those that records of someone other than ``user`` name: one
    query per 500 schools (a batch's answer for ``refusal``)."""
    ids = sorted(set(school_ids))
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        found.update(
            r[0]
            for r in conn.execute(
                sa.select(record.c.school_id)
                .distinct()
                .where(
                    record.c.school_id.in_(ids[start : start + 500]),
                    record.c.entity != "school",
                    sa.or_(record.c.created_by.is_(None), record.c.created_by != user.id),
                )
            )
        )
    return found


def refusal(
    conn: Connection, user: User, entity: str, op: str, rec, fields: dict, shared_schools: set[str] | None = None
) -> str | None:
    """None if ``user`` may make this change, else the reason (the caller rejects it, 403).
    ``rec`` is the stored record (None for a new one); ``fields`` the change's fields.
    ``shared_schools``: the caller's answer from ``shared_schools`` for a whole batch, its
    schools among them (else asked here, for this change)."""
    if user.is_admin or entity not in permissions.RULES:
        return None
    old = rec.data if rec is not None else {}
    if rec is not None and rec.deleted and op == "create":
        op = "delete"  # a restore: whoever may delete may bring it back
    changed = frozenset(k for k, v in fields.items() if rec is None or old.get(k) != v or k not in old)
    mine = rec is None or rec.created_by == user.id
    shared = False
    if entity == "school" and rec is not None and mine:
        shared = (
            rec.id in shared_schools
            if shared_schools is not None
            else conn.execute(_SHARED_SCHOOL, {"school": rec.id, "user": user.id}).first() is not None
        )
    facts = permissions.Facts(
        changed=changed,
        mine=mine,
        shared=shared,
        own_caseworker=entity == "caseworker" and rec is not None and rec.id == user.caseworker_id,
        team_before=old.get("team") if rec is not None else fields.get("team"),
        team_after=fields.get("team", old.get("team")),
        new_role=fields.get("role") if rec is None else None,
        user_team=user.team,
    )
    return permissions.refusal(entity, op, user.role, facts)
