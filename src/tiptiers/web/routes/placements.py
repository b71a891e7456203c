"""Placements: the latest year, a year, a country. Each page has a JSON twin under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.engine.model import Override
from tiptiers.publish.charts import tier_history_svg
from tiptiers.publish.movements import summary
from tiptiers.publish.opendata import year_movements
from tiptiers.store import cycle
from tiptiers.store.engine import list_overrides
from tiptiers.store.placements import (
    country_history,
    report_years,
    tier_counts,
    year_coverage,
    year_placements,
)
from tiptiers.tiers import TIER_ORDER, Tier
from tiptiers.web import i18n, i18n_texts
from tiptiers.web.deps import (
    SessionDep,
    Visibility,
    Visible,
    VisibleYear,
    absent_years,
    country_or_404,
    country_timeline,
    templates,
)
from tiptiers.web.pagecache import PUBLIC

api = APIRouter(prefix="/api/v1", tags=["placements"])
pages = APIRouter(include_in_schema=False)


class PlacementOut(BaseModel):
    iso3: str
    country: str
    year: int
    tier: Tier
    override: Override | None = Field(
        None, description="Present when an override is recorded for this country-year: the determination was set to "
                          "override.tier instead of the computed tier, by override.author, for override.justification. "
                          "`tier` stays the published tier.")


class YearPlacements(BaseModel):
    year: int
    counts: dict[str, int]
    placements: list[PlacementOut]


class CountryPlacements(BaseModel):
    iso3: str
    name: str
    placements: list[PlacementOut]
    unplaced_overrides: list[Override] = Field(
        default_factory=list, description="Overrides recorded for years in which the country has no placement")


class YearSummary(BaseModel):
    year: int
    counts: dict[str, int]


def _year_data(session: Session, visible: Visibility, year: int) -> YearPlacements:
    rows = year_placements(session, year)
    if not rows:
        raise HTTPException(404, f"year: no placements for report year {year} ({visible.known_years()})")
    counts = {t.value: 0 for t in TIER_ORDER}
    for p in rows:
        counts[p.tier] += 1
    overrides = {o.iso3: o for o in list_overrides(session, year=year)}
    return YearPlacements(
        year=year,
        counts=counts,
        placements=[PlacementOut(iso3=p.iso3, country=p.country.name, year=p.year, tier=Tier(p.tier),
                                 override=overrides.get(p.iso3)) for p in rows],
    )


def _country_data(session: Session, iso3: str, visible: Visibility) -> CountryPlacements:
    country = country_or_404(iso3)
    rows = country_history(session, country.iso3)
    overrides = {o.year: o for o in list_overrides(session, iso3=country.iso3)}
    shown = visible.years([p.year for p in rows] + list(overrides))
    rows = [p for p in rows if p.year in shown]
    overrides = {y: o for y, o in overrides.items() if y in shown}
    placed = {p.year for p in rows}
    return CountryPlacements(
        iso3=country.iso3,
        name=country.name,
        placements=[PlacementOut(iso3=p.iso3, country=country.name, year=p.year, tier=Tier(p.tier),
                                 override=overrides.get(p.year)) for p in rows],
        unplaced_overrides=[o for y, o in overrides.items() if y not in placed],
    )


@api.get("/years", response_model=list[YearSummary], summary="Report years with the count of countries per tier",
         dependencies=PUBLIC)
def api_years(session: SessionDep, visible: Visible) -> list[YearSummary]:
    counts = tier_counts(session)  # one query, not one per year
    return [YearSummary(year=y, counts={t.value: counts[y].get(t.value, 0) for t in TIER_ORDER})
            for y in visible.years(counts)]


@api.get("/years/{year}/placements", response_model=YearPlacements, summary="Every placement of one report year",
         responses={404: {"description": "No placements for that year"}}, response_model_exclude_none=True,
         dependencies=PUBLIC)
def api_year(year: VisibleYear, session: SessionDep, visible: Visible) -> YearPlacements:
    return _year_data(session, visible, year)


@api.get("/countries/{iso3}/placements", dependencies=PUBLIC, response_model=CountryPlacements,
         summary="A country's placement by report year", responses={404: {"description": "Unknown country"}},
         response_model_exclude_none=True)
def api_country(iso3: str, session: SessionDep, visible: Visible) -> CountryPlacements:
    return _country_data(session, iso3, visible)


def _year_page(request: Request, session: Session, visible: Visibility, year: int, home: bool) -> Response:
    data = _year_data(session, visible, year)
    by_tier = {t.value: [p for p in data.placements if p.tier == t] for t in TIER_ORDER}
    years = visible.years(report_years(session))
    published = visible.published_years(years)
    changes = None
    if home and year in published and year - 1 in published:  # release day: the changes lead the home page
        changes = summary(visible.published(("movements", year),
                                            lambda: year_movements(session, [year], published)[year], reads=[year]))
    coverage = year_coverage(session, year)
    return templates.TemplateResponse(
        request, "year.html",
        {"data": data, "by_tier": by_tier, "years": years, "home": home, "changes": changes,
         "movements": year in published and year - 1 in published,
         "coverage": i18n_texts.coverage_summary(coverage, len(data.placements)),
         "absent": i18n_texts.absent_means(coverage, ""),
         "complete": coverage.complete,
         "json_url": f"/api/v1/years/{year}/placements", "lists": cycle.year_lists(session, year),
         "list_titles": cycle.LISTS},
    )


@pages.get("/", dependencies=PUBLIC, response_class=HTMLResponse)
def home(request: Request, session: SessionDep, visible: Visible) -> Response:
    years = visible.years(report_years(session))
    if not years:
        raise HTTPException(404, "no published placements in the database yet: run `tiptiers init`")
    return _year_page(request, session, visible, max(years), home=True)


@pages.get("/years/{year}", dependencies=PUBLIC, response_class=HTMLResponse)
def year_page(year: VisibleYear, request: Request, session: SessionDep, visible: Visible) -> Response:
    return _year_page(request, session, visible, year, home=False)


@pages.get("/countries/{iso3}", dependencies=PUBLIC, response_class=HTMLResponse)
def country_page(iso3: str, request: Request, session: SessionDep, visible: Visible) -> Response:
    if iso3 != iso3.upper() or country_table().get(iso3) is None:
        found = country_table().find(iso3)  # /countries/japan -> /countries/JPN
        if found:
            return RedirectResponse(f"/countries/{found.iso3}", status_code=301)
    data = _country_data(session, iso3, visible)
    absent = absent_years(session, data.iso3, [p.year for p in data.placements], visible.years(report_years(session)))
    chart = tier_history_svg([(p.year, p.tier.value) for p in data.placements],
                             i18n_texts.history_chart_title(data.iso3, data.name), absent=absent, words=i18n.gettext)
    rows = sorted([(p.year, p, None) for p in data.placements] + [(y, None, why) for y, why in absent.items()],
                  key=lambda r: r[0])
    return templates.TemplateResponse(
        request, "country.html",
        {"data": data, "chart": chart, "rows": rows, "json_url": f"/api/v1/countries/{data.iso3}/placements",
         "timeline": country_timeline(session, data.iso3, visible)},
    )
