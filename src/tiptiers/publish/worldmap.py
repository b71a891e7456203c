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

from tiptiers.publish import palette
from tiptiers.tiers import N_, TIER_ORDER, Tier

PATTERNS = "map-"  # the map's own pattern ids, scaled to its coordinates
# A country's tooltip: its tier, or why it has none that year.
TIP = N_("%(country)s: %(tier)s")
ABSENT_TIPS = {"not_ranked": N_("%(country)s: not ranked in %(year)s"),
               "not_in_sources": N_("%(country)s: not in the sources we have in %(year)s")}
TITLE = N_("TIP Report %(year)s: tier placements")
VIEWBOX = (2475, 1388)  # the viewBox of pygal_maps_world's worldmap.svg
LEGEND = 110  # room below the outlines for two rows of the legend
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
                  title: str | None = None, absent: Callable[[str], str] = lambda _iso3: "not_in_sources",
                  words: Callable[[str], str] = str, name_of: Callable[[str, str], str] | None = None) -> str:
    """Every country with an outline, filled with its tier's colour and pattern, with a <title> (hover) and a link
    (click).

    `countries` maps ISO alpha-3 to its placement; `absent(iso3)` says what a country with an outline but no
    placement is: `not_ranked` or `not_in_sources` (the year's coverage), each with its own fill. `standalone` adds
    the XML declaration (for the .svg download and PNG conversion); the page version is the same picture, a group of
    links (not an image: its countries are links), with data attributes that worldmap.js reads.

    `words`: the title, tooltips and legend in the reader's language (a web page passes its gettext; English as
    is); `name_of(iso3, english)`: each country's name in it (English: as `countries` and the table give it)."""
    width, height = VIEWBOX
    label = title or words(TITLE) % {"year": year}
    parts = []
    if standalone:
        parts.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    role = "img" if standalone else "group"
    parts.append(
        f'<svg class="world-map" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {height + LEGEND}" width="{width}" height="{height + LEGEND}" role="{role}" '
        f'aria-label="{escape(label)}" data-year="{year}">'
        f'<title>{escape(label)}</title>{palette.svg_defs(2.5, PATTERNS)}'
        f'<rect width="{width}" height="{height + LEGEND}" fill="#ffffff"/>'
    )
    states: dict[str, int] = {}
    for iso3, paths in sorted(geometry().items()):
        entry = countries.get(iso3)
        tier = entry.tier if entry else None
        name = entry.name if entry else _name(iso3)
        if name_of is not None:
            name = name_of(iso3, name)
        if tier:
            swatch, state = palette.TIER_SWATCHES[tier], ""
            tip = words(TIP) % {"country": name, "tier": words(tier.label)}
        else:
            state = absent(iso3)
            states[state] = states.get(state, 0) + 1
            swatch = palette.STATE_SWATCHES[state]
            tip = words(ABSENT_TIPS[state]) % {"country": name, "year": year}
        shape = "".join(f'<path d="{d}"/>' for d in paths)
        group = (f'<g class="country" id="c-{iso3}" data-iso3="{iso3}" data-name="{escape(name)}" '
                 f'data-tier="{tier.value if tier else ""}" data-absent="{state}" '
                 f'fill="{palette.pattern_fill(swatch, PATTERNS)}" stroke="{palette.INK}" stroke-width="0.5">'
                 f"<title>{escape(tip)}</title>{shape}</g>")
        if entry and entry.href:
            group = (f'<a href="{escape(entry.href)}" xlink:href="{escape(entry.href)}" aria-label="{escape(tip)}">'
                     f"{group}</a>")
        parts.append(group)
    parts.append(_legend(height, countries, states, words))
    parts.append("</svg>")
    return "".join(parts)


@cache
def _name(iso3: str) -> str:
    from tiptiers.countries import country_table

    found = country_table().get(iso3)
    return found.name if found else iso3


def _legend(top: int, countries: Mapping[str, MapCountry], states: Mapping[str, int],
            words: Callable[[str], str] = str) -> str:
    """Each tier and each kind of absence the map shows: its fill and pattern, its name, its count."""
    counts = {t: 0 for t in TIER_ORDER}
    for c in countries.values():
        if c.tier:
            counts[c.tier] += 1
    entries = [(palette.TIER_SWATCHES[t], f"{words(t.label)} ({counts[t]})") for t in TIER_ORDER if counts[t]]
    # Both kinds of absence always have their entry: a reader of a partial year sees that "not ranked" is not what
    # the hatched countries are.
    entries += [(palette.STATE_SWATCHES[k], f"{words(palette.STATE_SWATCHES[k].label)} ({states.get(k, 0)})")
                for k in ("not_ranked", "not_in_sources")]
    items = []
    x, y = 30, top + 6
    for swatch, text in entries:
        step = 56 + 19 * len(text) + 50
        if x + step > VIEWBOX[0]:  # a second row
            x, y = 30, y + 46
        fill = palette.pattern_fill(swatch, PATTERNS)
        items.append(f'<g class="legend-entry" data-key="{swatch.key}"><rect x="{x}" y="{y}" width="40" height="40" '
                     f'fill="{fill}" stroke="{palette.INK}" stroke-width="1.5"/><text x="{x + 54}" y="{y + 32}" '
                     f'font-family="sans-serif" font-size="36" '
                     f'fill="{palette.INK}">{escape(text)}</text></g>')
        x += step
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
