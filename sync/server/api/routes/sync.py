"""The sync protocol: push, pull, digest (see docs/sync-protocol.md)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from sync.protocol import ACCEPTED_SCHEMA_VERSIONS, MAX_PULL_LIMIT
from sync.server import devices, service
from sync.server.api.deps import ConnDep, CurrentUser, check_schema, schema_message
from sync.server.db import write_transaction
from sync.server.schemas import (
    DeviceIn,
    DevicePublic,
    DigestIn,
    DigestPublic,
    PullPublic,
    PushIn,
    PushPublic,
    mutation_defaults,
)

router = APIRouter(
    prefix="/sync",
    tags=["sync"],
    dependencies=[Depends(check_schema)],
    responses={401: {"description": "Not signed in"}, 426: {"description": "Schema version not accepted"}},
)
log = logging.getLogger("fieldnote.server")


@router.post("/push", response_model=PushPublic)
def push(body: PushIn, user: CurrentUser, conn: ConnDep) -> Response:
    """Apply an ordered batch of outbox entries; one result per entry, in order."""
    if body.schema_version not in ACCEPTED_SCHEMA_VERSIONS:
        raise HTTPException(426, schema_message(body.schema_version))
    acked = body.device_acked.model_dump() if body.device_acked else None
    try:
        with write_transaction(conn):
            results = service.push(
                conn, user, [mutation_defaults(m) for m in body.mutations], acked, as_sent=body.as_sent
            )
            cursor = service.current_seq(conn)
    except devices.DeviceRewound as exc:
        log.info("push", extra={"event": "push_device_rewound", "user_id": user.id, "mutations": len(body.mutations)})
        return Response(
            json.dumps({"results": [], "cursor": 0, "device_rewound": True, "device_high_seq": exc.high_seq}),
            media_type="application/json",
        )
    counts = Counter(r["status"] for r in results)
    log.info(
        "push",
        extra={
            "event": "push",
            "user_id": user.id,
            "mutations": len(results),
            **{f"n_{k}": v for k, v in counts.items()},
        },
    )
    # Rendered here in PushPublic's shape (every key, defaults included): validating 500
    # results, each with its record, against the response model cost as much as the merge.
    body = {
        "results": [
            {
                "mutation_id": r["mutation_id"],
                "status": r["status"],
                "code": r["code"],
                "error": r.get("error"),
                "seq": r.get("seq"),
                "conflicts": r.get("conflicts") or [],
                "record": r.get("record"),
                "as_sent": r.get("as_sent", False),
            }
            for r in results
        ],
        "cursor": cursor,
        "device_rewound": False,
        "device_high_seq": None,
    }
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")


@router.get("/pull", response_model=PullPublic)
def pull(
    user: CurrentUser,
    conn: ConnDep,
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 200,
) -> Response:
    """Records in your scope changed after ``cursor``, oldest change first."""
    # The body is rendered by the service (stored JSON copied as text; shape as PullPublic):
    # validating and re-encoding thousands of records per page dominated a first sync.
    with conn.begin():
        body, counts = service.pull_json(conn, user, cursor, limit)
    log.info("pull", extra={"event": "pull", "user_id": user.id, **counts, "cursor": cursor})
    return Response(body, media_type="application/json")


@router.post("/digest", response_model=DigestPublic)
def digest(body: DigestIn, user: CurrentUser, conn: ConnDep) -> dict:
    """Does the client hold exactly the server's (entity, id, version) set for its scope?"""
    with conn.begin():
        answer = service.check_digest(conn, user, body.digest, body.algorithm)
    log.info(
        "digest", extra={"event": "digest", "user_id": user.id, "match": answer["match"], "count": answer["count"]}
    )
    return answer


@router.post("/device", response_model=DevicePublic)
def device(body: DeviceIn, user: CurrentUser, conn: ConnDep) -> dict:
    """The highest outbox number (and its mutation id) stored from this laptop store, and
    which of the given mutation ids you have pushed: a laptop whose push was refused as
    coming from an older copy of its store asks which of its unsent changes are here."""
    with conn.begin():
        return devices.device_mark(conn, user, body.device_id, body.mutation_ids)
