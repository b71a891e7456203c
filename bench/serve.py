"""Serving the published country page and its JSON twin under load, against Datasette on the same SQLite file.

Builds a temporary database with the bundled history, starts tiptiers (uvicorn, one process) and Datasette (installed
into a temporary virtualenv by this script only, never a project dependency) on loopback, and drives each with a
bounded Python load generator (asyncio, raw HTTP/1.1 keep-alive, 50 connections) from this process. Prints
requests/s, p50 and p99 per target, and the ratio ours/Datasette.

    .venv/bin/python bench/serve.py [--connections 50] [--seconds 8] [--max-requests 20000] [--no-datasette]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


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


async def load(port: int, path: str, connections: int, seconds: float, max_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    budget = [max_requests]
    start = time.perf_counter()
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(_worker(port, path, stop_at, budget, latencies, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": q[49] * 1000,
            "p99_ms": q[98] * 1000, "errors": len(errors)}


def run(port: int, path: str, args: argparse.Namespace) -> dict[str, float]:
    asyncio.run(load(port, path, 5, 1.0, 200))  # warm up
    return asyncio.run(load(port, path, args.connections, args.seconds, args.max_requests))


def show(label: str, r: dict[str, float]) -> None:
    print(f"{label:<44} {r['rps']:8.0f} req/s   p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms   "
          f"({r['requests']:.0f} requests, {r['errors']:.0f} errors)")


def datasette_venv(root: Path) -> Path:
    venv = root / "datasette-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "datasette"],
                   check=True, stdout=subprocess.DEVNULL)
    return venv / "bin" / "datasette"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--no-datasette", action="store_true", help="Skip the Datasette comparison.")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = root / "tiptiers.db"
        env = {**os.environ, "TIPTIERS_DATABASE_URL": f"sqlite:///{db}"}
        subprocess.run([str(bin_dir / "tiptiers"), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            port = free_port()
            procs.append(subprocess.Popen([str(bin_dir / "tiptiers"), "serve", "--host", HOST, "--port", str(port)],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_up(f"http://{HOST}:{port}/narratives/JPN/2008", procs[-1])
            print(f"{args.connections} connections, at most {args.seconds:.0f} s or {args.max_requests} requests each; "
                  f"loopback; {os.cpu_count()} cores shared by server and load generator")
            ours = {"html": run(port, "/narratives/JPN/2008", args),
                    "json": run(port, "/api/v1/narratives/JPN/2008.json", args)}
            show("tiptiers  /narratives/JPN/2008", ours["html"])
            show("tiptiers  /api/v1/narratives/JPN/2008.json", ours["json"])
            if args.no_datasette:
                return
            datasette = datasette_venv(root)
            dport = free_port()
            procs.append(subprocess.Popen([str(datasette), "serve", "-i", str(db), "--host", HOST, "--port",
                                           str(dport)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            table = "/tiptiers/placements?iso3=JPN&_sort=year"
            wait_up(f"http://{HOST}:{dport}{table}", procs[-1])
            theirs = {"html": run(dport, table, args),
                      "json": run(dport, table.replace("placements?", "placements.json?"), args)}
            show("datasette /tiptiers/placements?iso3=JPN", theirs["html"])
            show("datasette /tiptiers/placements.json?iso3=JPN", theirs["json"])
            for kind in ("html", "json"):
                ratio = ours[kind]["rps"] / theirs[kind]["rps"] if theirs[kind]["rps"] else float("inf")
                print(f"ratio ours/datasette ({kind}): {ratio:.2f}x throughput; "
                      f"p99 {ours[kind]['p99_ms']:.1f} ms vs {theirs[kind]['p99_ms']:.1f} ms")
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)


if __name__ == "__main__":
    main()
