"""Packs and templates from the server: administrators publish, every laptop fetches.

``/admin/packs`` is for administrators only; ``/content/packs`` for anyone signed in
(packs hold no casework). See sync/server/content.py for the rules.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel

from sync.server import content
from sync import rules
from sync.server.api.deps import AdminUser, ConnDep, CurrentUser
from sync.server.db import write_transaction

router = APIRouter(tags=["content"], responses={401: {"description": "Not signed in"}})
log = logging.getLogger("fieldnote.server")

PackId = Annotated[str, Path(min_length=1, max_length=rules.PACK_ID_MAX, pattern=rules.PACK_ID_PATTERN)]
Sha256 = Annotated[str, Path(pattern=rules.SHA256_PATTERN)]


class PackEntry(BaseModel):
    pack_id: str
    version: str
    kind: str
    title: str
    sha256: str
    size: int


class PackManifest(BaseModel):
    packs: list[PackEntry]
    etag: str


class PackPublished(PackEntry):
    status: str  # published | republished | unchanged
    current: bool


class PackVersion(PackEntry):
    published_at: float
    published_by: str | None
    withdrawn_at: float | None
    current: bool


class PackWithdrawn(BaseModel):
    pack_id: str
    withdrawn: list[str]


async def pack_bytes(request: Request) -> bytes:
    """The request body, read with a size limit (a pack is a small JSON file)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > content.MAX_PACK_BYTES:
        raise HTTPException(413, f"Packs may be at most {content.MAX_PACK_BYTES} bytes.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > content.MAX_PACK_BYTES:
            raise HTTPException(413, f"Packs may be at most {content.MAX_PACK_BYTES} bytes.")
    return bytes(data)


@router.post(
    "/admin/packs",
    response_model=PackPublished,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": ("The pack file's JSON, exactly as it is to be distributed (docs/instrument-packs.md)."),
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    responses={
        200: {"description": "Already published with these exact bytes"},
        409: {"description": "Same version with other bytes, an older version, or a wording-pack conflict"},
        413: {"description": "Too large"},
        422: {"description": "Not a valid pack; every problem is listed"},
    },
)
def publish_pack(
    admin: AdminUser, conn: ConnDep, response: Response, data: Annotated[bytes, Depends(pack_bytes)]
) -> dict:
    """Publish an instrument pack, audit template or wording pack to every laptop."""
    try:
        text = content.decode(data)
        with write_transaction(conn):
            result = content.publish(conn, text, admin.id)
    except content.ContentError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    if result["status"] == "unchanged":
        response.status_code = 200
    log.info(
        "publish_pack",
        extra={
            "event": "publish_pack",
            "user_id": admin.id,
            "pack_id": result["pack_id"],
            "version": result["version"],
            "outcome": result["status"],
        },
    )
    return result


@router.get("/admin/packs", response_model=list[PackVersion])
def list_packs(admin: AdminUser, conn: ConnDep) -> list[dict]:
    """Every version ever published, withdrawn ones included."""
    with conn.begin():
        return content.listing(conn)


@router.delete(
    "/admin/packs/{pack_id}",
    response_model=PackWithdrawn,
    responses={
        404: {"description": "Nothing published to withdraw"},
        409: {"description": "A published wording pack still needs it"},
    },
)
def withdraw_pack(
    pack_id: PackId,
    admin: AdminUser,
    conn: ConnDep,
    version: Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00]+$")] = None,
) -> dict:
    """Withdraw a pack (every version, or only ``version``): laptops remove their copy at
    their next sync; an older version not withdrawn becomes current again."""
    try:
        with write_transaction(conn):
            versions = content.withdraw(conn, pack_id, admin.id, version)
    except content.ContentError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    log.info(
        "withdraw_pack", extra={"event": "withdraw_pack", "user_id": admin.id, "pack_id": pack_id, "versions": versions}
    )
    return {"pack_id": pack_id, "withdrawn": versions}


@router.get(
    "/content/packs", response_model=PackManifest, responses={304: {"description": "Unchanged since the ETag given"}}
)
def pack_manifest(
    user: CurrentUser, conn: ConnDep, if_none_match: Annotated[str | None, Header(max_length=1000)] = None
) -> Response | dict:
    """The packs every laptop should hold. Send the last ``ETag`` as ``If-None-Match``:
    the answer is 304 with no body while nothing changed."""
    with conn.begin():
        answer = content.manifest(conn)
    headers = {"ETag": f'"{answer["etag"]}"', "Cache-Control": "private, no-cache"}
    if content.etag_matches(if_none_match, answer["etag"]):
        return Response(status_code=304, headers=headers)
    return Response(PackManifest(**answer).model_dump_json(), media_type="application/json", headers=headers)


@router.get(
    "/content/packs/{sha256}",
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "The pack's JSON, exactly as published",
        },
        404: {"description": "No pack with this hash (or withdrawn)"},
    },
)
def pack_body(sha256: Sha256, user: CurrentUser, conn: ConnDep) -> Response:
    """A pack's bytes by their SHA-256 (never change: cache freely)."""
    with conn.begin():
        text = content.body(conn, sha256)
    if text is None:
        raise HTTPException(404, "No published pack has this hash.")
    return Response(
        text.encode("utf-8"),
        media_type="application/json",
        headers={"ETag": f'"{sha256}"', "Cache-Control": "private, max-age=31536000, immutable"},
    )
