"""Ratings derived from Cho's 3P index, so that the robustness analysis runs on every bundled year.

These are not an assessment of any government: they translate an independent index onto the methodology's
rating scale, and are labelled as derived wherever shown. The mapping:

- a 3P score (1 worst .. 5 best) becomes a level: 1 not met, 2 partial, 3 or 4 substantial, 5 full;
- criterion_1 (prosecution) takes the prosecution score, criterion_2 (protection) the protection score,
  criterion_3 (prevention) the prevention score;
- every other criterion in force takes the mean of the three scores, rounded half up;
- minimum standards 1-3 (prohibition and punishment) take the prosecution score; standard 4 (serious and
  sustained efforts) takes the mean of the three, rounded half up;
- "no evidence of increasing efforts" (a Watch List signal) holds when the 3P total fell from the previous year's
  total; the other signals are left at their defaults (no signal).

A country with any of the three scores missing is not derived (the caller says how many were left out).

Why these choices: among the simple mappings tried, this one gives the published tier most often when the
rules are applied, the history aside (43% of the 649 placements of 2005, 2008, 2011 and 2013; 30% with 3 as
partial and standard 4 from the lowest score). The disagreement is itself a finding: the index and the
placements do not measure the same thing in the same way, which is what the consistency audit and the ordered
logit show.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiptiers.engine.model import AssessmentInput, Rating, RatingLevel
from tiptiers.methodology import Methodology

LEVEL_OF_SCORE: dict[int, RatingLevel] = {
    1: RatingLevel.NOT_MET, 2: RatingLevel.PARTIAL, 3: RatingLevel.SUBSTANTIAL, 4: RatingLevel.SUBSTANTIAL,
    5: RatingLevel.FULL,
}
CORE_BY_P = {"criterion_1": 0, "criterion_2": 1, "criterion_3": 2}
PROHIBITION_STANDARDS = {"standard_1", "standard_2", "standard_3"}


@dataclass(frozen=True)
class ThreePScores:
    iso3: str
    year: int
    prosecution: int | None
    protection: int | None
    prevention: int | None
    previous_total: int | None = None  # the year before, when coded

    @property
    def complete(self) -> bool:
        return None not in (self.prosecution, self.protection, self.prevention)


def _level(score: int) -> RatingLevel:
    if score not in LEVEL_OF_SCORE:
        raise ValueError(f"3P score {score} is outside 1-5")
    return LEVEL_OF_SCORE[score]


def derived_assessment(s: ThreePScores, m: Methodology) -> AssessmentInput:
    """The derived ratings of one country-year (ValueError if a score is missing)."""
    if s.prosecution is None or s.protection is None or s.prevention is None:
        raise ValueError(f"{s.iso3} {s.year}: a 3P score is missing")
    ps = (s.prosecution, s.protection, s.prevention)
    mean = int(sum(ps) / 3 + 0.5)
    ratings = []
    for item in m.items:
        if item.id in CORE_BY_P:
            score = ps[CORE_BY_P[item.id]]
        elif item.id in PROHIBITION_STANDARDS:
            score = s.prosecution
        else:
            score = mean
        ratings.append(Rating(criterion=item.id, level=_level(score), note="derived from the 3P index"))
    fell = s.previous_total is not None and sum(ps) < s.previous_total
    return AssessmentInput(iso3=s.iso3, year=s.year, methodology=m.id, ratings=ratings,
                           increasing_efforts_shown=not fell)
