"""The per-address login block as `tiptiers serve` runs it, with TIPTIERS_TRUSTED_PROXIES naming nginx's address
(127.0.0.1, as tests/cluster.py configures it): a client that is not a trusted proxy cannot dodge the block by
claiming another address in X-Forwarded-For each time, and the addresses a trusted proxy forwards are blocked one
client at a time, not the proxy as a whole."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from cluster import Cluster
from tiptiers.store.db import transaction
from tiptiers.store.users import LOGIN_MAX_FAILURES, create_user

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from conftest import TestDatabase

    db = TestDatabase("sqlite", tmp_path_factory)
    with transaction(db.sessions) as session:
        create_user(session, "ana", "analyst", PASSWORD)
    try:
        with Cluster(db.url, tmp_path_factory.mktemp("proxies"), apps=1, worker=False) as running:
            yield running
    finally:
        db.drop()


def log_in(url: str, source: str, name: str, password: str, forwarded: str | None = None) -> int:
    """POST /api/v1/session from the local address `source`, optionally claiming `forwarded` as the client."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=20, source_address=(source, 0))
    headers: dict[str, Any] = {"Content-Type": "application/json"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    try:
        connection.request("POST", "/api/v1/session", json.dumps({"name": name, "password": password}), headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_client_that_is_no_trusted_proxy_cannot_dodge_the_block_with_x_forwarded_for(cluster):
    app = cluster.apps_running()[0].url  # straight to the app, not through nginx
    for i in range(LOGIN_MAX_FAILURES):  # a new name and a new claimed address each time
        assert log_in(app, "127.0.0.3", f"guess{i}", "wrong", forwarded=f"198.51.100.{i + 1}") == 401
    assert log_in(app, "127.0.0.3", "ana", PASSWORD, forwarded="198.51.100.200") == 429
    assert log_in(app, "127.0.0.3", "ana", PASSWORD) == 429
    assert log_in(app, "127.0.0.4", "ana", PASSWORD) == 200  # another client is not blocked


def test_a_trusted_proxys_forwarded_addresses_are_blocked_per_client(cluster):
    for i in range(LOGIN_MAX_FAILURES):  # through nginx, which replaces what the client claims
        assert log_in(cluster.url, "127.0.0.5", f"nginx{i}", "wrong", forwarded=f"203.0.113.{i + 1}") == 401
    assert log_in(cluster.url, "127.0.0.5", "ana", PASSWORD) == 429
    assert log_in(cluster.url, "127.0.0.6", "ana", PASSWORD) == 200  # nginx's other clients still log in
    app = cluster.apps_running()[0].url  # the trusted proxy's own address, straight to the app
    for i in range(LOGIN_MAX_FAILURES):
        assert log_in(app, "127.0.0.1", f"proxied{i}", "wrong", forwarded="192.0.2.10") == 401
    assert log_in(app, "127.0.0.1", "ana", PASSWORD, forwarded="192.0.2.10") == 429
    assert log_in(app, "127.0.0.1", "ana", PASSWORD, forwarded="192.0.2.11") == 200
