"""Charts drawn as SVG on the server: no JavaScript, no CDN, the same picture in the page and the PDF.

Colours and patterns come from `publish.palette`. Colour is never the only channel: a tier is a row with its name
on the axis, a country's line has its own dash, marker and label, a flow is labelled with its tiers and count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from tiptiers.publish import palette
from tiptiers.tiers import N_, Tier

# Tier 1 at the top; special cases on a row of their own below the scale, not joined to the line.
CHART_TIERS = (Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3)
ROWS = (*CHART_TIERS, Tier.SPECIAL)
ABSENT_LABELS = {"not_ranked": N_("not ranked"), "not_in_sources": N_("not in the sources we have")}


def _open(width: int, height: int, title: str, css: str) -> list[str]:
    return [f'<svg class="{css}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']


def _year_axis(first: int, last: int, x: Callable[[int], float], y: float) -> list[str]:
    span = last - first
    step = 1 if span <= 12 else (2 if span <= 26 else 5)
    out = []
    for year in range(first, last + 1):
        if (year - first) % step == 0 or year == last:
            label = str(year)[-2:] if span > 10 and step == 1 else str(year)
            out.append(f'<text class="axis" x="{x(year):.1f}" y="{y}" text-anchor="middle">{label}</text>')
    return out


def _tier_rows(top: float, step: float, left: float, right: float,
               words: Callable[[str], str] = str) -> tuple[dict[Tier, float], list[str]]:
    ys = {t: top + i * step for i, t in enumerate(ROWS)}
    parts = []
    for tier, yy in ys.items():
        dash = ' stroke-dasharray="3 3"' if tier == Tier.SPECIAL else ""
        parts.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{yy:.1f}" y2="{yy:.1f}"{dash}/>'
                     f'<text class="axis" x="{left - 10}" y="{yy + 4:.1f}" text-anchor="end">'
                     f"{escape(words(tier.label))}</text>")
    return ys, parts


def tier_history_svg(points: Sequence[tuple[int, str]], title: str,
                     absent: Mapping[int, str] | None = None, words: Callable[[str], str] = str) -> str:
    """A step line of tier by report year; each year a dot with a tooltip. `points` are (year, tier); `absent`
    maps a year with no placement to why (`not_ranked` or `not_in_sources`): a labelled mark, not a silent gap.
    `words`: the tier and absence labels in the reader's language (a web page passes its gettext; English as is)."""
    width, height = 640, 250
    left, right, top, bottom = 130, 20, 20, 50
    absent = dict(absent or {})
    years = sorted({y for y, _ in points} | set(absent)) or [0]
    first, last = min(years), max(years)
    span = max(last - first, 1)

    def x(year: int) -> float:
        return left + (year - first) * (width - left - right) / span

    ys, grid = _tier_rows(top, (height - top - bottom) / len(CHART_TIERS), left, width - right, words)
    parts = _open(width, height, title, "tier-chart") + grid
    if points or absent:
        parts += _year_axis(first, last, x, height - 8)
    for year, why in sorted(absent.items()):
        swatch = palette.STATE_SWATCHES.get(why, palette.NOT_IN_SOURCES)
        parts.append(f'<rect class="absent" data-year="{year}" data-absent="{why}" x="{x(year) - 6:.1f}" y="{top}" '
                     f'width="12" height="{ys[Tier.TIER_3] - top:.1f}" fill="{palette.pattern_fill(swatch)}" '
                     f'opacity=".8"><title>{year}: {escape(words(ABSENT_LABELS[why])) if why in ABSENT_LABELS else why}'
                     "</title></rect>")
    ranked = [(yr, Tier(t)) for yr, t in sorted(points) if Tier(t) in CHART_TIERS]
    segment: list[str] = []
    previous = None
    for yr, t in ranked:  # the line breaks where a year is missing or a special case: no line across a gap
        joined = previous is not None and yr == previous + 1
        segment.append(f"{'L' if joined else 'M'}{x(yr):.1f},{ys[t]:.1f}")
        previous = yr
    if segment:
        parts.append(f'<path class="line" d="{" ".join(segment)}" fill="none" />')
    for year, tier in ((yr, Tier(t)) for yr, t in sorted(points)):
        swatch = palette.TIER_SWATCHES[tier]
        parts.append(
            f'<circle class="point" data-year="{year}" data-tier="{tier.value}" cx="{x(year):.1f}" '
            f'cy="{ys[tier]:.1f}" r="5" fill="{swatch.fill}" stroke="{palette.INK}" stroke-width="1">'
            f"<title>{year}: {escape(words(tier.label))}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def _marker(shape: str, cx: float, cy: float, colour: str) -> str:
    r = 4.5
    if shape == "square":
        return f'<rect x="{cx - r:.1f}" y="{cy - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{colour}"/>'
    if shape == "diamond":
        return (f'<path d="M{cx:.1f},{cy - r - 1:.1f} L{cx + r + 1:.1f},{cy:.1f} L{cx:.1f},{cy + r + 1:.1f} '
                f'L{cx - r - 1:.1f},{cy:.1f} Z" fill="{colour}"/>')
    if shape == "triangle":
        return (f'<path d="M{cx:.1f},{cy - r - 1:.1f} L{cx + r + 1:.1f},{cy + r:.1f} L{cx - r - 1:.1f},{cy + r:.1f} Z" '
                f'fill="{colour}"/>')
    if shape == "cross":
        return (f'<path d="M{cx - r:.1f},{cy - r:.1f} L{cx + r:.1f},{cy + r:.1f} M{cx + r:.1f},{cy - r:.1f} '
                f'L{cx - r:.1f},{cy + r:.1f}" stroke="{colour}" stroke-width="2.5"/>')
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{colour}"/>'


def compare_svg(series: Sequence[tuple[str, Mapping[int, str]]], years: Sequence[int], title: str,
                words: Callable[[str], str] = str) -> str:
    """Several countries' tiers on one shared axis: one line per country, each with its own colour, dash and
    marker, labelled at its last point and in the legend; lines sharing a tier are nudged apart to stay visible.
    `words`: the tier labels in the reader's language (a web page passes its gettext; English as is); the names in
    `series` are shown as given."""
    width, left, right, top = 760, 130, 150, 20
    row = 46
    height = top + row * (len(ROWS) - 1) + 50 + 22 * ((len(series) + 1) // 2)
    years = sorted(years) or [0]
    first, last = years[0], years[-1]
    span = max(last - first, 1)

    def x(year: int) -> float:
        return left + (year - first) * (width - left - right) / span

    ys, grid = _tier_rows(top, row, left, width - right, words)
    parts = _open(width, height, title, "tier-chart compare-chart") + grid
    parts += _year_axis(first, last, x, top + row * (len(ROWS) - 1) + 28)
    n = len(series)
    point = words(N_("%(country)s, %(year)s: %(tier)s"))
    for i, (name, placements) in enumerate(series):
        colour, dash = palette.SERIES[i % len(palette.SERIES)]
        shape = palette.SERIES_MARKERS[i % len(palette.SERIES_MARKERS)]
        offset = (i - (n - 1) / 2) * 4  # the same tier, the same year: side by side, not on top of each other
        pts = [(yr, Tier(t)) for yr, t in sorted(placements.items()) if yr in years]
        segment, previous = [], None
        for yr, t in pts:
            if t not in CHART_TIERS:
                previous = None
                continue
            joined = previous is not None and years.index(yr) == years.index(previous) + 1
            segment.append(f"{'L' if joined else 'M'}{x(yr):.1f},{ys[t] + offset:.1f}")
            previous = yr
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="series" data-country="{escape(name)}">')
        if segment:
            parts.append(f'<path d="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        for yr, t in pts:
            parts.append(f'<g class="point" data-year="{yr}" data-tier="{t.value}">'
                         f"{_marker(shape, x(yr), ys[t] + offset, colour)}"
                         f"<title>{escape(point % {'country': name, 'year': yr, 'tier': words(t.label)})}</title></g>")
        if pts:
            yr, t = pts[-1]
            parts.append(f'<text class="series-label" x="{x(yr) + 10:.1f}" y="{ys[t] + offset + 4:.1f}" '
                         f'fill="{colour}">{escape(name)}</text>')
        parts.append("</g>")
    legend_top = top + row * (len(ROWS) - 1) + 48
    for i, (name, _) in enumerate(series):
        colour, dash = palette.SERIES[i % len(palette.SERIES)]
        shape = palette.SERIES_MARKERS[i % len(palette.SERIES_MARKERS)]
        lx, ly = left + (i % 2) * 300, legend_top + (i // 2) * 22
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="legend-item"><line x1="{lx}" x2="{lx + 40}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                     f'stroke-width="2.5"{dash_attr}/>{_marker(shape, lx + 20, ly, colour)}'
                     f'<text class="legend" x="{lx + 50}" y="{ly + 4}">{escape(name)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


FLOW_FROM = ("1", "2", "2WL", "3", "special", "unknown", "new")  # the previous year's side, top to bottom
FLOW_LABELS = {"unknown": N_("Previous year unknown"), "new": N_("New in the report")}


def flow_label(key: str) -> str:
    return FLOW_LABELS.get(key) or Tier(key).label


STANDALONE_STYLE = (f"<style>text {{ font-family: sans-serif; font-size: 13px; fill: {palette.INK}; }} "
                    ".axis { font-weight: 700; }</style>")


def flows_svg(flows: Mapping[tuple[str, str], int], year: int, title: str, *, standalone: bool = False,
              words: Callable[[str], str] = str) -> str:
    """The flows between tiers from one report to the next: last year's tiers on the left, this year's on the
    right, a band per (from, to) as wide as its count, coloured and patterned as its destination, each labelled
    with its count. `flows` maps (from, to) to the number of countries; `from` may be `unknown` or `new`.
    `standalone`: a file of its own (the SVG and PNG downloads), with its patterns, fonts and a white ground.
    `words`: the labels in the reader's language (a web page passes its gettext; English as is)."""
    width, left_x, right_x, node_w, gap, top = 720, 170, 550, 18, 14, 30
    # Pixels per country: a whole year (about 180) fits in about 600 px; a filtered few are drawn large enough to read.
    unit = min(24.0, max(3.2, 320 / max(sum(flows.values()), 1)))
    sources = [k for k in FLOW_FROM if any(f == k for f, _ in flows)]
    targets = [t.value for t in (*CHART_TIERS, Tier.SPECIAL) if any(to == t.value for _, to in flows)]

    def stack(keys: Sequence[str], side: int) -> dict[str, tuple[float, float]]:
        out, y = {}, float(top)
        for k in keys:
            total = sum(n for (f, t), n in flows.items() if (f if side == 0 else t) == k)
            out[k] = (y, total * unit)
            y += total * unit + gap
        return out

    left, right = stack(sources, 0), stack(targets, 1)
    height = int(max([y + h for y, h in (*left.values(), *right.values())] or [top]) + 30)
    parts = _open(width, height, title, "flow-chart")
    if standalone:
        parts.insert(0, '<?xml version="1.0" encoding="UTF-8"?>\n')
        parts += [palette.svg_defs(), STANDALONE_STYLE, f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    if not flows:
        parts.append(f'<text class="axis" x="{width / 2}" y="{top + 20}" text-anchor="middle">'
                     f'{escape(words(N_("No country to show")))}</text>')
    parts.append(f'<text class="axis" x="{left_x}" y="18" text-anchor="end">{year - 1}</text>'
                 f'<text class="axis" x="{right_x + node_w}" y="18">{year}</text>')
    out_y = {k: y for k, (y, _) in left.items()}
    in_y = {k: y for k, (y, _) in right.items()}
    for f in sources:  # bands in a stable order: by source, then destination
        for t in targets:
            n = flows.get((f, t), 0)
            if not n:
                continue
            h = n * unit
            y0, y1 = out_y[f], in_y[t]
            out_y[f] += h
            in_y[t] += h
            x0, x1, mid = left_x + node_w, right_x, (left_x + node_w + right_x) / 2
            swatch = palette.TIER_SWATCHES[Tier(t)]
            d = (f"M{x0},{y0:.1f} C{mid},{y0:.1f} {mid},{y1:.1f} {x1},{y1:.1f} L{x1},{y1 + h:.1f} "
                 f"C{mid},{y1 + h:.1f} {mid},{y0 + h:.1f} {x0},{y0 + h:.1f} Z")
            moved = words(N_("%(source)s unchanged %(target)s: %(count)s") if f == t else
                          N_("%(source)s to %(target)s: %(count)s")) % {
                "source": escape(words(flow_label(f))), "target": escape(words(flow_label(t))), "count": n}
            parts.append(f'<path class="flow" data-from="{f}" data-to="{t}" data-count="{n}" d="{d}" '
                         f'fill="{palette.pattern_fill(swatch)}" fill-opacity=".75" stroke="{palette.INK}" '
                         f'stroke-width=".4"><title>{moved}</title></path>')
            if h >= 10:
                parts.append(f'<text class="flow-count" x="{x1 - 6}" y="{y1 + h / 2 + 4:.1f}" text-anchor="end">'
                             f"{n}</text>")
    for side, nodes in ((0, left), (1, right)):
        for k, (y, h) in nodes.items():
            nx = left_x if side == 0 else right_x
            fill = (palette.pattern_fill(palette.TIER_SWATCHES[Tier(k)]) if k in Tier._value2member_map_
                    else palette.pattern_fill(palette.NOT_IN_SOURCES))
            total = round(h / unit)
            parts.append(f'<rect class="node" x="{nx}" y="{y:.1f}" width="{node_w}" height="{max(h, 1):.1f}" '
                         f'fill="{fill}" stroke="{palette.INK}" stroke-width="1"/>')
            tx, anchor = (nx - 8, "end") if side == 0 else (nx + node_w + 8, "start")
            parts.append(f'<text class="node-label" x="{tx}" y="{y + h / 2 + 4:.1f}" text-anchor="{anchor}">'
                         f"{escape(words(flow_label(k)))} ({total})</text>")
    parts.append("</svg>")
    return "".join(parts)
