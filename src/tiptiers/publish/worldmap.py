"""A world map coloured by tier, drawn on the server as SVG from the country outlines that the registry package
`pygal_maps_world` ships (its worldmap.svg, one group of paths per ISO 3166-1 alpha-2 code). No tile server, no
CDN: the picture is the same in the page, the download, the static site and the PDF. PNG via cairosvg.

Pure: placements in, SVG text out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from html import escape
from importlib import resources

import pycountry

from tiptiers.publish.charts import TIER_COLOURS
from tiptiers.tiers import TIER_ORDER, Tier

NO_PLACEMENT_COLOUR = "#d9d9d9"
VIEWBOX = (2475, 1388)  # the viewBox of pygal_maps_world's worldmap.svg
_GROUP = re.compile(r'<g class="([a-z]{2}) country map-element">(.*?)</g>', re.S)
_PATH_D = re.compile(r'<path d="([^"]+)"')


@dataclass(frozen=True)
class MapCountry:
    iso3: str
    name: str
    tier: Tier | None
    href: str | None


@cache
def geometry() -> dict[str, tuple[str, ...]]:
    """ISO alpha-3 -> the SVG path data of its outline (small island states have none in the package)."""
    text = resources.files("pygal_maps_world").joinpath("worldmap.svg").read_text(encoding="utf-8")
    shapes: dict[str, tuple[str, ...]] = {}
    for alpha2, body in _GROUP.findall(text):
        country = pycountry.countries.get(alpha_2=alpha2.upper())
        if country is not None:
            shapes[country.alpha_3] = tuple(_PATH_D.findall(body))
    return shapes


def world_map_svg(year: int, countries: Mapping[str, MapCountry], *, standalone: bool = False,
                  title: str | None = None) -> str:
    """Every country with an outline, filled with its tier's colour, with a <title> (hover) and a link (click).

    `countries` maps ISO alpha-3 to its placement; outlines with no placement are grey. `standalone` adds the XML
    declaration and inline fills only (for the .svg download and PNG conversion); the page version is the same
    picture with data attributes that worldmap.js reads."""
    width, height = VIEWBOX
    label = title or f"TIP Report {year}: tier placements"
    parts = []
    if standalone:
        parts.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    parts.append(
        f'<svg class="world-map" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {height + 90}" width="{width}" height="{height + 90}" role="img" '
        f'aria-label="{escape(label)}" data-year="{year}">'
        f'<title>{escape(label)}</title><rect width="{width}" height="{height + 90}" fill="#ffffff"/>'
    )
    for iso3, paths in sorted(geometry().items()):
        entry = countries.get(iso3)
        tier = entry.tier if entry else None
        fill = TIER_COLOURS[tier] if tier else NO_PLACEMENT_COLOUR
        name = entry.name if entry else iso3
        tip = f"{name}: {tier.label}" if tier else f"{name}: not placed in {year}"
        shape = "".join(f'<path d="{d}"/>' for d in paths)
        group = (f'<g class="country" id="c-{iso3}" data-iso3="{iso3}" data-name="{escape(name)}" '
                 f'data-tier="{tier.value if tier else ""}" fill="{fill}" stroke="#ffffff" stroke-width="0.6">'
                 f"<title>{escape(tip)}</title>{shape}</g>")
        if entry and entry.href:
            group = f'<a href="{escape(entry.href)}" xlink:href="{escape(entry.href)}">{group}</a>'
        parts.append(group)
    parts.append(_legend(height, countries))
    parts.append("</svg>")
    return "".join(parts)


def _legend(top: int, countries: Mapping[str, MapCountry]) -> str:
    counts = {t: 0 for t in TIER_ORDER}
    for c in countries.values():
        if c.tier:
            counts[c.tier] += 1
    items = []
    x = 40
    for tier in TIER_ORDER:
        items.append(f'<rect x="{x}" y="{top + 30}" width="36" height="36" fill="{TIER_COLOURS[tier]}"/>'
                     f'<text x="{x + 48}" y="{top + 58}" font-family="sans-serif" font-size="30" fill="#222">'
                     f"{tier.label} ({counts[tier]})</text>")
        x += 470
    return f'<g class="legend">{"".join(items)}</g>'


def map_countries(placements: Mapping[str, str], names: Mapping[str, str],
                  href: Callable[[str], str | None]) -> dict[str, MapCountry]:
    """Build the map's input from {iso3: tier} and {iso3: name}; `href(iso3)` gives each country's link."""
    return {iso3: MapCountry(iso3, names.get(iso3, iso3), Tier(tier), href(iso3)) for iso3, tier in placements.items()}


def without_outline(placements: Mapping[str, str]) -> list[str]:
    """Placed countries the map cannot draw (no outline in the geometry): listed beside the map instead."""
    return sorted(iso3 for iso3 in placements if iso3 not in geometry())


@lru_cache(maxsize=32)
def svg_to_png(svg: str, width: int = 1200) -> bytes:
    """Rasterise (about 2 s for the world map: cached, the same map asked again costs nothing)."""
    import cairosvg  # imported here: only the PNG download needs cairo

    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width)
    assert isinstance(png, bytes)
    return png
