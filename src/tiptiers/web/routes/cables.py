"""Cables, search and the country timeline. Each page has a JSON twin under /api/v1."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.sources.cables import Cable
from tiptiers.sources.reactions import reaction_labels, split_sentences
from tiptiers.store.cables import CableRecord, get_cable, timeline_page
from tiptiers.store.search import SNIPPET_END, SNIPPET_START, SearchFilters, SearchQueryError, search
from tiptiers.web.deps import (
    ReportYearQuery,
    SessionDep,
    TimelineOut,
    Visibility,
    Visible,
    country_or_404,
    country_timeline,
    templates,
)
from tiptiers.web.pagecache import PUBLIC

# Bounds on paging and versions: a number past 64 bits reached the database driver and was a 500.
MAX_OFFSET = 1_000_000
MAX_VERSION = 2**31 - 1

api = APIRouter(prefix="/api/v1", tags=["cables"])
pages = APIRouter(include_in_schema=False)

_CABLE = TypeAdapter(Cable)
CLASSIFICATIONS = ("UNCLASSIFIED", "LIMITED OFFICIAL USE", "CONFIDENTIAL", "SECRET", "TOP SECRET")


def marked(snippet: str) -> Markup:
    """A search snippet, HTML-escaped, with the matched words in <mark>."""
    return Markup(str(escape(snippet)).replace(SNIPPET_START, "<mark>").replace(SNIPPET_END, "</mark>"))


templates.env.filters["marked"] = marked
templates.env.globals["split_sentences"] = split_sentences


class CitationOut(BaseModel):
    paragraph: int | None
    sentence: str
    rule: str
    speaker: str | None = None  # who says it, as the cable names them


class ReactionOut(BaseModel):
    code: str
    label: str
    citations: list[CitationOut]


class DisputedClaimOut(BaseModel):
    claim: str
    sentence: str
    paragraph: int | None
    speaker: str | None
    rule: str


class CableOut(BaseModel):
    reference_id: str
    version: int
    source: str
    ingested_at: datetime
    cable: Cable
    reactions: list[ReactionOut]
    disputed_claims: list[DisputedClaimOut]


class SearchHitOut(BaseModel):
    kind: str
    ref_id: str
    title: str
    snippet: str
    iso3: str | None
    year: int | None
    classification: str | None
    tags: list[str]
    reactions: list[str]
    url: str | None


class SearchOut(BaseModel):
    query: str
    filters: dict[str, str | int | None]
    total: int
    total_exact: bool = True  # False: at least `total` match
    ranked_among: int | None = None  # the best were chosen among this many most recently indexed matches
    hits: list[SearchHitOut]


def _cable_out(record: CableRecord) -> CableOut:
    labels = reaction_labels()
    return CableOut(
        reference_id=record.reference_id, version=record.version, source=record.source,
        ingested_at=record.ingested_at, cable=_CABLE.validate_python(record.parsed),
        reactions=[ReactionOut(code=r.code, label=labels.get(r.code, r.code),
                               citations=[CitationOut(**c) for c in r.citations]) for r in record.reaction_rows],
        disputed_claims=[DisputedClaimOut(claim=c.claim, sentence=c.sentence, paragraph=c.paragraph,
                                          speaker=c.speaker, rule=c.rule) for c in record.disputed_claims],
    )


def _cable_or_404(session: Session, reference_id: str, version: int | None) -> CableOut:
    if not reference_id.isalnum() or len(reference_id) > 40:
        raise HTTPException(422, f"reference id {reference_id!r}: letters and digits only, e.g. 08TOKYO1528")
    record = get_cable(session, reference_id, version)
    if record is None:
        raise HTTPException(404, f"no cable {reference_id.upper()}" + (f" version {version}" if version else ""))
    return _cable_out(record)


@api.get("/cables/{reference_id}", response_model=CableOut, summary="A cable: every parsed field, reactions, claims",
         responses={404: {"description": "No such cable"}, 422: {"description": "Malformed reference id"}},
         dependencies=PUBLIC)
def api_cable(reference_id: str, session: SessionDep,
              version: int | None = Query(None, ge=1, le=MAX_VERSION, description="An earlier version")) -> CableOut:
    return _cable_or_404(session, reference_id, version)


@pages.get("/cables/{reference_id}", dependencies=PUBLIC, response_class=HTMLResponse)
def cable_page(reference_id: str, request: Request, session: SessionDep,
               version: int | None = Query(None, ge=1, le=MAX_VERSION)) -> Response:
    data = _cable_or_404(session, reference_id, version)
    cited: dict[str, list[str]] = {}
    for r in data.reactions:
        for c in r.citations:
            cited.setdefault(c.sentence, []).append(r.code)
    suffix = f"?version={version}" if version else ""
    return templates.TemplateResponse(
        request, "cable.html",
        {"data": data, "cable": data.cable, "cited": cited,
         "country": country_table().get(data.cable.iso3) if data.cable.iso3 else None,
         "json_url": f"/api/v1/cables/{data.reference_id}{suffix}"},
    )


# --- search -------------------------------------------------------------------------------------------------

def _filters(country: str | None, year: int | None, tag: str | None, classification: str | None,
             reaction: str | None, kind: str | None) -> SearchFilters:
    """Query parameters as typed in a form (empty = no filter), each checked with a message naming it."""
    iso3 = None
    if country:
        found = country_table().find(country)
        if found is None:
            raise HTTPException(422, f"country: unknown country {country!r}; use an ISO alpha-3 code such as JPN")
        iso3 = found.iso3
    if reaction and reaction not in reaction_labels():
        raise HTTPException(422, f"reaction: unknown code {reaction!r}; one of {', '.join(reaction_labels())}")
    if kind and kind not in ("cable", "evidence"):
        raise HTTPException(422, f"kind: {kind!r} is neither 'cable' nor 'evidence'")
    if tag and (not tag.isalnum() or len(tag) > 12):
        raise HTTPException(422, f"tag: {tag!r} is not a TAGS code such as KTIP or JA")
    return SearchFilters(kind=kind or None, iso3=iso3, year=year, tag=tag or None,
                         classification=classification or None, reaction=reaction or None)


def _visible(filters: SearchFilters, visible: Visibility) -> SearchFilters:
    """Evidence statements are draft claims, for staff only: everyone else searches the cables alone."""
    if visible.staff:
        return filters
    return replace(filters, visible_classifications=frozenset(CLASSIFICATIONS))


def _search(session: Session, q: str, filters: SearchFilters, limit: int, offset: int) -> SearchOut:
    try:
        results = search(session, q, filters, limit=limit, offset=offset)
    except SearchQueryError as exc:
        raise HTTPException(422, f"q: {exc}") from exc
    return SearchOut(
        query=q,
        filters={"country": filters.iso3, "year": filters.year, "tag": filters.tag,
                 "classification": filters.classification, "reaction": filters.reaction, "kind": filters.kind},
        total=results.total,
        total_exact=results.total_exact,
        ranked_among=results.ranked_among,
        hits=[SearchHitOut(kind=h.kind, ref_id=h.ref_id, title=h.title, snippet=h.snippet, iso3=h.iso3,
                           year=h.year, classification=h.classification, tags=list(h.tags),
                           reactions=list(h.reactions), url=f"/cables/{h.ref_id}" if h.kind == "cable" else None)
              for h in results.hits],
    )



def country_matches(q: str, limit: int = 8) -> list[tuple[str, str]]:
    """(name, iso3) of the countries a search names: any name or alias the country table knows (Burma, Myanmar,
    Côte d'Ivoire, Ivory Coast, JPN), whole or as the start of a word; exact matches first."""
    folded = " ".join(q.casefold().split())
    if len(folded) < 3:
        one = country_table().find(q) if folded else None
        return [(one.name, one.iso3)] if one else []
    table = country_table()
    exact: list[str] = []
    partial: list[str] = []
    for key, iso3 in table.names():
        if iso3 is None:
            continue
        if key == folded:
            exact.append(iso3)
        elif key.startswith(folded) or f" {folded}" in key:
            partial.append(iso3)
    found = list(dict.fromkeys(exact + sorted(partial, key=lambda i: table.by_iso3[i].name)))[:limit]
    return [(table.by_iso3[i].name, i) for i in found]


@api.get("/search", dependencies=PUBLIC, response_model=SearchOut, summary="Full-text search over cables and evidence",
         description="Words are ANDed; \"a phrase\", OR and -word work as in web search. Snippets mark matches "
                     "between \\u0002 and \\u0003.", responses={422: {"description": "A filter is invalid"}})
def api_search(session: SessionDep, year: ReportYearQuery, q: str = Query("", max_length=500),
               country: str | None = None, tag: str | None = None, classification: str | None = None,
               reaction: str | None = None, kind: str | None = None, limit: int = Query(20, ge=1, le=100),
               offset: int = Query(0, ge=0, le=MAX_OFFSET), *, visible: Visible) -> SearchOut:
    filters = _visible(_filters(country, year, tag, classification, reaction, kind), visible)
    return _search(session, q, filters, limit, offset)


@pages.get("/search", dependencies=PUBLIC, response_class=HTMLResponse)
def search_page(request: Request, session: SessionDep, year: ReportYearQuery, q: str = Query("", max_length=500),
                country: str | None = None, tag: str | None = None,
                classification: str | None = None, reaction: str | None = None, kind: str | None = None,
                offset: int = Query(0, ge=0, le=MAX_OFFSET), *, visible: Visible) -> Response:
    filters = _visible(_filters(country, year, tag, classification, reaction, kind), visible)
    searched = bool(q.strip()) or any((country, year, tag, classification, reaction, kind))
    data = _search(session, q, filters, 20, offset) if searched else None
    params = {"q": q, "country": country or "", "year": str(year or ""), "tag": tag or "",
              "classification": classification or "", "reaction": reaction or "", "kind": kind or ""}
    query_string = "&".join(f"{k}={escape(v)}" for k, v in params.items() if v)
    return templates.TemplateResponse(
        request, "search.html",
        {"data": data, "params": params, "offset": offset, "reactions": reaction_labels(),
         "countries": country_matches(q) if q.strip() and not offset else [],
         "classifications": CLASSIFICATIONS, "query_string": query_string,
         "json_url": f"/api/v1/search?{query_string}" if searched else "/api/v1/search"},
    )


@api.get("/countries/{iso3}/timeline", dependencies=PUBLIC, response_model=TimelineOut,
         summary="A country's placements and cables with their reaction codes, by report year",
         responses={404: {"description": "Unknown country"}})
def api_timeline(iso3: str, session: SessionDep, visible: Visible) -> TimelineOut:
    return country_timeline(session, iso3, visible)


# --- a country's cables, paged and filtered -----------------------------------------------------------------------

PAGE_SIZE = 50


class CableRowOut(BaseModel):
    reference_id: str
    date: str | None  # the day it was sent, ISO
    report_year: int | None
    subject: str | None
    classification: str
    tags: list[str]
    reactions: list[str]
    url: str


class CountryCablesOut(BaseModel):
    iso3: str
    name: str
    filters: dict[str, str | int | None]
    total: int  # the cables that pass the filters
    offset: int
    limit: int
    cables: list[CableRowOut]
    next: str | None = None  # the next page's address, if there is one
    previous: str | None = None


def _country_cables(session: Session, iso3: str, year: int | None, tag: str | None, classification: str | None,
                    reaction: str | None, offset: int, limit: int, base: str) -> CountryCablesOut:
    country = country_or_404(iso3)
    checked = _filters(None, year, tag, classification, reaction, None)  # the same checks and messages as search
    if checked.classification and checked.classification.upper() not in CLASSIFICATIONS:
        raise HTTPException(422, f"classification: {classification!r} is not one of {', '.join(CLASSIFICATIONS)}")
    page = timeline_page(session, country.iso3, year=checked.year, tag=checked.tag,
                         classification=checked.classification, reaction=checked.reaction, limit=limit, offset=offset)
    filters: dict[str, str | int | None] = {"year": checked.year, "tag": checked.tag,
                                             "classification": checked.classification, "reaction": checked.reaction}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v is not None)

    def at(start: int) -> str:
        parts = [p for p in (query, f"offset={start}" if start else "", f"limit={limit}" if limit != PAGE_SIZE else "")
                 if p]
        return base + ("?" + "&".join(parts) if parts else "")

    return CountryCablesOut(
        iso3=country.iso3, name=country.name, filters=filters, total=page.total, offset=offset, limit=limit,
        cables=[CableRowOut(reference_id=c.reference_id, date=c.sent_at.date().isoformat() if c.sent_at else None,
                            report_year=c.report_year, subject=c.subject, classification=c.classification,
                            tags=list(c.tags), reactions=list(c.reactions), url=f"/cables/{c.reference_id}")
                for c in page.cables],
        next=at(offset + limit) if offset + limit < page.total else None,
        previous=at(max(0, offset - limit)) if offset > 0 else None,
    )


