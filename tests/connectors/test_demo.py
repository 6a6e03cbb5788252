"""The demo shop: deterministic, internally consistent, and showing what later features need."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from storeops.cli.workspace import prepare_stores
from storeops.connectors.demo.calendar import black_friday, cyber_monday, summer_sale, winter_sale
from storeops.connectors.demo.generate import generate_demo, options_for
from storeops.core.settings import Settings, write_default_settings
from storeops.warehouse.connection import read_connection
from storeops.warehouse.schema import DATA_TABLES

END = date(2024, 12, 31)  # 120 days: September to December, Black Friday included


def _new_workspace(folder: Path) -> Settings:
    settings = write_default_settings(
        folder, name="Demo Test", currency="EUR", timezone="Europe/Paris"
    )
    prepare_stores(settings)
    return settings


def _content_hashes(settings: Settings) -> dict[str, str]:
    """A hash of every data table's rows (import_id aside: it names the run, not the content)."""
    with read_connection(settings) as con:
        return {
            table.name: con.execute(
                f"SELECT md5(coalesce(string_agg(t, chr(10) ORDER BY t), '')) FROM "
                f"(SELECT CAST(x AS VARCHAR) AS t FROM (SELECT * EXCLUDE (import_id) FROM {table.name}) x)"
            ).fetchone()[0]
            for table in DATA_TABLES
        }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = _new_workspace(tmp_path_factory.mktemp("demo") / "ws")
    generate_demo(settings, options_for(end=END, days=120))
    return settings


@pytest.fixture(scope="module")
def con(shop: Settings):
    with read_connection(shop) as connection:
        yield connection


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def test_event_dates_are_computed_per_year() -> None:
    assert black_friday(2023) == date(2023, 11, 24)
    assert black_friday(2024) == date(2024, 11, 29)
    assert black_friday(2025) == date(2025, 11, 28)
    assert cyber_monday(2024) == date(2024, 12, 2)
    assert winter_sale(2025)[0] == date(2025, 1, 8)  # second Wednesday of January
    assert summer_sale(2024)[0] == date(2024, 6, 26)  # last Wednesday of June


def test_same_arguments_give_the_same_shop_whatever_the_chunking(tmp_path: Path) -> None:
    first = _new_workspace(tmp_path / "a")
    second = _new_workspace(tmp_path / "b")
    other = _new_workspace(tmp_path / "c")
    generate_demo(first, options_for(end=END, days=45, chunk_days=31))
    generate_demo(second, options_for(end=END, days=45, chunk_days=4))
    generate_demo(other, options_for(end=END, days=45, seed=7))
    a, b, c = _content_hashes(first), _content_hashes(second), _content_hashes(other)
    assert a == b
    for table in ("orders", "order_lines", "inventory_levels", "tickets", "traffic", "customers"):
        assert a[table] != c[table], table


def test_entities_are_unique_and_every_table_is_filled(con: duckdb.DuckDBPyConnection) -> None:
    for table in DATA_TABLES:
        assert _one(con, f"SELECT count(*) FROM {table.name} WHERE source = 'demo'") > 0, table.name
        if table.is_entity:
            duplicates = _one(
                con,
                f"SELECT count(*) FROM (SELECT 1 FROM {table.name} GROUP BY source, source_id HAVING count(*) > 1)",
            )
            assert duplicates == 0, table.name
            assert _one(con, f"SELECT count(*) FROM {table.name} WHERE row_hash IS NULL") == 0


def test_small_scale_size(con: duckdb.DuckDBPyConnection) -> None:
    lines = _one(con, "SELECT count(*) FROM order_lines")
    expected = 60_000 * 120 / 730
    assert 0.7 * expected < lines < 1.3 * expected
    assert 250 <= _one(con, "SELECT count(*) FROM products") <= 320


def test_order_money_adds_up(con: duckdb.DuckDBPyConnection) -> None:
    """total = subtotal + shipping + taxes; subtotal = Σ price × quantity − discounts (after
    discounts, as docs/schema.md and Shopify define it); discounts = Σ line discounts."""
    assert (
        _one(
            con,
            "SELECT count(*) FROM orders WHERE total <> subtotal + shipping + taxes",
        )
        == 0
    )
    mismatched = _one(
        con,
        """
        SELECT count(*) FROM orders o
        JOIN (SELECT order_id, sum(price * quantity) AS gross, sum(discount) AS discount
              FROM order_lines GROUP BY order_id) l ON l.order_id = o.source_id
        WHERE l.gross - l.discount <> o.subtotal OR l.discount <> o.discounts
        """,
    )
    assert mismatched == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM orders o WHERE NOT EXISTS "
            "(SELECT 1 FROM order_lines l WHERE l.order_id = o.source_id)",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM order_lines WHERE discount < 0 OR discount > price * quantity",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM orders WHERE taxes <= 0 AND is_sale") == 0


