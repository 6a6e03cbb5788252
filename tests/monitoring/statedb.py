"""A migrated state DB (SQLite or PostgreSQL) with a service, for the monitoring tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from storeops.db.engine import make_engine, session_factory
from storeops.db.migrate import upgrade
from storeops.itsm.models import Service


@contextmanager
def migrated_session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def add_service(session: Session, name: str, impact: float = 1.0) -> Service:
    service = Service(name=name, title=name.title(), impact=impact)
    session.add(service)
    session.flush()
    return service
