"""The tier engine on the web: determinations, the methodology in force, and the country-year determination page.

The country-year page is /countries/{iso3}/{year} (JSON twin /api/v1/countries/{iso3}/{year}); the narrative, once
published, is /narratives/{iso3}/{year}. The older /determination addresses redirect there.

Validation errors of this router come back as `{"error": {"status": 422, "detail": "field: message"}}`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from tiptiers.engine import AssessmentInput, Determination, HistoryEntry, Override, Waiver, determine
from tiptiers.methodology import LEVELS, MethodologyError, methodology_for_year
from tiptiers.methodology.describe import MethodologyOut, describe
from tiptiers.store.engine import engine_inputs
from tiptiers.store.engine_start import starting_point
from tiptiers.tiers import Tier
from tiptiers.web.auth import can_see_country_draft
from tiptiers.web.deps import (
    FieldErrors,
    ReportYearQuery,
    SessionDep,
    Visibility,
    Visible,
    VisibleYear,
    country_or_404,
    field_message,
    item_title,
    templates,
)
from tiptiers.web.i18n_texts import SIGNAL_QUESTIONS
from tiptiers.web.pagecache import PUBLIC

api = APIRouter(prefix="/api/v1", tags=["engine"], route_class=FieldErrors)
pages = APIRouter(include_in_schema=False)


class DeterminationRequest(AssessmentInput):
    """An assessment to determine. Without `history`, the stored placements of earlier years are used."""

    history: list[HistoryEntry] | None = Field(None, description="Earlier placements; default: from the database")
    use_records: bool = Field(True, description="Apply the stored waiver and override of this country-year")


class FlaggedRatingOut(BaseModel):
    criterion: str
    code: str = Field(description="no_evidence | withdrawn_only | unverified_only")
    text: str


class CountryYearOut(BaseModel):
    iso3: str
    name: str
    year: int
    placement: Tier | None = Field(description="The published tier, if any")
    override: Override | None
    waiver: Waiver | None
    ratings_source: str = Field(description="'assessment': the stored assessment's ratings (shown to those who may "
                                            "see the country's draft); 'illustrative': plain ratings that reproduce "
                                            "the published tier, not an assessment of the government")
    ratings_note: str = Field("", description="Which ratings are shown, in a sentence")
    flagged_ratings: list[FlaggedRatingOut] = Field(
        default_factory=list, description="Stored ratings resting only on unverified or withdrawn evidence, or none")
    assessment: AssessmentInput
    determination: Determination


@api.post("/determinations", response_model=Determination, summary="Determine a tier from ratings, with reasons",
          responses={422: {"description": "Bad ratings: unknown criterion, missing standard, year before 2001"}})
def api_determine(body: DeterminationRequest, visible: Visible) -> Response:
    return Response(_determine(body, visible).model_dump_json(), media_type="application/json")


def _determine(body: DeterminationRequest, visible: Visibility) -> Determination:
    # The what-if path is kept lean: the validated request is the assessment (no second validation), the store is
    # asked once (and only for what the request leaves out), and the Determination is serialised once.
    history: list[HistoryEntry] = body.history or []
    waivers: list[Waiver] = []
    override: Override | None = None
    records = body.use_records and visible.may_see(body.year)  # an embargoed year's override stays unseen
    if body.history is None or records:
        stored, waivers, override = engine_inputs(visible.session, body.iso3, body.year,
                                                  history=body.history is None, records=records)
        shown = set(visible.years(h.year for h in stored))
        history = [h for h in stored if h.year in shown] if body.history is None else history
    return determine(body, history, methodology_for_year(body.year, body.methodology), body.year,
                     waivers=waivers, override=override)


ITEM_ID = re.compile(r"\b(?:standard|criterion)_\d+\b")


def _titles(year: object) -> dict[str, str]:
    """Each standard and criterion of a year's methodology as a person reads it (none for a year it has not)."""
    try:
        return {i.id: item_title(i.id, int(str(year))) for i in methodology_for_year(int(str(year))).items}
    except (ValueError, MethodologyError):
        return {}


