"""The project's country table: ISO 3166-1 (from pycountry) plus the entities the TIP Report ranks that
ISO does not code, or codes differently (Kosovo, the Netherlands Antilles), and the names the Report uses.

Pure: no database. The store copies this table at `tiptiers init`.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
    def __init__(self, query: str, suggestions: list[str], message: str | None = None):
        self.query = query
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(message or f"unknown country {query!r}{hint}")


class AmbiguousCountry(UnknownCountry):
    """A name that denotes more than one country ("Congo"): never resolved to the first one found."""

    def __init__(self, query: str, candidates: list[str]):
        super().__init__(query, candidates, f"{query!r} may be more than one country: {' or '.join(candidates)}; "
                                            "write the name in full or give the ISO code")


APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def _fold(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive key: 'Côte d’Ivoire' and 'cote d'ivoire' are the same."""
    decomposed = unicodedata.normalize("NFKD", text.translate(APOSTROPHES))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


class CountryTable:
    def __init__(self, countries: list[Country], ambiguous: dict[str, tuple[str, ...]] | None = None,
                 dated_names: dict[str, list[tuple[int, int, str]]] | None = None):
        self.by_iso3: dict[str, Country] = {c.iso3: c for c in countries}
        self._dated = dated_names or {}
        self._keys: dict[str, str] = {}
        self._ambiguous: dict[str, tuple[str, ...]] = {}
        for c in countries:
            for key in (c.iso3, c.name, *c.aliases):
                folded = _fold(key)
                known = self._keys.setdefault(folded, c.iso3)
                if known != c.iso3:  # two countries claim the name: it resolves to neither
                    self._ambiguous[folded] = tuple(dict.fromkeys((*self._ambiguous.get(folded, (known,)), c.iso3)))
        for name, iso3s in (ambiguous or {}).items():
            self._ambiguous[_fold(name)] = iso3s
        for folded in self._ambiguous:
            self._keys.pop(folded, None)

    def names(self) -> Iterator[tuple[str, str | None]]:
        """Every folded name key with its country (None for a name that is ambiguous)."""
        yield from self._keys.items()
        for folded in self._ambiguous:
            yield folded, None

    def name_in(self, iso3: str, year: int) -> str:
        """The name the TIP Report of `year` uses (Macedonia in 2008), else today's name."""
        for first, last, name in self._dated.get(iso3, ()):
            if first <= year <= last:
                return name
        country = self.by_iso3.get(iso3)
        return country.name if country else iso3

    def candidates(self, query: str) -> tuple[str, ...]:
        """The countries an ambiguous name may denote (empty when it is not ambiguous)."""
        return self._ambiguous.get(_fold(query), ())

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
        """ISO alpha-3, alias code or any name, any case; raise UnknownCountry with the closest names, or
        AmbiguousCountry naming each country a name like "Congo" may denote."""
        found = self.find(query)
        if found is None:
            candidates = self.candidates(query)
            if candidates:
                raise AmbiguousCountry(query, [f"{self.by_iso3[i].name} ({i})" for i in candidates])
            raise UnknownCountry(query, self.suggest(query))
        return found

    def suggest(self, query: str, n: int = 3) -> list[str]:
        names = {_fold(c.name): c for c in self.by_iso3.values()}
        close = difflib.get_close_matches(_fold(query), list(names), n=n, cutoff=0.6)
        if not close:  # a partial name ("Korea") still deserves a hint
            close = [k for k in names if _fold(query) in k][:n]
        return [f"{names[k].name} ({names[k].iso3})" for k in close]


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
    report_names, ambiguous, dated = _report_names()
    countries = [replace(c, aliases=tuple(dict.fromkeys((*c.aliases, *report_names.get(c.iso3, ())))))
                 for c in countries]
    return CountryTable(countries, ambiguous, dated)


def _report_names() -> tuple[dict[str, list[str]], dict[str, tuple[str, ...]], dict[str, list[tuple[int, int, str]]]]:
    """From data/tip_country_names.csv: the names the TIP Report (and the copies of its lists) write, by country;
    the names that denote more than one country (an iso3 cell listing several codes); and, where a row gives
    years, the report's name in those years (Macedonia until 2018)."""
    names: dict[str, list[str]] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    dated: dict[str, list[tuple[int, int, str]]] = {}
    with resources.files("tiptiers.data").joinpath("tip_country_names.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            codes = tuple(c.strip() for c in row["iso3"].split(";") if c.strip())
            if len(codes) > 1:
                ambiguous[row["name"]] = codes
                continue
            names.setdefault(codes[0], []).append(row["name"])
            if row["from"]:
                until = int(row["until"]) if row["until"] else 9999
                dated.setdefault(codes[0], []).append((int(row["from"]), until, row["name"]))
    return names, ambiguous, dated


def country_name(iso3: str) -> str:
    """The name a person reads for a code (the code itself when unknown)."""
    found = country_table().get(iso3.upper())
    return found.name if found else iso3
