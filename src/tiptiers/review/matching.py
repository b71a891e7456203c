"""Which claim of a draft a government's words dispute: a small, explainable word-overlap match.

Used to turn a disputed claim extracted from a cable ("Japanese law not criminalizing labor recruiting through
fraud") into a dispute of the evidence record it answers ("Japanese law does not criminalise labour recruitment
through fraud."). British and American spellings and word endings are folded by comparing word stems.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[a-z]+")
_STOP = frozenset((
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "by", "with", "from", "that", "this", "is", "are",
    "was", "were", "be", "been", "its", "it", "not", "does", "do", "did", "has", "have", "had", "as", "at", "which",
    "who",
))
STEM = 5
AUTO_MATCH = 0.5  # a single candidate at least this close is taken without asking


def stems(text: str) -> frozenset[str]:
    words = _WORD.findall(text.lower().replace("our", "or"))
    return frozenset(w[:STEM] for w in words if w not in _STOP and len(w) > 2)


def similarity(a: str, b: str) -> float:
    """Share of the disputed text's word stems found in the claim (0 to 1)."""
    left, right = stems(a), stems(b)
    return len(left & right) / len(left) if left else 0.0


@dataclass(frozen=True)
class Match:
    evidence_id: int
    statement: str
    score: float


def rank_claims(disputed: str, candidates: Sequence[tuple[int, str]]) -> list[Match]:
    """Candidates (evidence id, statement) ordered from the closest to `disputed`; ties by id."""
    matches = [Match(eid, text, round(similarity(disputed, text), 3)) for eid, text in candidates]
    return sorted(matches, key=lambda m: (-m.score, m.evidence_id))


def unique_match(matches: Sequence[Match]) -> Match | None:
    """The one candidate close enough to take without asking, or None when none or several are."""
    close = [m for m in matches if m.score >= AUTO_MATCH]
    return close[0] if len(close) == 1 else None
