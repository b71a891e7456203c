"""The FastAPI application: HTML pages and the JSON API under /api/v1, one process, one store."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from tiptiers import __version__
from tiptiers.store import backup, jobs, notices
from tiptiers.store.db import make_engine, require_initialised, session_factory
from tiptiers.web import auth
from tiptiers.web.changes import Changes
from tiptiers.web.deps import field_message, templates
from tiptiers.web.head import HeadAsGet
from tiptiers.web.i18n import LanguageMiddleware
from tiptiers.web.i18n_texts import error_body, error_headers
from tiptiers.web.pagecache import PageCache
from tiptiers.web.routes import about, cables, call, cycle, imports, placements, publish, review, submissions, work
from tiptiers.web.routes import analysis as analysis_routes
from tiptiers.web.routes import auth as auth_routes
from tiptiers.web.routes import engine as engine_routes
from tiptiers.web.routes import notices as notice_routes
from tiptiers.web.security import DatabaseBusyMiddleware, JsonBodyCheckMiddleware
from tiptiers.web.suggest import did_you_mean

DOWNLOADS = (".csv", ".pdf", ".png", ".svg", ".zip", ".parquet", ".ics")


def _wants_html(request: Request) -> bool:
    """A browser opening a page, or a download link (a .csv or .pdf, under /api/ too), gets an HTML error page;
    a program asking the API gets JSON."""
    path = request.url.path
    return "text/html" in request.headers.get("accept", "") and (
        not path.startswith("/api/") or path.endswith(DOWNLOADS))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_html(request):
        suggestions = did_you_mean(request.url.path) if exc.status_code == 404 else []
        return templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": exc.detail, "suggestions": suggestions},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),  # e.g. Retry-After of a 503
        )
    return JSONResponse(
        error_body(request.scope, exc.status_code, exc.detail),  # `shown` in the reader's language
        status_code=exc.status_code,
        headers={**(getattr(exc, "headers", None) or {}), **error_headers(request.scope)},
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own validation errors (a query, path or body that fails its declared type) in the shape of every
    other error, naming the field; the input is not echoed (it may be what made the answer fail to render)."""
    assert isinstance(exc, RequestValidationError)
    return await http_error(request, HTTPException(422, field_message(exc.errors())))


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    serving = backup.serving(app.state.engine)  # a restore into this database is refused while it is held
    serving.__enter__()
    worker = None
    if app.state.run_jobs:  # notices, report PDFs and other queued jobs, in a thread of this process
        jobs.load_handlers()
        worker = jobs.Worker(app.state.sessions, before_each=notices.sweep)
        worker.start()
    try:
        yield
    finally:
        app.state.changes.stop()
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        serving.__exit__(None, None, None)


def create_app(database_url: str | None = None, *, run_jobs: bool = False) -> FastAPI:
    """`run_jobs`: run the job queue (notices, whole-report PDFs) in a worker thread (the server does unless told
    `--no-jobs`; tests and the static export do not)."""
    engine = require_initialised(make_engine(database_url))
    app = FastAPI(
        lifespan=_lifespan,
        title="tiptiers",
        version=__version__,
        description="Tier placements, determinations and evidence of the trafficking-in-persons assessment.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; the app works offline
        redoc_url=None,
    )
    app.state.sessions = session_factory(engine)
    app.state.engine = engine
    app.state.database_url = engine.url.render_as_string(hide_password=False)
    app.state.run_jobs = run_jobs
    app.state.changes = Changes(engine, app.state.sessions)  # what changed, from the activity log (every host)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(FastAPIHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # Level 1: a logged-in page is compressed on every request; on the 800 KB map page level 6 took 75 ms, level 1
    # 10 ms for 18% more bytes (published pages are compressed once, into the page cache).
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=1)
    app.add_middleware(JsonBodyCheckMiddleware)  # inside the body size limit that auth.install adds
    auth.install(app)  # sessions and tokens, CSRF, login redirect, security headers
    app.add_middleware(PageCache, changes=app.state.changes, state=app.state)  # published pages from memory
    app.add_middleware(DatabaseBusyMiddleware)  # outside everything that may write (the sign-in updates sessions)
    app.add_middleware(HeadAsGet)  # HEAD sees exactly the headers of the GET
    app.add_middleware(LanguageMiddleware)  # outermost: every layer inside (the page cache too) reads the language
    for module in (placements, cables, publish, engine_routes, auth_routes, review, analysis_routes, submissions,
                   cycle, notice_routes, call, about, imports, work):
        app.include_router(module.api)
        app.include_router(module.pages)
    return app


RUN_JOBS = "TIPTIERS_SERVE_JOBS"  # "0": `tiptiers serve --no-jobs`, the queue is left to `tiptiers worker`


def serve_app() -> FastAPI:
    """The app as `tiptiers serve` runs it (a uvicorn factory)."""
    app = create_app(run_jobs=os.environ.get(RUN_JOBS, "1") != "0")
    # The collector's full pass stops every request while it walks all objects. After start-up some 160,000 live
    # for good (modules, templates, catalogues, the country table): frozen, a full pass walks only what requests
    # made, and young passes come less often, since most of a request's objects die with it. Measured under the
    # release-day mix (bench/release.py): full passes of 120 ms every few seconds before, published pages' p99
    # 140 ms -> 34 ms.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)
    return app
