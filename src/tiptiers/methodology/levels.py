"""The rating scale shared by methodologies and the engine."""

from __future__ import annotations

from enum import StrEnum


class RatingLevel(StrEnum):
    """How far a government meets a standard or criterion, in order: not_met < partial < substantial < full."""

    NOT_MET = "not_met"
    PARTIAL = "partial"
    SUBSTANTIAL = "substantial"
    FULL = "full"

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self]

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


LEVELS: tuple[RatingLevel, ...] = tuple(RatingLevel)
LEVEL_RANK: dict[RatingLevel, int] = {level: i for i, level in enumerate(LEVELS)}
