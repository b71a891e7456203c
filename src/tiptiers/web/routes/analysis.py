"""Fairness and robustness on the web: the dominance audit with a scatter, the ordered logit fit, and the tier
probabilities of a robustness run as bars. Every page has its JSON twin under /api/v1/analysis.

Pages draw their charts as server-side SVG (no script needed); /static/analysis.js only filters the pairs table
when a point is clicked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tiptiers.analysis.dominance import summarise
from tiptiers.analysis.ordinal import FitError
from tiptiers.analysis.robustness import Parameters
from tiptiers.analysis.views import (
    ConsistencySummaryView,
    ConsistencyView,
    OrdinalView,
    RobustnessView,
    odds_view,
    ordinal_view,
    summary_view,
)
from tiptiers.store.analysis import (
    INDICATORS,
    compute_robustness,
    consistency,
    consistency_json,
    consistency_years,
    country_names,
    get_run,
    latest_run,
    list_runs,
    ordinal,
    placed_tiers,
    run_view,
)
from tiptiers.store.db import fits_id
from tiptiers.store.placements import report_years
from tiptiers.tiers import TIER_ORDER, Tier
from tiptiers.web.deps import FieldErrors, SessionDep, Visibility, Visible, VisibleYear, templates
from tiptiers.web.i18n import N_
from tiptiers.web.pagecache import PUBLIC

api = APIRouter(prefix="/api/v1", tags=["analysis"], route_class=FieldErrors)
pages = APIRouter(include_in_schema=False)

# A run asked for on the web is computed in the request, by anyone: bounded to the default (about 0.1 s for a
# year; 100,000 took seconds of a core per request), and kept for a published year until its data changes. More
# draws: `tiptiers robustness --draws N` stores a run, which the page then shows.
WEB_MAX_DRAWS = 10_000
TIER_CODES = [t.value for t in TIER_ORDER[:4]]


def _indicator(value: str) -> str:
    if value not in INDICATORS:
        raise HTTPException(422, f"indicator: {value!r} is not one of {', '.join(INDICATORS)}")
    return value


def _years(visible: Visibility, indicator: str) -> list[int]:
    """The years with data for the indicator that this visitor may see."""
    return visible.years(consistency_years(visible.session, _indicator(indicator)))


def _audit_year(visible: Visibility, year: int, indicator: str) -> int:
    years = _years(visible, indicator)
    if year not in years:
        raise HTTPException(404, f"year: no {indicator} data with placements for {year}; years with data: "
                                 f"{', '.join(map(str, years)) or 'none'}")
    return year


# --- JSON ------------------------------------------------------------------------------------------------------


def _consistency(visible: Visibility, year: int, indicator: str) -> ConsistencyView:
    year = _audit_year(visible, year, indicator)
    return visible.published(("consistency", year, indicator),
                             lambda: consistency_json(consistency(visible.session, year, indicator)), reads=[year])


def _summary(visible: Visibility, indicator: str, top: int) -> ConsistencySummaryView:
    years = _years(visible, indicator)
    return visible.published(("consistency summary", indicator, top), lambda: summary_view(
        summarise([consistency(visible.session, y, indicator).audit for y in years], top)), reads=years)


def _model(visible: Visibility, year: int, indicator: str, top: int) -> OrdinalView:
    year = _audit_year(visible, year, indicator)
    try:
        return visible.published(("model", year, indicator, top),
                                 lambda: ordinal_view(ordinal(visible.session, year, indicator), top), reads=[year])
    except FitError as exc:
        raise HTTPException(422, f"year: {exc}") from None


class RunSummary(BaseModel):
    run_id: int
    year: int
    methodology: str
    parameters: dict[str, object]
    created_at: str


def _robustness(visible: Visibility, year: int, run: int | None, draws: int | None, seed: int | None,
                p_evidence: float | None, q_rating: float | None, vary_thresholds: bool | None) -> RobustnessView:
    session = visible.session
    if year not in report_years(session):
        raise HTTPException(404, f"year: no placements for report year {year}")
    if run is not None:
        stored = get_run(session, run) if fits_id(run) else None
        if stored is None or stored.year != year:
            raise HTTPException(404, f"run: no robustness run {run} for {year}")
        return run_view(stored)
    asked = (draws, seed, p_evidence, q_rating, vary_thresholds)
    if all(v is None for v in asked):
        latest = latest_run(session, year)
        if latest is not None:
            return run_view(latest)
    defaults = Parameters()
    try:
        params = Parameters(
            draws=defaults.draws if draws is None else draws, seed=defaults.seed if seed is None else seed,
            p_evidence=defaults.p_evidence if p_evidence is None else p_evidence,
            q_rating=defaults.q_rating if q_rating is None else q_rating,
            vary_thresholds=defaults.vary_thresholds if vary_thresholds is None else vary_thresholds)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if params.draws > WEB_MAX_DRAWS:
        raise HTTPException(422, f"draws: at most {WEB_MAX_DRAWS:,} on the web; use `tiptiers robustness`")
    return visible.published(("robustness", year, params), lambda: _computed_run(session, year, params), reads=[year])


def _computed_run(session: Session, year: int, params: Parameters) -> RobustnessView:
    data, result = compute_robustness(session, year, params)
    placed = placed_tiers(session, year)
    names = country_names(session)
    countries = [odds_view(o, names.get(o.iso3, o.iso3), src, placed.get(o.iso3))
                 for o, src in zip(result.countries, data.sources, strict=True)]
    countries.sort(key=lambda c: (c.stability, c.name))
    return RobustnessView(run_id=None, year=year, methodology=result.methodology, parameters=params.as_dict(),
                          bounds=result.bounds, seconds=result.seconds, created_at=None, countries=countries,
                          sources={"assessment": data.sources.count("assessment"), "3p": data.sources.count("3p"),
                                   "left_out": data.left_out})


@api.get("/analysis/consistency/{year}", dependencies=PUBLIC, response_model=ConsistencyView,
         summary="Dominance audit of one report year")
def api_consistency(year: VisibleYear, visible: Visible, indicator: str = Query("3p", description="3p or ratings"),
                    country: str = Query("", description="pairs with this country on either side (code or part "
                                         "of a name), as the page's filter"),
                    gap: str = Query("", description="pairs at least this many tiers apart: 1, 2 or 3"),
                    sort: str = Query("", description="gap (widest first, the default), score or country")
                    ) -> ConsistencyView:
    """Every pair where a country scores at least as well on every indicator (and better on one) yet sits in a
    worse tier; countries with a missing score are not compared, and counted. Filtered and sorted as the page and
    its CSV are (every page of them)."""
    view = _consistency(visible, year, indicator)
    return view.model_copy(update={"pairs": _pairs(view, *_pair_filters(country, gap, sort))})


@api.get("/analysis/consistency", response_model=ConsistencySummaryView, summary="Dominance audit, every year",
         dependencies=PUBLIC)
def api_consistency_summary(visible: Visible, indicator: str = Query("3p", description="3p or ratings"),
                            top: int = Query(15, ge=1, le=200)) -> ConsistencySummaryView:
    return _summary(visible, indicator, top)


@api.get("/analysis/model/{year}", response_model=OrdinalView, summary="Ordered logit of the tier on the index",
         dependencies=PUBLIC)
def api_model(year: VisibleYear, visible: Visible, indicator: str = Query("3p", description="3p or ratings"),
              top: int = Query(10, ge=1, le=200)) -> OrdinalView:
    return _model(visible, year, indicator, top)


@api.get("/analysis/robustness/{year}", response_model=RobustnessView, summary="Tier probabilities of a year")
def api_robustness(year: VisibleYear, visible: Visible, run: int | None = None, draws: int | None = None,
                   seed: int | None = None, p_evidence: float | None = None, q_rating: float | None = None,
                   vary_thresholds: bool | None = None) -> RobustnessView:
    """The latest stored run of the year (or `run`); with any parameter given, or no stored run, a run computed
    now and not stored (run_id null). Store runs with `tiptiers robustness`."""
    return _robustness(visible, year, run, draws, seed, p_evidence, q_rating, vary_thresholds)


@api.get("/analysis/robustness/{year}/runs", response_model=list[RunSummary], summary="Stored robustness runs")
def api_runs(year: VisibleYear, session: SessionDep) -> list[RunSummary]:
    return [RunSummary(run_id=r.id, year=r.year, methodology=r.methodology, parameters=r.parameters,
                       created_at=r.created_at.isoformat(timespec="seconds") + "Z") for r in list_runs(session, year)]


# --- charts ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    iso3: str
    name: str
    tier: str
    x: float
    y: float
    r: float
    total: float
    pairs: int


@dataclass(frozen=True)
class Scatter:
    width: int
    height: int
    points: list[Point]
    xticks: list[tuple[float, str]]
    yticks: list[tuple[float, str]]


def scatter(view: ConsistencyView) -> Scatter:
    """Each country in a pair at (sum of its scores, tier), on a small grid within its cell."""
    width, height, left, right, top, bottom = 720, 320, 110, 30, 10, 40
    counts: dict[str, int] = {}
    for p in view.pairs:
        counts[p.better.iso3] = counts.get(p.better.iso3, 0) + 1
        counts[p.worse.iso3] = counts.get(p.worse.iso3, 0) + 1
    rows: dict[str, tuple[str, str, str, float]] = {}
    for p in view.pairs:
        for s in (p.better, p.worse):
            rows[s.iso3] = (s.iso3, s.name, s.tier.value, float(sum(v or 0 for v in s.scores)))
    totals = [r[3] for r in rows.values()] or [0.0, 1.0]
    lo, hi = min(totals), max(totals)
    hi = hi if hi > lo else lo + 1
    band = (height - top - bottom) / 4
    cells: dict[tuple[float, str], int] = {}
    points = []
    for iso3, name, tier, total in sorted(rows.values(), key=lambda r: (r[2], r[3], r[1])):
        k = cells.get((total, tier), 0)
        cells[(total, tier)] = k + 1
        col, row = k % 5, (k // 5) % 7  # a 5 x 7 grid of 8 px per cell, so that points do not hide each other
        x = left + (total - lo) / (hi - lo) * (width - left - right) + (col - 2) * 8
        y = top + band * (Tier(tier).rank + 0.5) + (row - 1) * 8
        points.append(Point(iso3, name, tier, round(x, 1), round(y, 1), 3.5, total, counts[iso3]))
    step = max(1, round((hi - lo) / 6))
    xticks = [(round(left + (v - lo) / (hi - lo) * (width - left - right), 1), f"{v:g}")
              for v in range(int(lo), int(hi) + 1, step)]
    yticks = [(round(top + band * (t.rank + 0.5), 1), t.label) for t in TIER_ORDER[:4]]
    return Scatter(width, height, points, xticks, yticks)


# --- pages -----------------------------------------------------------------------------------------------------


PAIRS_PER_PAGE = 50
PAIR_SORTS = {"gap": N_("tier gap, widest first"), "score": N_("score, best-scoring first"),
              "country": N_("country name")}


def _pair_filters(country: str, gap: str, sort: str) -> tuple[str, int, str]:
    """The audit table's filters as typed in its form, each checked with a message naming it."""
    if gap and gap not in ("1", "2", "3"):
        raise HTTPException(422, f"gap: {gap!r} is not a tier gap; use 1, 2 or 3")
    if sort and sort not in PAIR_SORTS:
        raise HTTPException(422, f"sort: {sort!r} is not one of {', '.join(PAIR_SORTS)}")
    return country.strip(), int(gap or 1), sort or "gap"


