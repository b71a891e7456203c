"""/about/: the methodology and the data guide, from the same Markdown as the documentation site (docs/ links to
these files), packaged so that an installed app has them."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from tiptiers.publish.narrative import render_markdown
from tiptiers.web import i18n
from tiptiers.web.deps import templates
from tiptiers.web.i18n import N_
from tiptiers.web.pagecache import PUBLIC

api = APIRouter(prefix="/api/v1", tags=["about"])  # no JSON twin: these pages are prose
pages = APIRouter(include_in_schema=False)

PAGES = {"methodology": N_("The methodology"), "data": N_("The data")}
# Links between the pages, written for the documentation site, as the app serves them.
LINKS = {f'href="{name}.md"': f'href="/about/{name}"' for name in PAGES}


@cache
def page_html(name: str) -> str:
    html = render_markdown((resources.files("tiptiers") / "about" / f"{name}.md").read_text(encoding="utf-8"))
    for written, served in LINKS.items():
        html = html.replace(written, served)
    return html


@cache
def summary_html(name: str, lang: str) -> str:
    """The page's summary in `lang` (about/NAME.LANG.md), shown above the English text it sums up; "" if none
    (English, or not written). The text itself, the statute's words among them, stays English."""
    path = resources.files("tiptiers") / "about" / f"{name}.{lang}.md"
    return render_markdown(path.read_text(encoding="utf-8")) if path.is_file() else ""


@pages.get("/about/{name}", dependencies=PUBLIC, response_class=HTMLResponse)
def about_page(name: str, request: Request) -> Response:
    if name not in PAGES:
        raise HTTPException(404, f"no page /about/{name}; there are {', '.join(f'/about/{p}' for p in PAGES)}")
    return templates.TemplateResponse(request, "about.html", {"title": PAGES[name], "html": page_html(name),
                                                               "summary": summary_html(name, i18n.current()),
                                                               "pages": PAGES, "current": name})
