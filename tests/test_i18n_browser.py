"""The interface in French and Spanish in Debian's headless Chromium: the country page and a narrative in each,
chosen with the switcher (by keyboard) and kept by the cookie; the liaison's review page in Spanish, with its
Spanish words for the right of reply and the form that sends a dispute (and says in Spanish what is wrong with it);
the rating editor's refused save in French; axe (WCAG 2.1 AA) over them, also at 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import pytest
from playwright.sync_api import Page

from conftest import serve_app
from test_review_browser import _log_in
from test_review_web import LAW, NGO_CLAIM, site  # noqa: F401  (the `site` fixture)
from tiptiers.store.assessments import RatingIn, save_assessment
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.reviews import send_request

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:  # noqa: F811
    with serve_app(site["app"]) as url:
        yield url


@pytest.fixture(scope="module")
def axe_script() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def _axe(page: Page, axe_script: str) -> list[str]:
    page.evaluate(axe_script)
    result = page.evaluate("opts => axe.run(document, opts)",
                           {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    return [f"{v['id']}: {v['help']} ({' | '.join(str(n['target']) for n in v['nodes'][:3])})"
            for v in result["violations"]]


@pytest.mark.parametrize(("lang", "name", "japan", "tier_words", "heading"), [
    ("fr", "Corée du Sud", "Japon", "Catégorie", "Chronologie : classements, câbles, réactions"),
    ("es", "Corea del Sur", "Japón", "Nivel", "Cronología: clasificaciones, cables, reacciones"),
])
def test_the_country_page_and_a_narrative_in_french_and_spanish(browser, base_url, axe_script, lang, name, japan,
                                                                 tier_words, heading):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/countries/KOR")
    assert page.locator("html").get_attribute("lang") == "en"
    link = page.locator(f"nav.languages a[hreflang={lang}]")
    link.focus()  # the switcher by keyboard
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text().startswith(name)
    assert page.locator(f"nav.languages a[hreflang={lang}]").get_attribute("aria-current") == "true"
    assert tier_words in page.locator("table.placements").inner_text()
    if page.locator("#timeline-h").count():
        assert page.locator("#timeline-h").inner_text() == heading
    assert _axe(page, axe_script) == []

    page.goto(f"{base_url}/narratives/JPN/2008")  # no ?lang=: the cookie keeps the language
    assert page.locator("html").get_attribute("lang") == lang
    assert tier_words in page.locator("#narrative-tier").inner_text()
    assert japan in page.locator("p.crumbs").inner_text()
    assert _axe(page, axe_script) == []

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(f"{base_url}/narratives/JPN/2008?lang={lang}")
    assert phone.locator("nav.languages").is_visible()  # not folded into the menu
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert _axe(phone, axe_script) == []


def test_the_liaisons_review_page_in_spanish(browser, base_url, axe_script, site):  # noqa: F811
    with transaction(site["db"].sessions) as s:
        claim_id = add_evidence(s, iso3="JPN", year=2025, criteria=["criterion_1"], statement=NGO_CLAIM,
                                source_type="ngo", source_name="una ONG", entered_by="ana").id
    with transaction(site["db"].sessions) as s:
        send_request(s, "JPN", 2025, "ana")

    liaison = _log_in(browser, base_url, "jpn-liaison", "/review/JPN/2025")
    liaison.goto(f"{base_url}/review/JPN/2025?lang=es")
    assert liaison.locator("html").get_attribute("lang") == "es"
    assert liaison.locator("h1").inner_text().startswith("Borrador para revisión: Japón")
    assert "Las respuestas deben enviarse a más tardar el" in liaison.locator("p.deadline").inner_text()
    claim = liaison.locator(f"#claim-{claim_id}")
    assert "Sin comentarios del gobierno." in claim.inner_text()
    assert claim.locator("legend").inner_text() == f"Su respuesta a la afirmación n.º {claim_id}"
    assert _axe(liaison, axe_script) == []

    form = claim.locator("form.respond")
    form.get_by_label("impugnar", exact=True).check()  # the radio by its Spanish name
    assert form.locator("input[value=dispute]").is_checked()
    form.get_by_label("Comentario", exact=True).fill("La afirmación es falsa: la ley lo prohíbe desde 2005.")
    # sent without its counter-evidence: the API refuses it, and the form says why in Spanish (the JSON error's
    # `shown`; its `detail` stays English)
    form.get_by_role("button", name="Enviar").click()
    error = form.locator("output.form-error")
    liaison.wait_for_function("el => el.textContent.length > 0", arg=error.element_handle())
    assert error.inner_text() == "la prueba en contrario: no puede quedar en blanco"
    assert form.get_by_role("button", name="Enviar").is_enabled()
    form.locator("textarea[name=counter_evidence]").fill(LAW)
    form.locator("input[name=counter_source_url]").fill("ftp://x.jp/law")  # a URL to the browser, not to the API
    form.get_by_role("button", name="Enviar").click()
    liaison.wait_for_function("el => el.textContent.startsWith('el enlace')", arg=error.element_handle())
    assert error.inner_text() == "el enlace: 'ftp://x.jp/law' no es un enlace http(s)"
    form.locator("input[name=counter_source_url]").fill("")
    with liaison.expect_navigation():
        form.get_by_role("button", name="Enviar").click()
    reply = liaison.locator(f"#claim-{claim_id} .reply-dispute")
    assert "El gobierno impugna:" in reply.inner_text() and "la ley lo prohíbe" in reply.inner_text()
    assert "espera la resolución de un analista" in liaison.locator(f"#claim-{claim_id}").inner_text()
    assert _axe(liaison, axe_script) == []

    phone = browser.new_context(viewport={"width": 390, "height": 844},
                                extra_http_headers={"Authorization": f"Bearer {site['tokens']['jpn-liaison']}",
                                                    "Accept-Language": "es-ES,es;q=0.9"}).new_page()
    phone.goto(f"{base_url}/login")
    assert phone.locator("h1").inner_text() == "Iniciar sesión"  # Accept-Language, no cookie
    phone.goto(f"{base_url}/review/JPN/2025")
    assert phone.locator("html").get_attribute("lang") == "es"
    assert _axe(phone, axe_script) == []


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_the_public_pages_pass_axe_in_each_language(browser, base_url, axe_script, lang):
    page = browser.new_context(viewport={"width": 1280, "height": 900},
                               extra_http_headers={"Accept-Language": lang}).new_page()
    found = {}
    for url in ("/", "/years/2013", "/countries/JPN/2013", "/map/2013", "/movements/2013", "/compare?c=JPN&c=KOR",
                "/data", "/search?q=Japan", "/about/methodology", "/calendar/2013", "/login", "/countries/Japn"):
        page.goto(base_url + url)
        assert page.locator("html").get_attribute("lang") == lang, url
        if violations := _axe(page, axe_script):
            found[url] = violations
    assert found == {}


def test_the_scripts_write_in_the_page_language(browser, base_url):
    """What the pages' scripts write: the what-if form's redraw and its status, and the world map's hover, in
    French; never reloading."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/countries/JPN/2008?lang=fr")
    page.evaluate("window.__same_document = true")
    for i in range(1, 5):  # every standard fully met: Tier 1
        page.select_option(f"#r-standard_{i}", "full")
    page.wait_for_selector('#det-tier[data-tier="1"]')
    page.wait_for_function("() => document.getElementById('whatif-status').textContent.startsWith('Mis à jour')")
    assert page.locator("#whatif-status").inner_text() == "Mis à jour : Catégorie 1."
    assert page.locator("#det-tier").inner_text() == "Catégorie 1"
    assert "normes minimales" in page.locator("ol.reasons").inner_text()
    assert page.evaluate("window.__same_document") is True

    page.goto(f"{base_url}/map/2008?lang=es")
    page.hover("#c-JPN path >> nth=0", force=True)
    page.wait_for_function("() => document.getElementById('map-info').textContent.startsWith('Japón')")
    assert page.locator("#map-info").inner_text().startswith("Japón: Nivel ")
    assert errors == []


