"""Accounts, roles, web sessions, API tokens and login throttling.

Roles: `admin`, `analyst`, `reviewer`, `liaison` (bound to one country; the government's contact) and `ngo` (bound
to an organisation's name; it submits shadow reports and sees only its own submissions and what is published). Passwords
are argon2id hashes (argon2-cffi). Session and API tokens are random and only their SHA-256 is stored, so a copy
of the database does not hand out live sessions. Every change is written to the activity log in its own
transaction; bad input raises `UserError`, whose message starts with the field at fault.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tiptiers.countries import UnknownCountry, country_table
from tiptiers.store import activity
from tiptiers.store.models import Base

ROLES = ("admin", "analyst", "reviewer", "liaison", "ngo")
STAFF_ROLES = ("admin", "analyst", "reviewer")
NAME_MAX = 100
ORGANISATION_MAX = 200  # evidence.source_name holds it
EMAIL_MAX = 320
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
DEFAULT_IDLE = timedelta(hours=8)
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5  # per user name and, separately, per client address, within LOGIN_WINDOW

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 0.1 s on one core, and a login
# flood cannot take 64 MiB per attempt. Hashes made with other parameters are upgraded at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so an unknown name costs the same time as a wrong password. Made
    on first use: a hash costs tens of milliseconds, and every command of the CLI imports this module."""
    return _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """Bad input about an account; the message starts with the field, e.g. `country: required for a liaison`."""


def utcnow() -> datetime:
    """Naive UTC, microseconds kept: what both SQLite and PostgreSQL store and give back unchanged."""
    return datetime.now(UTC).replace(tzinfo=None)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'analyst', 'reviewer', 'liaison', 'ngo')", name="ck_users_role"),
        CheckConstraint(
            "(role = 'liaison' AND country_iso3 IS NOT NULL) OR (role <> 'liaison' AND country_iso3 IS NULL)",
            name="ck_users_liaison_country",
        ),
        CheckConstraint(
            "(role = 'ngo' AND organisation IS NOT NULL) OR (role <> 'ngo' AND organisation IS NULL)",
            name="ck_users_ngo_organisation",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    # name_key(name), unique: two accounts whose names differ only in case or width (la, LA, ｌａ) cannot be made,
    # not even at once by two processes (migration 0024)
    name_key: Mapped[str] = mapped_column(String(NAME_MAX), unique=True, nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    country_iso3: Mapped[str | None] = mapped_column(String(3))
    organisation: Mapped[str | None] = mapped_column(String(ORGANISATION_MAX))  # an NGO account's only
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))  # where notices go (none: /notices only)
    language: Mapped[str | None] = mapped_column(String(8))  # of the e-mails sent to it (web/i18n.py; none: English)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    def __repr__(self) -> str:
        bound = f" {self.country_iso3 or self.organisation}" if self.country_iso3 or self.organisation else ""
        return f"<User {self.name} {self.role}{bound}>"

    def describe(self) -> dict[str, Any]:
        """What the activity log and the API show of an account (never the hash)."""
        return {"name": self.name, "role": self.role, "country": self.country_iso3, "organisation": self.organisation,
                "active": self.active}


class WebSession(Base):
    """A logged-in browser. The cookie holds the token; the row holds its digest, so logout really ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for API clients (`tiptiers users token NAME`)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed login, kept for the throttling window: `kind` is `name` or `address`."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AppSecret(Base):
    """Secrets made on first use (the session-cookie signing key), shared by every process on the database."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


def signing_key(session: Session) -> str:
    """The key that signs session cookies, made on first use and shared by every process on this database."""
    activity.insert_if_absent(session, AppSecret, {"name": "session_signing_key", "value": secrets.token_urlsafe(48)})
    return session.get_one(AppSecret, "session_signing_key").value


# --- accounts ----------------------------------------------------------------------------------------------------


def name_key(value: str) -> str:
    """What makes two account names the same name: NFKC (fullwidth ｌａ is la) and case-folded (LA is la)."""
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def _name(value: str) -> str:
    name = unicodedata.normalize("NFKC", value or "").strip()
    if not name:
        raise UserError("name: must not be empty")
    if len(name) > NAME_MAX:
        raise UserError(f"name: {len(name)} characters, at most {NAME_MAX}")
    if not re.fullmatch(r"[\w.@+-]+", name):
        raise UserError(f"name: {name!r} may hold letters, digits and . _ @ + - only (e.g. jdoe or j.doe@example.org)")
    return name


