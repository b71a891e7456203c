"""The project's country table: ISO 3166-1 (from pycountry) plus the entities the TIP Report ranks that
ISO does not code, or codes differently (Kosovo, the Netherlands Antilles), and the names the Report uses.

Pure: no database. The store copies this table at `tiptiers init`.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pycountry


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    iso_status: str  # "yes" (ISO 3166-1), "historic" (ISO 3166-3, withdrawn) or "no" (not coded by ISO)
    iso_numeric: str | None = None
    aliases: tuple[str, ...] = field(default=())


class UnknownCountry(LookupError):
    def __init__(self, query: str, suggestions: list[str]):
        self.query = query
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown country {query!r}{hint}")


def _fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Côte d'Ivoire' and 'cote d'ivoire' are the same."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


class CountryTable:
    def __init__(self, countries: list[Country]):
        self.by_iso3: dict[str, Country] = {c.iso3: c for c in countries}
        self._keys: dict[str, str] = {}
        for c in countries:
            for key in (c.iso3, c.name, *c.aliases):
                self._keys.setdefault(_fold(key), c.iso3)

    def __iter__(self) -> Iterator[Country]:
        return iter(sorted(self.by_iso3.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self.by_iso3)

    def get(self, iso3: str) -> Country | None:
        return self.by_iso3.get(iso3)

    def find(self, query: str) -> Country | None:
        iso3 = self._keys.get(_fold(query))
        return self.by_iso3[iso3] if iso3 else None

    def resolve(self, query: str) -> Country:
        """ISO alpha-3, alias code or any name, any case; raise UnknownCountry with the closest names."""
        found = self.find(query)
        if found is None:
            raise UnknownCountry(query, self.suggest(query))
        return found

    def suggest(self, query: str, n: int = 3) -> list[str]:
        names = {_fold(c.name): c.name for c in self.by_iso3.values()}
        close = difflib.get_close_matches(_fold(query), list(names), n=n, cutoff=0.6)
        if not close:  # a partial name ("Korea") still deserves a hint
            close = [k for k in names if _fold(query) in k][:n]
        return [f"{names[k]} ({self._keys[k]})" for k in close]


@cache
def country_table() -> CountryTable:
    with resources.files("tiptiers.data").joinpath("countries.csv").open(encoding="utf-8") as f:
        overrides = {r["iso3"]: r for r in csv.DictReader(f)}

    countries: list[Country] = []
    for pc in pycountry.countries:
        iso3 = pc.alpha_3
        names = [n for n in (getattr(pc, "common_name", None), pc.name, getattr(pc, "official_name", None)) if n]
        override = overrides.pop(iso3, None)
        extra = [a for a in override["aliases"].split(";") if a] if override else []
        name = override["name"] if override else names[0]
        aliases = tuple(dict.fromkeys([*names, *extra, pc.alpha_2]))
        countries.append(Country(iso3, name, "yes", pc.numeric, aliases))
    for iso3, row in overrides.items():  # entities outside ISO 3166-1
        aliases = tuple(a for a in row["aliases"].split(";") if a)
        countries.append(Country(iso3, row["name"], row["iso"], None, aliases))
    return CountryTable(countries)


def country_name(iso3: str) -> str:
    """The name a person reads for a code (the code itself when unknown)."""
    found = country_table().get(iso3.upper())
    return found.name if found else iso3
