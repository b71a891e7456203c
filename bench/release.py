"""Release day in review season (issue 13's quality bar, issue 19 item 6): anonymous readers offered --rate req/s
across the public pages and JSON twins (wrk, 100 connections, each pausing between requests), --staff logged-in
analysts (bearer tokens) and --liaisons government liaisons (session cookies, CSRF token) each making one request a
second on average, one in five a write (analysts: a claim or a narrative draft of the year in preparation;
liaisons: a comment on a claim of their draft), for --seconds once everyone has logged in.

Served directly (`tiptiers serve`, on SQLite and PostgreSQL), or with --nginx through Debian's nginx in front of
1 and 2 app processes and a worker on PostgreSQL, as deploy/ configures them (tests/cluster.py starts them). Every
write carries a marker; afterwards the database is read directly: a lost write is one answered 2xx and not
stored, or stored and answered with an error. Prints per class (anonymous, staff, liaison) req/s, p50/p99 and
errors, and with --nginx the CPU time of the app processes per request (from /proc, user + system), from which
docs/operations.md projects capacity per host. The load generator (asyncio, httpx, its own process) shares the
machine's cores with the servers; the figures say the load average.

    .venv/bin/python bench/release.py [--seconds 60] [--backend sqlite|postgresql|both] [--nginx]
                                      [--rate 300] [--staff 20] [--liaisons 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/cluster.py: nginx and the hosts
from benchsite import LIAISON_COUNTRIES, PASSWORD, Site, prepare, served  # bench/benchsite.py

YEAR = 2026  # the year in preparation: drafts, claims, the liaisons' drafts to answer
PUBLIC = [
    "/", "/years/2008", "/years/2015", "/countries/JPN", "/countries/THA", "/countries/JPN/2008",
    "/narratives/JPN/2008", "/narratives/THA/2012", "/map/2008", "/movements/2010", "/compare?c=JPN&c=KOR",
    "/search?q=trafficking",
    "/api/v1/years", "/api/v1/years/2008/placements", "/api/v1/countries/JPN/placements", "/api/v1/countries/JPN/2008",
    "/api/v1/narratives/JPN/2008.json", "/api/v1/map/2008.json", "/api/v1/movements/2010.json",
    "/api/v1/compare?c=JPN&c=KOR", "/api/v1/countries/JPN/timeline", "/api/v1/data/placements.csv?year=2008",
    "/analysis/consistency/2008", "/api/v1/publications.json",
]
P99_PUBLIC_MS, P99_LOGGED_IN_MS = 50.0, 150.0


def prepare_season(site: Site) -> dict[str, list[int]]:
    """Claims of the year in preparation for each liaison's country, and the draft sent to each government: what
    liaisons answer. The claim ids per country."""
    from tiptiers.store import reviews
    from tiptiers.store.db import make_engine, session_factory, transaction
    from tiptiers.store.evidence import add_evidence

    engine = make_engine(site.url)
    claims: dict[str, list[int]] = {}
    with transaction(session_factory(engine)) as s:
        for iso3 in LIAISON_COUNTRIES:
            claims[iso3] = [add_evidence(s, iso3=iso3, year=YEAR, criteria=["criterion_1"], source_type="ngo",
                                         statement=f"Season claim {i} about {iso3}.", source_name="Bench NGO",
                                         entered_by="bench").id for i in range(5)]
            reviews.send_request(s, iso3, YEAR, "bench")
    engine.dispose()
    return claims


# --- the load generator (its own process) ----------------------------------------------------------------------


async def _drive(base: str, site: dict[str, Any], claims: dict[str, list[int]], seconds: float,
                 seed: int, out: Any) -> dict[str, Any]:
    """The logged-in visitors (the anonymous ones are wrk's)."""
    import httpx

    rng = random.Random(seed)
    latencies: dict[str, list[float]] = {"staff": [], "liaison": []}
    errors: dict[str, list[str]] = {k: [] for k in latencies}
    retried = dict.fromkeys(latencies, 0)
    by_route: dict[str, list[float]] = {}  # "GET /workspace/ISO3/YEAR" -> seconds: which routes make the tail
    writes: list[tuple[str, str, int | None]] = []  # (kind, marker, status or None for no answer)
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    stop = time.monotonic() + 3600  # set once every liaison has logged in
    logged_in = asyncio.Event()
    ready = 0

    async def one(client: httpx.AsyncClient, who: str, method: str, url: str, write: tuple[str, str] | None = None,
                  **kwargs: Any) -> None:
        started = time.perf_counter()
        status: int | None = None
        try:
            try:
                r = await client.request(method, url, **kwargs)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if method != "GET":
                    raise
                # a kept-alive connection the server closed as it was reused (uvicorn closes idle ones after 5 s);
                # a browser sends a GET again, and so does this
                retried[who] += 1
                r = await client.request(method, url, **kwargs)
            status = r.status_code
            if status >= 400:
                errors[who].append(f"{method} {url}: {status} {r.text[:100]}")
            else:
                latencies[who].append(time.perf_counter() - started)
                shape = re.sub(r"\b\d+\b", "N", re.sub(r"\b[A-Z]{3}\b", "ISO3", url.split("?")[0]))
                by_route.setdefault(f"{method} {shape}", []).append(time.perf_counter() - started)
        except httpx.HTTPError as exc:
            errors[who].append(f"{method} {url}: {type(exc).__name__} {exc}")
        if write is not None:
            writes.append((write[0], write[1], status))

    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits):
        async def staff(name: str, token: str, i: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
                await logged_in.wait()
                while True:
                    await asyncio.sleep(rng.expovariate(1.0))
                    if time.monotonic() >= stop:
                        return
                    iso3 = rng.choice(LIAISON_COUNTRIES)
                    if rng.random() < site["write_share"]:
                        marker = uuid.uuid4().hex
                        if rng.random() < 0.5:
                            await one(client, "staff", "POST", "/api/v1/evidence", ("evidence", marker), json={
                                "iso3": iso3, "year": YEAR, "criteria": ["criterion_1"], "source_type": "ngo",
                                "statement": f"Bench claim {marker}.", "source_name": "Bench"})
                        else:
                            await one(client, "staff", "POST", f"/api/v1/narratives/{iso3}/{YEAR}",
                                      ("narrative", marker), json={"markdown": f"# Draft\n\nBench {marker}."})
                    else:
                        url = rng.choice([f"/workspace/{iso3}/{YEAR}", "/reviews", f"/api/v1/evidence?iso3={iso3}",
                                          f"/api/v1/reviews/{iso3}/{YEAR}", *rng.sample(PUBLIC, 3)])
                        await one(client, "staff", "GET", url)

        async def liaison(name: str, iso3: str) -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                login = await client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
                login.raise_for_status()
                csrf = (await client.get("/api/v1/session")).json()["csrf_token"]
                nonlocal ready, stop
                ready += 1
                if ready == len(liaisons):
                    stop = time.monotonic() + seconds
                    out.put("ready")
                    logged_in.set()
                await logged_in.wait()
                while True:
                    await asyncio.sleep(rng.expovariate(1.0))
                    if time.monotonic() >= stop:
                        return
                    if rng.random() < site["write_share"]:
                        marker = uuid.uuid4().hex
                        claim = rng.choice(claims[iso3])
                        await one(client, "liaison", "POST", f"/api/v1/reviews/{iso3}/{YEAR}/claims/{claim}/responses",
                                  ("comment", marker), json={"kind": "comment", "text": f"Bench {marker}."},
                                  headers={"X-CSRF-Token": csrf})
                    else:
                        url = rng.choice([f"/review/{iso3}/{YEAR}", f"/api/v1/reviews/{iso3}/{YEAR}",
                                          *rng.sample(PUBLIC, 2)])
                        await one(client, "liaison", "GET", url)

        staff_names = [n for n, (role, _) in site["roles"].items() if role != "liaison"]
        liaisons = [(n, c) for n, (role, c) in site["roles"].items() if role == "liaison"]
        if not liaisons:
            stop = time.monotonic() + seconds
            out.put("ready")
            logged_in.set()
        await asyncio.gather(*(staff(n, site["tokens"][n], i) for i, n in enumerate(staff_names)),
                             *(liaison(n, c) for n, c in liaisons))
        elapsed = seconds
    return {"latencies": latencies, "errors": errors, "writes": writes, "elapsed": elapsed, "retried": retried,
            "by_route": by_route}


def drive(base: str, site: dict[str, Any], claims: dict[str, list[int]], seconds: float, out: Any) -> None:
    out.put(asyncio.run(_drive(base, site, claims, seconds, 13, out)))


WRK_SCRIPT = """
local paths = {%s}
math.randomseed(7)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
delay = function() return %d end
"""


def anonymous(base: str, seconds: float, rate: float, connections: int = 100) -> subprocess.Popen[str]:
    """wrk over the public routes, each connection pausing between requests so that together they offer `rate`
    req/s (less as answers slow down: wrk waits for each answer)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT % (", ".join(f'"{p}"' for p in PUBLIC), round(connections / rate * 1000)))
    return subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "--timeout", "10s",
                             "-s", str(script), base], stdout=subprocess.PIPE, text=True)


def wrk_figures(out: str, seconds: float) -> dict[str, float]:
    def ms(text: str) -> float:
        number = text.rstrip("usm")
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[text[len(number):]]

    def read(pattern: str) -> str:
        found = re.search(pattern, out)
        if found is None:
            raise SystemExit(f"could not read {pattern!r} in wrk's output:\n{out}")
        return found.group(1)

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    requests = float(read(r"(\d+) requests in"))
    return {"requests": requests, "rps": requests / seconds, "p50": ms(read(r"(?m)^\s+50%\s+(\S+)")),
            "p99": ms(read(r"(?m)^\s+99%\s+(\S+)")), "errors": errors}


# --- the run -----------------------------------------------------------------------------------------------------


def stored_markers(url: str) -> dict[str, list[str]]:
    from sqlalchemy import select

    from tiptiers.store.db import make_engine, session_factory
    from tiptiers.store.evidence import Evidence
    from tiptiers.store.publication import NarrativeVersion
    from tiptiers.store.reviews import ClaimResponse

    engine = make_engine(url)
    with session_factory(engine)() as s:
        found = {
            "evidence": [t.removeprefix("Bench claim ").removesuffix(".") for t in
                         s.scalars(select(Evidence.statement).where(Evidence.source_name == "Bench"))],
            "narrative": [t.rsplit(" ", 1)[-1].removesuffix(".") for t in
                          s.scalars(select(NarrativeVersion.markdown).where(NarrativeVersion.year == YEAR))],
            "comment": [t.removeprefix("Bench ").removesuffix(".") for t in
                        s.scalars(select(ClaimResponse.text).where(ClaimResponse.text.startswith("Bench ")))],
        }
    engine.dispose()
    return found


def children(pid: int) -> list[int]:
    """The processes `pid` started (uvicorn's worker processes), from /proc."""
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) >= 2 else float("nan")


def run(label: str, base: str, site: Site, claims: dict[str, list[int]], seconds: float, rate: float,
        pids: list[int], write_share: float = 0.2) -> bool:
    ctx = multiprocessing.get_context("spawn")
    queue: Any = ctx.Queue()
    loadavg = os.getloadavg()[0]
    cpu_before = cpu_seconds(pids) if pids else 0.0
    visitors = {"tokens": site.tokens, "roles": site.roles, "write_share": write_share}
    loader = ctx.Process(target=drive, args=(base, visitors, claims, seconds, queue))
    loader.start()
    for path in PUBLIC:  # each published page rendered once, as in the first minutes of release day
        urllib.request.urlopen(base + path, timeout=120).read()
    assert queue.get(timeout=300) == "ready"  # the liaisons logged in: the measured time starts
    readers = anonymous(base, seconds, rate)
    result = queue.get(timeout=seconds + 300)
    loader.join(60)
    wrk = wrk_figures(readers.communicate(timeout=120)[0], seconds)
    cpu = cpu_seconds(pids) - cpu_before if pids else None
    stored = stored_markers(site.url)
    lost = []
    for kind, marker, status in result["writes"]:
        ok = status is not None and 200 <= status < 300
        times = stored[kind].count(marker)
        if (ok and times != 1) or (not ok and times):
            lost.append(f"{kind} {marker}: answered {status}, stored {times}x")
    answered = int(wrk["requests"]) + sum(len(v) for v in result["latencies"].values()) + \
        sum(len(v) for v in result["errors"].values())
    liaisons = sum(1 for role, _ in site.roles.values() if role == "liaison")
    print(f"== {label}: {seconds:.0f} s, anonymous offered {rate:.0f} req/s, {len(site.roles) - liaisons} staff "
          f"and {liaisons} liaisons at ~1 req/s ({write_share:.0%} writes); load average before {loadavg:.2f}, after "
          f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} cores shared with the load generator)")
    print(f"  {'class':<10} {'answered':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    met = not wrk["errors"] and wrk["p99"] < P99_PUBLIC_MS
    print(f"  {'anonymous':<10} {wrk['requests']:9.0f} {wrk['rps']:7.1f} {wrk['p50']:8.1f} {wrk['p99']:8.1f} "
          f"{wrk['errors']:7.0f}" + ("" if met else f"   <- target p99 < {P99_PUBLIC_MS:.0f} ms, 0 errors"))
    for who, target in (("staff", P99_LOGGED_IN_MS), ("liaison", P99_LOGGED_IN_MS)):
        ok, bad = result["latencies"][who], result["errors"][who]
        p99 = pct(ok, 99)
        miss = bool(bad) or not p99 < target
        met = met and not miss
        print(f"  {who:<10} {len(ok) + len(bad):9d} {(len(ok) + len(bad)) / result['elapsed']:7.1f} "
              f"{pct(ok, 50):8.1f} {p99:8.1f} {len(bad):7d}" + (f"   <- target p99 < {target:.0f} ms, 0 errors"
                                                              if miss else ""))
        for line in sorted(set(bad))[:5]:
            print(f"      {line}")
        if result["retried"][who]:
            print(f"      {result['retried'][who]} GET sent again on a kept-alive connection the server had closed")
    slowest = sorted(((pct(v, 99), k, len(v)) for k, v in result["by_route"].items() if len(v) >= 20), reverse=True)
    print("  logged-in routes with the slowest p99: " + "; ".join(f"{k} {p:.0f} ms ({n})" for p, k, n in slowest[:6]))
    writes = result["writes"]
    print(f"  writes: {len(writes)} sent, {sum(1 for *_, s in writes if s and 200 <= s < 300)} answered 2xx, "
          f"lost {len(lost)}")
    for line in lost[:5]:
        print(f"      {line}")
    if cpu is not None:
        print(f"  app CPU: {cpu:.1f} s for {answered} requests = {cpu / max(answered, 1) * 1000:.2f} ms per request "
              f"({cpu / result['elapsed']:.2f} cores busy on average)")
    return met and not lost


@contextmanager
def clustered(apps: int, staff: int, liaisons: int) -> Iterator[tuple[str, Site, list[int]]]:
    """The site on PostgreSQL behind nginx with `apps` app processes and a worker (tests/cluster.py)."""
    from cluster import Cluster

    with tempfile.TemporaryDirectory() as tmp:
        site, drop = prepare("postgresql", Path(tmp), staff=staff, liaisons=liaisons, reviewers=False)
        try:
            (Path(tmp) / "hosts").mkdir()
            with Cluster(site.url, Path(tmp) / "hosts", apps=apps) as cluster:
                site.base = cluster.url
                yield cluster.url, site, [p.popen.pid for p in cluster.apps_running()]
        finally:
            drop()  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--nginx", action="store_true", help="PostgreSQL through nginx, 1 then 2 app processes")
    parser.add_argument("--rate", type=float, default=300, help="anonymous requests offered per second")
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--liaisons", type=int, default=10)
    parser.add_argument("--write-share", type=float, default=0.2, help="of the logged-in requests, the writes")
    parser.add_argument("--workers", type=int, default=1, help="app processes of `tiptiers serve --workers N`")
    args = parser.parse_args()
    if shutil.which("wrk") is None:  # checked before minutes of set-up, not after
        raise SystemExit("wrk is needed for the anonymous readers: apt-get install -y wrk")
    results = []
    if args.nginx:
        for apps in (1, 2):
            with clustered(apps, args.staff, args.liaisons) as (base, site, pids):
                claims = prepare_season(site)
                results.append(run(f"nginx, {apps} app process{'es' if apps > 1 else ''} + worker, PostgreSQL",
                                   base, site, claims, args.seconds, args.rate, pids, args.write_share))
    else:
        for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
            with served(backend, staff=args.staff, liaisons=args.liaisons, reviewers=False,
                        workers=args.workers) as site:
                claims = prepare_season(site)
                label = f"{backend}, tiptiers serve" + (f" --workers {args.workers}" if args.workers > 1 else "")
                results.append(run(label, site.base, site, claims, args.seconds, args.rate,
                                   [site.pid, *children(site.pid)], args.write_share))
    print("targets met: 0 errors, 0 lost writes, p99 < 50 ms published, < 150 ms logged in" if all(results) else
          "TARGETS MISSED: see the marked lines above")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
