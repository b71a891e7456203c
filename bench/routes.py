"""Every public page type and its JSON twin under 50 connections, as an anonymous visitor, with a session cookie and
with a bearer token, on SQLite and PostgreSQL (issue 13 items 1 and 9).

For each backend: a fresh database (bench/benchsite.py), `tiptiers serve --no-access-log` on loopback, and wrk (Debian:
`apt-get install -y wrk`) per route and visitor: a short warm-up, then --seconds at --connections. Prints req/s,
p50/p99, errors (non-2xx/3xx, socket errors, timeouts over 5 s) per line, and whether the targets hold: 0 errors
everywhere, p99 under 50 ms for anonymous visitors. Logged-in visitors have no latency target flat out; they must not
stall (0 errors, no pool timeout in the server's log). Server and wrk share the machine's cores.

    .venv/bin/python bench/routes.py [--backend sqlite|postgresql|both] [--visitor anonymous|cookie|bearer|all]
                                     [--seconds 5] [--connections 50] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsite import login, served  # bench/benchsite.py
from serve import wrk_load  # bench/serve.py

P99_ANONYMOUS_MS = 50.0
PAGES = [  # (page, its JSON twin or None)
    ("/", "/api/v1/years"),
    ("/years/2008", "/api/v1/years/2008/placements"),
    ("/countries/JPN", "/api/v1/countries/JPN/placements"),
    ("/countries/JPN/2008", "/api/v1/countries/JPN/2008"),
    ("/narratives/JPN/2008", "/api/v1/narratives/JPN/2008.json"),
    ("/map/2008", "/api/v1/map/2008.json"),
    ("/movements/2008", "/api/v1/movements/2008.json"),
    ("/compare?c=JPN&c=KOR", "/api/v1/compare?c=JPN&c=KOR"),
    ("/search?q=trafficking", "/api/v1/search?q=trafficking"),
    ("/cables/08TOKYO1528", "/api/v1/cables/08TOKYO1528"),
    (None, "/api/v1/countries/JPN/timeline"),
    ("/data", "/api/v1/data/placements.csv?year=2008"),
    (None, "/api/v1/publications.json"),
    (None, "/api/v1/methodology?year=2008"),
    ("/analysis/consistency/2008", "/api/v1/analysis/consistency/2008"),
    ("/analysis/consistency", "/api/v1/analysis/consistency"),
    ("/calendar/2027", "/api/v1/calendar/2027"),
]
ROUTES = [r for pair in PAGES for r in pair if r]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--visitor", choices=["anonymous", "cookie", "bearer", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", default="", help="Only routes containing this text.")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    visitors = ["anonymous", "cookie", "bearer"] if args.visitor == "all" else [args.visitor]
    routes = [r for r in ROUTES if args.only in r]
    failed: list[str] = []
    for backend in backends:
        with served(backend) as site:
            port = int(urlparse(site.base).port or 80)
            headers = {"anonymous": {}, "bearer": {"Authorization": f"Bearer {site.tokens['staff0']}"},
                       "cookie": {"Cookie": f"tiptiers_session={login(site.base, 'staff0')}"}}
            print(f"== {backend}: {args.connections} connections, {args.seconds:.0f} s per route and visitor, wrk -t1, "
                  f"{os.cpu_count()} cores shared with the server, load average {os.getloadavg()[0]:.2f}", flush=True)
            print(f"{'route':<44} {'visitor':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            for route in routes:
                for visitor in visitors:
                    warm = urllib.request.Request(site.base + route, headers=headers[visitor])
                    urllib.request.urlopen(warm, timeout=300).read()  # the first rendering, however long it takes
                    wrk_load(wrk, port, route, 5, 1, headers[visitor])  # warm up: connections
                    r = wrk_load(wrk, port, route, args.connections, args.seconds, headers[visitor])
                    slow = visitor == "anonymous" and r["p99_ms"] >= P99_ANONYMOUS_MS
                    mark = " <- " + ", ".join(w for w, bad in (("errors", r["errors"]), ("p99", slow)) if bad) \
                        if r["errors"] or slow else ""
                    print(f"{route:<44} {visitor:<9} {r['rps']:8.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
                          f"{r['errors']:7.0f}{mark}", flush=True)
                    if mark:
                        failed.append(f"{backend} {route} {visitor}")
            print(f"load average after {backend}: {os.getloadavg()[0]:.2f}")
    print("targets met: 0 errors, anonymous p99 < 50 ms" if not failed else
          f"TARGETS MISSED ({len(failed)}): " + "; ".join(failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
