"""A request body over the limit is refused with 413 before the app reads it, declared or streamed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tiptiers.web.app import create_app
from tiptiers.web.security import MAX_REQUEST_BYTES


@pytest.fixture(scope="module")
def client(loaded_sqlite):
    return TestClient(create_app(loaded_sqlite.url))


def test_a_declared_oversized_body_is_refused(client):
    response = client.post("/api/v1/attachments", content=b"x" * (MAX_REQUEST_BYTES + 1),
                           headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.json()["error"]["detail"].startswith("body:")


def test_a_streamed_oversized_body_is_refused(client):
    chunk = b"x" * (1024 * 1024)

    def stream():
        for _ in range(MAX_REQUEST_BYTES // len(chunk) + 2):
            yield chunk

    response = client.post("/api/v1/evidence", content=stream(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_body_under_the_limit_reaches_the_app(client):
    response = client.post("/api/v1/evidence", json={"statement": "x"})
    assert response.status_code == 401  # the app answered: anonymous may not add evidence
