"""The interface's language (web/i18n.py): `?lang=` (kept in a cookie), else Accept-Language, else English;
`<html lang>` says which, the switcher on every page links to the others, the page cache keeps one page per
language and the pages say they vary by what the language comes from; the JSON API stays English."""

from __future__ import annotations

import html
import json
import random
import re

import pytest
from fastapi.testclient import TestClient

from test_publish_cache import renders  # noqa: F401  (a fixture: each narrative the routes gather)
from test_review_web import as_user, site  # noqa: F401  (a fixture: the app with staff accounts)
from tiptiers.web import i18n
from tiptiers.web.app import create_app

PAGE = "/narratives/JPN/2008"


@pytest.fixture
def client(loaded_sqlite) -> TestClient:
    return TestClient(create_app(loaded_sqlite.url))


def html_lang(text: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', text)
    assert found
    return found.group(1)


def in_each_language(client, url: str) -> tuple[str, str, str]:
    """The page at `url` in English, French and Spanish (by ?lang=)."""
    sep = "&" if "?" in url else "?"
    english, french, spanish = (client.get(f"{url}{sep}lang={lang}").text for lang in ("en", "fr", "es"))
    return english, french, spanish


def test_english_unless_asked(client):
    page = client.get("/")
    assert html_lang(page.text) == "en" and "Latest report" in page.text
    assert "accept-language" in page.headers["vary"].lower() and "cookie" in page.headers["vary"].lower()
    assert html_lang(client.get("/", headers={"accept-language": "de-DE, ja;q=0.5"}).text) == "en"


def test_accept_language_is_negotiated(client):
    page = client.get("/", headers={"accept-language": "de;q=1, fr-CA;q=0.9, en;q=0.8"})
    assert html_lang(page.text) == "fr" and "Dernier rapport" in page.text
    assert html_lang(client.get("/", headers={"accept-language": "es-MX"}).text) == "es"
    assert html_lang(client.get("/", headers={"accept-language": "fr;q=0, es;q=0.1"}).text) == "es"


def test_lang_in_the_query_is_kept_in_a_cookie(client):
    page = client.get("/about/methodology?lang=es")
    assert html_lang(page.text) == "es" and "Último informe" in page.text
    assert f"{i18n.COOKIE}=es" in page.headers["set-cookie"]
    assert html_lang(client.get("/movements", headers={"accept-language": "fr"}).text) == "es"  # the cookie wins
    assert html_lang(client.get("/movements?lang=en").text) == "en"
    assert html_lang(client.get("/movements?lang=xx").text) == "en"  # not ours: ignored


def test_the_switcher_links_to_this_page_in_each_language(client):
    page = client.get("/search?q=Japan", headers={"accept-language": "fr"}).text
    switcher = re.search(r'<nav class="languages" aria-label="Langue">(.*?)</nav>', page, re.S)
    assert switcher, page[:2000]
    links = re.findall(r'<a href="([^"]+)" lang="([a-z]+)" hreflang="[a-z]+"( aria-current="true")?>([^<]+)</a>',
                       switcher.group(1))
    assert [(href, lang, bool(cur), name) for href, lang, cur, name in links] == [
        ("/search?q=Japan&amp;lang=en", "en", False, "English"),
        ("/search?q=Japan&amp;lang=fr", "fr", True, "Français"),
        ("/search?q=Japan&amp;lang=es", "es", False, "Español")]


def test_the_page_cache_keeps_one_page_per_language(client, renders):  # noqa: F811
    calls = renders
    english = client.get(PAGE)
    french = client.get(PAGE, headers={"accept-language": "fr-FR"})
    again = [client.get(PAGE, headers={"accept-language": h}) for h in ("fr", "fr-BE, en;q=0.5", "en", "")]
    assert html_lang(english.text) == "en" and html_lang(french.text) == "fr"
    assert [html_lang(r.text) for r in again] == ["fr", "fr", "en", "en"]
    assert calls == ["JPN 2008", "JPN 2008"]  # once per language, however Accept-Language is spelled
    assert english.headers["etag"] != french.headers["etag"]
    assert "accept-language" in french.headers["vary"].lower()


def test_the_json_api_stays_english(client):
    answer = client.get("/api/v1/countries/JPN/timeline", headers={"accept-language": "fr"})
    assert answer.status_code == 200 and "accept-language" not in answer.headers.get("vary", "").lower()
    error = client.get("/api/v1/countries/XXX/timeline", headers={"accept-language": "fr"})
    assert error.status_code == 404 and "unknown country" in error.json()["error"]["detail"]
    # an error keeps its English detail and adds `shown` in the reader's language: it varies by what that comes from
    assert "accept-language" in error.headers["vary"].lower() and "cookie" in error.headers["vary"].lower()
    assert "set-cookie" not in client.get("/api/v1/countries/JPN/timeline?lang=fr").headers


def _reasons(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", r).strip() for r in re.findall(r'<li data-rule="[^"]+">(.*?)<small', page, re.S)]


def test_the_engine_explains_a_tier_in_the_page_language_and_english_in_json(client):
    """The country-year page gives the engine's reasons, criterion by criterion, in French or Spanish; the JSON twin
    keeps the engine's English, byte for byte."""
    english = client.get("/api/v1/countries/JPN/2008", headers={"accept-language": "fr"}).json()
    texts = [r["text"] for r in english["determination"]["reasons"]]
    assert texts and all(t.isascii() for t in texts)
    assert _reasons(client.get("/countries/JPN/2008").text) == texts
    french = _reasons(client.get("/countries/JPN/2008", headers={"accept-language": "fr"}).text)
    spanish = _reasons(client.get("/countries/JPN/2008?lang=es").text)
    assert len(french) == len(spanish) == len(texts) and not set(french) & set(texts) and not set(spanish) & set(texts)
    assert any("normes minimales" in t for t in french) and any("normas mínimas" in t for t in spanish)


def test_every_sentence_of_the_engine_has_its_translation():
    """Each sentence the engine writes (reasons, the note on the way up) over varied ratings, histories, waivers and
    overrides is one of the messages of web/i18n_texts.py, shown translated, its numbers kept."""
    from tiptiers.engine.determine import determine
    from tiptiers.engine.model import AssessmentInput, HistoryEntry, Override, Rating, Waiver, methodology_for_year
    from tiptiers.methodology import LEVELS
    from tiptiers.tiers import Tier
    from tiptiers.web.i18n_texts import engine_text, recognised

    rnd = random.Random(17)
    seen: set[str] = set()
    for _ in range(300):
        year = rnd.choice([2005, 2010, 2015, 2020, 2024])
        m = methodology_for_year(year, "tvpa")
        ratings = [Rating(criterion=i.id, level=rnd.choice(LEVELS[1:] if rnd.random() < 0.7 else LEVELS))
                   for i in m.items if i.id.startswith("standard") or rnd.random() < 0.9]
        a = AssessmentInput(iso3="AAA", year=year, ratings=ratings,
                            victims_significant_or_increasing=rnd.random() < 0.3,
                            proportional_action=rnd.random() < 0.3, increasing_efforts_shown=rnd.random() < 0.7,
                            concrete_actions=rnd.random() < 0.7)
        history = [HistoryEntry(year=y, tier=rnd.choice([Tier.WATCH_LIST, Tier.WATCH_LIST, Tier.TIER_2, None]))
                   for y in range(year - 4, year)]
        waivers = [Waiver(iso3="AAA", year=year, justification="national interest")] if rnd.random() < 0.5 else []
        override = (Override(iso3="AAA", year=year, tier=Tier.TIER_1, justification="policy", author="Ann")
                    if rnd.random() < 0.1 else None)
        d = determine(a, history, m, year, waivers, override)
        seen.update(r.text for r in d.reasons)
        if d.path_up and d.path_up.note:
            seen.add(d.path_up.note)
    assert len({re.sub(r"\d+", "N", t) for t in seen}) >= 25  # the cases reach most of the sentences
    assert [t for t in seen if not recognised(t)] == []
    for text in seen:
        assert engine_text(text) == text  # English: as the engine wrote it
        for lang in ("fr", "es"):
            with i18n.use(lang):
                shown = engine_text(text)
            assert shown != text and re.findall(r"\d+", shown) == re.findall(r"\d+", text), (lang, text, shown)


def _steps(page: str) -> dict[str, tuple[str, str, str]]:
    rows = re.findall(r'<tr id="step-([a-z_0-9]+)".*?<strong>(.*?)</strong>.*?<span class="description">(.*?)</span>'
                      r'.*?<td class="status">(.*?)</td>', page, re.S)
    return {key: (html.unescape(title), html.unescape(description), html.unescape(status))
            for key, title, description, status in rows}


def test_the_calendar_steps_in_the_page_language_and_english_in_json(client):
    """/calendar/YEAR: each step's title, description and status in French or Spanish (the law's steps from the
    methodology's YAML, the reply steps with their windows' lengths); the JSON twin keeps the English."""
    english = client.get("/api/v1/calendar/2026", headers={"accept-language": "fr"}).json()
    steps = {s["key"]: s for s in english["steps"]}
    assert steps["draft_comments_due"]["description"].startswith("The government has ")
    assert "may be waived at most" in steps["waiver_justification"]["description"]
    shown = _steps(client.get("/calendar/2026").text)
    assert shown == {
        k: (s["title"], s["description"], s["summary"]) for k, s in steps.items()}
    for lang, words in (("fr", ("Le gouvernement dispose de", "La rétrogradation automatique peut")),
                        ("es", ("El gobierno tiene", "El descenso automático puede"))):
        page = _steps(client.get(f"/calendar/2026?lang={lang}").text)
        assert page.keys() == steps.keys()
        for key, (_title, description, status) in page.items():
            assert description != shown[key][1] and status != shown[key][2], (lang, key)
        assert page["draft_comments_due"][1].startswith(words[0])
        assert words[1] in page["waiver_justification"][1]


def test_a_rating_flag_in_the_page_language():
    """The flags of the review model (by code) are the messages of web/i18n_texts.py, English as the model writes."""
    from tiptiers.review.model import VerificationState, rating_flag
    from tiptiers.web.i18n_texts import FLAGS, flag_text

    flags = [rating_flag(states) for states in ([], [VerificationState.WITHDRAWN], [VerificationState.UNVERIFIED])]
    assert {f.code: f.text for f in flags if f} == FLAGS
    for f in flags:
        assert f and flag_text(f.code, f.text) == f.text
        with i18n.use("fr"):
            assert flag_text(f.code, f.text) != f.text
    with i18n.use("es"):
        assert flag_text("no_evidence", "cites no evidence") == "no cita ninguna prueba"


def test_movements_reasons_in_the_page_language_and_english_in_json(client):
    """/movements/YEAR: each country's reason (and its year before, in words) in French or Spanish, the downgrade
    rule's audit included. The JSON twin keeps the English."""
    from tiptiers.web.i18n_texts import movement_reason

    left, translated = set(), 0
    for year in (2002, 2005, 2010, 2013, 2016, 2019, 2021, 2024):
        rows = client.get(f"/api/v1/movements/{year}.json", headers={"accept-language": "es"}).json()["movements"]
        assert rows and all(m["reason"].isascii() for m in rows)
        for m in rows:
            for lang in ("fr", "es"):
                with i18n.use(lang):
                    shown = movement_reason(m["reason"])
                if shown == m["reason"] and m["reason"]:
                    left.add(m["reason"])
                else:
                    translated += 1
                    assert re.findall(r"\d+", shown) == re.findall(r"\d+", m["reason"]) or not m["reason"]
    assert translated > 100 and left == set(), sorted(left)[:5]  # the downgrade rule's audit too
    french = client.get("/movements/2013?lang=fr").text
    spanish = client.get("/movements/2013?lang=es").text
    english = client.get("/movements/2013?lang=en").text
    assert "Tier 3 by the automatic downgrade" in english
    assert "Catégorie 3 par la rétrogradation automatique" in french and "Tier 3 by the automatic" not in french
    assert "Nivel 3 por el descenso automático" in spanish


def test_coverage_sentences_in_the_page_language_and_english_in_json(client):
    """How complete a year's record is (the map and year pages) in French or Spanish; the map's JSON twin keeps
    the English sentence."""
    for year in (2003, 2024):
        english = client.get(f"/api/v1/map/{year}.json", headers={"accept-language": "fr"}).json()["coverage"]
        assert english.startswith(("Complete: ", "Partial: ")) and "countries placed" in english
        assert f'id="map-coverage">{english}</p>' in html.unescape(client.get(f"/map/{year}?lang=en").text)
        french = re.search(r'id="map-coverage">(.*?)</p>', client.get(f"/map/{year}?lang=fr").text).group(1)
        spanish = re.search(r'id="year-coverage">(.*?)</p>', client.get(f"/years/{year}?lang=es").text, re.S).group(1)
        assert french.startswith(("Complet : ", "Partiel : ")) and "pays classés" in french
        assert spanish.startswith(("Completo: ", "Parcial: ")) and "países clasificados" in spanish
        assert re.findall(r"\d+", french) == re.findall(r"\d+", english)


def test_what_blocks_publication_in_the_page_language_and_english_in_json(site):  # noqa: F811
    """The workspace (staff) in French or Spanish: what blocks publication, the rating's flag and the engine's
    reasons translated; the workspace's JSON stays English."""
    ana = as_user(site, "ana")
    claim = ana.post("/api/v1/evidence", json={
        "iso3": "FRA", "year": 2026, "criteria": ["standard_1"], "statement": "An NGO says so.",
        "source_type": "ngo", "source_name": "an NGO", "source_date": "2026-01-10"}).json()
    ws = ana.put("/api/v1/assessments/FRA/2026?lang=fr", json={"ratings": [
        {"criterion": "standard_1", "level": "partial", "evidence": [claim["id"]]},
        *({"criterion": f"standard_{n}", "level": "full", "evidence": [claim["id"]]} for n in (2, 3, 4))],
        "narrative": "Draft."}).json()
    assert ws["status"]["blocking"] == ["the draft has not been sent to the government for review"]
    assert ws["ratings"][0]["flag"]["text"].startswith("rests only on unverified evidence")
    french = ana.get("/workspace/FRA/2026?lang=fr", headers={"Accept": "text/html"}).text
    spanish = ana.get("/workspace/FRA/2026?lang=es", headers={"Accept": "text/html"}).text
    assert "le projet n’a pas été envoyé au gouvernement pour examen" in french
    assert "el borrador no se ha enviado al gobierno para su revisión" in spanish
    assert "repose uniquement sur des éléments non vérifiés" in french and "se basa solo en pruebas no" in spanish
    reasons = re.findall(r"<li data-rule=\"[^\"]+\">(.*?)<small", french)
    assert "the draft has not been sent" not in french and reasons, french[french.find("id=\"tier\""):][:1500]
    assert all("Catégorie" in r or "normes" in r or "critères" in r.lower() for r in reasons), reasons


def test_every_blocking_reason_has_its_translation():
    """Each reason the review model's gate writes is one of the messages of web/i18n_texts.py."""
    from datetime import date, datetime, timedelta

    from tiptiers.review.model import (
        Claim,
        Dispute,
        RequestKind,
        ReviewRequest,
        SourceType,
        Stage,
        VerificationState,
        gate_reasons,
    )
    from tiptiers.web.i18n_texts import blocking_reason

    t0 = datetime(2026, 3, 1, 9, 0)

    def claim(eid: int, created: datetime, disputes: tuple[Dispute, ...] = ()) -> Claim:
        return Claim(evidence_id=eid, iso3="JPN", year=2026, statement="s", state=VerificationState.UNVERIFIED,
                     criteria=("criterion_1",), source_type=SourceType.NGO, source_name="n", created_at=created,
                     disputes=disputes)

    dispute = Dispute(3, 1, "Article 226-2 of the Penal Code criminalises it", "", "liaison", t0 + timedelta(days=3))
    draft = ReviewRequest(7, "JPN", 2026, RequestKind.DRAFT, t0 + timedelta(days=1), date(2026, 5, 2), "ana")
    final = ReviewRequest(9, "JPN", 2026, RequestKind.DRAFT, t0 + timedelta(days=70), date(2026, 6, 20), "ana",
                          stage=Stage.FINAL)
    claims = [claim(1, t0, (dispute,)), claim(2, t0 + timedelta(days=5)), claim(4, t0 + timedelta(days=80))]
    reasons = (gate_reasons([], claims, date(2026, 3, 2)) + gate_reasons([draft], claims, date(2026, 4, 1))
               + gate_reasons([draft, final], claims, date(2026, 6, 1))
               + gate_reasons([draft], claims, date(2026, 6, 1), final_required=True))
    assert len({re.sub(r"\d", "", r) for r in reasons}) == 7
    for text in reasons:
        assert blocking_reason(text) == text
        for lang in ("fr", "es"):
            with i18n.use(lang):
                shown = blocking_reason(text)
            assert shown != text and "#" not in shown, (lang, text)


def test_the_tier_chart_in_the_page_language(client):
    """The country page's chart of tier by year: its title, tier axis and tooltips in French or Spanish; the
    English page's chart as it was."""
    english, french, spanish = in_each_language(client, "/countries/JPN")
    assert '<title>Japan: tier by year</title>' in english and ">Tier 2 Watch List</text>" in english
    assert "<title>Japon : catégorie par année</title>" in french
    assert ">Catégorie 2 – liste de surveillance</text>" in french
    assert "<title>Japón: nivel por año</title>" in spanish and ": Nivel 2</title></circle>" in spanish


def test_the_movements_chart_in_the_page_language(client):
    """The movements page's flow chart: its title, node labels and band tooltips in French or Spanish."""
    english, french, spanish = in_each_language(client, "/movements/2013")
    assert "<title>Countries by tier, 2012 to 2013</title>" in english
    assert re.search(r"<title>Tier [^<]* to Tier 3: \d+</title>", english)
    assert "<title>Pays par catégorie, de 2012 à 2013</title>" in french
    assert re.search(r"<title>de Catégorie [^<]* à Catégorie 3 : \d+</title>", french)
    assert "<title>Países por nivel, de 2012 a 2013</title>" in spanish and ">Nivel 3 (" in spanish


def test_the_calendar_warnings_in_the_page_language():
    """Both warnings of the calendar (windows that cannot fit; a draft sent too late) in French and Spanish, with
    their windows and dates in the language; English as the calendar writes them."""
    from datetime import date

    from tiptiers.engine.calendar import Facts, compute_calendar
    from tiptiers.review.windows import PRESETS
    from tiptiers.web.i18n_texts import calendar_warning

    cals = [compute_calendar(2027, PRESETS["greta"], today=date(2027, 1, 5)),
            compute_calendar(2027, PRESETS["tip"], Facts(done={"draft_sent": date(2027, 6, 1)}), date(2027, 6, 2))]
    warnings = [(w, cal) for cal in cals for w in cal.warnings]
    assert len(warnings) == 2
    for text, cal in warnings:
        assert calendar_warning(text, cal) == text
        with i18n.use("fr"):
            french = calendar_warning(text, cal)
        with i18n.use("es"):
            spanish = calendar_warning(text, cal)
        assert french.startswith(("les délais de réponse (", "le projet ayant été envoyé le ")), french
        assert spanish.startswith(("los plazos de respuesta (", "con el borrador enviado el ")), spanish
        assert "semaine" in french or "mois" in french


def test_the_questionnaire_in_the_page_language_and_english_in_json(site):  # noqa: F811
    """A liaison reads the questionnaire's questions in French or Spanish; its JSON keeps the English questions."""
    jpn = as_user(site, "jpn-liaison")
    items = jpn.get("/api/v1/questionnaires/JPN/2026?lang=fr").json()["items"]
    laws = {i["id"]: i for i in items}["laws"]
    assert laws["text"].startswith("Which laws criminalise sex trafficking")
    french = jpn.get("/review/JPN/2026/questionnaire?lang=fr", headers={"Accept": "text/html"}).text
    spanish = jpn.get("/review/JPN/2026/questionnaire?lang=es", headers={"Accept": "text/html"}).text
    assert "Quelles lois incriminent la traite" in french and "Which laws criminalise" not in french
    assert "¿Qué leyes tipifican como delito la trata" in spanish
    english = jpn.get("/review/JPN/2026/questionnaire?lang=en", headers={"Accept": "text/html"}).text
    assert html.escape(laws["text"], quote=False) in english


def test_the_error_page_in_the_page_language_and_english_in_json(client):
    """The HTML error page's commonest details (an unknown country, a year with no report) in French or Spanish;
    the API's error stays English."""
    api = client.get("/api/v1/countries/XXX/timeline", headers={"accept-language": "fr"}).json()["error"]["detail"]
    assert api.startswith("unknown country 'XXX'")
    french = client.get("/countries/XXX/2008?lang=fr", headers={"accept": "text/html"})
    spanish = client.get("/years/1999?lang=es", headers={"accept": "text/html"})
    assert french.status_code == spanish.status_code == 404
    assert "pays inconnu &#39;XXX&#39; ; utilisez un code ISO 3166-1 alpha-3" in french.text
    found = re.search(r'<p class="error">(.*?)</p>', spanish.text)
    assert found and found.group(1).startswith("year: no hay informe publicado de 1999 (años publicados: "), found
    english = client.get("/years/1999?lang=en", headers={"accept": "text/html"}).text
    assert '<p class="error">year: no published report for 1999 (published years: ' in english


def test_the_world_map_in_the_page_language(client):
    """The map (page and its SVG download): title, each country's name and tooltip, the legend in French or
    Spanish; worldmap.js shows the tooltips as they are. English as it was."""
    english, french, spanish = in_each_language(client, "/map/2013")
    assert "<title>TIP Report 2013: tier placements</title>" in english
    assert re.search(r'data-name="Japan" data-tier="[^"]+"[^>]*><title>Japan: Tier [^<]+</title>', english)
    assert "<title>Rapport TIP 2013 : classement par catégorie</title>" in french
    assert re.search(r'data-name="Japon" data-tier="[^"]+"[^>]*><title>Japon : Catégorie [^<]+</title>', french)
    assert re.search(r'<text [^>]*>Catégorie 1 \(\d+\)</text>', french) and ">Non classé cette année (" in french
    assert re.search(r"<title>[^<]+ : absent des sources dont nous disposons pour 2013</title>|"
                     r"<title>[^<]+ : non classé en 2013</title>", french)
    assert "<title>Informe TIP 2013: clasificación por niveles</title>" in spanish
    assert re.search(r'data-name="Japón" data-tier="[^"]+"[^>]*><title>Japón: Nivel [^<]+</title>', spanish)
    assert ": Tier " not in re.sub(r"<script.*?</script>", "", french, flags=re.S)
    download = client.get("/map/2013.svg?lang=fr").text
    assert "<title>Rapport TIP 2013 : classement par catégorie</title>" in download and ">Japon : Catégorie" in download
    assert "<title>TIP Report 2013: tier placements</title>" in client.get("/map/2013.svg?lang=en").text


def test_the_compare_chart_in_the_page_language(client):
    """The comparison's chart: its title, the tier axis, each point's tooltip and the country labels in French or
    Spanish; the JSON twin keeps the English names."""
    english, french, spanish = in_each_language(client, "/compare?c=JPN&c=KOR")
    assert "<title>Tier by report year: Japan, South Korea</title>" in english
    assert re.search(r"<title>Japan, 2008: Tier [^<]+</title>", english)
    assert "<title>Catégorie par année de rapport : Japon, Corée du Sud</title>" in french
    assert re.search(r"<title>Japon, 2008 : Catégorie [^<]+</title>", french)
    assert ">Catégorie 2 – liste de surveillance</text>" in french and ">Corée du Sud</text>" in french
    assert "<title>Nivel por año de informe: Japón, Corea del Sur</title>" in spanish
    assert re.search(r"<title>Corea del Sur, \d{4}: Nivel [^<]+</title>", spanish)
    assert [c["name"] for c in client.get("/api/v1/compare?c=JPN&c=KOR&lang=fr").json()["countries"]] == [
        "Japan", "South Korea"]


def test_the_movements_downloads_in_the_language_asked_for(client):
    """The flow chart's SVG download: its title and labels in the language of the request."""
    french = client.get("/movements/2013/flows.svg?lang=fr&direction=down").text
    spanish = client.get("/movements/2013/flows.svg?lang=es").text
    english = client.get("/movements/2013/flows.svg?lang=en&direction=down").text
    assert "<title>Changes in the 2013 report: downgrades: countries by tier, 2012 to 2013</title>" in english
    assert "<title>Évolutions du rapport 2013 (rétrogradations) : pays par catégorie, de 2012 à 2013</title>" in french
    assert "<title>Cambios en el informe 2013: países por nivel, de 2012 a 2013</title>" in spanish
    assert ">Catégorie 3 (" in french and ">Nivel 3 (" in spanish


def test_the_data_dictionary_in_the_page_language_and_english_in_json(client):
    """/data: every table's and column's description in French or Spanish; the dictionary's JSON stays English."""
    from tiptiers.publish.opendata import DATASETS

    dictionary = client.get("/api/v1/data/dictionary.json?lang=fr").json()
    assert dictionary["tables"][1]["description"] == "Each country's tier in each published report year."
    for lang, words in (("fr", ("La catégorie de chaque pays pour chaque année de rapport publiée.", "Nom du pays",
                                "Licence MIT")),
                        ("es", ("El nivel de cada país en cada año de informe publicado.", "Nombre del país",
                                "Licencia MIT"))):
        page = html.unescape(client.get(f"/data?lang={lang}").text)
        assert all(w in page for w in words), lang
        cells = re.findall(r"<td><code>[^<]+</code></td><td>[a-z]+</td><td>(.*?)</td>", page)
        english = {c.description for d in DATASETS.values() for c in d.columns}
        assert len(cells) > 90 and not english & set(cells), sorted(english & set(cells))[:5]


def _generated_lines(client, iso3: str, year: int) -> list[str]:
    answer = client.get(f"/api/v1/narratives/{iso3}/{year}.json")
    if answer.status_code != 200:  # not placed that year
        return []
    markdown = answer.json()["markdown"]
    lines = [line[2:] for line in markdown.split("## The law's rules")[0].splitlines() if line.startswith("- ")]
    return [line for line in lines if " was placed in " not in line]  # the text's own message, not the data's


def test_a_generated_narrative_in_the_page_language(client):
    """A narrative the system writes for an imported year (no analyst's version): its headings and every line of
    what the record holds (the movement, its reason, the sources, Cho's scores, the cables) in French or Spanish;
    the narrative's JSON keeps the English text, and an edited narrative shows as written."""
    from tiptiers.web.i18n_texts import narrative_sentence

    left, seen = [], set()
    for iso3, year in (("JPN", 2008), ("KOR", 2002), ("RUS", 2013), ("CUB", 2015), ("THA", 2014), ("SYR", 2019),
                       ("VEN", 2021), ("MYS", 2007), ("BLR", 2012), ("MDV", 2010), ("KOR", 2005),
                       ("ZWE", 2016), ("SSD", 2013), ("CHN", 2017)):
        for line in _generated_lines(client, iso3, year):
            seen.add(re.sub(r"\d+", "N", line.split(":")[0]))
            for lang in ("fr", "es"):
                with i18n.use(lang):
                    shown = narrative_sentence(line)
                if shown == line:
                    left.append((lang, line))
                assert sorted(re.findall(r"\d+", shown)) == sorted(re.findall(r"\d+", line)), (lang, line, shown)
    assert left == [] and len(seen) >= 8, sorted(seen)
    french = client.get("/narratives/JPN/2008?lang=fr").text
    spanish = client.get("/narratives/JPN/2008?lang=es").text
    article = re.search(r'<article class="narrative" lang="fr" dir="auto">(.*?)</article>', french, re.S)
    assert article, french[:3000]
    text = html.unescape(article.group(1))
    for words in ("Ce que contiennent les données", "Japon : Catégorie 2 dans le rapport TIP 2008.",
                  "Indice 3P de Cho pour 2008", "Historique des classements",
                  "tiptiers n’enregistre aucune évaluation"):
        assert words in text, words
    assert "was placed in" not in text and "Source of the placement" not in text
    rules = re.search(r'<details class="rules" id="rules"><summary>(.*?)</summary>(.*?)</details>', french, re.S)
    assert rules and "2008" in rules.group(1), french[-6000:]  # the law's rules, folded, in French too
    assert "Catégorie 1 (le gouvernement respecte pleinement les normes minimales) = chaque norme minimale notée au " \
           "moins à ce niveau : pleinement atteint (22 U.S.C." in html.unescape(rules.group(2))
    assert "rated at least" not in rules.group(2)
    assert '<article class="narrative" lang="es" dir="auto">' in spanish and "Historial de clasificaciones" in spanish
    assert client.get("/api/v1/narratives/JPN/2008.json?lang=fr").json()["markdown"].startswith("# Japan (2008)")


def test_the_calendar_sources_and_its_feed_in_the_language_asked_for(client):
    """/calendar/YEAR: the source column's words in French or Spanish (the citations as they are); the iCalendar
    feed's events in the language of its address (?lang=, which the page's link carries), English by default."""
    from tiptiers.engine.calendar import REPLY_REFERENCE
    from tiptiers.web import i18n_texts

    assert i18n_texts.REPLY_REFERENCE == REPLY_REFERENCE
    french = html.unescape(client.get("/calendar/2026?lang=fr").text)
    assert "Pratique du département d’État (chaque rapport indique la période qu’il couvre)" in french or \
        "Pratique du département d’État (avis au Federal Register" in french
    assert "paramètre du projet : le droit de réponse" in french and 'href="/calendar/2026.ics?lang=fr"' in french
    assert "project setting" not in french
    spanish = html.unescape(client.get("/calendar/2026?lang=es").text)
    assert "parámetro del proyecto: el derecho de respuesta" in spanish
    client.cookies.clear()  # no ?lang= and no cookie: English
    ics_en = client.get("/calendar/2026.ics").text.replace("\r\n ", "")
    ics_fr = client.get("/calendar/2026.ics?lang=fr").text.replace("\r\n ", "")
    ics_es = client.get("/calendar/2026.ics?lang=es").text.replace("\r\n ", "")
    assert "X-WR-CALNAME:TIP report 2026: the annual cycle" in ics_en and "Source: " in ics_en
    assert "X-WR-CALNAME:Rapport TIP 2026 : le cycle annuel" in ics_fr
    assert "SUMMARY:Commentaires sur le projet" in ics_fr or "(rapport 2026)" in ics_fr
    assert "\\nSource : " in ics_fr and "\\nÉtat : " in ics_fr and "Source: " not in ics_fr
    assert "X-WR-CALNAME:Informe TIP 2026: el ciclo anual" in ics_es and "(informe 2026)" in ics_es


def test_the_what_if_redraw_in_the_page_language_and_english_in_json(client):
    """The what-if form's redraw (POST /determinations, engine.js) is drawn in the page's language, with the words
    the script writes in the form's data-words; the JSON API's determination stays English."""
    body = client.get("/api/v1/countries/JPN/2008").json()["assessment"]
    api = client.post("/api/v1/determinations", json=body, headers={"accept-language": "fr"}).json()
    assert all(r["text"].isascii() for r in api["reasons"])
    french = client.post("/determinations?view=country", json=body, headers={"accept-language": "fr"})
    spanish = client.post("/determinations?view=workspace", json=body, headers={"accept-language": "es"})
    english = client.post("/determinations?view=country", json=body)
    assert french.status_code == spanish.status_code == english.status_code == 200
    assert re.search(r'id="det-tier" data-tier="2">Catégorie 2</span>', french.text)
    assert "normes minimales" in french.text and "Tier" not in french.text
    assert "<h3>Por qué</h3>" in spanish.text or "normas mínimas" in spanish.text
    assert _reasons(english.text) == [r["text"] for r in api["reasons"]]
    note = client.get("/countries/JPN/2008?lang=es").text
    assert "Estas calificaciones son ilustrativas: las más sencillas con las que las reglas dan el nivel publicado" in \
        html.unescape(note) and "The ratings are illustrative" not in note
    wrong = client.post("/determinations?view=country", json={**body, "ratings": [{"criterion": "nope",
                                                                                   "level": "full"}]})
    assert wrong.status_code == 422 and 'id="det-error"' in wrong.text
    page = client.get("/countries/JPN/2008?lang=fr").text
    words = re.search(r"<form id=\"whatif\" data-words='([^']*)'", page).group(1)
    assert json.loads(html.unescape(words))["updated"] == "Mis à jour : %(tier)s."
    site_words = re.search(r"<body data-words='([^']*)'>", client.get("/?lang=es").text).group(1)
    assert json.loads(html.unescape(site_words)) == {"table": "Tabla",
                                                     "scrolls": "%(name)s (desplazamiento horizontal)",
                                                     "request_failed": "la solicitud ha fallado (%(status)s)"}


def test_what_a_form_says_is_wrong_in_the_page_language(client):
    """The detail an HTML page gives for a form's mistake (logging in, the public call, the comparison's
    countries) in French or Spanish; the API's error texts stay English."""
    french = client.post("/login?lang=fr", data={"name": "ann", "password": "x"}, headers={"accept": "text/html"})
    assert 'id="login-error">Le formulaire de connexion a expiré ; veuillez réessayer.</p>' in html.unescape(
        french.text)
    spanish = client.get("/compare?c=JPN&lang=es", headers={"accept": "text/html"})
    assert spanish.status_code == 422
    assert "c: indique de 2 a 5 países para comparar (se recibieron 1)" in html.unescape(spanish.text)
    api = client.get("/api/v1/compare?c=JPN", headers={"accept-language": "es"}).json()["error"]["detail"]
    assert api.startswith("c: give 2 to 5 countries")
    closed = html.unescape(client.get("/call?lang=fr").text)
    assert "L’appel est clos" in closed and "the call is closed" not in closed
    from tiptiers.web.i18n_texts import form_error

    with i18n.use("es"):
        assert form_error("email: required") == "dirección de correo electrónico: obligatorio"
        assert form_error("country: unknown country 'Atlantis'; did you mean Albania?") == (
            "país: país desconocido 'Atlantis'; ¿quiso decir Albania?")
        assert form_error("Country: unknown country 'Atlantis'") == "País: país desconocido 'Atlantis'"
    with i18n.use("fr"):  # a shadow report's claim block, and the files to choose again
        assert form_error("Claim 2, statement: must not be empty Choose the files again: a browser does not keep "
                          "them.") == ("Affirmation 2, le texte : ne doit pas être vide Choisissez de nouveau les "
                                       "fichiers : un navigateur ne les conserve pas.")
        # the admin's accounts form, the narrative editor
        assert form_error("password: at least 12 characters") == "mot de passe : 12 caractères au moins"
        assert form_error("organisation: only an ngo account is bound to an organisation; analyst accounts are "
                          "not") == "organisation : seul un compte d’ONG est rattaché à une organisation, pas un " \
                                   "compte « analyste »"
        assert form_error("markdown: identical to the current version") == (
            "fiche pays : identique à la version actuelle")
    assert form_error("Claim 2, statement: must not be empty") == "Claim 2, statement: must not be empty"


def test_a_forms_countries_in_the_order_of_their_names_in_the_page_language():
    """The country lists of the forms (the public call, a shadow report) are alphabetical in the reader's language,
    accents aside: Égypte among the E's in French."""
    from tiptiers.web.deps import countries_by_name

    with i18n.use("fr"):
        names = [i18n.country_name_in(c.iso3, c.name) for c in countries_by_name()]
    assert names.index("Égypte") < names.index("Espagne") < names.index("Estonie") < names.index("Fidji")
    assert names.index("Allemagne") < names.index("Japon")  # Germany: not among the G's
    with i18n.use("en"):
        english = [c.name for c in countries_by_name()]
    assert english.index("Germany") > english.index("France")


def test_a_narrative_pdf_in_the_language_asked_for(client):
    """A generated narrative's PDF in French: its words are the page's."""
    import subprocess

    pdf = client.get("/narratives/JPN/2008.pdf?lang=fr")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, timeout=60).stdout.decode()
    assert "Ce que contiennent les données" in " ".join(text.split()) and "What the record holds" not in text


def test_a_json_error_keeps_its_english_detail_and_adds_it_as_the_reader_is_shown_it(site):  # noqa: F811
    """The review pages' forms send JSON and show the API's error beside the button (review.js, workspace.js): the
    error's `detail` stays English (the API's contract) and, for a reader of French or Spanish (?lang=, the cookie,
    Accept-Language), `shown` is the detail as the HTML error page shows it to that reader. An English reader gets
    no `shown`. These are the errors the liaison's and the staff's forms really get from the store."""
    ana, jpn = as_user(site, "ana"), as_user(site, "jpn-liaison")
    claim = ana.post("/api/v1/evidence", json={
        "iso3": "JPN", "year": 2024, "criteria": ["criterion_1"], "statement": "A claim.", "source_type": "ngo",
        "source_name": "an NGO"}).json()["id"]
    assert ana.post("/api/v1/reviews/JPN/2024/requests", json={}).status_code == 201
    answer = f"/api/v1/reviews/JPN/2024/claims/{claim}/responses"

    def error(client, url, body, **headers):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code in (401, 403, 404, 422), response.text
        return response.json()["error"]

    dispute = {"kind": "dispute", "text": "This is false."}  # without its counter-evidence
    english = error(jpn, answer, dispute)
    assert english == {"status": 422, "detail": "counter_evidence: must not be empty"}
    french = error(jpn, answer, dispute, **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french == {"status": 422, "detail": "counter_evidence: must not be empty",
                      "shown": "la preuve contraire : ne doit pas être vide"}
    assert error(jpn, answer + "?lang=es", {"kind": "comment", "text": " "})["shown"] == (
        "el texto: no puede quedar en blanco")
    jpn.cookies.set(i18n.COOKIE, "es")
    try:
        assert error(jpn, answer, {"kind": "comment", "text": "Noted.", "attachment_public": True})["shown"] == (
            "archivo: no hay ningún archivo que publicar; adjunte uno o deje esta casilla sin marcar")
        assert error(jpn, answer, {**dispute, "counter_evidence": "Article 226-2.",
                                   "counter_source_url": "ftp://example.org/law"})["shown"] == (
            "el enlace: 'ftp://example.org/law' no es un enlace http(s)")
        assert error(jpn, f"/api/v1/reviews/JPN/2024/claims/{claim + 999}/responses", dispute)["shown"] == (
            f"no hay ninguna afirmación n.º {claim + 999} en el borrador (Japón, 2024)")
        validation = error(jpn, "/api/v1/reviews/JPN/2024/final-comments", {"text": "x" * 20_001})
        assert validation["detail"] == "text: String should have at most 20000 characters"
        assert validation["shown"] == "el texto: como máximo 20000 caracteres"
        assert error(jpn, "/api/v1/reviews/JPN/2024/final-comments", {"text": "Final."})["shown"] == (
            "no se ha enviado ningún informe final (Japón, 2024) para revisión")
    finally:
        jpn.cookies.clear()
    response = jpn.post(answer, json={**dispute, "counter_evidence": "Article 226-2."})
    assert response.status_code == 201
    dispute_id = response.json()["id"]

    # the staff's forms: a resolution, a translation
    resolve = f"/api/v1/disputes/{dispute_id}/resolution?lang=fr"
    assert error(ana, resolve, {"outcome": "maintained"})["shown"] == (
        "le motif : maintenir une affirmation exige un motif écrit")
    assert error(ana, resolve, {"outcome": "accepted"})["shown"].startswith(
        "l’affirmation corrigée : une contestation acceptée soit corrige l’affirmation")
    assert ana.post(resolve, json={"outcome": "maintained", "reason": "The source stands."}).status_code == 200
    assert error(ana, resolve, {"outcome": "maintained", "reason": "Again."})["shown"] == (
        f"la contestation nº {dispute_id} a déjà été tranchée (affirmation maintenue)")
    translate = "/api/v1/reviews/JPN/2024/translations?lang=es"
    own = error(ana, translate, {"text_kind": "response", "text_id": str(dispute_id), "language": "en",
                                 "text": "Esto es falso."})
    assert own["detail"].startswith("language: the text is written in English already")
    assert own["shown"] == "idioma: el texto ya está escrito en inglés; la traducción debe hacerse a otro idioma"
    other = ana.post("/api/v1/evidence", json={
        "iso3": "JPN", "year": 2024, "criteria": ["criterion_1"], "statement": "Another claim.",
        "source_type": "ngo", "source_name": "another NGO"}).json()["id"]
    assert error(ana, f"/api/v1/evidence/{other}/state?lang=es", {"state": "corroborated"})["shown"] == (
        "la prueba que corrobora: una corroboración necesita el número de una prueba independiente")
    assert error(as_user(site, None), answer + "?lang=es", dispute)["shown"] == (  # a session that ended
        "se requiere iniciar sesión: inicie sesión (POST /api/v1/session) o envíe `Authorization: Bearer <token>`")
    with i18n.use("es"):  # refused before any route: the session's CSRF token, a busy database
        from tiptiers.web.i18n_texts import error_detail

        assert error_detail("CSRF token does not match this session (it may have ended): reload the page and "
                            "try again").startswith("El token de seguridad (CSRF) no corresponde a esta sesión")
        assert str(error_detail("the database is busy with other changes; nothing was stored, try again in a few "
                                "seconds")).startswith("la base de datos está ocupada")


def test_the_rating_editor_without_javascript_says_why_in_the_page_language(site):  # noqa: F811
    """The workspace's one-form save (no JavaScript) refused over a newer version: the page says why in French."""
    ana = as_user(site, "ana")
    saved = ana.put("/api/v1/assessments/JPN/2022", json={"ratings": [
        {"criterion": "standard_1", "level": "partial", "evidence": []}], "version": 0})
    assert saved.status_code == 200, saved.text
    page = ana.post("/workspace/JPN/2022?lang=fr", data={"level-standard_1": "full", "version": "0"},
                    headers={"Accept": "text/html"})
    assert page.status_code == 409
    found = re.search(r'id="ratings-error">(.*?)</p>', html.unescape(page.text))
    assert found and found.group(1).startswith("l’évaluation (Japon, 2022) a été enregistrée par ana le "), found
