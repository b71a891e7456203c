"""Publication on the web: the world map, country narratives (HTML, PDF, JSON), year-over-year movements, the
comparison of 2-5 countries, the open data, and the publication schedule. Every page has a JSON twin.

Embargo: nothing of a report year is served to the public before its publication time (404, as for a year that
does not exist). Published pages carry an ETag (304 on If-None-Match); the app compresses with gzip.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.coverage import unknown_year
from tiptiers.publish import movements as moves
from tiptiers.publish import opendata, palette, pdf, reportpdf
from tiptiers.publish.charts import compare_svg, flows_svg, tier_history_svg
from tiptiers.publish.report import CountryYear, country_year
from tiptiers.publish.worldmap import geometry, map_countries, svg_to_png, without_outline, world_map_svg
from tiptiers.report_years import FIRST_REPORT_YEAR
from tiptiers.store import activity
from tiptiers.store import publication as pubstore
from tiptiers.store.db import transaction
from tiptiers.store.placements import all_coverage, report_years, year_coverage, year_placements
from tiptiers.store.texts import check_language
from tiptiers.tiers import TIER_ORDER, Tier
from tiptiers.web import i18n, i18n_texts
from tiptiers.web.auth import optional_user, require_roles
from tiptiers.web.changes import Scope as Shows
from tiptiers.web.deps import (
    PublishedYear,
    ReportYear,
    ReportYearQuery,
    SessionDep,
    Visibility,
    Visible,
    absent_years,
    country_name,
    country_or_404,
    templates,
)
from tiptiers.web.i18n import N_
from tiptiers.web.pagecache import PUBLIC, SharedResponse, etag_matches

log = logging.getLogger(__name__)
api = APIRouter(prefix="/api/v1", tags=["publication"])
pages = APIRouter(include_in_schema=False)

EDITORS: list[Any] = [Depends(require_roles("admin", "analyst"))]
PUBLISHERS: list[Any] = [Depends(require_roles("admin"))]


# --- helpers ------------------------------------------------------------------------------------------------


def cached(request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None,
           keep_for: float | None = None, shows: tuple[Shows, ...] | None = None) -> Response:
    """A published representation with a strong ETag; 304 when the client already has it. It is the same for every
    anonymous visitor, so the page cache (web/pagecache.py) keeps it until a change overlaps what it `shows` (by
    default what its path names), or `keep_for` seconds (0: not at all)."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    common = {"ETag": etag, "Cache-Control": "public, max-age=60", **(headers or {})}
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=common)
    return SharedResponse(body, media_type=media_type, headers=common, keep_for=keep_for, shows=shows)


def page(request: Request, name: str, context: dict[str, Any], shows: tuple[Shows, ...] | None = None) -> Response:
    rendered = templates.TemplateResponse(request, name, context)
    return cached(request, bytes(rendered.body), "text/html; charset=utf-8", shows=shows)


def with_previous(year: int) -> tuple[Shows, ...]:
    """What the movements of a year show: its placements and the year before's, and through the downgrade rule's
    audit every earlier year (a corrected 2011 placement or a waiver of 2012 changes the streak 2013 counts)."""
    return tuple(Shows(None, y) for y in range(FIRST_REPORT_YEAR, year + 1))


def placed_or_404(session: Session, visible: Visibility, year: int) -> int:
    """A published year (the route's `PublishedYear`) with placements: the published pages have none without."""
    if year not in report_years(session):
        raise HTTPException(404, f"year: no published report for {year} ({visible.known_years(True)})")
    return year


def downloads_for(request: Request, year: int) -> bool:
    """PDF and PNG links: always in the live app; in a static export only for the year exported."""
    years = getattr(request.app.state, "pdf_years", None)
    return years is None or year in years


def published_years(session: Session, visible: Visibility) -> list[int]:
    return visible.published_years(report_years(session))


# --- the palette: the stylesheet's colours and the icon, from the one definition the charts use ---------------


@pages.get("/palette.css")
def palette_css(request: Request) -> Response:
    return cached(request, palette.stylesheet().encode(), "text/css; charset=utf-8")


@pages.get("/favicon.svg")
def favicon(request: Request) -> Response:
    return cached(request, palette.favicon_svg().encode(), "image/svg+xml")


# --- the map ------------------------------------------------------------------------------------------------


class MapCountryOut(BaseModel):
    iso3: str
    name: str
    tier: Tier
    tier_label: str
    colour: str
    href: str
    drawn: bool = Field(description="False for countries the map has no outline for (small island states)")


class MapOut(BaseModel):
    year: int
    counts: dict[str, int]
    coverage: str = Field("", description="How complete the year's record is, in words")
    absent: dict[str, int] = Field(default_factory=dict, description="Countries on the map with no placement, by "
                                   "why: not_ranked (every list of the year is in the sources) or not_in_sources")
    countries: list[MapCountryOut]
    svg: str = Field(description="URL of the map as SVG")
    png: str = Field(description="URL of the map as PNG")


