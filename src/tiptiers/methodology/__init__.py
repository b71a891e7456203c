"""The law as data: standards, criteria and tier rules in dated YAML trees, one folder per methodology."""

from tiptiers.methodology.levels import LEVEL_RANK, LEVELS, RatingLevel
from tiptiers.methodology.loader import (
    Item,
    Methodology,
    MethodologyError,
    Parameter,
    TierRules,
    available,
    load_methodology,
    methodology_for_year,
    report_date,
)

__all__ = [
    "LEVELS",
    "LEVEL_RANK",
    "Item",
    "Methodology",
    "MethodologyError",
    "Parameter",
    "RatingLevel",
    "TierRules",
    "available",
    "load_methodology",
    "methodology_for_year",
    "report_date",
]
