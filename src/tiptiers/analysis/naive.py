"""The same Monte Carlo, one draw and one country at a time in plain Python: the reference the numpy version is
measured and checked against (bench/robustness.py, tests/test_analysis_robustness.py). Not for production use."""

from __future__ import annotations

import math
import random

from tiptiers.analysis.robustness import Parameters, Uncertain
from tiptiers.analysis.vectorised import TIERS
from tiptiers.methodology import LEVEL_RANK, LEVELS, Methodology

TOP = len(LEVELS) - 1


def naive_tier_counts(m: Methodology, u: Uncertain, params: Parameters) -> list[list[int]]:
    rng = random.Random(params.seed)
    r = m.rules
    n_std = len(m.standards)
    core = [n_std + j for j, c in enumerate(m.criteria) if c.core]
    share_bounds = next((p.bounds for p in m.parameters if p.name == "significant_efforts_min_share" and p.bounds),
                        None)
    base = u.ranks.tolist()
    unverified, disputed = u.unverified.tolist(), u.disputed.tolist()
    counts = [[0] * len(TIERS) for _ in base]
    for _ in range(params.draws):
        needed = m.significant_efforts_min_count
        if params.vary_thresholds and share_bounds is not None:
            share = rng.uniform(float(share_bounds[0]), float(share_bounds[1]))
            needed = math.ceil(share * len(m.criteria) - 1e-9)
        std_min, sig_min = LEVEL_RANK[r.tier_1_standard_min_level], LEVEL_RANK[r.significant_efforts_min_level]
        core_min = LEVEL_RANK[r.core_criteria_min_level]
        for c, row in enumerate(base):
            ranks = []
            for i, level in enumerate(row):
                x = rng.random()
                if x < params.q_rating:
                    level += 1 if x < params.q_rating / 2 else -1
                for _e in range(unverified[c][i]):
                    if rng.random() < params.p_evidence:
                        level += rng.choice((-1, 1))
                for _e in range(disputed[c][i]):
                    if rng.random() < params.p_evidence:
                        level += 1
                ranks.append(min(TOP, max(0, level)))
            if all(x >= std_min for x in ranks[:n_std]):
                tier = 0
            elif (sum(1 for x in ranks[n_std:] if x >= sig_min) >= needed
                  and all(ranks[k] >= core_min for k in core)):
                tier = (3 if u.downgrade[c] else 2) if u.watch_list[c] else 1
            else:
                tier = 3
            counts[c][tier] += 1
    return counts