def test_refunds_add_up(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) FROM refunds") > 0
    mismatched = _one(
        con,
        """
        SELECT count(*) FROM orders o
        LEFT JOIN (SELECT order_id, sum(amount) AS amount FROM refunds GROUP BY 1) r ON r.order_id = o.source_id
        LEFT JOIN (SELECT order_id, sum(amount) AS amount FROM refund_lines GROUP BY 1) rl ON rl.order_id = o.source_id
        WHERE o.refunded <> coalesce(r.amount, 0) OR o.refunded <> coalesce(rl.amount, 0)
           OR (o.refunded > 0) <> (o.financial_status IN ('refunded', 'partially_refunded'))
        """,
    )
    assert mismatched == 0
    too_much = _one(
        con,
        """
        SELECT count(*) FROM refund_lines r JOIN order_lines l ON l.order_id = r.order_id AND l.sku = r.sku
        WHERE r.quantity > l.quantity OR r.amount > l.price * l.quantity - l.discount
        """,
    )
    assert too_much == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM refunds r JOIN orders o ON o.source_id = r.order_id "
            "WHERE r.refunded_at < o.created_at",
        )
        == 0
    )
    reasons = {r for (r,) in con.execute("SELECT DISTINCT reason FROM refunds").fetchall()}
    assert {"size", "damaged", "changed mind"} <= reasons