def test_the_what_if_redraw_for_someone_logged_in(browser, base_url):
    """Logged in (a session cookie), the what-if's redraw carries the session's CSRF token, and answers in
    Spanish."""
    page = _log_in(browser, base_url, "ana", "/countries/JPN/2008")
    page.goto(f"{base_url}/countries/JPN/2008?lang=es")
    for i in range(1, 5):
        page.select_option(f"#r-standard_{i}", "full")
    page.wait_for_selector('#det-tier[data-tier="1"]')
    page.wait_for_function("() => document.getElementById('whatif-status').textContent.startsWith('Actualizado')")
    assert page.locator("#whatif-status").inner_text() == "Actualizado: Nivel 1."


def test_the_rating_editor_says_in_french_why_a_change_was_not_saved(browser, base_url, site):  # noqa: F811
    """workspace.js saves each change; a save over a newer version is refused (409), and the editor's status says why
    in the page's language (the JSON error's `shown`)."""
    with transaction(site["db"].sessions) as s:
        save_assessment(s, "JPN", 2023, [RatingIn("standard_1", "partial", [])], "rae")
    analyst = _log_in(browser, base_url, "ana", "/workspace/JPN/2023")
    analyst.goto(f"{base_url}/workspace/JPN/2023?lang=fr")
    analyst.locator("#rating-editor input[name=version]").evaluate("el => { el.value = '0'; }")  # an older version
    analyst.select_option("select[data-rating=standard_2]", "full")
    status = analyst.locator("#save-status")
    analyst.wait_for_function("el => el.textContent.startsWith('Non enregistré')", arg=status.element_handle())
    assert status.inner_text().startswith("Non enregistré : l’évaluation (Japon, 2023) a été enregistrée par rae le ")
    assert status.inner_text().endswith("(version 1) après la version 0, celle que vous modifiiez ; rechargez-la et "
                                        "refaites vos modifications")