def _map_data(session: Session, year: int) -> tuple[MapOut, dict[str, Any], Callable[[str], str]]:
    """The map's data, its countries, and what a country with no placement is (the year's coverage)."""
    rows = year_placements(session, year)
    placed = {p.iso3: p.tier for p in rows}
    names = {p.iso3: p.country.name for p in rows}
    countries = map_countries(placed, names, lambda iso3: f"/narratives/{iso3}/{year}")
    missing = set(without_outline(placed))
    counts = {t.value: 0 for t in TIER_ORDER}
    for tier in placed.values():
        counts[tier] += 1
    coverage = year_coverage(session, year)

    def absent(iso3: str) -> str:
        return coverage.presence(iso3, None).value

    absent_counts = Counter(absent(iso3) for iso3 in geometry() if iso3 not in placed)
    out = MapOut(year=year, counts=counts, svg=f"/map/{year}.svg", png=f"/map/{year}.png",
                 coverage=i18n_texts.coverage_summary(coverage, len(rows)),  # English on the JSON API
                 absent=dict(sorted(absent_counts.items())), countries=[
        MapCountryOut(iso3=c.iso3, name=c.name, tier=c.tier, tier_label=c.tier.label, colour=palette.tier_fill(c.tier),
                      href=c.href or "", drawn=c.iso3 not in missing)
        for c in sorted(countries.values(), key=lambda c: c.name) if c.tier])
    return out, dict(countries), absent


def _map_words() -> dict[str, Any]:
    """The map's words and country names in the request's language (its page and its downloads alike)."""
    return {"words": i18n.gettext, "name_of": country_name}


@api.get("/map/{year}.json", response_model=MapOut,
         summary="The world map of a report year: each country's tier and link",
         responses={404: {"description": "No published report for that year"}})
def api_map(year: PublishedYear, request: Request, session: SessionDep, visible: Visible) -> Response:
    placed_or_404(session, visible, year)
    return cached(request, _map_data(session, year)[0].model_dump_json().encode(), "application/json")


@pages.get("/map/{year}.svg")
def map_svg(year: PublishedYear, request: Request, session: SessionDep, visible: Visible) -> Response:
    placed_or_404(session, visible, year)
    _data, countries, absent = _map_data(session, year)
    svg = world_map_svg(year, countries, standalone=True, absent=absent, **_map_words())
    return cached(request, svg.encode(), "image/svg+xml",
                  {"Content-Disposition": f'inline; filename="tiptiers-map-{year}.svg"'})


@pages.get("/map/{year}.png")
def map_png(year: PublishedYear, request: Request, session: SessionDep, visible: Visible) -> Response:
    placed_or_404(session, visible, year)
    _data, countries, absent = _map_data(session, year)
    png = svg_to_png(world_map_svg(year, countries, standalone=True, absent=absent, **_map_words()))
    return cached(request, png, "image/png", {"Content-Disposition": f'inline; filename="tiptiers-map-{year}.png"'})


@pages.get("/map", response_class=HTMLResponse)
def map_latest(session: SessionDep, visible: Visible) -> Response:
    years = published_years(session, visible)
    if not years:
        raise HTTPException(404, "no published report yet")
    return RedirectResponse(f"/map/{years[-1]}", status_code=302)


@pages.get("/map/{year}", response_class=HTMLResponse)
def map_page(year: PublishedYear, request: Request, session: SessionDep, visible: Visible) -> Response:
    placed_or_404(session, visible, year)
    published = published_years(session, visible)

    def drawn() -> tuple[MapOut, str]:  # some 20 ms of a core: kept for logged-in readers too (deps `published`)
        data, countries, absent = _map_data(session, year)
        return data, world_map_svg(year, countries, absent=absent, **_map_words())

    data, svg = visible.published(("map", year, i18n.current()), drawn, reads=[year])
    return page(request, "publish/map.html", {
        "data": data, "svg": svg, "years": published,
        "swatches": palette.STATE_SWATCHES,
        "undrawn": [c for c in data.countries if not c.drawn], "json_url": f"/api/v1/map/{year}.json",
        "downloads": downloads_for(request, year)})


# --- narratives ---------------------------------------------------------------------------------------------


class ReasonOut(BaseModel):
    text: str
    reference: str


class RatingOut(BaseModel):
    criterion: str
    title: str
    level: str
    note: str


class PublishedTranslationOut(BaseModel):
    language: str = Field(description="BCP 47 tag of the translation")
    text: str
    translator: str = Field(description="Who in the office translated it")
    at: str
    stale: bool = False