def _password(value: str) -> str:
    if value is None or len(value) < PASSWORD_MIN:
        raise UserError(f"password: at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise UserError(f"password: at most {PASSWORD_MAX} characters")
    return value


_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


def check_email(email: str | None) -> str | None:
    """An address notices can go to (one address, no display name), or None for none."""
    value = (email or "").strip()
    if not value:
        return None
    if len(value) > EMAIL_MAX or not _EMAIL.match(value):
        raise UserError(f"email: {value[:80]!r} is not an e-mail address such as tanaka@mofa.go.jp")
    return value


def set_email(session: Session, name: str, email: str | None, actor: str = "system") -> User:
    user = require_user(session, name)
    before = user.email
    user.email = check_email(email)
    activity.record(session, actor, "user.email", f"user:{user.name}", {"email": before}, {"email": user.email})
    return user


LANGUAGES = ("en", "fr", "es")  # the interface's (web/i18n.py LANGUAGES; the store does not import the web)


def set_language(session: Session, name: str, language: str | None, actor: str = "system") -> User:
    """The language of an account's e-mail notices (None: English)."""
    user = require_user(session, name)
    if language is not None and language not in LANGUAGES:
        raise UserError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    before = user.language
    user.language = language
    if before != language:
        activity.record(session, actor, "user.language", f"user:{user.name}", {"language": before},
                        {"language": language})
    return user


def _organisation(role: str, organisation: str | None) -> str | None:
    value = " ".join((organisation or "").split())  # one line: it is printed as the source of every claim
    if role != "ngo":
        if value:
            raise UserError(f"organisation: only an ngo account is bound to an organisation; {role} accounts are not")
        return None
    if not value:
        raise UserError("organisation: required for an ngo account (the name its claims are published under), "
                        "e.g. Polaris Project")
    if len(value) > ORGANISATION_MAX:
        raise UserError(f"organisation: {len(value)} characters, at most {ORGANISATION_MAX}")
    if "\x00" in value:
        raise UserError("organisation: must not contain a NUL character")
    return value


def _role_country(role: str, country: str | None) -> tuple[str, str | None]:
    if role not in ROLES:
        raise UserError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if role != "liaison":
        if country:
            raise UserError(f"country: only a liaison is bound to a country; {role} accounts are not")
        return role, None
    if not country:
        raise UserError("country: required for a liaison (the government they answer for), e.g. JPN")
    try:
        return role, country_table().resolve(country).iso3
    except UnknownCountry as exc:
        raise UserError(f"country: {exc}") from None


def get_user(session: Session, name: str) -> User | None:
    """The account of this name, however it is cased or written (fullwidth, compatibility forms)."""
    exact = unicodedata.normalize("NFKC", name or "").strip()
    user = session.scalar(select(User).where(User.name == exact))
    if user is None and exact:
        user = session.scalar(select(User).where(User.name_key == name_key(exact)))
    return user


def require_user(session: Session, name: str) -> User:
    user = get_user(session, name)
    if user is None:
        raise UserError(f"name: no user {name!r}")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.name)).all()


def create_user(session: Session, name: str, role: str, password: str, country: str | None = None,
                actor: str = "system", organisation: str | None = None, email: str | None = None) -> User:
    """A new account. A liaison needs a country (code or name), an ngo account its organisation's name; the other
    roles have neither."""
    name = _name(name)
    role, iso3 = _role_country(role, country)
    org = _organisation(role, organisation)
    _password(password)
    clash = get_user(session, name)
    if clash is not None:
        same = "" if clash.name == name else f" ({clash.name!r}: names differing only in case or width are one name)"
        raise UserError(f"name: a user {name!r} already exists{same}")
    address = check_email(email)
    user = User(name=name, name_key=name_key(name), role=role, country_iso3=iso3, organisation=org,
                password_hash=_hasher.hash(password), active=True, created_at=utcnow(), email=address)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # made meanwhile by another process (the check above saw nothing)?
        if "name" not in str(exc.orig):  # users.name_key / uq_users_name_key; any other refusal is not a clash
            raise
        raise UserError(f"name: a user {name!r} already exists (names differing only in case or width are one "
                        "name)") from None
    activity.record(session, actor, "user.create", f"user:{name}", None,
                    user.describe() | ({"email": address} if address else {}))
    return user


def set_password(session: Session, name: str, password: str, actor: str = "system") -> User:
    user = require_user(session, name)
    user.password_hash = _hasher.hash(_password(password))
    _end_all(session, user)
    activity.record(session, actor, "user.password", f"user:{user.name}", None, None)
    return user


