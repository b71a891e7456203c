"""Several app hosts on one machine, as an office runs them: `tiptiers serve` processes (each in a folder of its own,
as two hosts would have), `tiptiers worker`, and Debian's nginx in front with deploy/nginx/tiptiers.conf, only its
addresses and paths changed. Used by tests/test_hosts.py and bench/hosts.py."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import tiptiers.web

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "deploy" / "nginx" / "tiptiers.conf"
STATIC = Path(tiptiers.web.__file__).parent / "static"
TIPTIERS = Path(sys.executable).parent / "tiptiers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def site_config(ports: list[int], listen: int, static: Path = STATIC) -> str:
    """deploy/nginx/tiptiers.conf with the test's addresses: the upstream servers, the port, the static path."""
    text = SITE.read_text()
    servers = re.findall(r"^ *server 10\.0\.0\.\d+:8000 [^;]*;\n", text, flags=re.M)
    assert len(servers) == 2, "deploy/nginx/tiptiers.conf: the upstream's two example servers moved"
    options = servers[0].strip().split(" ", 2)[2]  # max_fails=... fail_timeout=...;
    text = text.replace(servers[1], "").replace(
        servers[0], "".join(f"    server 127.0.0.1:{p} {options}\n" for p in ports))
    for pattern, value in ((r"listen 80;", f"listen 127.0.0.1:{listen};"),
                           (r"alias /opt/tiptiers/[^;]*/static/;", f"alias {static}/;")):
        text, found = re.subn(pattern, value, text)
        assert found == 1, f"deploy/nginx/tiptiers.conf: {pattern!r} not found"
    return text


def nginx_config(root: Path, site: Path) -> str:
    user = getpass.getuser()
    temps = "\n".join(f"    {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
    return f"""worker_processes 1;
{"user " + user + ";" if os.geteuid() == 0 else ""}
pid {root / "nginx.pid"};
error_log {root / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temps}
    include {site};
}}
"""


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    folder: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """`apps` app processes and a worker behind nginx, on `database_url`, under `root`."""

    database_url: str
    root: Path
    apps: int = 2
    worker: bool = True
    serve_args: tuple[str, ...] = ()
    processes: list[Process] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, folder: Path) -> dict[str, str]:
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        return {**os.environ, "TIPTIERS_DATABASE_URL": self.database_url, "TIPTIERS_TRUSTED_PROXIES": "127.0.0.1",
                "HOME": str(folder), "TMPDIR": str(folder / "tmp"), "XDG_CACHE_HOME": str(folder / "cache")}

    def start_app(self, i: int) -> Process:
        folder, port = self.root / f"host{i}", free_port()
        log = open(self.root / f"host{i}.log", "ab")  # noqa: SIM115 - the process keeps it
        popen = subprocess.Popen([str(TIPTIERS), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-jobs",
                                  "--no-access-log", *self.serve_args], cwd=self.env(folder)["HOME"],
                                 env=self.env(folder), stdout=log, stderr=log, start_new_session=True)
        process = Process(f"host{i}", popen, folder, port)
        wait_http(process.url + "/api/v1/publications.json", popen)
        return process

    def start(self) -> Cluster:
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is not installed: scripts/ensure-system-deps.sh installs it")
        self.processes = [self.start_app(i) for i in range(self.apps)]
        if self.worker:
            folder = self.root / "worker"
            log = open(self.root / "worker.log", "ab")  # noqa: SIM115
            self.processes.append(Process("worker", subprocess.Popen(
                [str(TIPTIERS), "worker", "--name", "test-worker"], cwd=self.env(folder)["HOME"],
                env=self.env(folder), stdout=log, stderr=log, start_new_session=True), folder))
        self.port = free_port()
        site = self.root / "tiptiers.conf"
        site.write_text(site_config([p.port for p in self.apps_running()], self.port))
        main = self.root / "nginx.conf"
        main.write_text(nginx_config(self.root, site))
        checked = subprocess.run(["nginx", "-t", "-q", "-c", str(main), "-p", str(self.root)], capture_output=True,
                                 text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t: {checked.stderr}")
        self.nginx = subprocess.Popen(["nginx", "-c", str(main), "-p", str(self.root), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_http(self.url + "/api/v1/publications.json", self.nginx)
        return self

    def apps_running(self) -> list[Process]:
        return [p for p in self.processes if p.port]

    def kill(self, process: Process) -> None:
        """As a host dies: SIGKILL, nothing finishes."""
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait(10)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(30)
            except subprocess.TimeoutExpired:
                process.popen.kill()

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
