"""The page cache of published pages (web/pagecache.py): an anonymous visitor gets the page rendered once, with its
ETag, gzip and security headers; a correction shows at once, however it was saved; a logged-in view never comes
from or goes into the cache; an embargoed year is never served to the public, and the pages change when a
publication time passes. On SQLite and PostgreSQL (the cache asks each for its data version)."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from tiptiers.publish import pdf
from tiptiers.sources.placements import parse_placements
from tiptiers.store import activity, users
from tiptiers.store import publication as pub
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements
from tiptiers.web.app import create_app
from tiptiers.web.routes import publish as routes

PASSWORD = "correct horse battery staple"
PUBLICATION = datetime(2027, 6, 20, 14, 0)
PAGE, TWIN = "/narratives/JPN/2008", "/api/v1/narratives/JPN/2008.json"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from conftest import TestDatabase

    database = TestDatabase(request.param, tmp_path_factory).load_bundled()
    with transaction(database.sessions) as s:
        import_placements(s, parse_placements("iso3,year,tier\nJPN,2027,3\n", source="draft.csv"), source="draft")
        pub.schedule_publication(s, 2027, PUBLICATION, "admin", now=datetime(2026, 11, 1))
        users.create_user(s, "ana.cache", "analyst", PASSWORD)
    yield database
    database.drop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The time the app sees (embargo, routes, cache), before the 2027 publication unless a test moves it."""
    now = [PUBLICATION - timedelta(days=30)]
    monkeypatch.setattr(pub, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def client(db, clock) -> TestClient:
    return TestClient(create_app(db.url))


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time a route gathers a narrative from the store (a page rendered, not served from the cache)."""
    calls: list[str] = []
    real = routes.country_year

    def counting(session, iso3, year, **kwargs):
        calls.append(f"{iso3} {year}")
        return real(session, iso3, year, **kwargs)

    monkeypatch.setattr(routes, "country_year", counting)
    return calls


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode().split())


def analyst_token(db) -> str:
    with transaction(db.sessions) as s:
        token, _ = users.create_api_token(s, "ana.cache", "test", actor="test")
    return token


def test_an_anonymous_page_is_rendered_once_and_served_with_its_etag_gzip_and_headers(client, renders):
    first = client.get(PAGE)
    again = client.get(PAGE, headers={"accept-encoding": "gzip"})
    assert renders == ["JPN 2008"]  # the second answer came from memory
    assert again.content == first.content and again.headers["content-encoding"] == "gzip"
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.headers["x-frame-options"] == "DENY" and again.headers["cache-control"] == "public, max-age=60"
    with client.stream("GET", PAGE, headers={"accept-encoding": "gzip"}) as raw:
        wire = b"".join(raw.iter_raw())
    assert gzip.decompress(wire) == first.content and len(wire) < len(first.content)
    not_modified = client.get(PAGE, headers={"if-none-match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"] and not_modified.headers["x-frame-options"] == "DENY"
    assert not any("tiptiers" in name for name in again.headers)  # the cache's mark stays inside the app
    assert client.get(TWIN).json()["iso3"] == "JPN" and client.get(TWIN).status_code == 200
    assert renders == ["JPN 2008", "JPN 2008"]


def test_a_correction_is_served_at_once_whoever_saved_it(db, client):
    before = client.get(TWIN).json()
    assert "Cache check" not in before["markdown"]
    with transaction(db.sessions) as s:  # another connection: the CLI, another worker; logged, as every write
        pub.save_narrative(s, "JPN", 2008, "# Japan\n\nCache check one.", "ana", note="first", now=pub.utcnow())
        activity.record(s, "ana", "narrative.save", "narrative:JPN/2008", None, {"note": "first"})
    assert "Cache check one." in client.get(TWIN).json()["html"]
    assert "Cache check one." in client.get(PAGE).text
    saved = client.post("/api/v1/narratives/JPN/2008", headers={"Authorization": f"Bearer {analyst_token(db)}"},
                        json={"markdown": "# Japan\n\nCache check two.", "note": "second"})
    assert saved.status_code == 200, saved.text
    assert "Cache check two." in client.get(PAGE).text
    assert [c["note"] for c in client.get(TWIN).json()["corrections"]][-2:] == ["first", "second"]


def test_a_logged_in_view_never_comes_from_or_goes_into_the_cache(db, client):
    anonymous = client.get(PAGE).text
    assert 'id="login-link"' in anonymous
    analyst = TestClient(client.app)
    assert analyst.post("/api/v1/session", json={"name": "ana.cache", "password": PASSWORD}).status_code == 200
    csrf = analyst.get("/api/v1/session").json()["csrf_token"]
    mine = analyst.get(PAGE)
    assert 'id="current-user"' in mine.text and csrf in mine.text  # not the anonymous page from the cache
    assert "private" in mine.headers["cache-control"]
    again = client.get(PAGE).text
    assert 'id="current-user"' not in again and csrf not in again  # the analyst's page did not go into the cache
    fresh = create_app(db.url)  # an empty cache, filled by the analyst first
    assert 'id="current-user"' in TestClient(fresh, cookies=analyst.cookies).get(PAGE).text
    public = TestClient(fresh).get(PAGE)
    assert 'id="current-user"' not in public.text and csrf not in public.text and 'id="login-link"' in public.text


def test_an_embargoed_year_is_never_served_to_the_public(db, client):
    staff = {"Authorization": f"Bearer {analyst_token(db)}"}
    for url in ("/narratives/JPN/2027", "/api/v1/narratives/JPN/2027.json", "/map/2027"):
        assert client.get(url).status_code == 404, url
        client.get(url, headers=staff)  # staff are let through the embargo middleware; nothing may be kept
        assert client.get(url).status_code == 404, url
    history = client.get(TWIN).json()["history"]
    assert [2027, "3"] not in history and [2015, "2"] in history  # Japan's 2027 tier is not in the 2008 page
    assert ">2027<" not in client.get(PAGE).text


def test_the_pages_change_when_a_publication_time_passes(db, client, clock):
    assert client.get("/narratives/JPN/2027").status_code == 404
    assert [2027, "3"] not in client.get(TWIN).json()["history"]  # cached now
    assert "2027" not in client.get("/map/2008").text
    clock[0] = PUBLICATION + timedelta(seconds=1)  # nobody writes anything: the time passes
    assert client.get("/narratives/JPN/2027").status_code == 200
    assert [2027, "3"] in client.get(TWIN).json()["history"]
    assert 'href="/map/2027"' in client.get("/map/2008").text


def test_a_country_pdf_is_laid_out_again_only_when_its_text_changed(db, client, monkeypatch):
    made: list[int] = []
    real = pdf.html_to_pdf
    monkeypatch.setattr(pdf, "_country_pdfs", OrderedDict())
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: made.append(1) or real(html))
    first = client.get("/narratives/DEU/2008.pdf")
    assert first.status_code == 200 and first.content[:5] == b"%PDF-" and first.headers["etag"]
    with transaction(db.sessions) as s:  # a change to every country of 2008: the page cache drops Germany's PDF
        activity.record(s, "test", "placements.import", "placements:2008", None, None)
    assert client.get("/narratives/DEU/2008.pdf").content == first.content and made == [1]
    with transaction(db.sessions) as s:
        pub.save_narrative(s, "DEU", 2008, "# Germany\n\nCorrected count: 7 shelters.", "ana", note="count",
                           now=pub.utcnow())
        activity.record(s, "ana", "narrative.save", "narrative:DEU/2008", None, {"note": "count"})
    corrected = client.get("/narratives/DEU/2008.pdf").content
    assert made == [1, 1] and "Corrected count: 7 shelters." in pdf_text(corrected)


def test_only_marked_200_responses_without_a_cookie_are_kept(db):
    """The layer around a small app: what it may keep and what it must pass through every time."""
    from types import SimpleNamespace

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from tiptiers.web.pagecache import PageCache, SharedResponse

    calls: list[str] = []

    def endpoint(kind: str):
        def answer(request):
            calls.append(kind)
            if kind == "cookie":
                response = SharedResponse(b"x" * 2000, headers={"ETag": '"c"'})
                response.set_cookie("visitor", "1")
                return response
            if kind == "plain":
                return Response(b"plain")
            if kind == "missing":
                return SharedResponse(b"gone", status_code=404)
            if kind == "brief":
                return SharedResponse(b"brief", keep_for=0)
            return SharedResponse(b"shared", headers={"ETag": '"s"'})
        return answer

    inner = Starlette(routes=[Route(f"/{k}", endpoint(k)) for k in ("cookie", "plain", "missing", "brief", "ok")])
    from tiptiers.web.changes import Changes

    state = SimpleNamespace(sessions=db.sessions)
    client = TestClient(PageCache(inner, Changes(db.engine, db.sessions), state))
    for kind in ("cookie", "plain", "missing", "brief", "ok"):
        for _ in range(3):
            client.get(f"/{kind}")
    assert calls.count("ok") == 1
    assert [calls.count(k) for k in ("cookie", "plain", "missing", "brief")] == [3, 3, 3, 3]
    assert client.get("/ok", headers={"authorization": "Bearer x"}).text == "shared" and calls.count("ok") == 2
    state.publish_now = datetime(2015, 6, 1)  # the static export renders as of a time: nothing from memory
    client.get("/ok")
    assert calls.count("ok") == 3


def test_visitors_arriving_together_wait_for_one_rendering(client, renders):
    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url="http://t") as c:
            return list(await asyncio.gather(*(c.get("/narratives/FRA/2009") for _ in range(12))))

    answers = asyncio.run(together())
    assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
    assert renders == ["FRA 2009"]


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every year or country page and JSON twin gathered from the store (not served from the cache)."""
    from tiptiers.web.routes import placements as placement_routes

    calls: list[str] = []
    year_data, country_data = placement_routes._year_data, placement_routes._country_data
    monkeypatch.setattr(placement_routes, "_year_data", lambda s, v, y: calls.append(f"year {y}") or year_data(s, v, y))
    monkeypatch.setattr(placement_routes, "_country_data",
                        lambda s, c, v: calls.append(f"country {c}") or country_data(s, c, v))
    return calls


def test_the_home_year_and_country_pages_and_their_twins_come_from_memory(client, rendered):
    for url in ("/", "/years/2008", "/countries/JPN", "/api/v1/years/2008/placements",
                "/api/v1/countries/JPN/placements"):
        first = client.get(url)
        again = client.get(url, headers={"accept-encoding": "gzip"})
        assert first.status_code == again.status_code == 200 and again.content == first.content, url
        assert again.headers["etag"] == first.headers["etag"] and again.headers["x-frame-options"] == "DENY"
        assert client.get(url, headers={"if-none-match": first.headers["etag"]}).status_code == 304
    assert rendered == ["year 2025", "year 2008", "country JPN", "year 2008", "country JPN"]  # once each
    assert client.get("/countries/JPN", headers={"Authorization": "Bearer nobody"}).status_code == 401  # not cached


def test_a_write_drops_the_pages_it_changed_and_leaves_the_others(db, client, renders, monkeypatch):
    token = analyst_token(db)
    pages = ["/narratives/JPN/2008", "/narratives/DEU/2008", "/narratives/DEU/2010"]
    for url in pages * 2:
        assert client.get(url).status_code == 200
    assert renders == ["JPN 2008", "DEU 2008", "DEU 2010"]
    draft = client.post("/api/v1/narratives/JPN/2027", headers={"Authorization": f"Bearer {token}"},
                        json={"markdown": "# Japan\n\nA draft of the year in preparation."})
    assert draft.status_code == 200, draft.text
    for url in pages:
        client.get(url)
    assert renders == ["JPN 2008", "DEU 2008", "DEU 2010"]  # the embargoed year's draft is on no published page
    fixed = client.post("/api/v1/narratives/JPN/2008", headers={"Authorization": f"Bearer {token}"},
                        json={"markdown": "# Japan\n\nScoped drop.", "note": "a figure"})
    assert fixed.status_code == 200, fixed.text
    assert "Scoped drop." in client.get(pages[0]).text and "Scoped drop." not in client.get(pages[1]).text
    client.get(pages[2])
    assert renders == ["JPN 2008", "DEU 2008", "DEU 2010", "JPN 2008"]  # Germany's pages stayed in memory
    maps: list[int] = []
    real_map = routes._map_data
    monkeypatch.setattr(routes, "_map_data", lambda s, year: maps.append(year) or real_map(s, year))
    for year in (2008, 2010, 2008, 2010):
        client.get(f"/api/v1/map/{year}.json")
    assert maps == [2008, 2010]
    with transaction(db.sessions) as s:  # every country's 2008 placements: the 2008 map and every narrative (each
        activity.record(s, "test", "placements.import", "placements:2008", None, None)  # shows its history) go
    for url in [*pages, "/api/v1/map/2008.json", "/api/v1/map/2010.json"]:
        client.get(url)
    assert renders[4:] == ["JPN 2008", "DEU 2008", "DEU 2010"] and maps == [2008, 2010, 2008]  # 2010's map stays


WRITER = """
import sys
from tiptiers.store import activity, publication as pub
from tiptiers.store.db import make_engine, session_factory, transaction
with transaction(session_factory(make_engine(sys.argv[1]))) as s:
    pub.save_narrative(s, "JPN", 2009, "# Japan\\n\\n" + sys.argv[2], "cli", note="another process")
    activity.record(s, "cli", "narrative.save", "narrative:JPN/2009", None, None)
"""


def test_a_write_by_another_process_is_served_within_a_second(db, clock):
    import sys
    import time

    clock[0] = datetime.now()  # the other process has the real clock
    client = TestClient(create_app(db.url))
    url = "/api/v1/narratives/JPN/2009.json"
    assert client.get(url).status_code == 200 and client.get(url).status_code == 200  # in memory
    marker = f"Written elsewhere {time.time_ns()}."
    subprocess.run([sys.executable, "-c", WRITER, db.url, marker], check=True, timeout=120)
    written = time.monotonic()
    while marker not in client.get(url).json()["markdown"]:  # PostgreSQL: by the NOTIFY; SQLite: data_version
        assert time.monotonic() - written < 1.0, "still the old page a second after another process wrote"
        time.sleep(0.02)


def test_a_lost_listening_connection_keeps_nothing_stale(db, client, renders):
    """PostgreSQL: the connection that LISTENs is cut (a failover, a restart); writes made meanwhile are read once
    it is back, and nothing old is served in between."""
    if db.engine.url.get_backend_name() != "postgresql":
        pytest.skip("SQLite reads its data version on every request")
    import time

    from sqlalchemy import text

    client.get(TWIN)
    changes = client.app.state.changes
    cut = changes.listening_pid
    with db.engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cut})
    with transaction(db.sessions) as s:
        pub.save_narrative(s, "JPN", 2008, "# Japan\n\nWhile it was cut.", "ana", note="cut", now=pub.utcnow())
        activity.record(s, "ana", "narrative.save", "narrative:JPN/2008", None, None)
    assert "While it was cut." in client.get(TWIN).json()["markdown"]
    deadline = time.monotonic() + 20
    while changes.listening_pid == cut or not changes.live:
        assert time.monotonic() < deadline, "the listening connection did not come back"
        time.sleep(0.1)
    before = len(renders)
    client.get(TWIN)
    client.get(TWIN)
    assert len(renders) == before + 1  # kept again once changes are followed


