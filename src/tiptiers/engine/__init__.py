"""The tier engine: pure functions from ratings, history and a methodology to a Determination."""

from tiptiers.engine.determine import determine, watch_list_signals
from tiptiers.engine.model import (
    AssessmentInput,
    Determination,
    HistoryEntry,
    Override,
    PathUp,
    Rating,
    RatingChange,
    RatingLevel,
    Reason,
    Waiver,
)
from tiptiers.methodology import Methodology, load_methodology, methodology_for_year

__all__ = [
    "AssessmentInput",
    "Determination",
    "HistoryEntry",
    "Methodology",
    "Override",
    "PathUp",
    "Rating",
    "RatingChange",
    "RatingLevel",
    "Reason",
    "Waiver",
    "determine",
    "load_methodology",
    "methodology_for_year",
    "watch_list_signals",
]
