"""Illustrative ratings: the plainest ratings under which the rules give a published tier. Pure.

Used as the starting point of the what-if form when no analyst has rated a country-year, and by the
benchmark. They are not an assessment of any government and are labelled as such wherever shown.
"""

from __future__ import annotations

from tiptiers.engine.model import AssessmentInput, Rating, RatingLevel
from tiptiers.methodology import Methodology
from tiptiers.tiers import Tier


def illustrative_assessment(iso3: str, year: int, tier: Tier | None, m: Methodology) -> AssessmentInput:
    """Ratings that reproduce `tier` under `m` before history (Tier 3 profile when `tier` is None or special)."""
    rules = m.rules
    if tier == Tier.TIER_1:
        std = rules.tier_1_standard_min_level
        crit = {c.id: rules.significant_efforts_min_level for c in m.criteria}
    elif tier in (Tier.TIER_2, Tier.WATCH_LIST):
        std = RatingLevel.SUBSTANTIAL if rules.tier_1_standard_min_level == RatingLevel.FULL else RatingLevel.PARTIAL
        ordered = sorted(m.criteria, key=lambda c: (not c.core, c.number))
        meeting = {c.id for c in ordered[: m.significant_efforts_min_count]}
        crit = {c.id: rules.significant_efforts_min_level if c.id in meeting else rules.core_criteria_min_level
                for c in m.criteria}
    else:
        std = RatingLevel.PARTIAL
        crit = {c.id: RatingLevel.PARTIAL for c in m.criteria}
    ratings = [Rating(criterion=s.id, level=std) for s in m.standards]
    ratings += [Rating(criterion=cid, level=level) for cid, level in crit.items()]
    return AssessmentInput(iso3=iso3, year=year, methodology=m.id, ratings=ratings,
                           increasing_efforts_shown=not (tier == Tier.WATCH_LIST and rules.watch_list))
