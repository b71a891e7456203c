"""Monte Carlo over the uncertainty of the inputs: for each country, the probability of each tier.

Per draw, independently:
- each unverified piece of evidence a rating cites is wrong with probability `p_evidence`; a wrong one moves the
  rating one step, up or down at random; each disputed piece is wrong with the same probability and then moves the
  rating one step up (the government's dispute was right: the claim against it was wrong);
- each rating is off by one step with probability `q_rating` (up or down with equal chance);
- ratings stay on the scale (not met .. full);
- with `vary_thresholds`, every tier-rule parameter with `bounds` in the methodology is drawn uniformly within them.
The Watch List signals and the history are taken as given. All countries of a year and a chunk of draws are
evaluated at once (numpy); the result depends only on the inputs, the parameters and the seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tiptiers.analysis.vectorised import (
    TIERS,
    Encoded,
    evaluate,
    evaluate_encoded,
    fixed_thresholds,
    sample_thresholds,
)
from tiptiers.methodology import LEVELS, Methodology, RatingLevel
from tiptiers.tiers import Tier

CHUNK = 1000  # draws evaluated at once; part of the reproducibility contract (same seed, same chunks)
TOP = len(LEVELS) - 1


@dataclass(frozen=True)
class Parameters:
    draws: int = 10_000
    seed: int = 0
    p_evidence: float = 0.1
    q_rating: float = 0.05
    vary_thresholds: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.draws <= 1_000_000:
            raise ValueError(f"draws: {self.draws} is not between 1 and 1,000,000")
        for name in ("p_evidence", "q_rating"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: {value} is not a probability between 0 and 1")
        if self.seed < 0:
            raise ValueError(f"seed: {self.seed} must be >= 0")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Uncertain(Encoded):
    """Encoded countries with, per rating, how many cited evidence items are unverified or disputed."""

    unverified: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int16))  # (C, I)
    disputed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int16))  # (C, I)


def with_evidence(enc: Encoded, unverified: np.ndarray | None = None, disputed: np.ndarray | None = None) -> Uncertain:
    shape = enc.ranks.shape
    zero = np.zeros(shape, dtype=np.int16)
    u = zero if unverified is None else np.asarray(unverified, dtype=np.int16)
    d = zero if disputed is None else np.asarray(disputed, dtype=np.int16)
    if u.shape != shape or d.shape != shape:
        raise ValueError(f"evidence counts must have the shape of the ratings {shape}")
    return Uncertain(enc.iso3, enc.ranks, enc.watch_list, enc.downgrade, u, d)


@dataclass(frozen=True)
class TierOdds:
    iso3: str
    base: Tier  # the tier the rules give to the inputs as they are
    probabilities: dict[Tier, float]

    @property
    def modal(self) -> Tier:
        return max(TIERS, key=lambda t: (self.probabilities[t], -t.rank))

    @property
    def stability(self) -> float:
        """Probability of keeping the base tier."""
        return self.probabilities[self.base]


@dataclass(frozen=True)
class RobustnessResult:
    year: int
    methodology: str
    parameters: Parameters
    countries: list[TierOdds]
    seconds: float
    bounds: dict[str, list[Any]]  # the parameters varied, with their bounds

    def odds(self, iso3: str) -> TierOdds:
        for c in self.countries:
            if c.iso3 == iso3:
                return c
        raise KeyError(iso3)


def bernoulli_positions(rng: np.random.Generator, n: int, q: float) -> np.ndarray:
    """Indices in range(n) of independent events of probability q, drawn as geometric gaps (exact, and
    far cheaper than one uniform per cell when q is small)."""
    if q <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if q >= 1:
        return np.arange(n, dtype=np.int64)
    mean = n * q
    positions = np.cumsum(rng.geometric(q, size=int(mean + 6 * mean**0.5 + 16))) - 1
    while positions[-1] < n - 1:
        more = np.cumsum(rng.geometric(q, size=int(mean / 4 + 16))) + positions[-1]
        positions = np.concatenate([positions, more])
    return positions[positions < n]


def _apply_evidence(rng: np.random.Generator, ranks: np.ndarray, unverified: np.ndarray, disputed: np.ndarray,
                    p: float) -> None:
    """Shift, in place, the ratings (I, n, C) whose cited evidence is drawn wrong: every evidence item of every
    draw is an independent event of probability p, drawn as Bernoulli positions over (draw, item)."""
    if p <= 0:
        return
    _, n, c = ranks.shape
    flat = ranks.reshape(-1)
    for counts, signed in ((unverified, True), (disputed, False)):
        per_cell = counts.T.reshape(-1)  # (I * C,) items cited by each rating
        if not per_cell.any():
            continue
        cells = np.repeat(np.arange(per_cell.size), per_cell)  # one entry per evidence item
        hits = bernoulli_positions(rng, n * cells.size, p)
        draw, cell = np.divmod(hits, cells.size)
        item, country = np.divmod(cells[cell], c)
        where = (item * n + draw) * c + country
        step = 2 * rng.integers(0, 2, hits.size, dtype=np.int8) - 1 if signed else np.ones(hits.size, dtype=np.int8)
        np.add.at(flat, where, step.astype(np.int8))


Progress = Callable[[int], None]  # called with the number of draws just done


def tier_counts(m: Methodology, u: Uncertain, params: Parameters, progress: Progress | None = None) -> np.ndarray:
    """(C, 4) counts of draws in Tier 1, 2, Watch List, 3."""
    rng = np.random.default_rng(params.seed)
    c = u.ranks.shape[0]
    counts = np.zeros((c, len(TIERS)), dtype=np.int64)
    base = np.ascontiguousarray(u.ranks.T[:, None, :])  # (I, 1, C)
    with_evidence = bool(u.unverified.any() or u.disputed.any())
    done = 0
    while done < params.draws:
        n = min(CHUNK, params.draws - done)
        ranks = np.repeat(base, n, axis=1)  # (I, n, C)
        flat = ranks.reshape(-1)
        hits = bernoulli_positions(rng, flat.size, params.q_rating)
        flat[hits] += (2 * rng.integers(0, 2, hits.size, dtype=np.int8) - 1).astype(np.int8)
        if with_evidence:
            _apply_evidence(rng, ranks, u.unverified, u.disputed, params.p_evidence)
        np.clip(ranks, 0, TOP, out=ranks)
        thresholds = sample_thresholds(m, n, rng) if params.vary_thresholds else fixed_thresholds(m, n)
        codes = evaluate(m, ranks, u.watch_list, u.downgrade, thresholds)
        for k in range(len(TIERS)):
            counts[:, k] += np.count_nonzero(codes == k, axis=0)
        done += n
        if progress is not None:
            progress(n)
    return counts


def simulate(m: Methodology, u: Uncertain, year: int, params: Parameters,
             progress: Progress | None = None) -> RobustnessResult:
    start = time.perf_counter()
    counts = tier_counts(m, u, params, progress) if u.ranks.shape[0] else np.zeros((0, len(TIERS)), dtype=np.int64)
    seconds = time.perf_counter() - start
    base = evaluate_encoded(m, u) if u.ranks.shape[0] else []
    countries = [
        TierOdds(iso3, base[row], {t: float(counts[row, k]) / params.draws for k, t in enumerate(TIERS)})
        for row, iso3 in enumerate(u.iso3)
    ]
    bounds = {p.name: [b.value if isinstance(b, RatingLevel) else b for b in p.bounds]
              for p in m.parameters if p.bounds and params.vary_thresholds}
    return RobustnessResult(year=year, methodology=m.id, parameters=params, countries=countries, seconds=seconds,
                            bounds=bounds)
