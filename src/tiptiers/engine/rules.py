"""The Watch List streak and the automatic downgrade, shared by `determine` and the history audit.

A history maps earlier report years to tiers. A year that maps to None is not in the sources (the country's
Watch List state that year is unknown); a year that is absent was not a Watch List year. The store builds histories
this way from each year's coverage (`tiptiers.coverage`), so a partial year is never taken for "not on the Watch
List": a rule whose answer depends on an unknown year says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tiptiers.methodology import TierRules
from tiptiers.tiers import Tier

History = Mapping[int, Tier | None]


@dataclass(frozen=True)
class DowngradeCheck:
    """What the automatic downgrade says of a country that would be on the Watch List in `year`."""

    engaged: bool  # the rule decides something this year
    watch_list_year: int  # the consecutive Watch List year this would be (at least this, when not decided)
    waiver_number: int  # 0 = no waiver needed; 1 = first waiver year, ...
    waivers_exhausted: bool
    post_downgrade_limit: bool  # a post-downgrade Watch List stay beyond the limit
    streak_years: tuple[int, ...]  # the earlier consecutive Watch List years counted
    unknown_year: int | None = None  # the year not in the sources that the answer depends on
    decided: bool = True  # False: the answer depends on `unknown_year`; the fields give the least it can be

    @property
    def downgrade(self) -> bool:
        """Tier 3 whatever the waivers (exhausted, or the post-downgrade limit)."""
        return self.waivers_exhausted or self.post_downgrade_limit

    @property
    def waivable(self) -> bool:
        return self.waiver_number > 0 and not self.downgrade

    @property
    def cannot_tell(self) -> str:
        """The words for an undecided check: 'cannot tell: 2017 not in the sources'."""
        return f"cannot tell: {self.unknown_year} not in the sources" if not self.decided else ""


NOT_ENGAGED = DowngradeCheck(False, 0, 0, False, False, ())


def _streak(tiers: History, year: int, first: int, tier: Tier) -> tuple[list[int], int | None]:
    """The consecutive years before `year` (from `first`) on `tier`, and the unknown year that ends it, if any."""
    years: list[int] = []
    y = year - 1
    while y >= first and y in tiers:
        placed = tiers[y]
        if placed is None:
            return years[::-1], y
        if placed != tier:
            break
        years.append(y)
        y -= 1
    return years[::-1], None


def _open_years(tiers: History, year: int, first: int) -> int:
    """How many consecutive years from `year` back to `first` may have been Watch List years (on it or unknown)."""
    n, y = 0, year
    while y >= first and y in tiers and tiers[y] in (None, Tier.WATCH_LIST):
        n, y = n + 1, y - 1
    return n


def _outcome(nth: int, rules: TierRules) -> tuple[bool, int, bool]:
    allowed = rules.consecutive_watch_list_years or 0
    if nth <= allowed:
        return False, 0, False
    waiver_number = nth - allowed
    return True, waiver_number, waiver_number > (rules.max_waiver_years or 0)


def check_downgrade(tiers: History, year: int, rules: TierRules) -> DowngradeCheck:
    """The automatic downgrade (22 U.S.C. 7107(b)(2)(D)) for a country that would be on the Watch List in `year`.

    Only Watch List years from `count_watch_list_from_year` count.
    """
    if not rules.automatic_downgrade or rules.count_watch_list_from_year is None:
        return NOT_ENGAGED
    first = rules.count_watch_list_from_year
    streak, unknown = _streak(tiers, year, first, Tier.WATCH_LIST)
    nth = len(streak) + 1
    allowed = rules.consecutive_watch_list_years or 0
    limit = rules.post_downgrade_max_watch_list_years
    if limit is not None and unknown is None:
        before = year - len(streak) - 1
        earlier, earlier_unknown = _streak(tiers, before, first, Tier.WATCH_LIST)
        if tiers.get(before) == Tier.TIER_3 and nth > limit:
            if len(earlier) >= allowed:
                return DowngradeCheck(True, nth, 0, False, True, tuple(streak))
            if earlier_unknown is not None:  # was that Tier 3 year an automatic downgrade? Not in the sources
                engaged, number, exhausted = _outcome(nth, rules)
                return DowngradeCheck(engaged, nth, number, exhausted, False, tuple(streak), earlier_unknown, False)
    engaged, waiver_number, exhausted = _outcome(nth, rules)
    decided = True
    if unknown is not None and not exhausted:  # a longer streak would change the answer unless already exhausted
        longest = nth + _open_years(tiers, unknown, first)
        decided = _outcome(longest, rules) == (engaged, waiver_number, exhausted)
    if not engaged and decided:
        return DowngradeCheck(False, nth, 0, False, False, tuple(streak))
    return DowngradeCheck(engaged, nth, waiver_number, exhausted, False, tuple(streak),
                          None if decided else unknown, decided)
