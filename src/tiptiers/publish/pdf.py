"""PDFs with WeasyPrint (Pango from Debian): one per country-year, and the whole report of a year with a table of
contents, the tier lists, every country's narrative and the methodology appendix of that year."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from tiptiers.publish.report import CountryYear
from tiptiers.publish.worldmap import svg_to_png, world_map_svg
from tiptiers.tiers import TIER_ORDER, Tier
from tiptiers.web import i18n

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates" / "publish"


@cache
def _env() -> jinja2.Environment:
    """The print templates, in the language being answered in (web/i18n.py: a request's, or `i18n.use`'s)."""
    from tiptiers.web.deps import country_name, templates  # the pages' words for tiers, states and countries

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    i18n.install(env)
    env.globals["tier_label"] = lambda value: i18n.gettext(Tier(value).label) if value else i18n.gettext("not placed")
    env.globals["TIER_LABELS"] = templates.env.globals["TIER_LABELS"]
    env.globals["claim_state"] = templates.env.globals["claim_state"]
    env.globals["country_name"] = country_name
    return env


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: Pango is loaded only when a PDF is made

    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


TIME_LEFT_OUT = datetime(2000, 1, 1)  # the printed time of the HTML whose digest says whether a PDF is the same
KEEP_COUNTRY_PDFS = 256
_country_pdfs: OrderedDict[str, bytes] = OrderedDict()  # by digest of their HTML, least recently used first
_country_lock = threading.Lock()


def source_digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def country_pdf(cy: CountryYear, generated_at: datetime) -> bytes:
    """A country-year's PDF. One laid out before from the same text is given again (with the time it was made):
    WeasyPrint takes a tenth of a second or more, the HTML and its digest a few milliseconds."""
    template = _env().get_template("print_country.html")
    digest = source_digest(template.render(entries=[cy], generated_at=TIME_LEFT_OUT, single=True))
    with _country_lock:
        if digest in _country_pdfs:
            _country_pdfs.move_to_end(digest)
            return _country_pdfs[digest]
    body = html_to_pdf(template.render(entries=[cy], generated_at=generated_at, single=True))
    with _country_lock:
        _country_pdfs[digest] = body
        while len(_country_pdfs) > KEEP_COUNTRY_PDFS:
            _country_pdfs.popitem(last=False)
    return body


def _compact(e: CountryYear) -> CountryYear:
    """A generated narrative without the law's rules (the appendix has them once), so the report stays short."""
    from tiptiers.web.i18n_texts import compact_narrative  # in the language of the report

    if e.version:
        return e
    return replace(e, html=compact_narrative(e), text_language="" if i18n.current() == i18n.DEFAULT else i18n.current())


def report_html(year: int, entries: Sequence[CountryYear], methodology: Any, generated_at: datetime,
                map_countries: dict[str, Any]) -> str:
    """The whole report as the HTML WeasyPrint lays out: cover, contents, the tier lists, the map, every narrative,
    the methodology appendix."""
    from tiptiers.web.deps import country_name

    entries = [_compact(e) for e in entries]
    world = world_map_svg(year, map_countries, standalone=True, words=i18n.gettext, name_of=country_name)
    by_tier: dict[str, list[CountryYear]] = {t.value: [] for t in TIER_ORDER}
    for e in entries:
        if e.tier:
            by_tier[e.tier].append(e)
    return _env().get_template("print_report.html").render(
        year=year, entries=entries, by_tier=by_tier, methodology=methodology, generated_at=generated_at,
        map_png=base64.b64encode(svg_to_png(world)).decode("ascii"),
        single=False)