@api.get("/countries/{iso3}/cables", response_model=CountryCablesOut,
         summary="A country's cables, oldest first, a page at a time, filtered by report year, tag, classification "
                 "and reaction", responses={404: {"description": "Unknown country"},
                                            422: {"description": "A filter is invalid"}})
def api_country_cables(iso3: str, session: SessionDep, year: ReportYearQuery, tag: str | None = None,
                       classification: str | None = None, reaction: str | None = None,
                       offset: int = Query(0, ge=0, le=MAX_OFFSET),
                       limit: int = Query(PAGE_SIZE, ge=1, le=200)) -> CountryCablesOut:
    return _country_cables(session, iso3, year, tag, classification, reaction, offset, limit,
                           f"/api/v1/countries/{iso3.upper()}/cables")


@pages.get("/countries/{iso3}/cables", response_class=HTMLResponse)
def country_cables_page(request: Request, iso3: str, session: SessionDep, year: ReportYearQuery,
                        tag: str | None = None, classification: str | None = None, reaction: str | None = None,
                        offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    data = _country_cables(session, iso3, year, tag, classification, reaction, offset, PAGE_SIZE,
                           f"/countries/{iso3.upper()}/cables")
    query = "&".join(f"{k}={v}" for k, v in data.filters.items() if v is not None)
    return templates.TemplateResponse(
        request, "cables_country.html",
        {"data": data, "reactions": reaction_labels(), "classifications": CLASSIFICATIONS,
         "json_url": f"/api/v1/countries/{data.iso3}/cables" + (f"?{query}" if query else "")},
    )
