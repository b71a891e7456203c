"""Serving the published country narrative and its JSON twin under load, against Datasette on the same SQLite file.

Builds a temporary database with the bundled history, starts `tiptiers serve` and Datasette (installed into a
temporary virtualenv by this script only, never a project dependency) on loopback, and loads each from a second
process: wrk (Debian: `apt-get install -y wrk`) when it is installed, else a bounded Python load generator
(asyncio, raw HTTP/1.1 keep-alive) run as a separate process. Prints requests/s, p50 and p99 per target, the ratio
ours/Datasette, and whether the target is met: at least Datasette's throughput with p99 under 50 ms at 50
connections. Server and load generator share the machine's cores; the figures say how many.

    .venv/bin/python bench/serve.py [--connections 50] [--seconds 10] [--workers 1] [--python-load] [--no-datasette]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
P99_TARGET_MS = 50.0
OURS = {"html": "/narratives/JPN/2008", "json": "/api/v1/narratives/JPN/2008.json"}
THEIRS = {"html": "/tiptiers/placements?iso3=JPN&_sort=year", "json": "/tiptiers/placements.json?iso3=JPN&_sort=year"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url} within {seconds} s")


# --- the Python load generator (run in its own process: python bench/serve.py --generate PORT PATH ...) ----------


async def _worker(port: int, path: str, stop_at: float, budget: list[int], latencies: list[float],
                  errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode()
    try:
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length, chunked = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "transfer-encoding" and "chunked" in value:
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readline()).strip() or b"0", 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


async def _generate(port: int, path: str, connections: int, seconds: float, max_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    budget = [max_requests]
    start = time.perf_counter()
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(_worker(port, path, stop_at, budget, latencies, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(sorted(latencies), n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": q[49] * 1000,
            "p99_ms": q[98] * 1000, "errors": len(errors)}


def python_load(port: int, path: str, connections: int, seconds: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--generate", str(port), path, str(connections), str(seconds)],
                         capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


# --- wrk ---------------------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _read(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"could not read {pattern!r} in wrk's output:\n{text}")
    return found.group(1)


def _ms(text: str) -> float:
    number = text.rstrip("usm")
    return float(number) * _UNITS[text[len(number):]]


def wrk_load(wrk: str, port: int, path: str, connections: int, seconds: float,
             headers: dict[str, str] | None = None) -> dict[str, float]:
    sent = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "--timeout", "5s", *sent,
                          f"http://{HOST}:{port}{path}"], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return {"rps": float(_read(r"Requests/sec:\s+([\d.]+)", out)), "requests": float(_read(r"(\d+) requests in", out)),
            "p50_ms": _ms(_read(r"(?m)^\s+50%\s+(\S+)", out)),  # the Latency Distribution lines
            "p99_ms": _ms(_read(r"(?m)^\s+99%\s+(\S+)", out)), "errors": errors}


# --- the run -----------------------------------------------------------------------------------------------------


def show(label: str, r: dict[str, float]) -> None:
    print(f"{label:<46} {r['rps']:8.0f} req/s   p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms   "
          f"({r['requests']:.0f} requests, {r['errors']:.0f} errors)", flush=True)


def datasette_venv(root: Path) -> Path:
    venv = root / "datasette-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "datasette"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return venv / "bin" / "datasette"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1, help="tiptiers serve --workers (Datasette runs one)")
    parser.add_argument("--python-load", action="store_true", help="The Python load generator even if wrk is here.")
    parser.add_argument("--no-datasette", action="store_true", help="Skip the Datasette comparison.")
    args = parser.parse_args()
    wrk = None if args.python_load else shutil.which("wrk")

    def load(port: int, path: str, connections: int, seconds: float) -> dict[str, float]:
        if wrk:
            return wrk_load(wrk, port, path, connections, seconds)
        return python_load(port, path, connections, seconds)

    def run(port: int, path: str) -> dict[str, float]:
        load(port, path, 5, 2)  # warm up: the first rendering, connections, caches
        return load(port, path, args.connections, args.seconds)

    bin_dir = Path(sys.executable).parent
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = root / "tiptiers.db"
        env = {**os.environ, "TIPTIERS_DATABASE_URL": f"sqlite:///{db}"}
        subprocess.run([str(bin_dir / "tiptiers"), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            port = free_port()
            serve = [str(bin_dir / "tiptiers"), "serve", "--host", HOST, "--port", str(port), "--workers",
                     str(args.workers)]
            procs.append(subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_up(f"http://{HOST}:{port}{OURS['html']}", procs[-1])
            generator = "wrk -t1" if wrk else "Python load generator (own process)"
            print(f"{args.connections} connections, {args.seconds:.0f} s per target, {generator}, loopback; "
                  f"{os.cpu_count()} cores shared by server and load generator; load average "
                  f"{os.getloadavg()[0]:.2f}; tiptiers serve --workers {args.workers} (access log on, as by default)",
                  flush=True)
            ours = {kind: run(port, path) for kind, path in OURS.items()}
            show(f"tiptiers  {OURS['html']}", ours["html"])
            show(f"tiptiers  {OURS['json']}", ours["json"])
            if args.no_datasette:
                return
            datasette = datasette_venv(root)
            dport = free_port()
            procs.append(subprocess.Popen([str(datasette), "serve", "-i", str(db), "--host", HOST, "--port",
                                           str(dport)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_up(f"http://{HOST}:{dport}{THEIRS['html']}", procs[-1])
            theirs = {kind: run(dport, path) for kind, path in THEIRS.items()}
            show("datasette /tiptiers/placements?iso3=JPN", theirs["html"])
            show("datasette /tiptiers/placements.json?iso3=JPN", theirs["json"])
            met = True
            for kind in ("html", "json"):
                ratio = ours[kind]["rps"] / theirs[kind]["rps"] if theirs[kind]["rps"] else float("inf")
                ok = ratio >= 1 and ours[kind]["p99_ms"] < P99_TARGET_MS and not ours[kind]["errors"]
                met = met and ok
                print(f"ratio ours/datasette ({kind}): {ratio:.2f}x throughput; p99 {ours[kind]['p99_ms']:.1f} ms "
                      f"vs {theirs[kind]['p99_ms']:.1f} ms -> {'met' if ok else 'NOT met'}")
            print(f"target (>= Datasette's throughput, p99 < {P99_TARGET_MS:.0f} ms at {args.connections} "
                  f"connections): {'met' if met else 'NOT met'}; load average now {os.getloadavg()[0]:.2f}")
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--generate":
        _, _, port, path, connections, seconds = sys.argv
        print(json.dumps(asyncio.run(_generate(int(port), path, int(connections), float(seconds), 10**9))))
    else:
        main()
