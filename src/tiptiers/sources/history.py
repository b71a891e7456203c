"""The public history bundled with tiptiers (data/tip_history.yaml and the files it names): placements with their
provenance, waivers with the memorandum each comes from, and each year's coverage. Read and checked, never stored
here: `tiptiers.store.placements.load_bundled` stores it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

from tiptiers.countries import country_table
from tiptiers.coverage import WaiverCoverage, YearCoverage
from tiptiers.sources.placements import PlacementRow, parse_placements
from tiptiers.tiers import parse_tier

MANIFEST = "tip_history.yaml"
# The first file has no per-row source: this is the one its README gives.
KELLEY_HEISS = ("Kelley & Heiss, Scorecard Diplomacy replication data (MIT licence), data/processed/map_tiers.csv "
                "of the public repository andrewheiss/scorecard-diplomacy; placements as published in the TIP Reports")


@dataclass(frozen=True)
class WaiverRow:
    iso3: str
    year: int
    country_name: str
    source: str

    @property
    def justification(self) -> str:
        return (f"Memorandum of Justification consistent with section 110(b)(2)(D) of the TVPA, {self.year} report: "
                f"{self.source}")


@dataclass(frozen=True)
class Bundle:
    version: str
    date: date
    placements: list[PlacementRow]
    waivers: list[WaiverRow]
    coverage: dict[int, YearCoverage]

    @property
    def label(self) -> str:
        return f"tiptiers bundled history {self.version} ({self.date.isoformat()})"


def _text(name: str) -> str:
    return resources.files("tiptiers.data").joinpath(name).read_text(encoding="utf-8")


def _waivers(name: str) -> list[WaiverRow]:
    table = country_table()
    rows = []
    for line, r in enumerate(csv.DictReader(io.StringIO(_text(name))), start=2):
        iso3 = r["iso3"].strip()
        if table.get(iso3) is None:
            raise ValueError(f"{name}: line {line}, field 'iso3': unknown country {iso3!r}")
        rows.append(WaiverRow(iso3, int(r["year"]), r["country_name"].strip(), r["source"].strip()))
    return rows


def _counts(name: str) -> dict[int, tuple[int, str]]:
    rows = csv.DictReader(io.StringIO(_text(name)))
    return {int(r["year"]): (int(r["ranked_total"]), r["source"].strip()) for r in rows}


def _coverage(year: int, spec: dict[str, Any], counts: dict[int, tuple[int, str]], label: str) -> YearCoverage:
    official, official_source = counts.get(year, (None, ""))
    return YearCoverage(
        year=year, full_tiers=frozenset(parse_tier(str(t)) for t in spec.get("full") or ()),
        gaps=dict(spec.get("gaps") or {}), waivers=WaiverCoverage(spec.get("waivers", "none")),
        official_count=official, official_source=official_source, note=" ".join(str(spec.get("note", "")).split()),
        source=label)


@cache
def read_bundle() -> Bundle:
    manifest = yaml.safe_load(_text(MANIFEST))
    version, when = str(manifest["version"]), manifest["date"]
    label = f"tiptiers bundled history {version} ({when.isoformat()})"
    placements: list[PlacementRow] = []
    for name in manifest["placements"]:
        placements += parse_placements(_text(name), source=name)
    placements = [r if r.source else PlacementRow(r.iso3, r.year, r.tier, r.line, KELLEY_HEISS, "listed", None,
                                                  r.country_name) for r in placements]
    counts = _counts(manifest["counts"])
    coverage = {int(y): _coverage(int(y), spec, counts, label) for y, spec in manifest["years"].items()}
    return Bundle(version, when, placements, _waivers(manifest["waivers"]), coverage)
