"""The FastAPI application factory."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError

from sync.server.api.routes import admin, attachments, auth, content, health, sync
from sync.server.db import make_engine, migrate
from sync.server.limits import RequestLimits
from sync.server.settings import Settings

log = logging.getLogger("fieldnote.server")


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    """Build the app for ``settings``; migrates the database first unless told not to."""
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url())
    if run_migrations:
        migrate(engine)
    app = FastAPI(
        title="Fieldnote sync server",
        version="1",
        description="Central server for Fieldnote laptops: accounts and offline-first sync. See docs/sync-protocol.md.",
    )
    app.state.settings = settings
    app.state.engine = engine
    for router in (health.router, auth.router, admin.router, sync.router, content.router, attachments.router):
        app.include_router(router)
    # Body sizes and values no database here can hold: 413 and 422 before any route runs
    # (added before the request log below, which is then outside it and logs them too).
    app.add_middleware(RequestLimits)

    @app.middleware("http")
    async def request_log(request: Request, call_next):
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception:
            log.exception("unhandled error", extra={"event": "error", "path": request.url.path})
            response = JSONResponse({"detail": "Internal server error."}, status_code=500)
        # Casework must not be kept by a browser, proxy or HTTP cache on the way: every
        # answer says so, unless its route chose otherwise (published instrument packs,
        # which hold no personal data, are cached by their ETag or hash).
        response.headers.setdefault("Cache-Control", "no-store")
        route = request.scope.get("route")
        log.info(
            "request",
            extra={
                "event": "request",
                "method": request.method,
                "path": getattr(route, "path", request.url.path),
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": getattr(request.state, "user_id", None),
            },
        )
        return response

    @app.exception_handler(DataError)
    async def value_refused(request: Request, exc: DataError):
        # A value the database refused that a check before it should have caught: a 422
        # saying so, never a 500 (and a warning, so the missing check gets added).
        log.warning(
            "value refused by the database",
            extra={"event": "data_error", "path": request.url.path, "error_type": type(exc.orig).__name__},
        )
        return JSONResponse(
            {"detail": "A value in the request cannot be stored (too long, or not valid text or number)."},
            status_code=422,
        )

    @app.exception_handler(UnicodeEncodeError)
    async def text_refused(request: Request, exc: UnicodeEncodeError):
        return JSONResponse({"detail": "Text in the request is not valid Unicode."}, status_code=422)

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError):
        log.warning("database unavailable", extra={"event": "db_unavailable", "error_type": type(exc.orig).__name__})
        return JSONResponse(
            {"detail": "The server's database is busy; try again shortly."},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    return app
