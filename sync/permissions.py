"""Who may write what: the rules, written once, for the server and the laptop.

Reading is decided by scope (``sync.server.scope``): a record outside your scope can be
neither read nor written. On top of that, a few records are the whole service's rather
than one case's (schools, coding schemes) or describe people (caseworker records), and
for those *writing* is narrower than *seeing*. ``RULES`` says, per record type, operation
and role, which condition must hold; records not listed are writable by whoever has them
in scope. The server enforces the rules on every pushed change (``sync.server.authz``);
the laptop uses the same table to show what the signed-in user may not edit as read-only.

The conditions, each decided from ``Facts`` about the writer and the record:

* ``yes``: always (within scope).
* ``no``: never.
* ``own_unshared``: the writer created the record and no one else's record names it (a
  practitioner may correct or remove a school they added by mistake, until a colleague's
  pupil, referral or call is at it).
* ``own``: the writer created the record (a practitioner's own coding scheme).
* ``self_contact``: the writer's own caseworker record, contact fields only.
* ``team``: a caseworker record in the writer's team, staying in it, neither team nor role
  changed (a new one is created in the writer's team as a practitioner).

No module here imports Qt or touches a database: the caller gathers the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("practitioner", "team_lead", "admin")
# The fields of a caseworker record a practitioner may change on their own record.
CONTACT_FIELDS = frozenset({"name", "email"})
# The fields of a caseworker record that only an administrator may change.
ADMIN_ONLY_FIELDS = frozenset({"team", "role"})

_LEADS = {"team_lead": "yes", "admin": "yes"}

# entity -> op -> role -> condition (see the module docstring).
RULES: dict[str, dict[str, dict[str, str]]] = {
    "school": {
        "create": {"practitioner": "yes", **_LEADS},
        "update": {"practitioner": "own_unshared", **_LEADS},
        "delete": {"practitioner": "own_unshared", **_LEADS},
    },
    "coding_scheme": {
        "create": {"practitioner": "yes", **_LEADS},
        "update": {"practitioner": "own", **_LEADS},
        "delete": {"practitioner": "own", **_LEADS},
    },
    "caseworker": {
        "create": {"practitioner": "no", "team_lead": "team", "admin": "yes"},
        "update": {"practitioner": "self_contact", "team_lead": "team", "admin": "yes"},
        "delete": {"practitioner": "no", "team_lead": "no", "admin": "yes"},
    },
}

_WHAT = {"school": "school", "coding_scheme": "coding scheme", "caseworker": "caseworker record"}
_VERB = {"create": "add", "update": "change", "delete": "delete"}


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one write.

    ``changed``: the fields the write changes (for a create, the fields it sets).
    ``mine``: the writer created the record. ``shared``: someone else's record names it.
    ``own_caseworker``: the record is the writer's own caseworker record. ``team_before``
    and ``team_after``: a caseworker record's team before and after the write.
    ``new_role``: the caseworker ``role`` a create sets (None: the default).
    """

    changed: frozenset[str] = frozenset()
    mine: bool = False
    shared: bool = False
    own_caseworker: bool = False
    team_before: str | None = None
    team_after: str | None = None
    new_role: str | None = None
    user_team: str | None = None


def rule(entity: str, op: str, role: str) -> str:
    """The condition for ``role`` doing ``op`` on ``entity`` (``yes`` for unlisted ones)."""
    if role == "admin":
        return "yes"
    return RULES.get(entity, {}).get(op, {}).get(role, "yes" if entity not in RULES else "no")


def refusal(entity: str, op: str, role: str, facts: Facts) -> str | None:
    """None if the write is allowed, else why not, in the user's words."""
    condition = rule(entity, op, role)
    what, verb = _WHAT.get(entity, entity), _VERB.get(op, op)
    if condition == "yes":
        return None
    if condition == "own_unshared":
        if facts.mine and not facts.shared:
            return None
        if facts.mine:
            return f"Only a team lead or an administrator can {verb} this {what}: colleagues' records name it."
        return f"Only a team lead or an administrator can {verb} a {what} someone else added."
    if condition == "own":
        if facts.mine:
            return None
        return f"Only a team lead or an administrator can {verb} a {what} someone else added; copy it to make your own."
    if condition == "self_contact":
        if not facts.own_caseworker:
            return "Only an administrator or a team lead can change another caseworker's record."
        barred = facts.changed - CONTACT_FIELDS
        if barred & ADMIN_ONLY_FIELDS:
            return "Only an administrator can change a caseworker's team or role."
        if barred:
            return "On your own caseworker record you can change your name and email; ask your team lead for the rest."
        return None
    if condition == "team":
        if not facts.user_team or facts.team_before != facts.user_team or facts.team_after != facts.user_team:
            if op == "create":
                return "A team lead can add caseworker records to their own team only."
            if facts.team_before == facts.user_team and facts.user_team:
                return "Only an administrator can change a caseworker's team or role."
            return "A team lead can change caseworker records of their own team only."
        if op == "create" and facts.new_role not in (None, "practitioner"):
            return "Only an administrator can change a caseworker's team or role."
        if op == "update" and facts.changed & ADMIN_ONLY_FIELDS:
            return "Only an administrator can change a caseworker's team or role."
        return None
    # "no"
    if entity == "caseworker" and op == "delete":
        return "Only an administrator can delete a caseworker record."
    if entity == "caseworker" and op == "create":
        return "Only an administrator or a team lead can add a caseworker record."
    return f"You cannot {verb} this {what}."
