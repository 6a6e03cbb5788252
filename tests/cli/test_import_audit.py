"""Every import is recorded in the state DB's audit log, on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from storeops.cli.workspace import prepare_stores
from storeops.core.settings import load_settings
from storeops.db.engine import make_engine, session_factory
from storeops.db.models import AuditEntry
from tests.conftest import FIXTURES


def test_import_is_audited_in_the_state_db(cli, workspace, database_url, monkeypatch) -> None:
    monkeypatch.setenv("STOREOPS_DATABASE_URL", database_url)
    settings = load_settings(workspace.workspace)
    assert settings.database_url() == database_url
    prepare_stores(settings)
    file = FIXTURES / "shopify_orders" / "orders_export_75.csv"
    assert cli("import", "shopify-orders", file, "-w", workspace.workspace).code == 0

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            [entry] = session.scalars(select(AuditEntry)).all()
    finally:
        engine.dispose()
    assert entry.action == "warehouse.import"
    assert entry.actor.startswith("cli:")
    assert entry.target == f"shopify-orders:{file}"
    assert entry.after["orders_new"] == 1 and entry.after["rows_read"] == 3
