"""The daily cells are plain tables read through Ibis: a PostgreSQL warehouse that holds them (a
copy here, a shop's own materialized views in life, docs/engines.md) gives the figures DuckDB
gives, and reads them rather than the lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import ibis
from ibis.backends import BaseBackend

from storeops.commerce.cells import ALL_CELLS, cells_are_current
from storeops.commerce.kpis import kpi_report
from storeops.commerce.period import Compare, data_period
from storeops.commerce.sales import Dimension, sales_by, sales_series
from storeops.commerce.stock import stock_health
from tests.commerce.conftest import postgres_copy


def _figures(con: BaseBackend) -> dict[str, Any]:
    period = data_period(con)
    assert period is not None
    report = kpi_report(con, period, Compare.previous)
    return {
        "kpis": report.kpis,
        "previous": report.previous,
        "series": sales_series(con, period=period),
        "products": sales_by(con, period=period, by=Dimension.product).rows,
        "stock": stock_health(con, as_of=period.end),
    }


def test_cells_on_postgres_give_the_figures_of_duckdb(shop_file: Path, pg_admin_url: str) -> None:
    with duckdb.connect(str(shop_file), read_only=True) as con:
        duck = ibis.duckdb.from_connection(con)
        assert cells_are_current(duck)
        want = _figures(duck)
    with postgres_copy(pg_admin_url, shop_file, extra=tuple(sorted(ALL_CELLS))) as pg:
        assert cells_are_current(pg)
        assert _figures(pg) == want
        assert want["kpis"]["units_sold"] > 0
        pg.raw_sql("UPDATE sku_cells SET units = 0").close()  # the cells are what is read
        assert _figures(pg)["kpis"]["units_sold"] == 0
