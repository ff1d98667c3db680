"""What the laptop and the server agree on: schema versions, record fields, the digest.

Both sides derive the syncable fields from the store's own migrations
(``desktop.store.schema``), so the server can never accept a field a laptop
could not store, nor miss a NOT NULL column a laptop would refuse.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Iterable

from desktop.store.schema import LATEST_VERSION, MIGRATIONS, SYNCABLE

SCHEMA_VERSION = LATEST_VERSION
# The server takes changes written by the current schema and by those of the previous
# release (schema 7; this release adds 8, 9 and 10, tables only, no changed fields), so laptops
# can be upgraded over a few weeks rather than all on one day.
OLDEST_ACCEPTED_SCHEMA = 7
ACCEPTED_SCHEMA_VERSIONS = tuple(range(OLDEST_ACCEPTED_SCHEMA, LATEST_VERSION + 1))
SCHEMA_HEADER = "X-Fieldnote-Schema"
SYNC_COLUMNS = frozenset({"id", "version", "field_versions", "modified_at", "deleted"})
OPS = ("create", "update", "delete")
# Changes a push may carry: 2,000 (500 before issue 12), so an initial push of tens of
# thousands of changes commits a quarter as many server transactions (each waits for the
# disk). Laptops fall back to LEGACY_PUSH_BATCH when an older server refuses more (422).
MAX_PUSH_BATCH = 2000
LEGACY_PUSH_BATCH = 500
# Pages of up to 5,000 records (1,000 before): a bulk first sync of 200,000 records commits
# 40 local transactions rather than 200, and each commit rewrites index pages scattered by
# random ids. Clients fall back to 1,000 when an older server refuses more (422).
MAX_PULL_LIMIT = 5000

# Recorded evidence is immutable once finalised (the store's triggers say the same for
# one laptop; the server says it for all of them). A record is final when a field has a
# value, or when its parent is; append-only records never change after creation.
FINAL_WHEN = {
    "form_completion": ("status", "final"),
    "observation": ("status", "final"),
    "report": ("status", "final"),
    "audit": ("status", "final"),
}
FINAL_PARENT = {
    "form_answer": ("completion_id", "form_completion"),
    "observation_event": ("observation_id", "observation"),
    "audit_rating": ("audit_id", "audit"),
    "audit_judgement": ("audit_id", "audit"),
    "audit_action": ("audit_id", "audit"),
    "audit_meeting": ("audit_id", "audit"),
}
# School audits and the records hanging off them: in scope through the audit's
# conducting caseworker (see sync/server/scope.py), not through a referral.
AUDIT_ENTITIES = frozenset({"audit", "audit_rating", "audit_judgement", "audit_action", "audit_meeting"})
APPEND_ONLY = frozenset({"observation_event"})
# Not about any pupil: every signed-in user receives them.
SHARED = frozenset({"coding_scheme"})


@dataclass(frozen=True)
class EntityShape:
    """The fields a client may set on one record type."""

    fields: frozenset[str]
    required: frozenset[str]  # NOT NULL with no default: a create must give them
    not_null: frozenset[str]
    references: dict[str, str]  # field -> referenced entity


@functools.cache
def shapes() -> dict[str, EntityShape]:
    """Every syncable entity's shape, read from an in-memory copy of the store schema."""
    conn = sqlite3.connect(":memory:")
    try:
        for _version, _name, statements in MIGRATIONS:
            for sql in statements:
                conn.execute(sql)
        result = {}
        for entity in SYNCABLE:
            cols = conn.execute(f"PRAGMA table_info([{entity}])").fetchall()
            fks = conn.execute(f"PRAGMA foreign_key_list([{entity}])").fetchall()
            fields = {c[1] for c in cols} - SYNC_COLUMNS
            result[entity] = EntityShape(
                fields=frozenset(fields),
                required=frozenset(c[1] for c in cols if c[1] in fields and c[3] and c[4] is None),
                not_null=frozenset(c[1] for c in cols if c[1] in fields and c[3]),
                references={fk[3]: fk[2] for fk in fks},
            )
        return result
    finally:
        conn.close()


# Two digests of the set of (entity, id, version) a laptop holds. "set" (the default since
# the server kept per-record hashes) is order-independent: the count and two sums of
# 32-bit halves of each record's hash, so the server computes it with one SQL aggregate
# over its stored hashes and never sorts or sends 200,000 rows to Python. "sorted" is
# the first protocol's (SHA-256 over the sorted lines), still answered for laptops that
# predate "set".
DIGEST_SET = "set"
DIGEST_SORTED = "sorted"
DIGEST_ALGORITHMS = (DIGEST_SET, DIGEST_SORTED)


def digest(items: Iterable[tuple[str, str, int]]) -> str:
    """The "sorted" digest: SHA-256 over the sorted ``entity:id:version`` lines."""
    # One string hashed at once: the same digest as hashing line by line, several times
    # faster for a caseload of 200,000 records (sorting pre-sorted input is linear).
    text = "".join([f"{entity}:{record_id}:{version}\n" for entity, record_id, version in sorted(items)])
    return hashlib.sha256(text.encode()).hexdigest()


def record_hash(entity: str, record_id: str, version: int) -> tuple[int, int]:
    """A record version's hash as two unsigned 32-bit integers (summable in SQL without
    overflow: a billion records sum to under 2**62)."""
    h = hashlib.sha256(f"{entity}:{record_id}:{version}".encode()).digest()
    return int.from_bytes(h[:4], "big"), int.from_bytes(h[4:8], "big")


def set_digest_of(count: int, sum1: int, sum2: int) -> str:
    """The "set" digest from a count and the sums of the records' ``record_hash`` halves.
    Adding or removing a record, or changing its version, changes a sum; two different
    sets agree by accident with a chance of about one in 2**64."""
    return hashlib.sha256(f"{DIGEST_SET}:{count}:{sum1}:{sum2}".encode()).hexdigest()


def set_digest(items: Iterable[tuple[str, str, int]]) -> str:
    """The "set" digest of (entity, id, version) triples, in any order."""
    count = sum1 = sum2 = 0
    for entity, record_id, version in items:
        h1, h2 = record_hash(entity, record_id, version)
        count += 1
        sum1 += h1
        sum2 += h2
    return set_digest_of(count, sum1, sum2)
