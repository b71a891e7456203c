"""The embargo for every route, including those of other features: a request whose path names a report year that
is not yet public (`/years/2027`, `/api/v1/years/2027/placements`, `/countries/JPN/2027`, `/api/v1/countries/JPN/2027/
determination`, ...) gets the same 404 as a year that does not exist, unless the visitor is staff (admin, analyst,
reviewer), who prepare the year. The publication times are read once a few seconds, not on every request.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tiptiers.store import publication as pubstore
from tiptiers.store.publication import Publication, default_publication_time

YEAR_IN_PATH = re.compile(r"^(?:/api/v1)?/(?:years|countries/[A-Za-z]{3}|narratives/[A-Za-z]{3}|map|movements|reports)"
                          r"/(\d{4})(?:[/.]|$)")
REFRESH_SECONDS = 5.0


class EmbargoMiddleware:
    def __init__(self, app: ASGIApp, sessions: Any):
        self.app = app
        self.sessions = sessions
        self._times: dict[int, datetime] = {}
        self._read_at = -REFRESH_SECONDS

    def _publication_times(self) -> dict[int, datetime]:
        if time.monotonic() - self._read_at > REFRESH_SECONDS:
            with self.sessions() as session:
                self._times = {p.year: p.publish_at for p in session.scalars(select(Publication))}
            self._read_at = time.monotonic()
        return self._times

    def embargoed(self, year: int, now: datetime) -> bool:
        return now < self._publication_times().get(year, default_publication_time(year))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = YEAR_IN_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        year = int(match.group(1))
        now = getattr(scope["app"].state, "publish_now", None) if "app" in scope else None
        if time.monotonic() - self._read_at > REFRESH_SECONDS:  # the database only every few seconds
            await run_in_threadpool(self._publication_times)
        if not self.embargoed(year, now or pubstore.utcnow()) or await _is_staff(scope):
            await self.app(scope, receive, send)
            return
        detail = f"year: no published report for {year}"
        await JSONResponse({"error": {"status": 404, "detail": detail}}, status_code=404)(scope, receive, send)


async def _is_staff(scope: Scope) -> bool:
    try:
        from tiptiers.store.users import STAFF_ROLES
        from tiptiers.web.auth import optional_user
    except ImportError:  # pragma: no cover - without sign-in nobody is staff on the web
        return False
    try:
        user = await run_in_threadpool(optional_user, Request(scope))
    except Exception:  # an invalid token is an anonymous visitor here; the route itself will say why
        return False
    return user is not None and user.role in STAFF_ROLES
