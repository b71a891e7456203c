"""The Watch List streak and the automatic downgrade, shared by `determine` and the history audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tiptiers.methodology import TierRules
from tiptiers.tiers import Tier


@dataclass(frozen=True)
class DowngradeCheck:
    """What the automatic downgrade says of a country that would be on the Watch List in `year`."""

    engaged: bool  # the rule decides something this year
    watch_list_year: int  # the consecutive Watch List year this would be (counted from count_watch_list_from_year)
    waiver_number: int  # 0 = no waiver needed; 1 = first waiver year, ...
    waivers_exhausted: bool
    post_downgrade_limit: bool  # a post-downgrade Watch List stay beyond the limit
    streak_years: tuple[int, ...]  # the earlier consecutive Watch List years counted

    @property
    def downgrade(self) -> bool:
        """Tier 3 whatever the waivers (exhausted, or the post-downgrade limit)."""
        return self.waivers_exhausted or self.post_downgrade_limit

    @property
    def waivable(self) -> bool:
        return self.waiver_number > 0 and not self.downgrade


NOT_ENGAGED = DowngradeCheck(False, 0, 0, False, False, ())


def _streak(tiers: Mapping[int, Tier], year: int, first: int, tier: Tier) -> list[int]:
    years: list[int] = []
    y = year - 1
    while y >= first and tiers.get(y) == tier:
        years.append(y)
        y -= 1
    return years[::-1]


def check_downgrade(tiers: Mapping[int, Tier], year: int, rules: TierRules) -> DowngradeCheck:
    """The automatic downgrade (22 U.S.C. 7107(b)(2)(D)) for a country that would be on the Watch List in `year`.

    `tiers` maps earlier report years to tiers. Only Watch List years from `count_watch_list_from_year` count.
    """
    if not rules.automatic_downgrade or rules.count_watch_list_from_year is None:
        return NOT_ENGAGED
    first = rules.count_watch_list_from_year
    streak = _streak(tiers, year, first, Tier.WATCH_LIST)
    nth = len(streak) + 1
    limit = rules.post_downgrade_max_watch_list_years
    if limit is not None:
        before = year - len(streak) - 1
        earlier = _streak(tiers, before, first, Tier.WATCH_LIST)
        allowed = rules.consecutive_watch_list_years or 0
        if tiers.get(before) == Tier.TIER_3 and len(earlier) >= allowed and nth > limit:
            return DowngradeCheck(True, nth, 0, False, True, tuple(streak))
    allowed = rules.consecutive_watch_list_years or 0
    if nth <= allowed:
        return DowngradeCheck(False, nth, 0, False, False, tuple(streak))
    waiver_number = nth - allowed
    exhausted = waiver_number > (rules.max_waiver_years or 0)
    return DowngradeCheck(True, nth, waiver_number, exhausted, False, tuple(streak))