def _pairs(view: ConsistencyView, country: str, gap: int, sort: str) -> list[Any]:
    """The pairs matching a country (code or part of a name, on either side) and a least tier gap, sorted."""
    folded = country.casefold()

    def names(side: Any) -> bool:
        return not folded or side.iso3.casefold() == folded or folded in side.name.casefold()

    rows = [p for p in view.pairs if p.tier_gap >= gap and (names(p.better) or names(p.worse))]
    total = lambda side: sum(x for x in side.scores if x is not None)  # noqa: E731
    key = {"gap": lambda p: (-p.tier_gap, -total(p.better), p.better.name),
           "score": lambda p: (-total(p.better), -p.tier_gap, p.better.name),
           "country": lambda p: (p.better.name, p.worse.name)}[sort]
    return sorted(rows, key=key)


@pages.get("/analysis/consistency/{year}.csv")
def consistency_csv(year: VisibleYear, visible: Visible, indicator: str = Query("3p"), country: str = "",
                    gap: str = "", sort: str = "") -> Response:
    """The audit's pairs as the page shows them (filtered and sorted; every page of them), as CSV."""
    view = _consistency(visible, year, indicator)
    rows = _pairs(view, *_pair_filters(country, gap, sort))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["year", "indicator", "better_scoring_iso3", "better_scoring_country", "better_scoring_scores",
                     "better_scoring_tier", "worse_scoring_iso3", "worse_scoring_country", "worse_scoring_scores",
                     "worse_scoring_tier", "tier_gap"])
    for p in rows:
        def scores(side: Any) -> str:
            return " ".join("" if x is None else f"{x:g}" for x in side.scores)
        writer.writerow([year, indicator, p.better.iso3, p.better.name, scores(p.better), p.better.tier.value,
                         p.worse.iso3, p.worse.name, scores(p.worse), p.worse.tier.value, p.tier_gap])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="tiptiers-consistency-{year}-{indicator}.csv"'})