class CommentOut(BaseModel):
    kind: str
    text: str = Field(description="The government's words, in the language it wrote them in")
    language: str = Field("en", description="BCP 47: the language the government wrote it in")
    author: str
    at: str
    file_name: str = Field("", description="A file the government attached and allowed to be published, if any")
    file_url: str = ""
    translations: list[PublishedTranslationOut] = Field(
        default_factory=list, description="The office's translations, each marked as such")


class ClaimOut(BaseModel):
    id: int
    statement: str
    state: str
    criteria: list[str]
    source: str
    source_url: str
    source_date: str
    original_statement: str | None
    comments: list[CommentOut]
    resolutions: list[str]


class CorrectionOut(BaseModel):
    version: int
    at: datetime
    author: str
    note: str
    changes: list[tuple[str, str]] = Field(description="('+' | '-', line) of the Markdown changed")


class NarrativeOut(BaseModel):
    iso3: str
    country: str
    year: int
    tier: Tier | None
    tier_label: str
    assessed: bool = Field(description="False for years with no assessment in tiptiers (the bundled history)")
    reasons: list[ReasonOut]
    ratings: list[RatingOut]
    history: list[tuple[int, str]]
    version: int = Field(description="0: the generated text, never edited")
    version_at: datetime | None
    markdown: str
    html: str = Field(description="The narrative as sanitised HTML")
    claims: list[ClaimOut] = Field(description="Evidence cited, each with the government's comments")
    corrections: list[CorrectionOut]
    tier3_determination: dict[str, Any] | None = Field(
        None, description="For a Tier 3 government: the President's determination under 22 U.S.C. 7107(d) (paragraph, "
                          "whole or programmes, date, signed by, timing against the 45-90 day window)")
    final_comments: list[dict[str, Any]] = Field(
        default_factory=list, description="The government's final comments on the final report (text, language, "
                                          "author, at, translations: the office's)")
    language: str = Field("en", description="BCP 47: the narrative's language (en: the original, else a translation)")
    languages: list[str] = Field(default_factory=lambda: ["en"], description="The languages the narrative has")
    pdf: str


def narrative_out(cy: CountryYear) -> NarrativeOut:
    d = cy.data
    return NarrativeOut(
        iso3=d.iso3, country=d.country, year=d.year, tier=Tier(d.tier) if d.tier else None,
        tier_label=Tier(d.tier).label if d.tier else "not placed", assessed=d.assessed,
        reasons=[ReasonOut(text=r.text, reference=r.reference) for r in d.reasons],
        ratings=[RatingOut(criterion=r.criterion, title=r.title, level=r.level, note=r.note) for r in d.ratings],
        history=d.history, version=cy.version, version_at=cy.version_at, markdown=cy.markdown, html=cy.html,
        claims=[ClaimOut(id=c.id, statement=c.statement, state=c.state, criteria=c.criteria, source=c.source,
                         source_url=c.source_url, source_date=c.source_date, original_statement=c.original_statement,
                         comments=[CommentOut(**k) for k in c.comments], resolutions=c.resolutions)
                for c in cy.claims],
        corrections=[CorrectionOut(version=c.version, at=c.at, author=c.author, note=c.note, changes=c.changes)
                     for c in cy.corrections],
        tier3_determination=cy.tier3_determination,
        final_comments=[{k: c[k] for k in ("text", "language", "author", "at", "translations")}
                        for c in cy.final_comments],
        language=cy.language, languages=cy.languages, pdf=f"/narratives/{d.iso3}/{d.year}.pdf")


def _public_country_year(session: Session, iso3: str, year: int, visible: Visibility,
                         language: str = pubstore.ORIGINAL_LANGUAGE) -> CountryYear:
    country = country_or_404(iso3)
    placed_or_404(session, visible, year)
    try:
        cy = country_year(session, country.iso3, year, now=visible.now, language=language)
    except pubstore.PublicationError:
        cy = None
    if language != pubstore.ORIGINAL_LANGUAGE and cy is None:
        raise HTTPException(404, f"language: the {year} narrative of {country.name} has no translation "
                                 f"{language[:35]!r}")
    if cy is None or (cy.tier is None and not cy.data.assessed):
        raise HTTPException(404, f"iso3: {country.name} has no placement in the {year} report")
    return cy


@api.get("/narratives/{iso3}/{year}.json", response_model=NarrativeOut,
         summary="A country's narrative of a report year: tier, reasons, ratings, evidence and the government's "
                 "comments, corrections", responses={404: {"description": "Unknown country, or not published"}})
def api_narrative(iso3: str, year: PublishedYear, request: Request, session: SessionDep,
                  visible: Visible) -> Response:
    cy = _public_country_year(session, iso3, year, visible)
    return cached(request, narrative_out(cy).model_dump_json().encode(), "application/json")