@pages.post("/determinations", response_class=HTMLResponse)
def determination_html(request: Request, visible: Visible, body: Annotated[dict[str, Any], Body()],
                       view: str = "country") -> Response:
    """The what-if redraw (engine.js, workspace.js): the determination of POST /api/v1/determinations, drawn as the
    country-year page (`view=country`) or the workspace (`view=workspace`) draws it, in the page's language (the
    JSON API stays English). A request the engine cannot determine answers 422 with its reason in the fragment."""
    d: Determination | None = None
    try:
        asked = DeterminationRequest.model_validate(body)
        d = _determine(asked, visible)
        error = ""
    except ValidationError as exc:
        error = field_message(exc.errors())
    except (ValueError, MethodologyError) as exc:
        error = str(exc)
    if view == "workspace":
        titles = _titles(body.get("year"))
        context = {"det": d, "titles": titles, "signal_questions": SIGNAL_QUESTIONS,
                   "det_error": ITEM_ID.sub(lambda found: titles.get(found.group(0), found.group(0)), error)}
        name = "_workspace_tier.html"
    else:
        context = {"d": d, "error": error}
        name = "_whatif.html"
    return templates.TemplateResponse(request, name, context, status_code=200 if d is not None else 422)


@api.get("/methodology", response_model=MethodologyOut, summary="Standards, criteria and tier rules of a report year",
         dependencies=PUBLIC)
def api_methodology(year: ReportYearQuery, name: str = Query("tvpa", description="Methodology id")) -> MethodologyOut:
    if year is None:
        raise HTTPException(422, "year: required, e.g. ?year=2013")
    try:
        return describe(methodology_for_year(year, name))
    except MethodologyError as exc:
        raise HTTPException(422, f"name: {exc}") from None


def _country_year(session: Session, iso3: str, year: int, visible: Visibility) -> CountryYearOut:
    country = country_or_404(iso3)
    start = starting_point(session, country.iso3, year,
                           drafts_visible=can_see_country_draft(visible.user, country.iso3))
    m = methodology_for_year(year)
    return CountryYearOut(
        iso3=country.iso3, name=country.name, year=year, placement=start.placement, override=start.override,
        waiver=start.waivers[0] if start.waivers else None, ratings_source=start.source, ratings_note=start.note,
        flagged_ratings=[FlaggedRatingOut(criterion=f.criterion, code=f.code, text=f.text) for f in start.flags],
        assessment=start.assessment,
        determination=determine(start.assessment, start.history, m, year, waivers=start.waivers,
                                override=start.override))


@api.get("/countries/{iso3}/{year}", dependencies=PUBLIC, response_model=CountryYearOut,
         summary="A country-year: published placement, override, waiver and the engine's determination, from the "
                 "stored assessment's ratings when there is one (and you may see the draft), else illustrative ones",
         responses={404: {"description": "Unknown country or year"}})
def api_country_year(iso3: str, year: VisibleYear, session: SessionDep, visible: Visible) -> CountryYearOut:
    return _country_year(session, iso3, year, visible)


@pages.get("/countries/{iso3}/{year}", dependencies=PUBLIC, response_class=HTMLResponse)
def country_year_page(iso3: str, year: VisibleYear, request: Request, session: SessionDep,
                      visible: Visible) -> Response:
    data = _country_year(session, iso3, year, visible)
    if data.iso3 != iso3:  # /countries/jpn/2008 -> /countries/JPN/2008, one address per page
        return RedirectResponse(f"/countries/{data.iso3}/{year}", status_code=301)
    m = methodology_for_year(year)
    return templates.TemplateResponse(
        request, "country_year.html",
        {"data": data, "d": data.determination, "methodology": m, "levels": [lv.value for lv in LEVELS],
         "rated": {r.criterion: r.level.value for r in data.assessment.ratings},
         "flagged": {f.criterion: f for f in data.flagged_ratings},
         "json_url": f"/api/v1/countries/{data.iso3}/{year}"})


@api.get("/countries/{iso3}/{year}/determination", include_in_schema=False)
@pages.get("/countries/{iso3}/{year}/determination")
def country_year_old_address(iso3: str, year: VisibleYear, request: Request) -> RedirectResponse:
    """The address of the first release; links to it keep working."""
    return RedirectResponse(request.url.path.removesuffix("/determination"), status_code=301)
