"""Who may see which records: scope, computed in SQL on the server.

* admin: everything.
* practitioner: referrals allocated to their caseworker record (the user's
  ``caseworker_id``), plus unallocated referrals they recorded themselves; every
  record hanging off those referrals (visits, plans, calls, form completions...);
  the pupils those referrals are about; pupils they added that no referral
  names yet; the schools of all of those, and schools they added; and their own
  caseworker record.
* team lead: the same, over every caseworker whose record's ``team`` is the
  lead's team, plus the queue of unallocated referrals (which they allocate).

Records with no referral (a helpline call about a school, a form completed
about a pupil) are in scope through their pupil, or else for whoever made them.
Records about no one (``SHARED`` in ``sync.protocol``: coding schemes) go to everyone.

School audits (``AUDIT_ENTITIES``: the audit, its ratings, judgements, action points and
feedback meeting) are in scope through the caseworker who conducts the audit (the
server copies ``audit.conducted_by`` into the ``caseworker_id`` column of the audit and
of every record hanging off it): that caseworker, their team lead (the lead's team's
caseworkers) and admins, plus whoever created the record. So that a review can start
from the school's previous audit, a caseworker who conducts any audit of a school also
sees every audit of that school (and the school itself). A team lead hands a review to
another practitioner by creating the review in that practitioner's name.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Select

from sync.protocol import AUDIT_ENTITIES, SHARED
from sync.server.accounts import User
from sync.server.db import reallocation, record

CORE = ("school", "caseworker", "pupil", "referral")


def _eq_or_false(column, value) -> ColumnElement:
    # ``column == None`` would mean IS NULL in SQLAlchemy: a user with no caseworker
    # record must match nothing, not every unallocated referral.
    return column == value if value is not None else sa.false()


def _workers(user: User) -> Select:
    """Caseworker ids whose referrals the user sees."""
    cw = record.alias("cw")
    if user.role == "team_lead" and user.team:
        return sa.select(cw.c.id).where(cw.c.entity == "caseworker", cw.c.team == user.team)
    return sa.select(cw.c.id).where(cw.c.entity == "caseworker", _eq_or_false(cw.c.id, user.caseworker_id))


def my_referrals(user: User) -> Select:
    ref = record.alias("myref")
    allocated = sa.or_(ref.c.caseworker_id.in_(_workers(user)), _eq_or_false(ref.c.caseworker_id, user.caseworker_id))
    if user.role == "team_lead":
        unallocated = ref.c.caseworker_id.is_(None)
    else:
        unallocated = sa.and_(ref.c.caseworker_id.is_(None), ref.c.created_by == user.id)
    return sa.select(ref.c.id).where(ref.c.entity == "referral", sa.or_(allocated, unallocated))


def _my_pupils(user: User) -> Select:
    ref = record.alias("pref")
    return sa.select(ref.c.pupil_id).where(ref.c.entity == "referral", ref.c.id.in_(my_referrals(user)))


def in_scope(user: User, rec=record) -> ColumnElement:
    """A WHERE clause over ``record`` selecting the rows ``user`` may see and write."""
    if user.is_admin:
        return sa.true()
    refs = my_referrals(user)
    pupils = _my_pupils(user)
    other = record.alias("other")
    unreferred = ~sa.exists(sa.select(other.c.id).where(other.c.entity == "referral", other.c.pupil_id == rec.c.id))
    pupil_ok = sa.or_(rec.c.id.in_(pupils), sa.and_(rec.c.created_by == user.id, unreferred))
    src = record.alias("src")
    school_ids = sa.select(src.c.school_id).where(
        src.c.school_id.is_not(None),
        sa.or_(
            sa.and_(src.c.entity == "referral", src.c.id.in_(refs)),
            sa.and_(src.c.entity == "pupil", sa.or_(src.c.id.in_(pupils), src.c.created_by == user.id)),
            sa.and_(src.c.entity.not_in(CORE), sa.or_(src.c.ref_id.in_(refs), src.c.created_by == user.id)),
        ),
    )
    aud = record.alias("aud")
    conducts = sa.or_(aud.c.caseworker_id.in_(_workers(user)), _eq_or_false(aud.c.caseworker_id, user.caseworker_id))
    audited_schools = sa.select(aud.c.school_id).where(aud.c.entity == "audit", conducts)
    audit_ok = sa.or_(
        rec.c.caseworker_id.in_(_workers(user)),
        _eq_or_false(rec.c.caseworker_id, user.caseworker_id),
        rec.c.created_by == user.id,
        rec.c.school_id.in_(audited_schools),
    )
    child_ok = sa.or_(
        rec.c.ref_id.in_(refs),
        sa.and_(rec.c.ref_id.is_(None), rec.c.pupil_id.is_not(None), rec.c.pupil_id.in_(pupils)),
        sa.and_(rec.c.ref_id.is_(None), rec.c.pupil_id.is_(None), rec.c.created_by == user.id),
    )
    return sa.or_(
        rec.c.entity.in_(SHARED),
        sa.and_(rec.c.entity == "referral", rec.c.id.in_(refs)),
        sa.and_(rec.c.entity == "pupil", pupil_ok),
        sa.and_(
            rec.c.entity == "school",
            sa.or_(rec.c.created_by == user.id, rec.c.id.in_(school_ids), rec.c.id.in_(audited_schools)),
        ),
        sa.and_(
            rec.c.entity == "caseworker",
            sa.or_(rec.c.id.in_(_workers(user)), _eq_or_false(rec.c.id, user.caseworker_id)),
        ),
        # Audit records, and attachments hanging off an audit (their caseworker_id is set).
        sa.and_(
            rec.c.entity.not_in(CORE),
            sa.or_(
                child_ok, sa.and_(sa.or_(rec.c.entity.in_(AUDIT_ENTITIES), rec.c.caseworker_id.is_not(None)), audit_ok)
            ),
        ),
    )


def revocations(user: User, after: int, upto: int) -> Select:
    """Referrals that left ``user``'s scope by reallocation in (after, upto]."""
    ref = record.alias("revref")
    if user.role == "team_lead":
        had = sa.or_(
            reallocation.c.old_caseworker_id.in_(_workers(user)),
            _eq_or_false(reallocation.c.old_caseworker_id, user.caseworker_id),
            reallocation.c.old_caseworker_id.is_(None),
        )
    else:
        had = sa.or_(
            _eq_or_false(reallocation.c.old_caseworker_id, user.caseworker_id),
            sa.and_(reallocation.c.old_caseworker_id.is_(None), ref.c.created_by == user.id),
        )
    return (
        sa.select(reallocation.c.referral_id)
        .distinct()
        .join(ref, sa.and_(ref.c.entity == "referral", ref.c.id == reallocation.c.referral_id))
        .where(
            reallocation.c.seq > after,
            reallocation.c.seq <= upto,
            had,
            reallocation.c.referral_id.not_in(my_referrals(user)),
        )
    )
