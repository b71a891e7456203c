"""The shared corpus of 633 real cables (`shared/fixtures/cables-real`) and how the parser's fields are compared
with what the release says of them (`expected.json`) and with the values checked by hand (`hand_checked.json`,
beside the tests). Read-only: the corpus is found beside the repository and never written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from tiptiers.sources.cables import Cable, CableSource, parse_cable, parse_source, read_cable_file

REPOSITORY = Path(__file__).resolve().parents[1]
HAND_CHECKED = Path(__file__).with_name("hand_checked_cables.json")


def shared() -> Path:
    """`shared/` beside the repository: /work/shared for /work/main, and for a worktree /work/wt/NAME too."""
    for parent in REPOSITORY.parents:
        candidate = parent / "shared" / "fixtures" / "cables-real"
        if (candidate / "expected.json").is_file():
            return candidate.parents[1]
    raise FileNotFoundError(
        f"the shared corpus is missing: no shared/fixtures/cables-real/expected.json in any folder above {REPOSITORY} "
        "(a clone needs the shared/ folder of the project beside it, as on the CI machine)")


def corpus() -> Path:
    return shared() / "fixtures" / "cables-real"


@cache
def expected() -> dict[str, dict[str, str]]:
    data = json.loads((corpus() / "expected.json").read_text(encoding="utf-8"))
    return {ref: {**values, "reference_id": ref} for ref, values in data.items()}


@cache
def hand_checked() -> dict[str, dict[str, Any]]:
    return dict(json.loads(HAND_CHECKED.read_text(encoding="utf-8"))["cables"])


def page(reference_id: str) -> bytes:
    return (corpus() / "pages" / f"{reference_id}.html").read_bytes()


def source(reference_id: str) -> CableSource:
    return read_cable_file(page(reference_id), f"{reference_id}.html")


@cache
def parsed(reference_id: str) -> Cable:
    """As ingest reads the page: the text with the release's table beside it."""
    return parse_source(source(reference_id), f"{reference_id}.html")


@cache
def parsed_text_only(reference_id: str) -> Cable:
    """From the routing header and the text alone, neither the release's table nor the file name looked at."""
    found = source(reference_id)
    return parse_cable(found.text, header=found.header)


def reference_ids() -> list[str]:
    return sorted(expected())


def all_parsed() -> Iterator[Cable]:
    for reference_id in reference_ids():
        yield parsed(reference_id)


# --- the fields compared --------------------------------------------------------------------------------------

def paragraph_outline(cable: Cable) -> list[list[Any]]:
    """What of the paragraphs is checked: each one's number and its first five words."""
    return [[p.number, " ".join(p.text.split()[:5])] for p in cable.paragraphs]


# against expected.json, from the text alone (the release's table is not looked at): the release's metadata is
# given for these, so the parser's reading of the text can be checked on all 633
TEXT_FIELDS: dict[str, tuple[Callable[[Cable], Any], Callable[[dict[str, str]], Any]]] = {
    "reference id": (lambda c: c.reference_id, lambda e: e["reference_id"]),
    "date (day)": (lambda c: c.sent_at.date().isoformat() if c.sent_at else None, lambda e: e["created"][:10]),
    "classification and caveats": (lambda c: c.marking, lambda e: e["classification"]),
    "posting station": (lambda c: c.origin, lambda e: e["origin"]),
}
# as stored, the text's reading with the release's metadata beside it (what a user sees)
STORED_FIELDS: dict[str, tuple[Callable[[Cable], Any], Callable[[dict[str, str]], Any]]] = {
    "reference id": (lambda c: c.reference_id, lambda e: e["reference_id"]),
    "date (day)": (lambda c: c.created.date().isoformat() if c.created else None, lambda e: e["created"][:10]),
    "classification and caveats": (lambda c: c.marking, lambda e: e["classification"]),
    "posting station": (lambda c: c.origin, lambda e: e["origin"]),
}
# against the hand-checked sample
HAND_FIELDS: dict[str, Callable[[Cable], Any]] = {
    "tags": lambda c: list(c.tags),
    "subject": lambda c: c.subject,
    "references": lambda c: list(c.references),
    "paragraphs": paragraph_outline,
    "country": lambda c: c.iso3,
    "caveats": lambda c: sorted(set(c.caveats) & {"NOFORN", "SIPDIS"}),
}
