"""'Did you mean' for a page that does not exist: the closest countries for a country in the path (/countries/Japn,
/narratives/Jpan/2008), else the closest of the site's public pages (/movement -> /movements)."""

from __future__ import annotations

import difflib
import re

from tiptiers.countries import country_table

PUBLIC_PAGES = ("/", "/movements", "/map", "/compare", "/data", "/search", "/calendar", "/analysis/consistency",
                "/about/methodology", "/about/data", "/login")
_COUNTRY_PATH = re.compile(r"^/(countries|narratives)/([^/]+)(/.*)?$")


def did_you_mean(path: str) -> list[tuple[str, str]]:
    """(label, URL) of up to three pages the visitor may have meant; [] when nothing is close."""
    match = _COUNTRY_PATH.match(path)
    if match:
        kind, given, rest = match.group(1), match.group(2), match.group(3) or ""
        table = country_table()
        out = []
        for found in table.suggest(given.replace("-", " ").replace("_", " ")):
            iso3 = found.rsplit("(", 1)[-1].rstrip(")")
            if table.get(iso3) is not None and iso3 != given.upper():
                out.append((found, f"/{kind}/{iso3}{rest}"))
        return out
    close = difflib.get_close_matches(path.rstrip("/") or "/", PUBLIC_PAGES, n=3, cutoff=0.6)
    return [(url, url) for url in close]
