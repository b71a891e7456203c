"""/about/: the methodology and the data guide, from the same Markdown as the documentation site (docs/ links to
these files), packaged so that an installed app has them."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from tiptiers.publish.narrative import render_markdown
from tiptiers.web.deps import templates
from tiptiers.web.pagecache import PUBLIC

api = APIRouter(prefix="/api/v1", tags=["about"])  # no JSON twin: these pages are prose
pages = APIRouter(include_in_schema=False)

PAGES = {"methodology": "The methodology", "data": "The data"}
# Links between the pages, written for the documentation site, as the app serves them.
LINKS = {f'href="{name}.md"': f'href="/about/{name}"' for name in PAGES}


@cache
def page_html(name: str) -> str:
    html = render_markdown((resources.files("tiptiers") / "about" / f"{name}.md").read_text(encoding="utf-8"))
    for written, served in LINKS.items():
        html = html.replace(written, served)
    return html


@pages.get("/about/{name}", dependencies=PUBLIC, response_class=HTMLResponse)
def about_page(name: str, request: Request) -> Response:
    if name not in PAGES:
        raise HTTPException(404, f"no page /about/{name}; there are {', '.join(f'/about/{p}' for p in PAGES)}")
    return templates.TemplateResponse(request, "about.html", {"title": PAGES[name], "html": page_html(name),
                                                               "pages": PAGES, "current": name})
