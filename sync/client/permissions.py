"""What the signed-in user may write, as the laptop can tell: ``sync.permissions`` (the
rules the server enforces) with the facts this laptop holds. No Qt; the UI asks
``refusal`` and shows a record read-only, with the reason, when it is not None.

Who is signed in: the user the laptop last synced as (``sync_state`` "scope", written
from ``/auth/me`` by every sync). A laptop that has never synced (a demo, or not signed
in yet) knows no role: everything stays editable, as before, and the server decides at
the first push (a refused change waits under Needs attention with the reason).

What the laptop cannot know exactly it assumes in the user's favour (the server has the
last word): "you added it" means the record was created on this laptop (an outbox
``create`` entry, kept until 30 days after it was sent); whether colleagues' records name
a school is not known here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.store import Store
from sync import permissions
from sync.client import local


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    role: str
    team: str | None
    caseworker_id: str | None


def signed_in(store: Store) -> SignedIn | None:
    """The user this laptop last synced as, or None (never synced, or a demo store)."""
    if store.meta("demo") == "1":
        return None
    try:
        user_id, role, team, caseworker_id = json.loads(local.get_state(store, "scope") or "")
    except (ValueError, TypeError):
        return None
    if role not in permissions.ROLES:
        return None
    return SignedIn(user_id, role, team, caseworker_id)


def refusal(
    store: Store,
    entity: str,
    op: str = "update",
    record_id: str | None = None,
    changed: frozenset[str] | set[str] = frozenset(),
) -> str | None:
    """None if the signed-in user may do ``op`` on the record, else why not (their words)."""
    user = signed_in(store)
    if user is None or entity not in permissions.RULES:
        return None
    rec = store.get(entity, record_id) if record_id else None
    mine = (
        record_id is None
        or store.conn.execute(
            "SELECT 1 FROM outbox WHERE entity = ? AND record_id = ? AND op = 'create' LIMIT 1", (entity, record_id)
        ).fetchone()
        is not None
    )
    team = (rec or {}).get("team")
    facts = permissions.Facts(
        changed=frozenset(changed),
        mine=mine,
        shared=False,
        own_caseworker=entity == "caseworker" and record_id == user.caseworker_id,
        team_before=team,
        team_after=team,
        user_team=user.team,
    )
    return permissions.refusal(entity, op, user.role, facts)
