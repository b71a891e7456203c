"""Benchmark the tier engine: every country-year of the bundled history, and a what-if request through the API.

    .venv/bin/python bench/engine.py

Prints (1) the time to determine all ~2,250 country-years with generated ratings (target < 50 ms on one core),
best of 7 runs, as wall time and as CPU time (the CPU time is what a loaded machine disturbs least), and (2) the
median latency of POST /api/v1/determinations through the ASGI app (target < 10 ms), next to the median latency of a
request the app answers with a 404 without any route: the floor that TestClient, the middleware and routing set.
Run it pinned to one core, several times, and note the load (`uptime`):

    taskset -c 1 .venv/bin/python bench/engine.py
"""

from __future__ import annotations

import csv
import random
import statistics
import tempfile
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path

from tiptiers.engine import AssessmentInput, HistoryEntry, Rating, determine, methodology_for_year
from tiptiers.methodology import LEVELS
from tiptiers.tiers import Tier


def generated_inputs(seed: int = 2008) -> list[tuple[AssessmentInput, list[HistoryEntry]]]:
    rng = random.Random(seed)
    text = resources.files("tiptiers.data").joinpath("tip_placements_2001_2015.csv").read_text(encoding="utf-8")
    history: dict[str, list[HistoryEntry]] = defaultdict(list)
    rows = sorted(csv.DictReader(text.splitlines()), key=lambda r: (r["iso3"], int(r["year"])))
    out = []
    for row in rows:
        iso3, year = row["iso3"], int(row["year"])
        m = methodology_for_year(year)
        ratings = [Rating(criterion=i.id, level=rng.choice(LEVELS)) for i in m.items]
        a = AssessmentInput(iso3=iso3, year=year, ratings=ratings, increasing_efforts_shown=rng.random() > 0.3,
                            concrete_actions=rng.random() > 0.1, victims_significant_or_increasing=rng.random() < 0.2)
        out.append((a, list(history[iso3])))
        history[iso3].append(HistoryEntry(year=year, tier=Tier(row["tier"])))
    return out


def bench_all(repeat: int = 7) -> tuple[int, float, float]:
    """(determinations, best wall seconds, best CPU seconds) over `repeat` runs."""
    inputs = generated_inputs()
    methods = {a.year: methodology_for_year(a.year) for a, _ in inputs}
    best = best_cpu = float("inf")
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        for a, h in inputs:
            determine(a, h, methods[a.year], a.year)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return len(inputs), best, best_cpu


def bench_api(requests: int = 300) -> tuple[float, float]:
    """(median what-if seconds, median seconds of an unrouted request) through the app."""
    from fastapi.testclient import TestClient

    from tiptiers.store import migrate
    from tiptiers.store.db import make_engine, session_factory, transaction
    from tiptiers.store.placements import load_bundled
    from tiptiers.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        with transaction(session_factory(engine)) as session:
            load_bundled(session)
        client = TestClient(create_app(url))
        client.__enter__()  # one event loop for every request, as a server has
        body = {"iso3": "JPN", "year": 2008, "increasing_efforts_shown": False,
                "ratings": [{"criterion": f"standard_{i}", "level": "partial"} for i in range(1, 5)]
                + [{"criterion": f"criterion_{i}", "level": "substantial"} for i in range(1, 8)]}
        for _ in range(20):  # warm up
            client.post("/api/v1/determinations", json=body)
        times, floor = [], []
        for i in range(requests):
            body["ratings"][4 + i % 7]["level"] = LEVELS[i % 4].value
            start = time.perf_counter()
            response = client.post("/api/v1/determinations", json=body)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            start = time.perf_counter()
            response = client.post("/api/v1/no-such-route", json=body)
            floor.append(time.perf_counter() - start)
            assert response.status_code == 404, response.text
        client.__exit__(None, None, None)
        engine.dispose()
        return statistics.median(times), statistics.median(floor)


def main() -> None:
    n, seconds, cpu = bench_all()
    print(f"determine, every country-year of the history: {n} determinations in {seconds * 1000:.1f} ms "
          f"({seconds / n * 1e6:.1f} us each; CPU {cpu * 1000:.1f} ms; target < 50 ms in all)")
    median, floor = bench_api()
    print(f"what-if POST /api/v1/determinations through the app: median {median * 1000:.2f} ms (target < 10 ms); "
          f"a 404 with no route through the same app: median {floor * 1000:.2f} ms")


if __name__ == "__main__":
    main()
