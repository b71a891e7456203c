"""Schemathesis against /api/v1/openapi.json, in process (ASGI), on the bundled history in SQLite: anonymous and
then with the API token of each role. Generated requests, valid and invalid, never get a 5xx, and every response
conforms to the schema the app publishes (JSON body against the response model, declared content type).

Every operation of the schema is exercised (a new route is covered without touching this file); the example budget
keeps the whole module near a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from conftest import TestDatabase
from tiptiers.store import users
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app

PASSWORD = "correct horse battery staple"
ACCOUNTS = {  # label -> (name, role, country)
    "admin": ("ann", "admin", None),
    "analyst": ("al", "analyst", None),
    "reviewer": ("rae", "reviewer", None),
    "liaison-JPN": ("tanaka", "liaison", "JPN"),
    "liaison-CHN": ("wang", "liaison", "CHN"),
    "ngo": ("polaris", "ngo", None),  # bound to an organisation: "Polaris Project"
}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# examples per operation: (valid requests, invalid requests)
ANONYMOUS_BUDGET = (6, 2)
ROLE_BUDGET = (2, 0)
SLOW = {"GET /api/v1/data/tiptiers.zip": (1, 0)}  # builds the whole dataset, seconds per call


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The schema of an app on the bundled history with one account per role, and each account's API token."""
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    tokens: dict[str, str] = {}
    with transaction(db.sessions) as session:
        for label, (name, role, country) in ACCOUNTS.items():
            users.create_user(session, name, role, PASSWORD, country, actor="test",
                              organisation="Polaris Project" if role == "ngo" else None)
            tokens[label], _ = users.create_api_token(session, name, label="schemathesis", actor="test")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(db.url))
    yield schema, tokens
    db.drop()


def _exercise(schema: Any, headers: dict[str, str], budget: tuple[int, int]) -> tuple[int, list[str], dict[str, float]]:
    """Run every operation with generated requests; (requests made, failures, seconds per operation)."""
    calls = 0
    failures: list[str] = []
    seconds: dict[str, float] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20, "the schema lost its operations"
    for operation in operations:
        started = time.perf_counter()
        for mode, examples in zip((GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
                                  SLOW.get(operation.label, budget), strict=True):
            if not examples:
                continue

            @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                nonlocal calls
                calls += 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing invalid to send (no parameters, or only enumerated ones)
                pass
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, then report them all
                found = getattr(exc, "exceptions", [exc])
                failures.append(f"{operation.label} ({mode.value}): "
                                + "; ".join(f"{type(e).__name__}: {str(e)[:3000]}" for e in found))
        seconds[operation.label] = time.perf_counter() - started
    return calls, failures, seconds


def test_anonymous_requests_never_fail_the_server_or_the_schema(api):
    schema, _ = api
    calls, failures, _ = _exercise(schema, {}, ANONYMOUS_BUDGET)
    assert calls >= 100, calls  # every operation was really called
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("label", list(ACCOUNTS))
def test_requests_of_each_role_never_fail_the_server_or_the_schema(api, label):
    schema, tokens = api
    calls, failures, _ = _exercise(schema, {"Authorization": f"Bearer {tokens[label]}"}, ROLE_BUDGET)
    assert calls >= 40 and not failures, "\n\n".join(failures)
