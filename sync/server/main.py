"""The FastAPI application factory."""
from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from sync.server.api.routes import admin, attachments, auth, content, health, sync
from sync.server.db import make_engine, migrate
from sync.server.settings import Settings

log = logging.getLogger("fieldnote.server")


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    """Build the app for ``settings``; migrates the database first unless told not to."""
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url())
    if run_migrations:
        migrate(engine)
    app = FastAPI(title="Fieldnote sync server", version="1",
                  description="Central server for Fieldnote laptops: accounts and offline-first "
                              "sync. See docs/sync-protocol.md.")
    app.state.settings = settings
    app.state.engine = engine
    for router in (health.router, auth.router, admin.router, sync.router, content.router,
                   attachments.router):
        app.include_router(router)

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
        log.info("request", extra={
            "event": "request", "method": request.method,
            "path": getattr(route, "path", request.url.path), "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": getattr(request.state, "user_id", None)})
        return response

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError):
        log.warning("database unavailable", extra={"event": "db_unavailable",
                                                   "error_type": type(exc.orig).__name__})
        return JSONResponse({"detail": "The server's database is busy; try again shortly."},
                            status_code=503, headers={"Retry-After": "1"})

    return app