def test_the_calendar_comes_from_memory_for_a_minute_at_most(db, client, monkeypatch):
    from tiptiers.web import pagecache
    from tiptiers.web.routes import cycle

    calls: list[int] = []
    real = cycle.year_calendar
    monkeypatch.setattr(cycle, "year_calendar", lambda s, y, *a, **k: calls.append(y) or real(s, y, *a, **k))
    for url in ("/calendar/2027", "/api/v1/calendar/2027", "/calendar/2027.ics"):
        assert client.get(url).content == client.get(url).content, url
    assert calls == [2027, 2027, 2027]  # once each
    token = analyst_token(db)
    staff = client.get("/calendar/2027", headers={"Authorization": f"Bearer {token}"})
    assert staff.status_code == 200 and calls == [2027] * 4  # a logged-in view is never from the cache
    later = time.monotonic() + 61
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: later)
    client.get("/calendar/2027")
    assert calls == [2027] * 5  # the date moves what is late: rendered again after a minute


def test_the_movements_logged_in_visitors_see_are_audited_once_between_changes(db, client, monkeypatch):
    """The movements (home, movements and year pages) take tens of milliseconds to audit: the app keeps them until a
    change a published page may show, for logged-in visitors too (whose pages are never cached)."""
    from tiptiers.publish import opendata

    audits: list[list[int]] = []
    real = opendata.year_movements

    def counting(session, years, shown):
        audits.append(list(years))
        return real(session, years, shown)

    monkeypatch.setattr(opendata, "year_movements", counting)
    staff = {"Authorization": f"Bearer {analyst_token(db)}"}
    first = client.get("/movements/2010", headers=staff)
    assert first.status_code == 200 and client.get("/movements/2010", headers=staff).text == first.text
    assert audits == [[2010]]
    with transaction(db.sessions) as s:  # a draft of the embargoed year: no published page shows it
        activity.record(s, "ana", "narrative.save", "narrative:JPN/2027", None, {"note": "draft"})
    client.get("/movements/2010", headers=staff)
    assert audits == [[2010]]
    with transaction(db.sessions) as s:  # a change to a published year: audited again, by the next visitor
        activity.record(s, "ana", "placement.correct", "placement:JPN/2010", None, {"note": "test"})
    assert client.get("/movements/2010").status_code == 200
    assert audits == [[2010], [2010]]
