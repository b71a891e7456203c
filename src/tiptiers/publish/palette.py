"""The one palette: the colours and patterns of the tiers and of the record's other states, for the stylesheet
(served as /palette.css), the server-drawn charts and the map alike.

The four tiers are ordered in lightness (Tier 1 lightest, Tier 3 darkest), at least 15 CIE L* apart, so that they
stay apart for a reader who cannot tell red from green, and in greyscale print (tests/test_palette.py measures it).
Lightness is not the only channel: every tier and state also has its own fill pattern on the map and in the charts,
and a label wherever it is named. The text on a tier badge is the ink or white, whichever the WCAG contrast rule
allows (at least 4.5:1). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tiptiers.tiers import TIER_ORDER, Tier
from tiptiers.web.i18n import N_  # labels translated where shown

INK = "#1d2329"
WHITE = "#ffffff"


@dataclass(frozen=True)
class Swatch:
    key: str  # the CSS name: tier-1, tier-2WL, state-not_ranked
    label: str
    fill: str
    text: str  # the text colour on `fill`
    pattern: str  # the second channel: solid | dots | stripes | crosshatch | lines | hatch
    mark: str  # the pattern's colour


TIER_SWATCHES: dict[Tier, Swatch] = {
    Tier.TIER_1: Swatch("tier-1", Tier.TIER_1.label, "#d6f2c6", INK, "solid", INK),
    Tier.TIER_2: Swatch("tier-2", Tier.TIER_2.label, "#d2b841", INK, "dots", INK),
    Tier.WATCH_LIST: Swatch("tier-2WL", Tier.WATCH_LIST.label, "#d0742a", INK, "stripes", INK),
    Tier.TIER_3: Swatch("tier-3", Tier.TIER_3.label, "#9b1c1c", WHITE, "crosshatch", WHITE),
    Tier.SPECIAL: Swatch("tier-special", Tier.SPECIAL.label, "#707070", WHITE, "lines", WHITE),
}
# A country with no placement: the record's two kinds of absence (tiptiers.coverage.Presence), never alike.
NOT_RANKED = Swatch("state-not_ranked", N_("Not ranked this year"), "#b3b3b3", INK, "solid", INK)
NOT_IN_SOURCES = Swatch("state-not_in_sources", N_("Not in the sources we have"), "#f2f2f2", INK, "hatch", "#6b6b6b")
STATE_SWATCHES = {"not_ranked": NOT_RANKED, "not_in_sources": NOT_IN_SOURCES}

# Colours of words and marks that are not tiers (text on white: at least 4.5:1).
TEXT_COLOURS = {"ink": INK, "muted": "#55606a", "line": "#d8dde1", "accent": "#1f5f8b", "good": "#1e6b34",
                "warning": "#8a4b00", "danger": "#9b1c1c", "focus": "#1f5f8b"}

# Lines of a multi-line chart (the compare page): colour and dash both differ, and each line is labelled.
SERIES = (("#1f5f8b", ""), ("#9b1c1c", "8 4"), ("#1e6b34", "2 3"), ("#6a3d9a", "10 3 2 3"), ("#8a4b00", "4 2"))
SERIES_MARKERS = ("circle", "square", "diamond", "triangle", "cross")


def tier_fill(tier: Tier | str) -> str:
    return TIER_SWATCHES[Tier(tier)].fill


def pattern_id(swatch: Swatch, prefix: str = "") -> str:
    return f"{prefix}pattern-{swatch.key}"


def _pattern_marks(swatch: Swatch) -> str:
    m = swatch.mark
    return {
        "solid": "",
        "dots": f'<circle cx="3" cy="3" r="1.3" fill="{m}" fill-opacity=".55"/>'
                f'<circle cx="9" cy="9" r="1.3" fill="{m}" fill-opacity=".55"/>',
        "stripes": f'<path d="M-3,3 l6,-6 M0,12 l12,-12 M9,15 l6,-6" stroke="{m}" stroke-width="1.6" '
                   f'stroke-opacity=".55"/>',
        "crosshatch": f'<path d="M0,0 L12,12 M12,0 L0,12" stroke="{m}" stroke-width="1.4" stroke-opacity=".7"/>',
        "lines": f'<path d="M0,3 H12 M0,9 H12" stroke="{m}" stroke-width="1.4" stroke-opacity=".7"/>',
        "hatch": f'<path d="M-3,9 l6,6 M0,0 l12,12 M9,-3 l6,6" stroke="{m}" stroke-width="1.2"/>',
    }[swatch.pattern]


def all_swatches() -> tuple[Swatch, ...]:
    return (*(TIER_SWATCHES[t] for t in TIER_ORDER), NOT_RANKED, NOT_IN_SOURCES)


def svg_defs(scale: float = 1.0, prefix: str = "") -> str:
    """<defs> of a <pattern> for every swatch: a fill of its colour with its marks on top. `scale` enlarges the tile
    for large pictures (the world map's coordinates are about 2.5 times the page's), under ids `prefix`pattern-KEY."""
    out = []
    for s in all_swatches():
        transform = f' patternTransform="scale({scale:g})"' if scale != 1 else ""
        out.append(f'<pattern id="{pattern_id(s, prefix)}" patternUnits="userSpaceOnUse" width="12" height="12"'
                   f'{transform}><rect width="12" height="12" fill="{s.fill}"/>{_pattern_marks(s)}</pattern>')
    return "<defs>" + "".join(out) + "</defs>"


def pattern_fill(swatch: Swatch, prefix: str = "") -> str:
    """The SVG fill of a shape in this swatch: its pattern (solid swatches: the colour itself)."""
    return swatch.fill if swatch.pattern == "solid" else f"url(#{pattern_id(swatch, prefix)})"


@cache
def stylesheet() -> str:
    """/palette.css: the custom properties every stylesheet uses and the badges. (SVG shapes take their pattern as a
    fill attribute, `pattern_fill`: a url(#id) in a stylesheet would point into the stylesheet.)"""
    props = [f"--{name}: {value};" for name, value in TEXT_COLOURS.items()]
    props += [f"--{s.key}: {s.fill};" for s in all_swatches()]
    rules = [":root { " + " ".join(props) + " }"]
    for s in all_swatches():
        rules.append(f".{s.key} {{ background: {s.fill}; color: {s.text}; }}")
    return "/* generated from tiptiers.publish.palette: edit the palette there, not here */\n" + "\n".join(rules) + "\n"


def swatch_svg(swatch: Swatch, prefix: str = "") -> str:
    """A small square of the swatch's colour and pattern, for a legend beside its label."""
    return (f'<svg class="swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">'
            f'<rect width="16" height="16" fill="{pattern_fill(swatch, prefix)}" stroke="{INK}" stroke-width="1"/>'
            "</svg>")


@cache
def favicon_svg() -> str:
    """The site's icon: the four tiers as bars of decreasing length, in their colours."""
    bars = "".join(f'<rect x="6" y="{6 + 6 * i}" width="{20 - 5 * i}" height="4" fill="{TIER_SWATCHES[t].fill}"/>'
                   for i, t in enumerate(TIER_ORDER[:4]))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
            f'fill="{WHITE}" stroke="{INK}" stroke-width="2"/>{bars}</svg>')