@pages.get("/analysis/consistency/{year}", dependencies=PUBLIC, response_class=HTMLResponse)
def consistency_page(year: VisibleYear, request: Request, visible: Visible,
                     indicator: str = Query("3p"), country: str = "", gap: str = "", sort: str = "",
                     page: int = Query(1, ge=1, le=10_000)) -> HTMLResponse:
    view = _consistency(visible, year, indicator)
    who, least, order = _pair_filters(country, gap, sort)
    rows = _pairs(view, who, least, order)
    pages_n = max(1, -(-len(rows) // PAIRS_PER_PAGE))
    page = min(page, pages_n)
    query = {k: v for k, v in (("indicator", indicator), ("country", who), ("gap", gap), ("sort", sort)) if v}
    return templates.TemplateResponse(request, "analysis/consistency.html", {
        "data": view, "chart": scatter(view), "years": _years(visible, indicator),
        "rows": rows[(page - 1) * PAIRS_PER_PAGE:page * PAIRS_PER_PAGE], "matched": len(rows), "page": page,
        "pages": pages_n, "per_page": PAIRS_PER_PAGE, "country": who, "gap": gap, "sort": order,
        "sorts": PAIR_SORTS, "query": query, "urlencode": urlencode,
        "csv_url": f"/analysis/consistency/{year}.csv?{urlencode(query)}",
        "json_url": f"/api/v1/analysis/consistency/{year}?{urlencode({'indicator': indicator, **query})}"})


@pages.get("/analysis/consistency", dependencies=PUBLIC, response_class=HTMLResponse)
def consistency_summary_page(request: Request, visible: Visible, indicator: str = Query("3p"),
                             top: int = Query(15, ge=1, le=200)) -> HTMLResponse:
    view = _summary(visible, indicator, top)
    return templates.TemplateResponse(request, "analysis/summary.html", {
        "data": view, "max_pairs": max([y.pairs for y in view.years] or [1]) or 1,
        "json_url": f"/api/v1/analysis/consistency?indicator={indicator}&top={top}"})


@pages.get("/analysis/model/{year}", dependencies=PUBLIC, response_class=HTMLResponse)
def model_page(year: VisibleYear, request: Request, visible: Visible, indicator: str = Query("3p"),
               top: int = Query(10, ge=1, le=200)) -> HTMLResponse:
    view = _model(visible, year, indicator, top)
    return templates.TemplateResponse(request, "analysis/model.html", {
        "data": view, "json_url": f"/api/v1/analysis/model/{year}?indicator={indicator}&top={top}"})


@pages.get("/analysis/robustness/{year}", response_class=HTMLResponse)
def robustness_page(year: VisibleYear, request: Request, visible: Visible, run: int | None = None,
                    draws: int | None = None, seed: int | None = None, p_evidence: float | None = None,
                    q_rating: float | None = None, vary_thresholds: bool | None = None) -> HTMLResponse:
    view = _robustness(visible, year, run, draws, seed, p_evidence, q_rating, vary_thresholds)
    query = str(request.url.query)
    return templates.TemplateResponse(request, "analysis/robustness.html", {
        "data": view, "tiers": TIER_CODES,
        "json_url": f"/api/v1/analysis/robustness/{year}" + (f"?{query}" if query else "")})
