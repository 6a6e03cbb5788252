"""Users of the web app, their API tokens and login sessions: tables and verb-named actions.

Secrets never reach the database or the audit log in clear: passwords are argon2 hashes, API
tokens and session ids are stored as their SHA-256 (they are long random strings, so a fast hash
is enough to make a stolen table useless). Actions take the session and leave committing to the
caller, like every action of storeops.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storeops.core.errors import UserError
from storeops.db.audit import record_change
from storeops.db.models import Base, UtcDateTime, utcnow

MAX_FAILED_LOGINS = 5  # in a row; the next lock starts at the 5th failure
LOCK_MINUTES = 15  # doubling with every further lock of the same account
MAX_LOCK = timedelta(days=1)
MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_PREFIX = "sto_"
# A token's last use is written at most this often, so API calls do not each write a row.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Role(StrEnum):
    admin = "admin"
    it = "it"
    commerce = "commerce"
    viewer = "viewer"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locks: Mapped[int] = mapped_column(Integer, default=0)  # locks since the last good login
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def public(self) -> dict[str, object]:
        """What the audit log, the CLI and the API show of a user (never the hash)."""
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user": self.user.email,
            "name": self.name,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    user: Mapped[User] = relationship()


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so that costs the same time."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def create_user(
    session: Session, *, email: str, role: str, actor: str, password: str | None = None
) -> tuple[User, str | None]:
    """Adds a user; returns it and the generated one-time password when none was given."""
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise UserError(f"{email!r} is not an email address")
    if role not in Role.__members__:
        raise UserError(f"unknown role {role!r} (use one of: {', '.join(Role)})")
    if get_user(session, email) is not None:
        raise UserError(f"a user {email} exists already")
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password is too short (at least {MIN_PASSWORD_LENGTH} characters)")
    user = User(email=email, role=role, password_hash=_hasher().hash(password), active=True)
    session.add(user)
    session.flush()
    record_change(
        session, actor=actor, action="user.create", target=f"user:{email}", after=user.public()
    )
    return user, generated


def _lock_for(locks: int) -> timedelta:
    return min(timedelta(minutes=LOCK_MINUTES) * 2 ** (locks - 1), MAX_LOCK)


def authenticate(
    session: Session, email: str, password: str, *, now: datetime | None = None
) -> User | None:
    """The user when the password is right and the account active and not locked, else None.

    Every attempt verifies one argon2 hash (a dummy one for an unknown email), so an attacker
    cannot tell from the time taken whether an address has an account.
    """
    now = now or utcnow()
    user = get_user(session, email)
    if user is None:
        _verify(_dummy_hash(), password)
        return None
    good = _verify(user.password_hash, password)
    if not user.active or (user.locked_until is not None and user.locked_until > now):
        return None  # a locked account does not count failures, so locks grow per round
    if not good:
        user.failed_logins += 1
        after: dict[str, object] = {"failed_logins": user.failed_logins}
        if user.failed_logins % MAX_FAILED_LOGINS == 0:
            user.locks += 1
            user.locked_until = now + _lock_for(user.locks)
            after["locked_until"] = user.locked_until.isoformat()
        record_change(
            session,
            actor=f"web:{user.email}",
            action="user.login_failed",
            target=f"user:{user.email}",
            after=after,
        )
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.failed_logins = user.locks = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def create_api_token(
    session: Session, user: User, *, name: str, actor: str
) -> tuple[ApiToken, str]:
    """A new API token for `user`; the raw token is returned here and never again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_sha256=sha256(raw), created_at=utcnow())
    session.add(token)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="token.create",
        target=f"user:{user.email}",
        after={"token_id": token.id, "name": name},
    )
    return token, raw


def list_api_tokens(session: Session, *, user: User | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def revoke_api_token(session: Session, token_id: int, *, actor: str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise UserError(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_change(
            session,
            actor=actor,
            action="token.revoke",
            target=f"user:{token.user.email}",
            before={"token_id": token.id, "name": token.name, "revoked_at": None},
            after={
                "token_id": token.id,
                "name": token.name,
                "revoked_at": token.revoked_at.isoformat(),
            },
        )
    return token


def user_for_token(session: Session, raw: str, *, now: datetime | None = None) -> User | None:
    """The active user a live token belongs to, noting when the token was last used."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == sha256(raw), ApiToken.revoked_at.is_(None))
    ).one_or_none()
    if token is None or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.user


def start_session(
    session: Session,
    user: User,
    *,
    lifetime: timedelta = SESSION_LIFETIME,
    now: datetime | None = None,
) -> tuple[LoginSession, str]:
    """A login session for `user`; returns it and the raw session id for the cookie."""
    now = now or utcnow()
    # The user's expired sessions go now: nothing else needs to sweep the table.
    session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now)
    )
    raw = secrets.token_urlsafe(32)
    login = LoginSession(
        session_sha256=sha256(raw),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(login)
    session.flush()
    record_change(
        session,
        actor=f"web:{user.email}",
        action="user.login",
        target=f"user:{user.email}",
        after={"session_id": login.id, "expires_at": login.expires_at.isoformat()},
    )
    return login, raw


def _login_for(session: Session, raw: str) -> LoginSession | None:
    return session.scalars(
        select(LoginSession).where(LoginSession.session_sha256 == sha256(raw))
    ).one_or_none()


def user_for_session(
    session: Session, raw: str, *, now: datetime | None = None
) -> tuple[User, LoginSession] | None:
    """The active user of a live session, with the session (it holds the CSRF token)."""
    login = _login_for(session, raw)
    if login is None or login.expires_at <= (now or utcnow()) or not login.user.active:
        return None
    return login.user, login


def end_session(session: Session, raw: str) -> None:
    login = _login_for(session, raw)
    if login is None:
        return
    email = login.user.email
    session.delete(login)
    record_change(
        session,
        actor=f"web:{email}",
        action="user.logout",
        target=f"user:{email}",
        before={"session_id": login.id},
    )
