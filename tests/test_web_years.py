"""One report-year type and one visibility check for every route, enumerated from the app itself: a route added later
that takes a year its own way, or serves report data without passing through the check, fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient

from tiptiers.report_years import parse_year
from tiptiers.web import auth, deps
from tiptiers.web.app import create_app

# Routes that read no report-year data at all (so need no visibility check), each with the reason.
NO_REPORT_DATA = {
    "/api/v1/openapi.json": "the API description",
    "/api/v1/session": "who is logged in",
    "/login": "the login form", "/logout": "logging out",
    "/api/v1/methodology": "the law in force, public for every year",
    "/api/v1/data/dictionary.json": "the data dictionary", "/data": "the data dictionary page",
    "/api/v1/cables/{reference_id}": "a cable, public record", "/cables/{reference_id}": "a cable, public record",
    "/api/v1/countries/{iso3}/cables": "a country's cables, public record (no placement)",
    "/countries/{iso3}/cables": "a country's cables, public record (no placement)",
    "/calendar": "a redirect to the calendar of the report being prepared",
    "/call": "the public call's form (countries and the criteria in force) and its submission, which shows nothing",
    "/call/confirm/{token}": "a sender's confirmation: answers only with the new claim's number",
    "/about/{name}": "the methodology and data guide, prose shipped with the package",
    "/palette.css": "the colours (publish/palette.py)", "/favicon.svg": "the icon, from the palette",
}
YEAR_CALLS = set(deps.YEAR_DEPENDENCIES)


def api_routes(app: Any) -> Iterator[tuple[str, str, Dependant]]:
    """(method, path, dependant) of every route, through FastAPI's nested included routers."""

    def walk(items: list[Any]) -> Iterator[tuple[str, str, Dependant]]:
        for route in items:
            if hasattr(route, "effective_route_contexts"):
                for context in route.effective_route_contexts():
                    original = context.original_route
                    if getattr(original, "dependant", None) is not None:
                        for method in original.methods:
                            yield method, context.path, original.dependant
            elif getattr(route, "dependant", None) is not None:
                for method in route.methods:
                    yield method, route.path, route.dependant

    yield from walk(app.routes)


def calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from calls(sub)


def raw_year_params(dependant: Dependant) -> list[str]:
    """Path and query parameters about a year that do not come through one of deps' year types."""
    if dependant.call in YEAR_CALLS:
        return []
    found = [p.name for p in dependant.path_params + dependant.query_params if "year" in p.name.lower()]
    for sub in dependant.dependencies:
        found += raw_year_params(sub)
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from conftest import TestDatabase

    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    yield create_app(db.url)
    db.drop()


def test_every_route_takes_a_year_through_the_report_year_types(app):
    found = list(api_routes(app))
    assert len(found) > 60
    raw = [f"{m} {p}: {', '.join(names)}" for m, p, d in found if (names := raw_year_params(d))]
    assert not raw, "declare these as deps.ReportYear/VisibleYear/PublishedYear/ReportYearQuery:\n" + "\n".join(raw)


def test_every_route_serving_report_data_passes_through_the_visibility_check(app):
    """Either the visitor's Visibility (a public route) or a login (a route for accounts, which checks the role and
    the draft rule itself); nothing else reads the database for a visitor."""
    bypass = [f"{m} {p}" for m, p, d in api_routes(app)
              if deps.visibility not in set(calls(d)) and auth.current_user not in set(calls(d))
              and p not in NO_REPORT_DATA]
    assert not bypass, "routes that bypass deps.Visible (take it, or list them in NO_REPORT_DATA saying why):\n" + \
        "\n".join(bypass)


@pytest.mark.parametrize("spelling", ["02027", "+2027", "2027 ", " 2027", "2027.0", "2_027", "２０２７", "0x7eb",
                                      "2027\x00", "-2027", "1e3", "", "20270", "٢٠٢٧"])
def test_a_year_is_four_ascii_digits_and_nothing_else(spelling):
    with pytest.raises(ValueError, match="is not a year written as four digits"):
        parse_year(spelling)
    assert parse_year("2027") == 2027


def test_a_query_year_in_another_spelling_is_422_naming_the_field(app):
    client = TestClient(app)
    for url in ("/api/v1/methodology?year=02013", "/api/v1/data/placements.csv?year=+2008",
                "/api/v1/search?year=2008.0", "/api/v1/data/placements.csv?year=99999999999999999999"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json()["error"]["detail"].startswith("year: "), url
    assert client.get("/api/v1/methodology?year=2013").status_code == 200


def test_the_what_if_and_the_analyses_show_nothing_of_an_embargoed_year(tmp_path_factory):
    """POST /api/v1/determinations applied the embargoed year's override (tier, justification, author) and the
    robustness routes answered for an embargoed year at all; staff still see both."""
    from datetime import date

    from conftest import TestDatabase
    from tiptiers.engine import Override
    from tiptiers.sources.placements import parse_placements
    from tiptiers.store import users
    from tiptiers.store.db import transaction
    from tiptiers.store.engine import add_override
    from tiptiers.store.placements import import_placements
    from tiptiers.tiers import Tier

    draft = date.today().year + 1
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    try:
        with transaction(db.sessions) as session:
            import_placements(session, parse_placements(f"iso3,year,tier\nJPN,{draft},3\nKOR,{draft},1\n"), "draft")
            add_override(session, Override(iso3="JPN", year=draft, tier=Tier.TIER_3, author="al",
                                           justification="OVERRIDESECRETQX1 the drafters' reason"))
            users.create_user(session, "al", "analyst", "correct horse battery staple")
            token, _ = users.create_api_token(session, "al")
        client = TestClient(create_app(db.url))
        staff = {"Authorization": f"Bearer {token}"}
        ratings = [{"criterion": f"standard_{i}", "level": "partial"} for i in range(1, 5)]
        ratings += [{"criterion": f"criterion_{i}", "level": "substantial"} for i in range(1, 8)]
        body = {"iso3": "JPN", "year": draft, "ratings": ratings}
        assert "OVERRIDESECRETQX1" not in client.post("/api/v1/determinations", json=body).text
        assert "OVERRIDESECRETQX1" in client.post("/api/v1/determinations", json=body, headers=staff).text
        for view in ("country", "workspace"):  # the redraw drawn as the page draws it (engine.js) likewise
            assert "OVERRIDESECRETQX1" not in client.post(f"/determinations?view={view}", json=body).text
            assert "OVERRIDESECRETQX1" in client.post(f"/determinations?view={view}", json=body, headers=staff).text
        for url in (f"/api/v1/analysis/robustness/{draft}", f"/api/v1/analysis/robustness/{draft}/runs",
                    f"/analysis/robustness/{draft}"):
            assert client.get(url).status_code == 404, url
        assert client.get(f"/api/v1/analysis/robustness/{draft}/runs", headers=staff).status_code == 200
    finally:
        db.drop()
