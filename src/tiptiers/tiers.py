"""The tier values on the wire and their labels. Nothing else is a tier."""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    """Marks a label for the message catalogues (babel.cfg); the pages translate it where they show it (web/deps.py
    tier_label). Here, not imported from tiptiers.web.i18n: the pure core imports no adapter."""
    return message


class Tier(StrEnum):
    TIER_1 = "1"
    TIER_2 = "2"
    WATCH_LIST = "2WL"
    TIER_3 = "3"
    SPECIAL = "special"

    @property
    def label(self) -> str:
        return TIER_LABELS[self]

    @property
    def rank(self) -> int:
        """Order from best (0) to worst (3); special cases sort last."""
        return TIER_ORDER.index(self)


TIER_LABELS: dict[Tier, str] = {
    Tier.TIER_1: N_("Tier 1"),
    Tier.TIER_2: N_("Tier 2"),
    Tier.WATCH_LIST: N_("Tier 2 Watch List"),
    Tier.TIER_3: N_("Tier 3"),
    Tier.SPECIAL: N_("Special case"),
}

TIER_ORDER: tuple[Tier, ...] = (Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3, Tier.SPECIAL)


def parse_tier(value: str) -> Tier:
    """Parse a tier exactly as written on the wire; raise ValueError naming the accepted values."""
    try:
        return Tier(value.strip())
    except ValueError:
        accepted = ", ".join(t.value for t in Tier)
        raise ValueError(f"tier {value!r} is not one of {accepted}") from None
