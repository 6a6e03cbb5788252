"""The state DB migrates from nothing to head on SQLite and PostgreSQL, and audit entries persist."""

from __future__ import annotations

from sqlalchemy import inspect, select

from storeops.db.audit import record_change
from storeops.db.engine import make_engine, session_factory
from storeops.db.migrate import upgrade
from storeops.db.models import AuditEntry


def test_upgrade_creates_audit_log_and_is_repeatable(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run finds nothing to do
        tables = set(inspect(engine).get_table_names())
        assert {"audit_log", "alembic_version"} <= tables
        with session_factory(engine).begin() as session:
            record_change(
                session,
                actor="cli:test",
                action="warehouse.import",
                target="shopify-orders:orders.csv",
                after={"rows_read": 3, "name": "Zoé"},
            )
        with session_factory(engine)() as session:
            entry = session.scalars(select(AuditEntry)).one()
            assert entry.after == {"rows_read": 3, "name": "Zoé"}
            assert entry.at is not None
    finally:
        engine.dispose()


def test_postgres_urls_use_psycopg3(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert engine.dialect.name in ("sqlite", "postgresql")
        if engine.dialect.name == "postgresql":
            assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()
