"""Ordered logit of the tier on an index (statsmodels OrderedModel), fitted on one report year.

How well does an independent measure of the same efforts explain the placements? McFadden's pseudo R2,
the share of countries whose most probable tier is their tier (against always guessing the most common tier),
and the countries furthest from their predicted tier (observed rank minus expected rank; positive = placed
worse than the index predicts).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tiptiers.analysis.dominance import Scored
from tiptiers.tiers import TIER_ORDER, Tier


class FitError(ValueError):
    """Too little data or variation to fit; the message says what is missing."""


@dataclass(frozen=True)
class Residual:
    country: Scored
    predicted: Tier  # most probable tier
    expected_rank: float  # sum over tiers of rank x probability (0 = Tier 1 ... 3 = Tier 3)
    probabilities: dict[Tier, float]

    @property
    def gap(self) -> float:
        """Observed minus expected rank: > 0 placed worse than predicted, < 0 better."""
        return self.country.tier.rank - self.expected_rank


@dataclass(frozen=True)
class OrdinalFit:
    year: int
    indicator: str
    labels: tuple[str, ...]
    n: int
    excluded: int  # countries with a missing score
    tiers: tuple[Tier, ...]  # tiers present, best first
    coefficients: dict[str, float]
    pseudo_r2: float  # McFadden: 1 - llf / ll(thresholds only)
    accuracy: float  # share whose most probable tier is their tier
    baseline: float  # share in the most common tier
    converged: bool
    residuals: list[Residual]  # largest |gap| first

    def furthest(self, top: int = 10) -> list[Residual]:
        return self.residuals[:top]


def fit_ordinal(year: int, indicator: str, labels: Sequence[str], rows: Sequence[Scored]) -> OrdinalFit:
    """Fit tier ~ scores on the countries with every score; raise FitError when it cannot be fitted."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    ranked = [r for r in rows if r.tier != Tier.SPECIAL]
    complete = [r for r in ranked if all(s is not None for s in r.scores)]
    tiers = tuple(t for t in TIER_ORDER if any(r.tier == t for r in complete))
    if len(tiers) < 2:
        raise FitError(f"{year}: fewer than two tiers among the {len(complete)} countries with every score")
    if len(complete) < len(labels) + len(tiers) + 5:
        raise FitError(f"{year}: {len(complete)} countries with every score, too few to fit {len(labels)} "
                       f"coefficients and {len(tiers) - 1} thresholds")
    x = np.array([[float(v) for v in r.scores if v is not None] for r in complete])
    keep = x.std(axis=0) > 0
    if not keep.any():
        raise FitError(f"{year}: the scores do not vary")
    x = x[:, keep]
    used = tuple(label for label, k in zip(labels, keep, strict=True) if k)
    position = {t: i for i, t in enumerate(tiers)}
    y = np.array([position[r.tier] for r in complete])
    model = OrderedModel(y, x, distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(method="bfgs", disp=False, maxiter=2000)
    params = np.asarray(result.params)
    probs = np.asarray(model.predict(params, exog=x))
    llf = float(model.loglike(params))
    counts = np.bincount(y, minlength=len(tiers))
    share = counts[counts > 0] / len(y)
    ll_null = float(np.sum(counts[counts > 0] * np.log(share)))
    predicted = probs.argmax(axis=1)
    ranks = np.array([t.rank for t in tiers], dtype=float)
    expected = probs @ ranks
    residuals = [
        Residual(country=r, predicted=tiers[int(predicted[i])], expected_rank=float(expected[i]),
                 probabilities={t: float(probs[i, j]) for j, t in enumerate(tiers)})
        for i, r in enumerate(complete)
    ]
    residuals.sort(key=lambda res: (-abs(res.gap), res.country.name))
    modal = Counter(r.tier for r in complete).most_common(1)[0][1]
    return OrdinalFit(
        year=year, indicator=indicator, labels=used, n=len(complete), excluded=len(ranked) - len(complete),
        tiers=tiers, coefficients={label: float(params[i]) for i, label in enumerate(used)},
        pseudo_r2=1.0 - llf / ll_null if ll_null < 0 else 0.0,
        accuracy=float(np.mean(predicted == y)), baseline=modal / len(complete),
        converged=bool(result.mle_retvals.get("converged", False)), residuals=residuals)
