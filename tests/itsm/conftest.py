"""A migrated state DB session on SQLite and PostgreSQL for the ITSM tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from storeops.db.engine import make_engine, session_factory
from storeops.db.migrate import upgrade


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