def test_returns_rate_varies_by_category_and_standouts_exist(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rates = dict(
        con.execute(
            """
            SELECT p.category, sum(coalesce(r.quantity, 0)) / sum(l.quantity)
            FROM order_lines l JOIN products p ON p.sku = l.sku
            LEFT JOIN refund_lines r ON r.order_id = l.order_id AND r.sku = l.sku
            GROUP BY 1
            """
        ).fetchall()
    )
    assert rates["shoes"] > 3 * rates["beauty"]
    standouts = con.execute(
        """
        SELECT l.sku FROM order_lines l LEFT JOIN refund_lines r ON r.order_id = l.order_id AND r.sku = l.sku
        GROUP BY l.sku HAVING sum(l.quantity) >= 20 AND sum(coalesce(r.quantity, 0)) / sum(l.quantity) > 0.25
        """
    ).fetchall()
    assert standouts


def test_voided_orders_are_not_sales(con: duckdb.DuckDBPyConnection) -> None:
    voided = _one(con, "SELECT count(*) FROM orders WHERE NOT is_sale")
    assert voided > 0
    assert (
        _one(con, "SELECT count(*) FROM orders WHERE is_sale <> (financial_status <> 'voided')")
        == 0
    )
    assert (
        _one(con, "SELECT count(*) FROM orders WHERE (cancelled_at IS NOT NULL) <> (NOT is_sale)")
        == 0
    )


def test_black_friday_and_cyber_monday_peak(con: duckdb.DuckDBPyConnection) -> None:
    net = dict(
        con.execute(
            """
            SELECT o.local_date, sum(l.price * l.quantity - l.discount) FROM orders o
            JOIN order_lines l ON l.order_id = o.source_id
            WHERE o.is_sale AND o.local_date BETWEEN '2024-11-01' AND '2024-12-02' GROUP BY 1
            """
        ).fetchall()
    )
    november = [v for d, v in net.items() if d.month == 11]
    average = sum(november) / len(november)
    assert net[date(2024, 11, 29)] > 2 * average
    # Cyber Monday peaks too, though the Black Friday weekend has emptied some shelves.
    assert net[date(2024, 12, 2)] > Decimal("1.2") * average
    codes = dict(con.execute("SELECT discount_codes, count(*) FROM orders GROUP BY 1").fetchall())
    assert codes.get("BF24", 0) > 0 and codes.get("CM24", 0) > 0 and codes.get("XMAS24", 0) > 0


def test_promotions_are_staged_with_their_windows(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT code, kind, value, starts_at, ends_at FROM promotions ORDER BY code"
    ).fetchall()
    by_code = {r[0]: r for r in rows}
    assert by_code["BF24"][1:3] == ("percentage", Decimal("25.00"))
    assert by_code["WELCOME10"][1:3] == ("fixed_amount", Decimal("10.00"))
    # Black Friday starts at midnight in Paris (23:00 UTC the day before).
    assert str(by_code["BF24"][3]) == "2024-11-28 23:00:00"
    used_outside = _one(
        con,
        """
        SELECT count(*) FROM orders o JOIN promotions p ON p.code = o.discount_codes
        WHERE o.created_at < p.starts_at OR o.created_at > p.ends_at
        """,
    )
    assert used_outside == 0


def test_welcome_code_only_on_a_first_order(con: duckdb.DuckDBPyConnection) -> None:
    later = _one(
        con,
        """
        SELECT count(*) FROM orders o WHERE o.discount_codes = 'WELCOME10' AND EXISTS (
            SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.created_at < o.created_at)
        """,
    )
    assert later == 0


def test_customers_come_back(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute(
            "SELECT least(n, 3), count(*) FROM (SELECT customer_id, count(*) AS n FROM orders "
            "WHERE customer_id IS NOT NULL GROUP BY 1) GROUP BY 1"
        ).fetchall()
    )
    assert counts[2] > 0 and counts[3] > 0
    assert 0.05 < (counts[2] + counts[3]) / sum(counts.values()) < 0.6
    assert (
        _one(
            con,
            "SELECT count(*) FROM orders o WHERE customer_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM customers c WHERE c.source_id = o.customer_id)",
        )
        == 0
    )


def test_times_are_utc_with_store_local_days(con: duckdb.DuckDBPyConnection) -> None:
    wrong = _one(
        con,
        "SELECT count(*) FROM orders WHERE local_date <> "
        "CAST(timezone('Europe/Paris', timezone('UTC', created_at)) AS DATE)",
    )
    assert wrong == 0
    # Orders placed just after midnight in Paris are still on the previous day in UTC.
    near_midnight = _one(
        con, "SELECT count(*) FROM orders WHERE CAST(created_at AS DATE) <> local_date"
    )
    assert near_midnight > 0
    shop_hours = con.execute(
        "SELECT min(hour(timezone('Europe/Paris', timezone('UTC', created_at)))), "
        "max(hour(timezone('Europe/Paris', timezone('UTC', created_at)))) FROM orders WHERE channel = 'pos'"
    ).fetchone()
    assert shop_hours[0] >= 10 and shop_hours[1] <= 18


def test_stock_outs_lose_sales(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) FROM inventory_levels WHERE on_hand = 0") > 0
    sold_while_empty = _one(
        con,
        """
        SELECT count(*) FROM inventory_levels i
        JOIN order_lines l ON l.sku = i.sku
        JOIN orders o ON o.source_id = l.order_id AND o.local_date = i.date
        WHERE i.on_hand = 0
        """,
    )
    assert sold_while_empty == 0
    negative = _one(con, "SELECT count(*) FROM inventory_levels WHERE on_hand < 0")
    assert negative == 0


def test_stock_goes_down_with_sales(con: duckdb.DuckDBPyConnection) -> None:
    """Without a delivery, tomorrow's count is today's minus the units sold (voided orders give
    their units back)."""
    rows = con.execute(
        """
        WITH sold AS (
            SELECT l.sku, o.local_date AS date, sum(l.quantity) AS units FROM order_lines l
            JOIN orders o ON o.source_id = l.order_id WHERE o.is_sale GROUP BY 1, 2
        )
        SELECT count(*) FILTER (WHERE n.on_hand = i.on_hand - coalesce(s.units, 0)),
               count(*) FILTER (WHERE n.on_hand < i.on_hand - coalesce(s.units, 0))
        FROM inventory_levels i
        JOIN inventory_levels n ON n.sku = i.sku AND n.date = i.date + 1
        LEFT JOIN sold s ON s.sku = i.sku AND s.date = i.date
        """
    ).fetchone()
    consistent, below = rows
    assert consistent > 0
    assert below == 0  # stock only leaves through sales; deliveries only add


def test_dead_stock_exists(con: duckdb.DuckDBPyConnection) -> None:
    dead = _one(
        con,
        """
        SELECT count(*) FROM (
            SELECT i.sku FROM inventory_levels i GROUP BY i.sku
            HAVING min(i.on_hand) > 0 AND min(i.on_hand) = max(i.on_hand)
        ) d WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.sku = d.sku)
        """,
    )
    assert dead > 0


def test_traffic_orders_match_orders(con: duckdb.DuckDBPyConnection) -> None:
    mismatched = _one(
        con,
        """
        SELECT count(*) FROM traffic t
        FULL JOIN (SELECT local_date, channel, count(*) AS n FROM orders WHERE is_sale GROUP BY 1, 2) o
          ON o.local_date = t.date AND o.channel = t.channel
        WHERE coalesce(o.n, 0) <> coalesce(t.orders, -1)
        """,
    )
    assert mismatched == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM traffic WHERE NOT (sessions >= add_to_cart AND "
            "add_to_cart >= checkouts_started AND checkouts_started >= orders)",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM traffic") == 120 * 4


def test_tickets_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM tickets WHERE first_response_at < opened_at OR resolved_at < first_response_at
            OR (status IN ('resolved', 'closed')) <> (resolved_at IS NOT NULL)
            OR (status = 'open') <> (first_response_at IS NULL)
            OR satisfaction NOT BETWEEN 1 AND 5
            OR (satisfaction IS NOT NULL AND status NOT IN ('resolved', 'closed'))
        """,
        )
        == 0
    )
    assert _one(con, "SELECT count(DISTINCT category) FROM tickets") >= 5
    # Answers are slower at the Black Friday peak than in a quiet week of October.
    slow = con.execute(
        """
        SELECT median(epoch(first_response_at - opened_at)) FILTER (WHERE local_date BETWEEN '2024-11-29' AND '2024-12-03'),
               median(epoch(first_response_at - opened_at)) FILTER (WHERE local_date BETWEEN '2024-10-07' AND '2024-10-20')
        FROM tickets
        """
    ).fetchone()
    assert slow[0] > 1.5 * slow[1]


def test_demo_replaces_rather_than_duplicates(cli, tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    args = ["demo", "--no-monitors", "-w", folder, "--days", "30", "--end", "2024-06-30", "--json"]
    first = cli(*args)
    assert first.code == 0, first.err
    second = cli(*args)
    assert second.code == 0, second.err
    assert first.json() == second.json()
    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as con:
        assert _one(con, "SELECT count(*) FROM orders") == first.json()["orders"] + _one(
            con, "SELECT count(*) FROM orders WHERE NOT is_sale"
        )
        assert _one(con, "SELECT count(DISTINCT import_id) FROM orders") == 1
        assert con.execute("SELECT kind, source FROM imports ORDER BY import_id").fetchall() == [
            ("demo", "demo"),
            ("demo", "demo"),
        ]


def test_demo_in_an_empty_folder_creates_the_workspace(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STOREOPS_HOME", raising=False)
    result = cli("demo", "--no-monitors", "--days", "20", "--end", "2024-03-31", "--json")
    assert result.code == 0, result.err
    summary = result.json()
    settings_file = tmp_path / "storeops-data" / "storeops.toml"
    assert settings_file.exists()
    assert 'name = "Demo Shop"' in settings_file.read_text()
    assert summary["first_day"] == "2024-03-12" and summary["last_day"] == "2024-03-31"
    assert isinstance(summary["orders"], int) and summary["orders"] > 0
    assert summary["net_sales"].count(".") == 1 and len(summary["net_sales"].split(".")[1]) == 2
    expected = (
        Decimal(summary["gross_sales"])
        - Decimal(summary["discounts"])
        - Decimal(summary["returns"])
    )
    assert Decimal(summary["net_sales"]) == expected
    assert set(summary) >= {
        "orders",
        "order_lines",
        "customers",
        "skus",
        "first_day",
        "last_day",
        "net_sales",
        "stockout_sku_days",
        "tickets",
    }


def test_bad_end_date_is_one_line(cli, tmp_path: Path) -> None:
    result = cli("demo", "-w", tmp_path / "x", "--end", "31/12/2024")
    assert result.code == 2
    assert "--end" in result.err and "Traceback" not in result.err


def test_shopify_export_round_trip(cli, tmp_path: Path) -> None:
    demo_ws, import_ws, export = tmp_path / "demo", tmp_path / "imported", tmp_path / "export"
    result = cli(
        "demo",
        "--no-monitors",
        "-w",
        demo_ws,
        "--days",
        "60",
        "--end",
        "2024-12-31",
        "--export-shopify",
        export,
        "--json",
    )
    assert result.code == 0, result.err
    file = export / "orders_export_1.csv"
    header = file.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert len(header) == 79 and header[0] == "Name" and header[-1] == "Payment References"
    first_row = file.read_text(encoding="utf-8").splitlines()[1]
    assert " +0100" in first_row

    assert cli("init", import_ws).code == 0
    imported = cli("import", "shopify-orders", file, "-w", import_ws, "--json")
    assert imported.code == 0, imported.err
    assert imported.json()["files"][0]["rows_quarantined"] == 0

    totals = """
        SELECT (SELECT count(*) FROM orders WHERE is_sale),
               (SELECT count(*) FROM orders),
               (SELECT sum(price * quantity) FROM order_lines),
               (SELECT sum(discounts) FROM orders),
               (SELECT sum(refunded) FROM orders),
               (SELECT sum(amount) FROM refunds),
               (SELECT sum(total) FROM orders),
               (SELECT sum(subtotal) FROM orders),
               (SELECT count(DISTINCT customer_id) FROM orders),
               (SELECT min(created_at) FROM orders), (SELECT max(local_date) FROM orders)
    """
    with duckdb.connect(str(demo_ws / "warehouse.duckdb"), read_only=True) as con:
        original = con.execute(totals).fetchone()
    with duckdb.connect(str(import_ws / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute(totals).fetchone()
    assert loaded == original
