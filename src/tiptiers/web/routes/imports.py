"""Administrators import a new report's lists on the web (/admin/import): paste the lists as the State Department
publishes them, see the countries they match (and the lines that match none, with the closest names), confirm.

The same reading (sources/report_lists.py) and the same store function as `tiptiers import lists`; the preview runs
the whole import in a transaction that is rolled back, so every refusal (a year holding drafts in progress, a list
that leaves out a country placed on it) shows before anything is stored. The import is recorded in the activity
log by the store, with who imported what, when and from what source.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.report_years import check_report_year
from tiptiers.sources.report_lists import ReportLists, ReportListsError, parse_report_lists
from tiptiers.store.db import transaction
from tiptiers.store.placements import ImportRefused, ImportResult, import_report_lists
from tiptiers.store.publication import PublicationError
from tiptiers.store.users import User
from tiptiers.tiers import TIER_ORDER
from tiptiers.web.auth import require_roles
from tiptiers.web.deps import templates

api = APIRouter(prefix="/api/v1", tags=["placements"])  # the JSON way is the CLI's; kept for the app's loop
pages = APIRouter(include_in_schema=False)

AdminUser = Annotated[User, Depends(require_roles("admin"))]
MAX_PASTE = 200_000  # a whole report's lists are about 4,000 characters


class _Form:
    def __init__(self, text: str, year: str, source: str, published_on: str, complete: bool):
        self.text, self.year, self.source, self.published_on, self.complete = text, year, source, published_on, complete


def _page(request: Request, form: _Form, *, errors: list[str] | None = None, lists: ReportLists | None = None,
          result: ImportResult | None = None, status: int = 200, partial: bool = False) -> Response:
    """`partial`: `lists` holds only the names that matched, shown beside the lines that did not."""
    table = country_table()
    groups = []
    if lists is not None:
        by_tier = lists.by_tier()
        groups = [(t, [(c, table.by_iso3[c.iso3].name) for c in by_tier[t]]) for t in TIER_ORDER if t in by_tier]
    return templates.TemplateResponse(request, "admin_import.html", {
        "form": form, "errors": errors or [], "lists": lists, "groups": groups, "result": result,
        "partial": partial, "json_url": None}, status_code=status)


def _checked(form: _Form) -> tuple[int, datetime | None, list[str]]:
    errors = []
    year = 0
    try:
        year = check_report_year(int(form.year))
    except ValueError as exc:
        errors.append(f"year: {exc}" if form.year.strip().isdigit() else f"year: {form.year[:10]!r} is not a year")
    published_on = None
    if form.published_on.strip():
        try:
            published_on = datetime.combine(date.fromisoformat(form.published_on.strip()), datetime.min.time())
        except ValueError:
            errors.append(f"published_on: {form.published_on[:20]!r} is not a date YYYY-MM-DD")
    if not form.source.strip():
        errors.append('source: say where the lists come from, e.g. "2026 TIP Report, June 2026"')
    if not form.text.strip():
        errors.append("lists: paste the report's lists, starting with a heading such as TIER 1")
    return year, published_on, errors


def _run(session: Session, lists: ReportLists, year: int, form: _Form, published_on: datetime | None,
         actor: str) -> ImportResult:
    return import_report_lists(session, lists, year, form.source.strip(), actor, complete=form.complete,
                               published_on=published_on)


@pages.get("/admin/import")
def import_page(request: Request, user: AdminUser) -> Response:
    return _page(request, _Form("", "", "", "", False))


@pages.post("/admin/import")
def import_submit(request: Request, user: AdminUser,
                  text: Annotated[str, Form(max_length=MAX_PASTE)] = "",
                  year: Annotated[str, Form(max_length=10)] = "",
                  source: Annotated[str, Form(max_length=2000)] = "",
                  published_on: Annotated[str, Form(max_length=20)] = "",
                  complete: Annotated[str, Form(max_length=10)] = "",
                  action: Annotated[str, Form(max_length=20)] = "preview") -> Response:
    """`action=preview` shows what the lists match and stores nothing; `action=confirm` imports them."""
    form = _Form(text, year, source, published_on, bool(complete))
    number, published_at, errors = _checked(form)
    if errors:
        return _page(request, form, errors=errors, status=422)
    try:
        lists = parse_report_lists(text, source="the pasted lists")
    except ReportListsError as exc:
        return _page(request, form, errors=exc.errors, lists=exc.matched if exc.matched.countries else None,
                     partial=True, status=422)
    factory = request.app.state.sessions
    try:
        if action == "confirm":
            with transaction(factory) as session:
                result = _run(session, lists, number, form, published_at, user.name)
            return _page(request, form, lists=lists, result=result)
        with factory() as session:  # the whole import, then undone: its refusals show before anything is stored
            try:
                _run(session, lists, number, form, published_at, user.name)
            finally:
                session.rollback()
    except (ImportRefused, PublicationError) as exc:
        return _page(request, form, errors=[str(exc)], lists=lists, status=422)
    return _page(request, form, lists=lists)
