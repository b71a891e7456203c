"""The one palette (publish/palette.py): tiers a colour-blind reader can tell apart, text that can be read, and no
second definition anywhere else (the stylesheet, the charts and the map all take it from there)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tiptiers.publish import palette
from tiptiers.publish.charts import compare_svg, flows_svg, tier_history_svg
from tiptiers.publish.worldmap import map_countries, world_map_svg
from tiptiers.tiers import Tier
from tiptiers.web.app import create_app

SRC = Path(__file__).resolve().parents[1] / "src" / "tiptiers"
FOUR = (Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """Relative luminance Y of an sRGB colour (IEC 61966-2-1, D65), as WCAG defines it."""
    r, g, b = (_linear(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def lightness(hex_colour: str) -> float:
    """CIE 1976 L* (0 black .. 100 white) of an sRGB colour."""
    y = luminance(hex_colour)
    f = y ** (1 / 3) if y > (6 / 29) ** 3 else y / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f - 16


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_lightness_is_measured_as_the_cie_defines_it():
    assert round(lightness("#000000"), 1) == 0 and round(lightness("#ffffff"), 1) == 100
    assert round(lightness("#777777"), 1) == 50.0  # sRGB 119 grey is L* 50 (a known reference value)
    # the palette the issue measured: Tier 1 and Tier 3 at about 45, Tier 2 and the Watch List at 73 and 72
    assert round(lightness("#2b7a3d")) == 45 and round(lightness("#c0392b")) == 45
    assert round(lightness("#9bbf3b")) == 73 and round(lightness("#e8a317")) == 72


def test_the_four_tiers_are_at_least_15_lightness_apart():
    values = {t: lightness(palette.TIER_SWATCHES[t].fill) for t in FOUR}
    print({t.label: round(v, 1) for t, v in values.items()})
    for a, b in itertools.combinations(FOUR, 2):
        assert abs(values[a] - values[b]) >= 15, (a.label, b.label, values[a], values[b])
    # ordered: the lighter the better tier, as on the map's legend
    assert values[Tier.TIER_1] > values[Tier.TIER_2] > values[Tier.WATCH_LIST] > values[Tier.TIER_3]


def test_special_case_not_ranked_and_not_in_the_sources_differ_by_pattern_and_label():
    others = [palette.TIER_SWATCHES[Tier.SPECIAL], palette.NOT_RANKED, palette.NOT_IN_SOURCES]
    tiers = [palette.TIER_SWATCHES[t] for t in FOUR]
    assert len({s.label for s in [*others, *tiers]}) == 7
    # each of the three has a pattern no tier has, or (solid) a lightness far from every solid tier's
    for s in others:
        clashes = [t for t in tiers if t.pattern == s.pattern
                   and abs(lightness(t.fill) - lightness(s.fill)) < 15]
        assert not clashes, (s.label, [c.label for c in clashes])
    assert len({(s.pattern, round(lightness(s.fill) / 15)) for s in others}) == 3
    assert len({s.pattern for s in tiers}) == 4  # the second channel of the map: a pattern per tier


def test_every_text_on_the_palette_can_be_read():
    for s in palette.all_swatches():
        assert contrast(s.fill, s.text) >= 4.5, (s.label, round(contrast(s.fill, s.text), 2))
    for name in ("ink", "muted", "accent", "good", "warning", "danger"):
        assert contrast(palette.TEXT_COLOURS[name], "#ffffff") >= 4.5, name
    for colour, _dash in palette.SERIES:
        assert contrast(colour, "#ffffff") >= 4.5  # the compare chart labels its lines in their colour


def test_the_palette_is_defined_once():
    fills = {s.fill.lower() for s in palette.all_swatches()}
    for path in SRC.rglob("*"):
        if path.suffix not in {".py", ".css", ".html", ".js", ".svg"} or path.name == "palette.py":
            continue
        found = fills & {m.lower() for m in re.findall(r"#[0-9a-fA-F]{6}\b", path.read_text(encoding="utf-8"))}
        assert not found, f"{path.relative_to(SRC)} repeats palette colours {found}: take them from palette.py"
    css = (SRC / "web" / "static" / "tiptiers.css").read_text()
    assert "--t1:" not in css and "--tier-1:" not in css


def test_the_stylesheet_charts_and_map_take_their_colours_from_the_palette(tmp_path):
    from tiptiers.store import migrate
    from tiptiers.store.db import make_engine

    url = f"sqlite:///{tmp_path / 'p.db'}"
    migrate.upgrade(make_engine(url))
    css = TestClient(create_app(url)).get("/palette.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for t in FOUR:
        s = palette.TIER_SWATCHES[t]
        assert f".{s.key} {{ background: {s.fill}; color: {s.text}; }}" in css.text
    chart = tier_history_svg([(2001, "1"), (2002, "2WL"), (2003, "3")], "x")
    assert palette.TIER_SWATCHES[Tier.WATCH_LIST].fill in chart
    world = world_map_svg(2008, map_countries({"JPN": "2WL", "FRA": "1"}, {"JPN": "Japan", "FRA": "France"},
                                              lambda _: None), standalone=True)
    assert 'fill="url(#map-pattern-tier-2WL)"' in world and palette.TIER_SWATCHES[Tier.TIER_1].fill in world
    flows = flows_svg({("2", "3"): 3, ("2WL", "3"): 2}, 2013, "x")
    assert palette.pattern_fill(palette.TIER_SWATCHES[Tier.TIER_3]) in flows
    lines = compare_svg([("Japan", {2001: "2"}), ("Korea", {2001: "1"})], [2001], "x")
    assert palette.SERIES[0][0] in lines and palette.SERIES[1][0] in lines
