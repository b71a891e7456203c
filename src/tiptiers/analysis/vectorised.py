"""The tier rules of a Methodology over numpy arrays: many countries and many draws at once.

Nothing is re-typed from the statute: the columns, the core criteria, the levels and the count of criteria
needed come from the `Methodology` object (see its docstring), the Watch List signals from
`engine.watch_list_signals` and the automatic downgrade from `engine.rules.check_downgrade`, both applied once
per country (they depend on the signals and the history, not on the ratings). `tests/test_analysis_vectorised.py`
checks that `evaluate` gives the tier of `engine.determine` on random inputs.

Tier codes are `Tier.rank`: 0 Tier 1, 1 Tier 2, 2 Watch List, 3 Tier 3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tiptiers.engine.determine import watch_list_signals
from tiptiers.engine.model import AssessmentInput, HistoryEntry, Waiver
from tiptiers.engine.rules import check_downgrade
from tiptiers.methodology import LEVEL_RANK, Methodology
from tiptiers.tiers import TIER_ORDER, Tier

TIERS: tuple[Tier, ...] = TIER_ORDER[:4]  # index = code


@dataclass(frozen=True)
class Encoded:
    """Countries of one year as arrays, columns in the order of `Methodology.ids`."""

    iso3: tuple[str, ...]
    ranks: np.ndarray  # (C, I) int8 rating ranks; not rated = rank of not_met, as the engine reads it
    watch_list: np.ndarray  # (C,) bool: a Watch List signal holds
    downgrade: np.ndarray  # (C,) bool: on the Watch List, the history sends it to Tier 3 (no waiver applies)


def _downgraded(history: Iterable[HistoryEntry], year: int, m: Methodology, waived: bool) -> bool:
    check = check_downgrade({h.year: h.tier for h in history}, year, m.rules)
    return check.engaged and (check.downgrade or not waived)


def encode(assessments: Sequence[AssessmentInput], m: Methodology, year: int,
           histories: Mapping[str, Iterable[HistoryEntry]] | None = None, waivers: Iterable[Waiver] = ()) -> Encoded:
    histories = histories or {}
    waived = {(w.iso3, w.year) for w in waivers}
    ids = m.ids
    ranks = np.zeros((len(assessments), len(ids)), dtype=np.int8)
    for row, a in enumerate(assessments):
        levels = a.level_of()
        ranks[row] = [LEVEL_RANK[levels[i]] if i in levels else 0 for i in ids]
    return Encoded(
        iso3=tuple(a.iso3 for a in assessments), ranks=ranks,
        watch_list=np.array([bool(watch_list_signals(a, m)) for a in assessments], dtype=bool),
        downgrade=np.array([_downgraded(histories.get(a.iso3, ()), year, m, (a.iso3, year) in waived)
                            for a in assessments], dtype=bool))


@dataclass(frozen=True)
class Thresholds:
    """Per-draw thresholds, each an int array of shape (D,): level ranks and the count of criteria needed."""

    standard_min: np.ndarray
    significant_min: np.ndarray
    core_min: np.ndarray
    needed: np.ndarray

    @property
    def draws(self) -> int:
        return int(self.needed.shape[0])


def needed_for_share(m: Methodology, share: np.ndarray) -> np.ndarray:
    """`Methodology.significant_efforts_min_count` for an array of shares (the same rounding)."""
    return np.ceil(share * len(m.criteria) - 1e-9).astype(np.int16)


def fixed_thresholds(m: Methodology, draws: int = 1) -> Thresholds:
    r = m.rules

    def full(v: int) -> np.ndarray:
        return np.full(draws, v, dtype=np.int8)

    return Thresholds(full(LEVEL_RANK[r.tier_1_standard_min_level]), full(LEVEL_RANK[r.significant_efforts_min_level]),
                      full(LEVEL_RANK[r.core_criteria_min_level]),
                      np.full(draws, m.significant_efforts_min_count, dtype=np.int16))


_LEVEL_FIELDS = {"tier_1_standard_min_level": "standard_min", "significant_efforts_min_level": "significant_min",
                 "core_criteria_min_level": "core_min"}


def sample_thresholds(m: Methodology, draws: int, rng: np.random.Generator) -> Thresholds:
    """Thresholds varied, draw by draw, uniformly within each parameter's `bounds` (fixed where none is stated)."""
    t = fixed_thresholds(m, draws)
    values = {"standard_min": t.standard_min, "significant_min": t.significant_min, "core_min": t.core_min,
              "needed": t.needed}
    for p in m.parameters:
        if p.bounds is None:
            continue
        low, high = p.bounds
        if p.name in _LEVEL_FIELDS:
            values[_LEVEL_FIELDS[p.name]] = rng.integers(LEVEL_RANK[low], LEVEL_RANK[high] + 1, draws).astype(np.int8)
        elif p.name == "significant_efforts_min_share":
            values["needed"] = needed_for_share(m, rng.uniform(float(low), float(high), draws))
    return Thresholds(**values)


def evaluate(m: Methodology, ranks: np.ndarray, watch_list: np.ndarray, downgrade: np.ndarray,
             thresholds: Thresholds) -> np.ndarray:
    """Tier codes of shape (D, C) for ranks of shape (I, D, C): items first, so that each rule is a handful of
    element-wise operations on contiguous (draws x countries) slabs; one row of thresholds per draw."""
    n_std = len(m.standards)
    std_min = thresholds.standard_min[:, None]
    sig_min = thresholds.significant_min[:, None]
    core_min = thresholds.core_min[:, None]
    tier_1 = np.ones(ranks.shape[1:], dtype=bool)
    for k in range(n_std):
        tier_1 &= ranks[k] >= std_min
    meeting = np.zeros(ranks.shape[1:], dtype=np.int16)
    significant = np.ones(ranks.shape[1:], dtype=bool)
    for j, c in enumerate(m.criteria):
        column = ranks[n_std + j]
        meeting += column >= sig_min
        if c.core:
            significant &= column >= core_min
    significant &= meeting >= thresholds.needed[:, None]
    on_list = np.where(downgrade, np.int8(3), np.int8(2))
    listed_or_2 = np.where(watch_list, on_list, np.int8(1))
    return np.where(tier_1, np.int8(0), np.where(significant, listed_or_2, np.int8(3))).astype(np.int8)


def evaluate_encoded(m: Methodology, enc: Encoded) -> list[Tier]:
    """The rules as written (no variation) for each encoded country."""
    codes = evaluate(m, enc.ranks.T[:, None, :], enc.watch_list, enc.downgrade, fixed_thresholds(m))
    return [TIERS[int(c)] for c in codes[0]]
