"""Charts drawn as SVG on the server: no JavaScript, no CDN, the same picture in the page and the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from tiptiers.tiers import Tier

# Tier 1 at the top. Special cases are not on the scale; they show as a gap.
CHART_TIERS = (Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3)
TIER_COLOURS = {
    Tier.TIER_1: "#2b7a3d",
    Tier.TIER_2: "#9bbf3b",
    Tier.WATCH_LIST: "#e8a317",
    Tier.TIER_3: "#c0392b",
    Tier.SPECIAL: "#888888",
}


def tier_history_svg(points: Sequence[tuple[int, str]], title: str) -> str:
    """A step line of tier by report year; each year a dot with a tooltip. `points` are (year, tier)."""
    width, height = 640, 220
    left, right, top, bottom = 130, 20, 20, 40
    placed = [(y, Tier(t)) for y, t in sorted(points) if Tier(t) in CHART_TIERS]
    years = [y for y, _ in sorted(points)] or [0]
    first, last = min(years), max(years)
    span = max(last - first, 1)

    def x(year: int) -> float:
        return left + (year - first) * (width - left - right) / span

    def y(tier: Tier) -> float:
        return top + CHART_TIERS.index(tier) * (height - top - bottom) / (len(CHART_TIERS) - 1)

    parts = [
        f'<svg class="tier-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tier in CHART_TIERS:
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tier):.1f}" y2="{y(tier):.1f}" />'
            f'<text class="axis" x="{left - 10}" y="{y(tier) + 4:.1f}" text-anchor="end">{tier.label}</text>'
        )
    for year in range(first, last + 1) if points else ():
        parts.append(f'<text class="axis" x="{x(year):.1f}" y="{height - 15}" text-anchor="middle">'
                     f"{str(year)[-2:] if span > 10 else year}</text>")
    if placed:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(yr):.1f},{y(t):.1f}" for i, (yr, t) in enumerate(placed))
        parts.append(f'<path class="line" d="{path}" fill="none" />')
    for year, tier in placed:
        parts.append(
            f'<circle class="point" data-year="{year}" data-tier="{tier.value}" cx="{x(year):.1f}" '
            f'cy="{y(tier):.1f}" r="5" fill="{TIER_COLOURS[tier]}"><title>{year}: {tier.label}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)