@pages.get("/narratives/{iso3}/{year}.pdf")
def narrative_pdf(iso3: str, year: PublishedYear, request: Request, session: SessionDep,
                  visible: Visible) -> Response:
    cy = i18n_texts.narrative_in_language(_public_country_year(session, iso3, year, visible))
    body = pdf.country_pdf(cy, visible.now)
    return cached(request, body, "application/pdf",
                  {"Content-Disposition": f'attachment; filename="tiptiers-{cy.data.iso3}-{year}.pdf"'})


@pages.get("/reports/{year}.pdf")
def report_pdf(year: PublishedYear, request: Request, session: SessionDep, visible: Visible) -> Response:
    """The whole report, as stored by reportpdf (never made while the visitor waits): 503 with Retry-After until the
    first one exists; the last one while a newer one is made."""
    placed_or_404(session, visible, year)
    headers = {"Content-Disposition": f'attachment; filename="tiptiers-report-{year}.pdf"'}
    fixed = getattr(request.app.state, "publish_now", None)
    language = i18n.current()  # the report in the language asked for: one stored per language
    if fixed is not None:  # a static export, as of its time: nobody waits for it
        return cached(request, reportpdf.pdf_as_of(session, year, fixed, language), "application/pdf", headers)
    found = reportpdf.stored(session, year, language)
    now = pubstore.utcnow()
    stale = reportpdf.queue_if_stale(request.app.state.sessions, year, found, reportpdf.fingerprint(session, year),
                                     now, language)
    body = reportpdf.content(session, year, language) if found is not None else None
    if body is None:
        raise HTTPException(503, f"the whole report of {year} is being made (about a minute); try again shortly. "
                                 "Each country's narrative PDF is ready now.",
                            headers={"Retry-After": str(reportpdf.RETRY_AFTER)})
    assert found is not None
    return cached(request, body, "application/pdf", headers,  # kept in memory until a check is due
                  keep_for=0 if stale else found.recheck_in(now))


@api.get("/narratives/{iso3}/{year}/{language}.json", response_model=NarrativeOut,
         summary="The narrative's translation into one language (see `languages` of the narrative)",
         responses={404: {"description": "Unknown country, not published, or no translation into that language"}})
def api_narrative_translation(iso3: str, year: PublishedYear, language: str, request: Request, session: SessionDep,
                              visible: Visible) -> Response:
    cy = _public_country_year(session, iso3, year, visible, language)
    return cached(request, narrative_out(cy).model_dump_json().encode(), "application/json")


@pages.get("/narratives/{iso3}/{year}/in/{language}", response_class=HTMLResponse)
def narrative_translation_page(iso3: str, year: PublishedYear, language: str, request: Request, session: SessionDep,
                               visible: Visible) -> Response:
    """The narrative in one of its translations; the government's words stay in the language it wrote them in."""
    return _narrative_page(iso3, year, request, session, visible, language)


@pages.get("/narratives/{iso3}/{year}", response_class=HTMLResponse)
def narrative_page(iso3: str, year: PublishedYear, request: Request, session: SessionDep,
                   visible: Visible) -> Response:
    return _narrative_page(iso3, year, request, session, visible, pubstore.ORIGINAL_LANGUAGE)


def _narrative_page(iso3: str, year: int, request: Request, session: Session, visible: Visibility,
                    language: str) -> Response:
    cy = i18n_texts.narrative_in_language(_public_country_year(session, iso3, year, visible, language))
    absent = absent_years(session, cy.data.iso3, [y for y, _ in cy.data.history], published_years(session, visible))
    chart = tier_history_svg(cy.data.history, i18n_texts.history_chart_title(cy.data.iso3, cy.data.country),
                             absent=absent, words=i18n.gettext)
    return page(request, "publish/narrative.html", {
        "cy": cy, "chart": chart, "json_url": f"/api/v1/narratives/{cy.data.iso3}/{year}"
                                              + (f"/{cy.language}" if cy.language != "en" else "") + ".json",
        "history": cy.data.history, "downloads": downloads_for(request, year)})


class NarrativeIn(BaseModel):
    markdown: str = Field(min_length=1, max_length=pubstore.MAX_NARRATIVE)
    note: str = Field("", max_length=2000, description="Required once the year is published: what changed and why")
    language: str = Field(pubstore.ORIGINAL_LANGUAGE, max_length=35, description=(
        "BCP 47: en (default) saves a version of the original; another tag a version of that translation, "
        "versioned like the original (its first version after publication needs no note)"))


class VersionOut(BaseModel):
    iso3: str
    year: int
    version: int
    created_at: datetime
    author: str
    note: str
    correction: bool
    language: str = pubstore.ORIGINAL_LANGUAGE


