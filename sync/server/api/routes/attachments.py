"""Attachments: upload in chunks, resume from the status, download with ranges
(see docs/sync-protocol.md, "Attachments", and ``sync.server.attachments``)."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from sync.server import attachments
from sync.server.accounts import User
from sync.server.api.deps import ConnDep, CurrentUser, SettingsDep, check_schema
from sync.server.db import write_transaction
from sync import rules
from sync.server.settings import Settings

router = APIRouter(
    prefix="/attachments",
    tags=["attachments"],
    dependencies=[Depends(check_schema)],
    responses={401: {"description": "Not signed in"}, 426: {"description": "Schema version not accepted"}},
)
log = logging.getLogger("fieldnote.server")

Sha256 = Annotated[str, Path(pattern=rules.SHA256_PATTERN, description="SHA-256 of the whole file, lowercase hex")]
BIG = 2**62


class BlobStatus(BaseModel):
    """An upload as the caller sees it: resume by sending from ``received``."""

    sha256: str
    size: int | None  # as declared by the caller's upload; None before it starts
    received: int
    complete: bool


def _put(conn: Connection, user: User, sha256: str, size: int, offset: int, data: bytes, settings: Settings) -> dict:
    try:
        with write_transaction(conn):
            now = time.time()
            attachments.maybe_prune(conn, now, settings.unclaimed_upload_days)
            answer, refusal = attachments.put_chunk(
                conn, user, sha256, size, offset, data, quota_bytes=int(settings.unclaimed_upload_mb * 1024 * 1024)
            )
    except attachments.BlobRefused as exc:  # refused before anything was kept
        answer, refusal = None, exc
    except IntegrityError:  # two requests of the same upload at once (PostgreSQL)
        answer, refusal = None, attachments.BlobRefused(409, "This upload moved on meanwhile; ask its status.")
    log.info(
        "attachment chunk",
        extra={
            "event": "attachment_chunk",
            "user_id": user.id,
            "bytes": len(data),
            "complete": bool(answer and answer.get("complete")),
            "refused": refusal.status if refusal else None,
        },
    )
    if refusal is not None:
        # Raised after the transaction: bytes that failed their hash stay discarded.
        raise HTTPException(refusal.status, str(refusal))
    return answer


@router.put(
    "/{sha256}",
    response_model=BlobStatus,
    responses={
        409: {"description": "Offset is not where the upload stands"},
        413: {"description": "Chunk or file too large, or too many uploaded files no record names yet"},
        422: {"description": "The bytes do not match the SHA-256"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_chunk(
    request: Request,
    sha256: Sha256,
    user: CurrentUser,
    conn: ConnDep,
    settings: SettingsDep,
    size: Annotated[int, Query(ge=0, le=BIG)],
    offset: Annotated[int, Query(ge=0, le=BIG)] = 0,
) -> dict:
    """Send bytes ``offset``.. of a file of ``size`` bytes (the body, at most 8 MB). Ask
    ``/status`` and send from ``received`` to resume. The last chunk completes the upload,
    which is verified against ``sha256``; a mismatch discards the upload (422)."""
    limit = attachments.MAX_CHUNK_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"Send at most {limit // 1024 // 1024} MB in one request.")
    data = bytearray()
    async for piece in request.stream():  # read with a limit, never more than one chunk
        data += piece
        if len(data) > limit:
            raise HTTPException(413, f"Send at most {limit // 1024 // 1024} MB in one request.")
    return await run_in_threadpool(_put, conn, user, sha256, size, offset, bytes(data), settings)


@router.get("/{sha256}/status", response_model=BlobStatus)
def upload_status(sha256: Sha256, user: CurrentUser, conn: ConnDep) -> dict:
    """How much of your upload of this file the server has, and whether the file is
    complete (only for a file you hold or may download)."""
    with conn.begin():
        return attachments.status(conn, user, sha256)


@router.get(
    "/{sha256}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The whole file"},
        206: {"content": {"application/octet-stream": {}}, "description": "The range asked for"},
        404: {"description": "No such file in your scope"},
        416: {"description": "Range not satisfiable"},
    },
)
def download(
    request: Request,
    sha256: Sha256,
    user: CurrentUser,
    conn: ConnDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """The file's bytes, if an attachment record in your scope names it (administrators:
    any complete file). ``Range: bytes=N-`` resumes an interrupted download (206)."""
    with conn.begin():
        info = attachments.file_info(conn, sha256) if attachments.may_download(conn, user, sha256) else None
    if info is None:
        # The same answer whether the file is missing or someone else's: nothing is revealed.
        raise HTTPException(404, "No file with this SHA-256 is available to you (it may not have been uploaded yet).")
    try:
        wanted = attachments.parse_range(range_, info.size)
    except attachments.BlobRefused as exc:
        raise HTTPException(416, str(exc), headers={"Content-Range": f"bytes */{info.size}"}) from None
    span = wanted or attachments.ByteRange(0, info.size - 1, info.size)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(span.length), "ETag": f'"{sha256}"'}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {span.start}-{span.end}/{span.size}"
    log.info("attachment download", extra={"event": "attachment_download", "user_id": user.id, "bytes": span.length})
    return StreamingResponse(
        attachments.stream(request.app.state.engine, sha256, info.created_by, span),
        status_code=206 if wanted is not None else 200,
        media_type="application/octet-stream",
        headers=headers,
    )
