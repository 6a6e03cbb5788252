"""A workspace whose warehouse is PostgreSQL: read commands run there; imports say they cannot."""

from __future__ import annotations

import ibis

from storeops.core.settings import load_settings
from tests.commerce.conftest import copy_warehouse
from tests.commerce.shop import build_shop
from tests.conftest import FIXTURES


def test_kpis_read_a_postgres_warehouse(cli, workspace, pg_database, monkeypatch, tmp_path) -> None:
    backend = ibis.connect(pg_database)
    copy_warehouse(build_shop(tmp_path / "shop.duckdb"), backend)
    backend.disconnect()
    monkeypatch.setenv("STOREOPS_WAREHOUSE_URL", pg_database)
    result = cli(
        "kpis", "--from", "2025-03-01", "--to", "2025-03-07", "-w", workspace.workspace, "--json"
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["kpis"]["net_sales"] == "75.00"
    assert data["previous"]["kpis"]["net_sales"] == "50.00"


def test_import_into_a_foreign_warehouse_is_refused_clearly(cli, workspace, monkeypatch) -> None:
    monkeypatch.setenv("STOREOPS_WAREHOUSE_URL", "postgres://shop:s3cret@127.0.0.1:5432/test")
    assert load_settings(workspace.workspace).duckdb_path() is None
    result = cli(
        "import",
        "shopify-orders",
        FIXTURES / "shopify_orders" / "orders_export_75.csv",
        "-w",
        workspace.workspace,
    )
    assert result.code == 2
    assert "warehouse.url" in result.err and "DuckDB" in result.err
    assert "s3cret" not in result.err


def test_unreachable_warehouse_is_one_line_without_the_password(
    cli, workspace, monkeypatch
) -> None:
    monkeypatch.setenv("STOREOPS_WAREHOUSE_URL", "postgres://shop:s3cret@127.0.0.1:1/nowhere")
    result = cli("kpis", "-w", workspace.workspace)
    assert result.code == 2
    assert "cannot connect" in result.err
    assert "s3cret" not in result.err
    assert "Traceback" not in result.err