def _save(request: Request, iso3: str, year: int, body: NarrativeIn, author: str, now: datetime) -> VersionOut:
    country = country_or_404(iso3)
    for attempt in range(3):  # two editors saving at once take the same next version number: the second retries
        try:
            with transaction(request.app.state.sessions) as session:
                row = pubstore.save_narrative(session, country.iso3, year, body.markdown, author, body.note, now,
                                              language=body.language)
                correction = pubstore.is_public(session, year, now) and bool(row.note)
                activity.record(session, author, "narrative.save", f"narrative:{row.iso3}/{year}", None,
                                {"version": row.version, "language": row.language, "note": row.note,
                                 "correction": correction})
            break
        except pubstore.PublicationError as exc:
            raise HTTPException(422, str(exc)) from None
        except IntegrityError:
            if attempt == 2:
                raise HTTPException(409, "markdown: others saved this narrative at the same moment; reload it and "
                                         "save again") from None
    return VersionOut(iso3=row.iso3, year=row.year, version=row.version, created_at=row.created_at,
                      author=row.author, note=row.note, correction=correction, language=row.language)


def _user_name(request: Request) -> str:
    user = optional_user(request)
    return user.name if user else "analyst"


@api.post("/narratives/{iso3}/{year}", response_model=VersionOut, dependencies=EDITORS,
          summary="Save a new version of the narrative (a correction, with a note, once published)",
          responses={422: {"description": "Invalid narrative; the message names the field"}})
def api_save_narrative(iso3: str, year: ReportYear, body: NarrativeIn, request: Request,
                       session: SessionDep) -> VersionOut:
    return _save(request, iso3, year, body, _user_name(request), pubstore.utcnow())


@pages.get("/narratives/{iso3}/{year}/edit", response_class=HTMLResponse, dependencies=EDITORS)
def edit_page(iso3: str, year: ReportYear, request: Request, session: SessionDep,
              language: Annotated[str, Query(max_length=35, description="the translation to edit (BCP 47); "
                                             "default en, the original")] = pubstore.ORIGINAL_LANGUAGE) -> Response:
    country = country_or_404(iso3)
    try:
        cy = country_year(session, country.iso3, year, draft=True, language=language)
    except pubstore.PublicationError as exc:
        raise HTTPException(422, str(exc)) from None
    assert cy is not None
    return templates.TemplateResponse(request, "publish/edit.html", {
        "cy": cy, "published": pubstore.is_public(session, year), "error": None})


@pages.post("/narratives/{iso3}/{year}/edit", response_class=HTMLResponse, dependencies=EDITORS)
def edit_submit(iso3: str, year: ReportYear, request: Request, session: SessionDep,
                markdown: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
                language: Annotated[str, Form(max_length=35)] = pubstore.ORIGINAL_LANGUAGE) -> Response:
    try:
        _save(request, iso3, year, NarrativeIn(markdown=markdown or " ", note=note, language=language),
              _user_name(request), pubstore.utcnow())
    except HTTPException as exc:
        try:
            cy = country_year(session, country_or_404(iso3).iso3, year, draft=True, language=language)
        except pubstore.PublicationError:
            cy = country_year(session, country_or_404(iso3).iso3, year, draft=True)
        return templates.TemplateResponse(request, "publish/edit.html", {
            "cy": cy, "published": pubstore.is_public(session, year), "error": exc.detail}, status_code=422)
    tag = check_language("language", language)
    return RedirectResponse(f"/narratives/{iso3.upper()}/{year}" + (f"/in/{tag}" if tag != "en" else ""),
                            status_code=303)


# --- movements and comparison ----------------------------------------------------------------------------


class MovementOut(BaseModel):
    iso3: str
    country: str
    year: int
    previous_tier: str | None
    tier: str
    movement: str = Field(description="up, down, same, new (not ranked the year before), unknown (the year before "
                                      "is not in the sources for it) or special (to or from a special case)")
    automatic_downgrade: bool | None
    waiver: bool | None
    rule: str
    group: str = Field(description="The page's section: tier_3, down, up, new, unknown, special or same")
    reason: str = Field(description="Why, in words")
    previous_year: str = Field(description="The year before in words: its tier, not ranked, or not in the sources")


class MovementsOut(BaseModel):
    year: int
    filters: dict[str, str] = Field(description="The filters applied (to, direction); the summary counts all rows")
    summary: dict[str, int]
    movements: list[MovementOut]
    csv: str = Field(description="URL of these rows as CSV")
    chart_svg: str = Field(description="URL of the flow chart of these rows as SVG (also .png)")


def _filters(to: str | None, direction: str | None) -> tuple[Tier | None, str | None]:
    try:
        return moves.parse_filters(to, direction)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _query(to: Tier | None, direction: str | None) -> str:
    pairs = [(k, v) for k, v in (("to", to.value if to else ""), ("direction", direction or "")) if v]
    return ("?" + urlencode(pairs)) if pairs else ""


