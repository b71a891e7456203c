"""Robustness Monte Carlo: 200 countries x 10,000 draws, numpy against a naive per-draw plain-Python loop.

Target: under 1 s for the numpy version, at least 50 times faster than the naive one. The naive loop runs on
fewer draws (--naive-draws, default 500) and its time is scaled linearly to the full draw count; both are
printed. Countries are 3P-like profiles on the 2013 methodology (ratings derived as in tiptiers.analysis.threep),
a third of the ratings citing one unverified evidence item and a tenth one disputed, some countries on the Watch
List with two earlier Watch List years (the automatic downgrade), thresholds varied within the methodology's bounds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tiptiers.analysis.naive import naive_tier_counts
from tiptiers.analysis.robustness import Parameters, tier_counts, with_evidence
from tiptiers.analysis.threep import ThreePScores, derived_assessment
from tiptiers.analysis.vectorised import encode
from tiptiers.engine import HistoryEntry, methodology_for_year
from tiptiers.tiers import Tier

YEAR = 2013


def countries(n: int, seed: int = 2013):
    m = methodology_for_year(YEAR)
    rng = np.random.default_rng(seed)
    letters = [chr(65 + i) for i in range(26)]
    iso3 = [f"{letters[i // 26 % 26]}{letters[i % 26]}X" for i in range(n)]
    scores = [ThreePScores(code, YEAR, *(int(v) for v in rng.integers(1, 6, 3)),
                           previous_total=int(rng.integers(3, 16))) for code in iso3]
    assessments = [derived_assessment(s, m) for s in scores]
    histories = {code: [HistoryEntry(year=y, tier=Tier.WATCH_LIST) for y in (YEAR - 2, YEAR - 1)]
                 for code in iso3[::4]}
    enc = encode(assessments, m, YEAR, histories)
    shape = enc.ranks.shape
    unverified = (rng.random(shape) < 1 / 3).astype(np.int16)
    disputed = (rng.random(shape) < 0.1).astype(np.int16)
    return m, with_evidence(enc, unverified, disputed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--naive-draws", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="numpy runs; the best is reported")
    args = parser.parse_args()
    m, u = countries(args.countries)
    params = Parameters(draws=args.draws, seed=1, p_evidence=0.1, q_rating=0.05)
    tier_counts(m, u, Parameters(draws=200, seed=0))  # warm-up (imports, allocator)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        counts = tier_counts(m, u, params)
        times.append(time.perf_counter() - start)
    fast = min(times)
    naive_draws = min(args.naive_draws, args.draws)
    start = time.perf_counter()
    naive = naive_tier_counts(m, u, Parameters(draws=naive_draws, seed=1, p_evidence=0.1, q_rating=0.05))
    naive_measured = time.perf_counter() - start
    naive_scaled = naive_measured * args.draws / naive_draws
    gap = np.abs(counts / args.draws - np.array(naive) / naive_draws).max()
    print(f"robustness: {args.countries} countries x {args.draws:,} draws, {u.ranks.shape[1]} ratings each, "
          f"methodology {m.id} {YEAR}")
    print(f"numpy (tiptiers.analysis.robustness): {fast:.3f} s (best of {args.repeat}: "
          f"{', '.join(f'{t:.3f}' for t in times)}); target < 1 s: {'met' if fast < 1 else 'MISSED'}")
    scaled = (f", scaled linearly from {naive_draws:,} draws ({naive_measured:.2f} s)"
              if naive_draws != args.draws else "")
    print(f"naive per-draw Python (tiptiers.analysis.naive): {naive_scaled:.1f} s{scaled}")
    ratio = naive_scaled / fast
    print(f"speed-up: {ratio:.0f}x; target >= 50x: {'met' if ratio >= 50 else 'MISSED'}")
    print(f"largest difference of a tier probability between the two: {gap:.3f} (sampling error of the naive run)")


if __name__ == "__main__":
    main()
