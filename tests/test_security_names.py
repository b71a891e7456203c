"""Account names that look the same are the same name: NFKC (fullwidth ｌａ is la) and case (LA is la). A second
account of such a name is refused, naming the first; logging in by any of its spellings is the same account."""

from __future__ import annotations

import pytest

from tiptiers.store import users
from tiptiers.store.db import transaction
from tiptiers.store.users import UserError

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("twin", ["LA", "La", "ｌａ", "ＬＡ", " la "])
def test_a_name_that_looks_like_an_existing_one_is_refused(fresh_db, twin):
    with transaction(fresh_db.sessions) as session:
        users.create_user(session, "la", "analyst", PASSWORD, actor="test")
    with pytest.raises(UserError, match=r"^name: a user .* already exists"), transaction(fresh_db.sessions) as s:
        users.create_user(s, twin, "admin", PASSWORD, actor="test")
    with fresh_db.sessions() as session:
        assert [u.name for u in users.list_users(session)] == ["la"]
        assert users.authenticate(session, twin, PASSWORD).name == "la"


def test_a_fullwidth_name_is_stored_in_its_plain_form(fresh_db):
    with transaction(fresh_db.sessions) as session:
        assert users.create_user(session, "ｊｄｏｅ", "analyst", PASSWORD, actor="test").name == "jdoe"


def test_failed_logins_under_any_spelling_count_against_the_one_name(fresh_db):
    with transaction(fresh_db.sessions) as session:
        users.create_user(session, "la", "analyst", PASSWORD, actor="test")
        for spelling in ["ｌａ", "ＬＡ", "Ｌａ", "ｌＡ", "ｌａ"]:  # five failures, none spelled "la"
            users.note_login_failure(session, spelling, None)
        assert users.login_blocked(session, "la", None)
