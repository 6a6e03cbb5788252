"""Users, API tokens and login sessions in the state DB, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.db import users
from storeops.db.engine import make_engine, session_factory
from storeops.db.migrate import upgrade
from storeops.db.models import AuditEntry, Base

ACTOR = "cli:test"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    with session_factory(engine)() as session:
        yield session


def test_migration_matches_the_models(engine) -> None:  # type: ignore[no-untyped-def]
    # Every domain's tables, not only those some earlier test happened to import.
    import storeops.itsm.models
    import storeops.monitoring.models  # noqa: F401

    with engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert diff == []


def test_create_user_generates_a_one_time_password_and_audits_without_secrets(session) -> None:
    user, password = users.create_user(session, email="  Ana@Shop.Example ", role="it", actor=ACTOR)
    session.commit()
    assert user.email == "ana@shop.example" and user.role == "it" and user.active
    assert password is not None and len(password) >= 16
    assert password not in user.password_hash and user.password_hash.startswith("$argon2")
    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.target) == (
        ACTOR,
        "user.create",
        "user:ana@shop.example",
    )
    assert entry.after["role"] == "it"
    assert password not in str(entry.after) and "password_hash" not in entry.after
    assert users.authenticate(session, "ANA@shop.example", password) is user


@pytest.mark.parametrize(
    ("email", "role", "password", "message"),
    [
        ("not-an-email", "it", None, "not an email address"),
        ("a@b.example", "root", None, "unknown role 'root'"),
        ("a@b.example", "viewer", "short", "too short"),
    ],
)
def test_create_user_refuses_bad_input(session, email, role, password, message) -> None:
    with pytest.raises(UserError, match=message):
        users.create_user(session, email=email, role=role, password=password, actor=ACTOR)


def test_emails_are_unique_whatever_their_case(session) -> None:
    users.create_user(session, email="bo@shop.example", role="viewer", actor=ACTOR)
    with pytest.raises(UserError, match="exists already"):
        users.create_user(session, email="BO@shop.example", role="admin", actor=ACTOR)


def test_lock_out_after_five_failures_doubling_on_repeat(session) -> None:
    user, _ = users.create_user(
        session, email="cy@shop.example", role="viewer", password="correct horse", actor=ACTOR
    )
    for attempt in range(4):
        assert users.authenticate(session, "cy@shop.example", "wrong", now=T0) is None
        assert user.locked_until is None, attempt
    assert users.authenticate(session, "cy@shop.example", "wrong", now=T0) is None
    assert user.locked_until == T0 + timedelta(minutes=15)
    # Locked: even the right password is refused, and further tries do not extend the lock.
    later = T0 + timedelta(minutes=14)
    assert users.authenticate(session, "cy@shop.example", "correct horse", now=later) is None
    assert user.locked_until == T0 + timedelta(minutes=15) and user.failed_logins == 5
    # After the lock, five more failures lock for twice as long.
    t1 = T0 + timedelta(minutes=16)
    for _ in range(5):
        assert users.authenticate(session, "cy@shop.example", "wrong", now=t1) is None
    assert user.locked_until == t1 + timedelta(minutes=30)
    # A good login after the lock clears the count and the doubling.
    t2 = t1 + timedelta(minutes=31)
    assert users.authenticate(session, "cy@shop.example", "correct horse", now=t2) is user
    assert (user.failed_logins, user.locks, user.locked_until, user.last_login_at) == (
        0,
        0,
        None,
        t2,
    )
    session.commit()
    failed = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.login_failed").order_by(AuditEntry.id)
    ).all()
    assert [e.after["failed_logins"] for e in failed] == list(range(1, 11))
    assert ["locked_until" in e.after for e in failed] == ([False] * 4 + [True]) * 2


def test_unknown_email_costs_as_much_as_a_wrong_password(session) -> None:
    users.create_user(
        session, email="di@shop.example", role="viewer", password="correct horse", actor=ACTOR
    )
    users.authenticate(session, "nobody@shop.example", "x")  # warms the dummy hash

    def best_of(email: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert users.authenticate(session, email, "wrong password", now=T0) is None
            times.append(time.perf_counter() - start)
        return min(times)

    known, unknown = best_of("di@shop.example"), best_of("nobody@shop.example")
    # Both verify one argon2 hash (tens of milliseconds); a skipped hash would be ~100x faster.
    assert unknown > 0.5 * known


def test_inactive_users_cannot_log_in(session) -> None:
    user, password = users.create_user(session, email="ed@shop.example", role="it", actor=ACTOR)
    user.active = False
    assert users.authenticate(session, "ed@shop.example", password) is None


def test_api_tokens_are_stored_hashed_shown_once_and_revocable(session) -> None:
    user, _ = users.create_user(session, email="fa@shop.example", role="commerce", actor=ACTOR)
    token, raw = users.create_api_token(session, user, name="ci", actor=ACTOR)
    session.commit()
    assert raw.startswith("sto_") and len(raw) == 4 + 43
    assert token.token_sha256 == users.sha256(raw) and raw not in token.token_sha256
    assert users.user_for_token(session, raw, now=T0) is user
    assert token.last_used_at == T0
    users.user_for_token(session, raw, now=T0 + timedelta(seconds=10))
    assert token.last_used_at == T0  # not rewritten on every call
    assert users.user_for_token(session, raw + "x") is None
    assert users.user_for_token(session, "Bearer " + raw) is None
    users.revoke_api_token(session, token.id, actor=ACTOR)
    session.commit()
    assert users.user_for_token(session, raw) is None
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action.like("token.%"))).all()
    assert [e.action for e in audit] == ["token.create", "token.revoke"]
    assert all(raw not in str(e.after) and raw not in str(e.before) for e in audit)


def test_sessions_expire_and_end(session) -> None:
    user, _ = users.create_user(session, email="gu@shop.example", role="viewer", actor=ACTOR)
    login, raw = users.start_session(session, user, lifetime=timedelta(hours=1), now=T0)
    session.commit()
    assert login.session_sha256 == users.sha256(raw) and len(login.csrf_token) >= 32
    found = users.user_for_session(session, raw, now=T0 + timedelta(minutes=59))
    assert found is not None and found[0] is user and found[1].csrf_token == login.csrf_token
    assert users.user_for_session(session, raw, now=T0 + timedelta(hours=1)) is None
    assert users.user_for_session(session, "guess", now=T0) is None
    # A new login sweeps the user's expired sessions.
    _, raw2 = users.start_session(session, user, now=T0 + timedelta(hours=2))
    session.commit()
    assert session.scalars(select(users.LoginSession)).all() == [
        session.scalars(
            select(users.LoginSession).where(
                users.LoginSession.session_sha256 == users.sha256(raw2)
            )
        ).one()
    ]
    users.end_session(session, raw2)
    session.commit()
    assert users.user_for_session(session, raw2) is None
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["user.create", "user.login", "user.login", "user.logout"]
