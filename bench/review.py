"""Right of reply at the scale of a report year: ~190 governments, 20 claims each, a draft sent to every one,
disputes on a tenth of the claims. Prints the time to record it, and to compute every publish gate
(`review_statuses`, what `tiptiers review status` and /reviews show) and one country's published claims.

    .venv/bin/python bench/review.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tiptiers.countries import country_table
from tiptiers.store import migrate
from tiptiers.store.db import make_engine, session_factory, transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.placements import sync_countries
from tiptiers.store.reviews import published_claims, respond, review_statuses, send_request

YEAR, CLAIMS = 2026, 20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(engine)
        sessions = session_factory(engine)
        countries = [c.iso3 for c in country_table() if c.iso_status == "yes"][:190]
        start = time.perf_counter()
        with transaction(sessions) as s:
            sync_countries(s)
            ids = {iso3: [add_evidence(s, iso3=iso3, year=YEAR, criteria=["criterion_1"], source_type="ngo",
                                       statement=f"claim {i} about {iso3}", source_name=f"NGO {i}",
                                       entered_by="bench").id for i in range(CLAIMS)] for iso3 in countries}
        with transaction(sessions) as s:
            for iso3 in countries:
                send_request(s, iso3, YEAR, "bench")
        with transaction(sessions) as s:
            for iso3 in countries:
                for eid in ids[iso3][::10]:
                    respond(s, iso3, YEAR, eid, "dispute", "false", "liaison", counter_evidence="a law")
        recorded = time.perf_counter() - start
        n = len(countries)
        print(f"recorded {n} governments x {CLAIMS} claims, {n} drafts, {n * CLAIMS // 10} disputes: {recorded:.2f} s")
        timings = []
        for _ in range(3):
            with sessions() as s:
                t = time.perf_counter()
                statuses = review_statuses(s, YEAR)
                timings.append(time.perf_counter() - t)
        assert len(statuses) == n and all(st.open_disputes == CLAIMS // 10 for st in statuses)
        median = statistics.median(timings) * 1000
        print(f"review_statuses for {n} country-years (every publish gate): median {median:.0f} ms")
        with sessions() as s:
            t = time.perf_counter()
            for _ in range(20):
                published_claims(s, "JPN", YEAR)
            print(f"published_claims(JPN): {(time.perf_counter() - t) / 20 * 1000:.1f} ms per call")


if __name__ == "__main__":
    main()
