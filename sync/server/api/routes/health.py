"""Liveness: answers once the database is reachable."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from sync.protocol import ACCEPTED_SCHEMA_VERSIONS
from sync.server.api.deps import ConnDep
from sync.server.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(conn: ConnDep) -> dict:
    conn.execute(sa.text("SELECT 1"))
    conn.rollback()
    return {"status": "ok", "schema_versions": list(ACCEPTED_SCHEMA_VERSIONS)}