def _year_moves(session: Session, year: int, visible: Visibility) -> list[moves.Movement]:
    placed_or_404(session, visible, year)
    published = published_years(session, visible)
    return visible.published(("movements", year),
                             lambda: opendata.year_movements(session, [year], published)[year], reads=[year])


def _movements(session: Session, year: int, visible: Visibility, to: Tier | None,
               direction: str | None) -> tuple[MovementsOut, list[moves.Movement]]:
    rows = _year_moves(session, year, visible)
    shown = moves.filtered(rows, to, direction)
    q = _query(to, direction)
    out = MovementsOut(year=year, filters={k: v for k, v in (("to", to.value if to else ""),
                                                              ("direction", direction or "")) if v},
                       summary=moves.summary(rows), movements=[MovementOut(**r.as_dict()) for r in shown],
                       csv=f"/movements/{year}.csv{q}", chart_svg=f"/movements/{year}/flows.svg{q}")
    return out, shown


ToQuery = Annotated[str | None, Query(description="Only countries now on this tier: 1, 2, 2WL, 3 or special")]
DirectionQuery = Annotated[str | None, Query(description="Only these movements: down (Tier 3 included), up, new, "
                                                         "unknown (previous year not in the sources), special, same")]


@api.get("/movements/{year}.json", response_model=MovementsOut,
         summary="Year-over-year movements: grouped, each with its reason; filters ?to=3, ?direction=down",
         responses={404: {"description": "No published report for that year"},
                    422: {"description": "A bad filter; the message names it"}})
def api_movements(year: PublishedYear, request: Request, session: SessionDep, visible: Visible,
                  to: ToQuery = None, direction: DirectionQuery = None) -> Response:
    tier, way = _filters(to, direction)
    return cached(request, _movements(session, year, visible, tier, way)[0].model_dump_json().encode(),
                  "application/json", shows=with_previous(year))


MOVEMENT_COLUMNS = opendata.DATASETS["movements"].column_names


def _download_name(year: int, to: Tier | None, direction: str | None, ext: str) -> str:
    parts = ["tiptiers-movements", str(year), direction or "", f"to-{to.value}" if to else ""]
    return "-".join(p for p in parts if p) + f".{ext}"


@pages.get("/movements/{year}.csv")
def movements_csv(year: PublishedYear, request: Request, session: SessionDep, visible: Visible,
                  to: ToQuery = None, direction: DirectionQuery = None) -> Response:
    """The rows the page shows with these filters, as CSV (the open data's movements columns)."""
    tier, way = _filters(to, direction)
    rows = moves.filtered(_year_moves(session, year, visible), tier, way)
    body = opendata.to_csv(MOVEMENT_COLUMNS, (r.as_dict() for r in rows)).encode()
    return cached(request, body, "text/csv; charset=utf-8",
                  {"Content-Disposition": f'attachment; filename="{_download_name(year, tier, way, "csv")}"'},
                  shows=with_previous(year))


def _flows(session: Session, year: int, visible: Visibility, to: str | None, direction: str | None) -> str:
    tier, way = _filters(to, direction)
    rows = moves.filtered(_year_moves(session, year, visible), tier, way)
    return flows_svg(moves.flows(rows), year, i18n_texts.flows_download_title(year, tier, way), standalone=True,
                     words=i18n.gettext)


@pages.get("/movements/{year}/flows.svg")
def movements_flows_svg(year: PublishedYear, request: Request, session: SessionDep, visible: Visible,
                        to: ToQuery = None, direction: DirectionQuery = None) -> Response:
    tier, way = _filters(to, direction)
    return cached(request, _flows(session, year, visible, to, direction).encode(), "image/svg+xml",
                  {"Content-Disposition": f'inline; filename="{_download_name(year, tier, way, "svg")}"'},
                  shows=with_previous(year))


@pages.get("/movements/{year}/flows.png")
def movements_flows_png(year: PublishedYear, request: Request, session: SessionDep, visible: Visible,
                        to: ToQuery = None, direction: DirectionQuery = None) -> Response:
    tier, way = _filters(to, direction)
    png = svg_to_png(_flows(session, year, visible, to, direction), width=1440)
    return cached(request, png, "image/png",
                  {"Content-Disposition": f'inline; filename="{_download_name(year, tier, way, "png")}"'},
                  shows=with_previous(year))


@pages.get("/movements", response_class=HTMLResponse)
def movements_latest(session: SessionDep, visible: Visible) -> Response:
    """The nav's "Changes": the movements of the latest published report."""
    years = published_years(session, visible)
    if not years:
        raise HTTPException(404, "no published report yet")
    return RedirectResponse(f"/movements/{years[-1]}", status_code=302)


