"""Fixtures shared by every test: workspaces on real stores, the CLI run in-process, and the
state DB on both SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from storeops.cli.main import main
from storeops.cli.workspace import prepare_stores
from storeops.core.settings import Settings, write_default_settings
from tests.monitoring.statedb import migrated_session

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("STOREOPS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Runs `storeops ARGS...` in this process and returns its exit status and output."""
    monkeypatch.setenv("CI", "1")  # no progress bars in captured output

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    if not _pg_available():
        pytest.skip(f"PostgreSQL does not answer at {PG_URL} (set STOREOPS_TEST_PG_URL)")
    return PG_URL


@pytest.fixture
def pg_database(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"storeops_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    base = pg_admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The state DB URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session on the migrated state DB, once on SQLite and once on PostgreSQL."""
    with migrated_session(database_url) as session:
        yield session


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A fresh workspace (DuckDB warehouse, SQLite state DB) in Europe/Paris, EUR."""
    monkeypatch.delenv("STOREOPS_HOME", raising=False)
    monkeypatch.delenv("STOREOPS_DATABASE_URL", raising=False)
    monkeypatch.delenv("STOREOPS_WAREHOUSE_URL", raising=False)
    settings = write_default_settings(
        tmp_path / "ws", name="Test Shop", currency="EUR", timezone="Europe/Paris"
    )
    prepare_stores(settings)
    return settings