def set_active(session: Session, name: str, active: bool, actor: str = "system") -> User:
    """Deactivate (or reactivate) an account; deactivating ends its sessions and revokes its tokens."""
    user = require_user(session, name)
    before = user.describe()
    user.active = active
    if not active:
        _end_all(session, user)
    activity.record(session, actor, "user.activate" if active else "user.deactivate", f"user:{user.name}",
                    before, user.describe())
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same cost whether or not the name exists)."""
    user = get_user(session, name) if name and name.strip() and "\x00" not in name else None
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):  # stronger parameters since it was set: upgraded, logged
        user.password_hash = _hasher.hash(password)
        activity.record(session, user.name, "user.password_rehash", f"user:{user.name}", None, None)
    return user


def _end_all(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- sessions and tokens -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    token: str  # goes in the cookie, shown once
    csrf_token: str
    row: WebSession


def start_session(session: Session, user: User, now: datetime | None = None) -> NewSession:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = WebSession(token_sha256=token_digest(token), user=user, csrf_token=secrets.token_urlsafe(32),
                     created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    return NewSession(token, row.csrf_token, row)


def find_session(session: Session, token: str, idle: timedelta = DEFAULT_IDLE,
                 now: datetime | None = None) -> WebSession | None:
    """The live session of this token: not logged out, not idle longer than `idle`, its user still active.

    An expired session is deleted; a live one has `last_seen_at` moved on (at most once a minute, to spare writes).
    """
    now = now or utcnow()
    row = session.scalar(select(WebSession).where(WebSession.token_sha256 == token_digest(token)))
    if row is None:
        return None
    if now - row.last_seen_at > idle or not row.user.active:
        session.delete(row)
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return row


def end_session(session: Session, token: str) -> bool:
    """Log out: the session row is deleted, so the cookie is worthless even if kept."""
    result = session.execute(delete(WebSession).where(WebSession.token_sha256 == token_digest(token)))
    return bool(getattr(result, "rowcount", 0))


def purge_sessions(session: Session, idle: timedelta = DEFAULT_IDLE, now: datetime | None = None) -> int:
    now = now or utcnow()
    result = session.execute(delete(WebSession).where(WebSession.last_seen_at < now - idle))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - LOGIN_WINDOW))
    return int(getattr(result, "rowcount", 0) or 0)


def create_api_token(session: Session, name: str, label: str = "cli", actor: str = "system") -> tuple[str, ApiToken]:
    """A new bearer token for the user; the token itself is returned once and never stored."""
    user = require_user(session, name)
    if not user.active:
        raise UserError(f"name: {user.name!r} is deactivated")
    token = "tt_" + secrets.token_urlsafe(32)
    row = ApiToken(token_sha256=token_digest(token), user_id=user.id, label=(label or "cli")[:100],
                   created_at=utcnow())
    session.add(row)
    session.flush()
    activity.record(session, actor, "user.token", f"user:{user.name}", None, {"token_id": row.id, "label": row.label})
    return token, row


def list_tokens(session: Session, name: str) -> Sequence[ApiToken]:
    user = require_user(session, name)
    return session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()


def revoke_token(session: Session, token_id: int, actor: str = "system") -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise UserError(f"token: no API token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        activity.record(session, actor, "user.token_revoke", f"user:{row.user.name}", {"token_id": row.id},
                        {"token_id": row.id, "revoked_at": row.revoked_at.isoformat()})
    return row


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user


# --- login throttling --------------------------------------------------------------------------------------------


def _key(value: str) -> str:
    """A name as the throttle counts it: case-folded, no NUL (PostgreSQL text cannot hold one), at most 200."""
    return name_key(value.replace("\x00", ""))[:200]  # ｌａ and LA are la's failures too


def login_blocked(session: Session, name: str, address: str | None, now: datetime | None = None) -> bool:
    """True when this name or this client address has failed LOGIN_MAX_FAILURES times within LOGIN_WINDOW."""
    since = (now or utcnow()) - LOGIN_WINDOW
    for kind, key in (("name", _key(name)), ("address", address)):
        if not key:
            continue
        count = session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.kind == kind, LoginFailure.key == key[:200], LoginFailure.at >= since))
        if (count or 0) >= LOGIN_MAX_FAILURES:
            return True
    return False


def note_login_failure(session: Session, name: str, address: str | None, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.add(LoginFailure(kind="name", key=_key(name), at=now))
    if address:
        session.add(LoginFailure(kind="address", key=address[:200], at=now))


def clear_login_failures(session: Session, name: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.kind == "name", LoginFailure.key == _key(name)))