@pages.get("/movements/{year}", response_class=HTMLResponse)
def movements_page(year: PublishedYear, request: Request, session: SessionDep, visible: Visible,
                   to: ToQuery = None, direction: DirectionQuery = None) -> Response:
    tier, way = _filters(to, direction)
    data, shown = _movements(session, year, visible, tier, way)
    q = _query(tier, way)
    return page(request, "publish/movements.html", {
        "data": data, "groups": moves.grouped(shown), "years": published_years(session, visible)[1:],
        "filter_words": moves.filter_words(tier, way), "to": tier.value if tier else "", "direction": way or "",
        "tiers": list(TIER_ORDER), "directions": list(moves.DIRECTIONS), "query": q,
        "chart": flows_svg(moves.flows(shown), year, i18n.gettext(N_("Countries by tier, %(before)s to %(year)s"))
                           % {"before": year - 1, "year": year}, words=i18n.gettext),
        "json_url": f"/api/v1/movements/{year}.json{q}"}, shows=with_previous(year))


class CompareCountry(BaseModel):
    iso3: str
    name: str
    placements: dict[int, str]
    absent: dict[int, str] = Field(default_factory=dict, description="Each year shown with no placement, and why: "
                                   "not_ranked or not_in_sources (the year's coverage)")


class CompareOut(BaseModel):
    years: list[int]
    countries: list[CompareCountry]
    csv: str = Field("", description="URL of this comparison as CSV")


def _codes(given: list[str]) -> list[str]:
    """The countries asked for: ISO codes (c=JPN&c=KOR, or c=JPN,KOR), names, or the picker's "Japan (JPN)"."""
    out = []
    for value in given:
        value = value.strip()
        if re.fullmatch(r"[A-Za-z]{3}(\s*,\s*[A-Za-z]{3})+", value):
            out += [v.strip().upper() for v in value.split(",")]
        elif value:
            picked = re.fullmatch(r".*\(([A-Za-z]{3})\)", value)
            out.append(picked.group(1).upper() if picked else value)
    return list(dict.fromkeys(out))


def _compare(session: Session, given: list[str], visible: Visibility) -> CompareOut:
    codes = _codes(given)
    if not 2 <= len(codes) <= 5:
        raise HTTPException(422, f"c: give 2 to 5 countries to compare (got {len(codes)}), e.g. ?c=JPN&c=KOR")
    history, _names = opendata.placement_history(session)
    years = published_years(session, visible)
    coverage = all_coverage(session)
    out = []
    for code in codes:
        found = country_table().get(code.upper()) or country_table().find(code)
        if found is None:
            hint = country_table().suggest(code)
            raise HTTPException(422, f"c: unknown country {code!r}"
                                     + (f"; did you mean {', '.join(hint)}?" if hint else
                                        "; use ISO 3166-1 alpha-3 codes such as JPN"))
        placed = history.get(found.iso3, {})
        out.append(CompareCountry(
            iso3=found.iso3, name=found.name, placements={y: placed[y] for y in years if y in placed},
            absent={y: (coverage.get(y) or unknown_year(y)).presence(found.iso3, None).value
                    for y in years if y not in placed}))
    query = urlencode([("c", x.iso3) for x in out])
    return CompareOut(years=years, countries=out, csv=f"/compare.csv?{query}")


@api.get("/compare", response_model=CompareOut, summary="2 to 5 countries side by side, tier by year",
         dependencies=PUBLIC)
def api_compare(session: SessionDep, visible: Visible,
                c: Annotated[list[str], Query()] = []) -> CompareOut:  # noqa: B006
    return _compare(session, c, visible)


@pages.get("/compare.csv")
def compare_csv(request: Request, session: SessionDep, visible: Visible,
                c: Annotated[list[str], Query()] = []) -> Response:  # noqa: B006
    """The comparison as shown, one row per country and year: the tier, or why there is none."""
    data = _compare(session, c, visible)
    rows = [{"iso3": x.iso3, "country": x.name, "year": y, "tier": x.placements.get(y),
             "tier_label": Tier(x.placements[y]).label if y in x.placements else None,
             "absent": x.absent.get(y)} for x in data.countries for y in data.years]
    body = opendata.to_csv(["iso3", "country", "year", "tier", "tier_label", "absent"], rows).encode()
    name = "tiptiers-compare-" + "-".join(x.iso3 for x in data.countries) + ".csv"
    return cached(request, body, "text/csv; charset=utf-8", {"Content-Disposition": f'attachment; filename="{name}"'})


