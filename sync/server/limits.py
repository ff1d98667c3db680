"""Request-level limits, the same on SQLite and PostgreSQL: body sizes, and text and
numbers every database (and every laptop) can hold.

* **Body size**: a push body may be at most ``MAX_PUSH_BODY_BYTES``, any other JSON body
  ``MAX_JSON_BODY_BYTES`` (packs and attachment chunks keep their own, larger limits, read
  by their routes); more is **413** with the limit in the reason, before the body is read
  whole. Checked on ``Content-Length`` and again while the body streams in.
* **Values**: a JSON body holding ``NaN``, ``Infinity`` or a number too large for a double
  (``1e400``), or text with a NUL character or a lone surrogate (in a key or a value), is
  **422** with the reason, for every JSON endpoint but ``/sync/push``. There, each
  mutation's ``fields`` are checked per mutation (``service``), so that one bad change is
  rejected alone and never blocks a laptop's whole outbox; the push's own identifiers are
  checked by ``SafeStr`` (``schemas``).
* ``SafeStr`` (pydantic): the same text rule for model fields, with lengths matching the
  columns they are stored in (``db``).

A database error about a value that slipped through anyway (``DataError``) is answered
422, never 500, and logged as a warning: it means a check here is missing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator

# The largest legitimate push: laptops send up to 2,000 mutations a request (the server's
# limit, ``MAX_PUSH_BATCH``); a change carries only its changed fields. 16 MB leaves room
# for 2,000 changes of 8 kB, or 100 of ~160 kB, far above any record a laptop writes (long
# notes are a few kB; coding schemes and observation events well under 100 kB). A laptop
# whose batch is refused for size sends it in smaller batches, and one change alone above
# the limit is rejected.
MAX_PUSH_BODY_BYTES = 16 * 1024 * 1024
# Sign-in, accounts, teams, digests: a few hundred bytes. 64 kB is generous.
MAX_JSON_BODY_BYTES = 64 * 1024
# Attachment chunks are bytes, read and limited (8 MB) by their route.
OWN_LIMITS = ("/attachments/",)
NO_VALUE_CHECK = ("/sync/push",)  # values checked per mutation; identifiers by SafeStr

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadValue(ValueError):
    """A value no database here can hold; the message says where and why."""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (None if it can)."""
    if "\x00" in value:
        return "contains a NUL character"
    if _LONE_SURROGATE.search(value):
        return "is not valid Unicode (a lone surrogate)"
    return None


def _safe(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(f"text {problem}")
    return value


SafeStr = Annotated[str, AfterValidator(_safe)]


def _reject_constant(name: str) -> Any:
    raise BadValue(f"{name} is not a number this server accepts (only finite numbers)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadValue(f"{text[:40]} is too large a number (only finite numbers)")
    return value


def check_json(body: bytes) -> None:
    """Raise ``BadValue`` for a body holding non-finite numbers, NUL or lone surrogates.
    Bodies that are not JSON are left to the route (its own 422)."""
    try:
        data = json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except BadValue:
        raise
    except (ValueError, RecursionError):
        return
    stack = [("body", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise BadValue(f"{where}: the text {problem}")
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                if problem:
                    raise BadValue(f"{where}: a key {problem}")
                stack.append((f"{where}.{key[:40]}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


def body_limit(path: str) -> int | None:
    """The body limit for a request to ``path`` (None: the route limits it itself)."""
    from sync.server.content import MAX_PACK_BYTES

    if path.startswith(OWN_LIMITS):
        return None
    if path == "/sync/push":
        return MAX_PUSH_BODY_BYTES
    return MAX_PACK_BYTES if path == "/admin/packs" else MAX_JSON_BODY_BYTES


def _megabytes(n: int) -> str:
    return f"{n // 1024 // 1024} MB" if n >= 1024 * 1024 else f"{n // 1024} kB"


class RequestLimits:
    """ASGI middleware: body size limits and the value check (see the module docstring)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = body_limit(path)
        checks_values = not path.startswith(NO_VALUE_CHECK) and not path.startswith("/attachments/")
        if limit is None and not checks_values:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1")
        too_big = f"The request body may be at most {_megabytes(limit or 0)} here."
        if limit is not None and declared.isdigit() and int(declared) > limit:
            return await _refuse(send, 413, too_big)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if limit is not None and len(body) > limit:
                return await _refuse(send, 413, too_big)
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if checks_values and body and ("json" in content_type or not content_type):
            try:
                check_json(bytes(body))
            except BadValue as exc:
                return await _refuse(send, 422, f"Not accepted: {exc}.")
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        return await self.app(scope, replay, send)


async def _refuse(send, status: int, detail: str) -> None:
    data = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
