"""Two analysts editing the same assessment: the second save over a replaced version is refused, never merged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tiptiers.store.assessments import EditConflict, RatingIn, get_assessment, save_assessment
from tiptiers.store.db import transaction
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app

YEAR = 2026


@pytest.fixture
def analysts(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:
        for name in ("ana", "ben"):
            create_user(session, name, "analyst", "correct horse battery staple")
        tokens = {name: create_api_token(session, name)[0] for name in ("ana", "ben")}
    client = TestClient(create_app(fresh_db.url))
    return fresh_db, client, {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}


def _save(client, headers, narrative, version):
    body = {"ratings": [{"criterion": "criterion_1", "level": "partial", "evidence": []}],
            "narrative": narrative, "version": version}
    return client.put(f"/api/v1/assessments/JPN/{YEAR}", json=body, headers=headers)


def test_the_second_save_from_the_same_version_is_refused_with_a_clear_conflict(analysts):
    db, client, headers = analysts
    workspace = f"/api/v1/workspace/JPN/{YEAR}"
    start_ana = client.get(workspace, headers=headers["ana"]).json()["version"]
    start_ben = client.get(workspace, headers=headers["ben"]).json()["version"]
    assert start_ana == start_ben == 0

    first = _save(client, headers["ana"], "Ana's draft", start_ana)
    assert first.status_code == 200 and first.json()["version"] == 1

    second = _save(client, headers["ben"], "Ben's draft", start_ben)
    assert second.status_code == 409
    detail = second.json()["error"]["detail"]
    assert detail.startswith("version:") and "saved by ana" in detail and "reload" in detail
    with db.sessions() as session:
        assert get_assessment(session, "JPN", YEAR).narrative == "Ana's draft"  # not silently overwritten

    reloaded = client.get(workspace, headers=headers["ben"]).json()
    assert reloaded["version"] == 1 and reloaded["narrative"] == "Ana's draft"
    third = _save(client, headers["ben"], "Ben's draft, on top of Ana's", reloaded["version"])
    assert third.status_code == 200 and third.json()["version"] == 2


def test_a_save_racing_another_between_read_and_write_is_refused(analysts):
    db, _client, _headers = analysts
    ratings = [RatingIn("criterion_1", "partial", [], "")]
    with transaction(db.sessions) as session:
        save_assessment(session, "JPN", YEAR, ratings, "ana", "v1", expected_version=0)
    slow = db.sessions()
    try:
        stale = get_assessment(slow, "JPN", YEAR)  # Ben's session reads version 1 ...
        assert stale.version == 1
        with transaction(db.sessions) as session:  # ... Ana saves version 2 meanwhile ...
            save_assessment(session, "JPN", YEAR, ratings, "ana", "v2", expected_version=1)
        with pytest.raises(EditConflict, match=r"^version:"):  # ... and Ben's write matches no row
            save_assessment(slow, "JPN", YEAR, ratings, "ben", "v2 by ben", expected_version=1)
        slow.rollback()
    finally:
        slow.close()
    with db.sessions() as session:
        assert get_assessment(session, "JPN", YEAR).narrative == "v2"