@pages.get("/compare", dependencies=PUBLIC, response_class=HTMLResponse)
def compare_page(request: Request, session: SessionDep, visible: Visible,
                 c: Annotated[list[str], Query()] = []) -> Response:  # noqa: B006
    data = _compare(session, c, visible) if any(v.strip() for v in c) else None
    names = [country_name(x.iso3, x.name) for x in data.countries] if data else []
    chart = (compare_svg([(name, x.placements) for name, x in zip(names, data.countries, strict=True)], data.years,
                         i18n.gettext(N_("Tier by report year: %(countries)s")) % {"countries": ", ".join(names)},
                         words=i18n.gettext) if data else "")
    query = "&".join(f"c={x.iso3}" for x in data.countries) if data else ""
    ranked = set(opendata.placement_history(session)[0])
    return templates.TemplateResponse(request, "publish/compare.html", {
        "data": data, "chart": chart, "countries": [k for k in country_table() if k.iso3 in ranked],
        "absent_words": {"not_ranked": N_("not ranked"), "not_in_sources": N_("not in the sources we have")},
        "json_url": f"/api/v1/compare?{query}" if data else None})


# --- open data ----------------------------------------------------------------------------------------------


class ColumnOut(BaseModel):
    name: str
    type: str
    description: str


class TableOut(BaseModel):
    name: str
    description: str
    filtered_by_year: bool
    columns: list[ColumnOut]


class DictionaryOut(BaseModel):
    tables: list[TableOut]
    csv: dict[str, str]
    cite: dict[str, Any] = Field(description="How to cite: title, version, date, the licence of the code and of "
                                             "each data source")


@api.get("/data/dictionary.json", response_model=DictionaryOut, summary="The data dictionary: every table and column",
         dependencies=PUBLIC)
def api_dictionary() -> dict[str, Any]:
    return opendata.data_dictionary()


@api.get("/data/tiptiers.zip", summary="The whole dataset: every table as CSV and Parquet, with the dictionary",
         response_class=Response, responses={200: {"content": {"application/zip": {}}}})
def api_zip(request: Request, session: SessionDep, visible: Visible) -> Response:
    return cached(request, opendata.dataset_zip(session, now=visible.now), "application/zip",
                  {"Content-Disposition": 'attachment; filename="tiptiers.zip"'})


MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "parquet": "application/vnd.apache.parquet"}


@api.get("/data/{table}.{fmt}", summary="One table as CSV, JSON or Parquet (optionally one year: ?year=2008)",
         response_class=Response, responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}},
                                             404: {"description": "Unknown table or format"}})
def api_table(table: str, fmt: str, request: Request, session: SessionDep, visible: Visible,
              year: ReportYearQuery) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, f"format: {fmt!r} is not one of {', '.join(MEDIA)}")
    try:
        dataset, rows = opendata.export_rows(session, table, year, visible.now)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    suffix = f"-{year}" if year else ""
    return cached(request, opendata.serialise(dataset, rows, fmt), MEDIA[fmt],
                  {"Content-Disposition": f'inline; filename="{table}{suffix}.{fmt}"'})


@pages.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> Response:
    return page(request, "publish/data.html", {"dictionary": opendata.data_dictionary(),
                                               "json_url": "/api/v1/data/dictionary.json"})


# --- publication schedule ----------------------------------------------------------------------------------


class PublicationOut(BaseModel):
    year: int
    published_at: datetime
    public: bool
    scheduled: bool

    @field_validator("published_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:  # SQLite gives naive datetimes: they are UTC, say so (RFC 3339)
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class PublicationIn(BaseModel):
    publish_at: datetime = Field(description="Publication time; naive values are UTC")
    note: str = ""


@api.get("/publications.json", response_model=list[PublicationOut], summary="Published report years and their times",
         dependencies=PUBLIC)
def api_publications(session: SessionDep, visible: Visible) -> list[PublicationOut]:
    rows = opendata.DATASETS["publications"].rows(session, None, visible.now)
    return [PublicationOut(year=r["year"], published_at=r["published_at"], public=True, scheduled=r["scheduled"])
            for r in rows]


@api.put("/publications/{year}", response_model=PublicationOut, dependencies=PUBLISHERS,
         summary="Schedule (or move) a report year's publication; consults the review gate")
def api_schedule(year: ReportYear, body: PublicationIn, request: Request) -> PublicationOut:
    try:
        with transaction(request.app.state.sessions) as session:
            row, _report = pubstore.schedule_publication(session, year, body.publish_at, _user_name(request),
                                                         body.note)
            reportpdf.queue_at_publication(session, year, row.publish_at)  # by the queue, at that time
            public = pubstore.is_public(session, year)
            activity.record(session, _user_name(request), "publication.schedule", f"publication:{year}", None,
                            {"publish_at": row.publish_at.isoformat(), "note": row.note})
    except pubstore.PublicationError as exc:
        raise HTTPException(422, str(exc)) from None
    return PublicationOut(year=row.year, published_at=row.publish_at, public=public, scheduled=True)
