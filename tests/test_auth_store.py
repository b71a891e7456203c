"""Accounts, sessions, tokens and login throttling in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tiptiers.store import activity
from tiptiers.store import users as store
from tiptiers.store.db import transaction
from tiptiers.store.users import User, UserError

PASSWORD = "correct horse battery staple"


def add(db, name, role, country=None, password=PASSWORD):
    with transaction(db.sessions) as session:
        return store.create_user(session, name, role, password, country, actor="test")


def count(db, model) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_user_is_created_with_an_argon2_hash_and_logged(fresh_db):
    user = add(fresh_db, "tanaka", "liaison", "Japan")
    assert (user.role, user.country_iso3, user.active) == ("liaison", "JPN", True)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    with fresh_db.sessions() as session:
        [entry] = activity.entries(session)
    assert (entry.actor, entry.action, entry.subject) == ("test", "user.create", "user:tanaka")
    assert entry.after == {"name": "tanaka", "role": "liaison", "country": "JPN", "organisation": None,
                           "active": True}
    assert "password" not in (entry.after_json or "") and "argon2" not in (entry.after_json or "")


BAD_INPUT = [  # (name, role, country, password) -> the field the error must start with
    (("tanaka", "liaison", None, PASSWORD), "country:"),
    (("ann", "analyst", "JPN", PASSWORD), "country:"),
    (("tanaka", "liaison", "Atlantis", PASSWORD), "country:"),
    (("ann", "superuser", None, PASSWORD), "role:"),
    (("", "admin", None, PASSWORD), "name:"),
    (("two words", "admin", None, PASSWORD), "name:"),
    (("a/b", "admin", None, PASSWORD), "name:"),
    (("ann", "admin", None, "short"), "password:"),
]


def test_bad_input_names_the_field_and_stores_nothing(fresh_db):
    for args, field in BAD_INPUT:
        with pytest.raises(UserError, match=f"^{field}"):
            add(fresh_db, *args)
    assert count(fresh_db, User) == 0
    assert count(fresh_db, activity.ActivityEntry) == 0


def test_names_are_unique(fresh_db):
    add(fresh_db, "ann", "admin")
    with pytest.raises(UserError, match=r"^name: a user 'ann' already exists"):
        add(fresh_db, "ann", "analyst")
    assert count(fresh_db, User) == 1


def test_names_differing_only_in_case_or_width_are_one_name_even_when_two_processes_make_them_at_once(
        fresh_db, monkeypatch):
    add(fresh_db, "la", "analyst")
    for other in ("LA", "\uff4c\uff41"):  # fullwidth ｌａ
        with pytest.raises(UserError, match=r"^name: a user '(LA|la)' already exists"):
            add(fresh_db, other, "analyst")
    # another process checked at the same moment and saw nothing: the database's unique key refuses the second
    monkeypatch.setattr(store, "get_user", lambda session, name: None)
    with pytest.raises(UserError, match=r"^name: a user 'LA' already exists"):
        add(fresh_db, "LA", "analyst")
    assert count(fresh_db, User) == 1
    with fresh_db.sessions() as session:
        assert session.scalar(select(User.name_key)) == "la"


def test_the_database_itself_refuses_a_liaison_without_a_country(fresh_db):
    with pytest.raises(IntegrityError), fresh_db.engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, role, password_hash, active, created_at) "
                          "VALUES ('x', 'liaison', 'h', true, CURRENT_TIMESTAMP)"))


def test_authenticate_accepts_only_the_right_password_of_an_active_user(fresh_db):
    add(fresh_db, "ann", "analyst")
    with transaction(fresh_db.sessions) as session:
        assert store.authenticate(session, "ann", PASSWORD).name == "ann"
        assert store.authenticate(session, "ann", PASSWORD + "x") is None
        assert store.authenticate(session, "nobody", PASSWORD) is None
        assert store.authenticate(session, "", "") is None
    with transaction(fresh_db.sessions) as session:  # a hash with other argon2 parameters is upgraded on login
        store.require_user(session, "ann").password_hash = PasswordHasher(time_cost=1).hash(PASSWORD)
        activity.record(session, "test", "user.password", "user:ann", None, None)
    with transaction(fresh_db.sessions) as session:
        assert store.authenticate(session, "ann", PASSWORD) is not None
    with transaction(fresh_db.sessions) as session:
        assert "$m=19456,t=2,p=1$" in store.require_user(session, "ann").password_hash
        assert session.scalar(select(activity.ActivityEntry.action).order_by(activity.ActivityEntry.seq.desc())
                              .limit(1)) == "user.password_rehash"  # the upgrade is a logged change
        store.set_active(session, "ann", False, actor="test")
    with transaction(fresh_db.sessions) as session:
        assert store.authenticate(session, "ann", PASSWORD) is None


def test_a_session_ends_at_logout_and_after_idling(fresh_db):
    user = add(fresh_db, "ann", "admin")
    with transaction(fresh_db.sessions) as session:
        new = store.start_session(session, session.merge(user))
        started = new.row.last_seen_at
    with transaction(fresh_db.sessions) as session:
        row = store.find_session(session, new.token)
        assert row is not None and row.user.name == "ann" and row.csrf_token == new.csrf_token
        assert store.find_session(session, new.token + "x") is None
    idle = timedelta(hours=8)
    with transaction(fresh_db.sessions) as session:  # 7 h 59 idle: still live, and the clock moves on
        assert store.find_session(session, new.token, idle, now=started + timedelta(hours=7, minutes=59))
    with transaction(fresh_db.sessions) as session:  # measured from the last use, not from login
        later = started + timedelta(hours=15)
        assert store.find_session(session, new.token, idle, now=later) is not None
    with transaction(fresh_db.sessions) as session:
        assert store.find_session(session, new.token, idle, now=later + timedelta(hours=8, seconds=1)) is None
    assert count(fresh_db, store.WebSession) == 0  # the expired row is gone

    with transaction(fresh_db.sessions) as session:
        other = store.start_session(session, session.merge(user))
    with transaction(fresh_db.sessions) as session:
        assert store.end_session(session, other.token)
    with transaction(fresh_db.sessions) as session:
        assert store.find_session(session, other.token) is None


def test_the_database_keeps_only_digests_of_tokens(fresh_db):
    user = add(fresh_db, "ann", "admin")
    with transaction(fresh_db.sessions) as session:
        new = store.start_session(session, session.merge(user))
        token, _ = store.create_api_token(session, "ann", "ingest")
    with fresh_db.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_sha256 FROM user_sessions UNION ALL "
                                                  "SELECT token_sha256 FROM api_tokens"))]
    assert new.token not in stored and token not in stored
    assert store.token_digest(new.token) in stored and store.token_digest(token) in stored


def test_api_tokens_stop_working_when_the_account_is_deactivated(fresh_db):
    add(fresh_db, "bot", "analyst")
    with transaction(fresh_db.sessions) as session:
        token, _ = store.create_api_token(session, "bot", "ingest", actor="test")
    with transaction(fresh_db.sessions) as session:
        assert store.user_for_token(session, token).name == "bot"
        assert store.user_for_token(session, "tt_nonsense") is None
        store.set_active(session, "bot", False, actor="test")
    with transaction(fresh_db.sessions) as session:
        store.set_active(session, "bot", True, actor="test")  # reactivating does not revive the old token
    with transaction(fresh_db.sessions) as session:
        assert store.user_for_token(session, token) is None


def test_login_is_throttled_per_name_and_per_address(fresh_db):
    with transaction(fresh_db.sessions) as session:
        for _ in range(store.LOGIN_MAX_FAILURES - 1):
            store.note_login_failure(session, "ann", "10.0.0.1")
        assert not store.login_blocked(session, "ann", "10.0.0.2")
        store.note_login_failure(session, "Ann", "10.0.0.1")
        assert store.login_blocked(session, "ann", "10.0.0.2")  # the name, from anywhere
        assert store.login_blocked(session, "bob", "10.0.0.1")  # the address, for any name
        assert not store.login_blocked(session, "bob", "10.0.0.2")
        later = store.utcnow() + store.LOGIN_WINDOW + timedelta(seconds=1)
        assert not store.login_blocked(session, "ann", "10.0.0.1", now=later)
