"""From simulated days to warehouse rows.

A chunk of days is gathered into Arrow tables of numbers (indexes, cents, timestamps); the SQL
below turns them into canonical rows inside DuckDB, where ids, names and lookups are built in
bulk far faster than in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pyarrow as pa

from storeops.connectors.base import sql_local_date, sql_text
from storeops.connectors.demo.aftersales import (
    FINANCIAL_STATUSES,
    TICKET_CATEGORIES,
    TICKET_CHANNELS,
    TICKET_STATUSES,
    DayAfterSales,
)
from storeops.connectors.demo.calendar import CHANNELS, Calendar
from storeops.connectors.demo.catalog import RETURN_REASONS
from storeops.connectors.demo.customers import FIRST_NAMES, LAST_NAMES
from storeops.connectors.demo.money import decimals
from storeops.connectors.demo.orders import COUNTRIES, DayOrders

SOURCE = "demo"
FIRST_ORDER_NUMBER = 1001
CATALOG_TABLE = "demo_catalog"


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(sql_text(v) for v in values) + "]"


def lookup(column: str, values: tuple[str, ...] | list[str]) -> str:
    """The text of an index column (NULL for -1: DuckDB lists are 1-based, index 0 is NULL)."""
    return f"{sql_list(values)}[{column} + 1]"


def _ts(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[s]"), type=pa.timestamp("s"), from_pandas=True)


@dataclass
class Chunk:
    """The rows of consecutive days, as lists of per-day arrays until `tables()` joins them."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(np.asarray(values))

    def col(self, name: str) -> np.ndarray:
        return np.concatenate(self.parts[name]) if name in self.parts else np.zeros(0)

    def add_day(
        self,
        cal: Calendar,
        i: int,
        first_order: int,
        first_ticket: int,
        day: DayOrders,
        after: DayAfterSales,
        cancelled_at: np.ndarray,
    ) -> None:
        numbers = first_order + np.arange(day.n)
        date = np.datetime64(cal.dates[i], "D")
        first_line = np.flatnonzero(np.diff(day.line_order, prepend=-1) != 0)
        line_no = np.arange(len(day.line_order)) - first_line[day.line_order] + 1
        self.add(
            o_no=numbers,
            o_created=day.created_at,
            o_date=np.full(day.n, date),
            o_channel=day.channel,
            o_country=day.country,
            o_customer=day.customer,
            o_code=day.code,
            o_status=after.financial_status,
            o_unfulfilled=day.unfulfilled,
            o_cancelled=cancelled_at,
            o_subtotal=day.subtotal,
            o_discounts=day.discounts,
            o_shipping=day.shipping,
            o_taxes=day.taxes,
            o_total=day.total,
            o_refunded=after.refunded,
            l_no=numbers[day.line_order],
            l_line=line_no,
            l_sku=day.sku,
            l_qty=day.qty,
            l_price=day.price,
            l_discount=day.line_discount,
            r_no=numbers[after.refund_order],
            r_at=after.refunded_at,
            r_amount=after.refund_amount,
            r_reason=after.refund_reason,
            rl_no=numbers[after.refund_order][after.refund_line_refund],
            rl_sku=after.refund_line_sku,
            rl_qty=after.refund_line_qty,
            rl_amount=after.refund_line_amount,
            t_no=first_ticket + np.arange(len(after.ticket_opened)),
            t_opened=after.ticket_opened,
            t_response=after.ticket_first_response,
            t_resolved=after.ticket_resolved,
            t_status=after.ticket_status,
            t_category=after.ticket_category,
            t_channel=after.ticket_channel,
            t_satisfaction=after.ticket_satisfaction,
            t_order=np.r_[numbers, -1][after.ticket_order],  # -1 (no order) picks the -1
            t_sku=after.ticket_sku,
        )

    def add_stock(self, date: np.datetime64, skus: np.ndarray, on_hand: np.ndarray) -> None:
        self.add(i_date=np.full(len(skus), date), i_sku=skus, i_on_hand=on_hand)

    def add_traffic(self, date: np.datetime64, funnel: np.ndarray) -> None:
        self.add(
            f_date=np.full(len(funnel), date),
            f_channel=np.arange(len(funnel)),
            f_sessions=funnel[:, 0],
            f_carts=funnel[:, 1],
            f_checkouts=funnel[:, 2],
            f_orders=funnel[:, 3],
        )

    def add_customers(
        self,
        ids: np.ndarray,
        country: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        marketing: np.ndarray,
    ) -> None:
        self.add(c_id=ids, c_country=country, c_first=first, c_last=last, c_marketing=marketing)

    def tables(self) -> dict[str, pa.Table]:
        c = self.col
        voided = c("o_status") == 3
        rated = c("t_satisfaction") > 0
        return {
            "orders": pa.table(
                {
                    "no": c("o_no").astype(np.int64),
                    "created_at": _ts(c("o_created")),
                    "local_date": pa.array(c("o_date").astype("datetime64[D]")),
                    "channel": c("o_channel").astype(np.int8),
                    "country": c("o_country").astype(np.int8),
                    "customer": c("o_customer").astype(np.int64),
                    "code": c("o_code").astype(np.int16),
                    "status": c("o_status").astype(np.int8),
                    "unfulfilled": c("o_unfulfilled").astype(bool),
                    "cancelled_at": _ts(np.where(voided, c("o_cancelled"), np.datetime64("NaT"))),
                    # canonical subtotal is after discounts (docs/schema.md, as Shopify's)
                    "subtotal": decimals(c("o_subtotal") - c("o_discounts")),
                    "discounts": decimals(c("o_discounts")),
                    "shipping": decimals(c("o_shipping")),
                    "taxes": decimals(c("o_taxes")),
                    "total": decimals(c("o_total")),
                    "refunded": decimals(c("o_refunded")),
                }
            ),
            "order_lines": pa.table(
                {
                    "no": c("l_no").astype(np.int64),
                    "line_no": c("l_line").astype(np.int32),
                    "sku": c("l_sku").astype(np.int32),
                    "quantity": c("l_qty").astype(np.int32),
                    "price": decimals(c("l_price")),
                    "discount": decimals(c("l_discount")),
                }
            ),
            "refunds": pa.table(
                {
                    "no": c("r_no").astype(np.int64),
                    "refunded_at": _ts(c("r_at")),
                    "amount": decimals(c("r_amount")),
                    "reason": c("r_reason").astype(np.int8),
                }
            ),
            "refund_lines": pa.table(
                {
                    "no": c("rl_no").astype(np.int64),
                    "sku": c("rl_sku").astype(np.int32),
                    "quantity": c("rl_qty").astype(np.int32),
                    "amount": decimals(c("rl_amount")),
                }
            ),
            "tickets": pa.table(
                {
                    "no": c("t_no").astype(np.int64),
                    "opened_at": _ts(c("t_opened")),
                    "first_response_at": _ts(c("t_response")),
                    "resolved_at": _ts(c("t_resolved")),
                    "status": c("t_status").astype(np.int8),
                    "category": c("t_category").astype(np.int8),
                    "channel": c("t_channel").astype(np.int8),
                    "satisfaction": pa.array(c("t_satisfaction").astype(np.int32), mask=~rated),
                    "order_no": c("t_order").astype(np.int64),
                    "sku": c("t_sku").astype(np.int32),
                }
            ),
            "inventory_levels": pa.table(
                {
                    "date": pa.array(c("i_date").astype("datetime64[D]")),
                    "sku": c("i_sku").astype(np.int32),
                    "on_hand": c("i_on_hand").astype(np.int32),
                }
            ),
            "traffic": pa.table(
                {
                    "date": pa.array(c("f_date").astype("datetime64[D]")),
                    "channel": c("f_channel").astype(np.int8),
                    "sessions": c("f_sessions").astype(np.int64),
                    "add_to_cart": c("f_carts").astype(np.int64),
                    "checkouts_started": c("f_checkouts").astype(np.int64),
                    "orders": c("f_orders").astype(np.int64),
                }
            ),
            "customers": pa.table(
                {
                    "id": c("c_id").astype(np.int64),
                    "country": c("c_country").astype(np.int8),
                    "first": c("c_first").astype(np.int16),
                    "last": c("c_last").astype(np.int16),
                    "accepts_marketing": c("c_marketing").astype(bool),
                }
            ),
        }


def order_id(column: str) -> str:
    return f"CAST({column} AS VARCHAR)"


def customer_id(column: str) -> str:
    return f"'C' || lpad(CAST({column} + 1 AS VARCHAR), 7, '0')"


def chunk_queries(cal: Calendar, currency: str, timezone: str) -> dict[str, str]:
    """SELECTs over a chunk's Arrow table of each kind, read as `chunk`, yielding canonical rows."""
    codes = [campaign.code for campaign in cal.campaigns]
    src = sql_text(SOURCE)
    refund_id = f"{order_id('no')} || '/refunds/1'"
    email_part = "lower(strip_accents(replace({}, ' ', '')))"
    return {
        "orders": f"""
            SELECT {src} AS source, {order_id("no")} AS source_id, '#' || no AS name, created_at,
                local_date, {sql_text(currency)} AS currency,
                {lookup("status", FINANCIAL_STATUSES)} AS financial_status,
                CASE WHEN status = 3 THEN NULL WHEN unfulfilled THEN 'unfulfilled' ELSE 'fulfilled' END
                    AS fulfillment_status,
                status <> 3 AS is_sale, cancelled_at,
                CASE WHEN customer >= 0 THEN {customer_id("customer")} END AS customer_id,
                {lookup("channel", CHANNELS)} AS channel, {lookup("country", COUNTRIES)} AS country,
                {lookup("code", codes)} AS discount_codes,
                subtotal, discounts, shipping, taxes, total, refunded
            FROM chunk""",
        "order_lines": f"""
            SELECT {src} AS source, {order_id("l.no")} AS order_id, l.line_no, c.sku,
                c.product_name, l.quantity, l.price, l.discount, c.vendor
            FROM chunk l JOIN {CATALOG_TABLE} c ON c.idx = l.sku""",
        "refunds": f"""
            SELECT {src} AS source, {refund_id} AS source_id, {order_id("no")} AS order_id,
                refunded_at, {sql_local_date("refunded_at", timezone)} AS local_date, amount,
                {lookup("reason", RETURN_REASONS)} AS reason
            FROM chunk""",
        "refund_lines": f"""
            SELECT {src} AS source, {refund_id} AS refund_id, {order_id("no")} AS order_id,
                c.sku, r.quantity, r.amount
            FROM chunk r JOIN {CATALOG_TABLE} c ON c.idx = r.sku""",
        "tickets": f"""
            SELECT {src} AS source, 'T' || lpad(CAST(t.no + 1 AS VARCHAR), 7, '0') AS source_id,
                t.opened_at, {sql_local_date("t.opened_at", timezone)} AS local_date,
                t.first_response_at, t.resolved_at, {lookup("t.status", TICKET_STATUSES)} AS status,
                {lookup("t.category", TICKET_CATEGORIES)} AS category,
                {lookup("t.channel", TICKET_CHANNELS)} AS channel, t.satisfaction,
                CASE WHEN t.order_no >= 0 THEN {order_id("t.order_no")} END AS order_id, c.sku
            FROM chunk t LEFT JOIN {CATALOG_TABLE} c ON c.idx = t.sku""",
        "inventory_levels": f"""
            SELECT {src} AS source, c.sku || '|main|' || strftime(i.date, '%Y-%m-%d') AS source_id,
                c.sku, 'main' AS location, i.date, i.on_hand
            FROM chunk i JOIN {CATALOG_TABLE} c ON c.idx = i.sku""",
        "traffic": f"""
            SELECT {src} AS source,
                strftime(date, '%Y-%m-%d') || '|' || {lookup("channel", CHANNELS)} AS source_id, date,
                {lookup("channel", CHANNELS)} AS channel, sessions, add_to_cart, checkouts_started, orders
            FROM chunk""",
        "customers": f"""
            SELECT {src} AS source, {customer_id("id")} AS source_id,
                {email_part.format(lookup("first", FIRST_NAMES))} || '.' ||
                {email_part.format(lookup("last", LAST_NAMES))} || (id + 1) || '@example.com' AS email,
                {lookup("first", FIRST_NAMES)} || ' ' || {lookup("last", LAST_NAMES)} AS name,
                {lookup("country", COUNTRIES)} AS country, accepts_marketing
            FROM chunk""",
    }


def products_query() -> str:
    return f"""
        SELECT {sql_text(SOURCE)} AS source, sku AS source_id, sku, handle, title, variant_title,
            vendor, category, price, compare_at_price, cost, status
        FROM {CATALOG_TABLE}"""


def promotions_table(cal: Calendar) -> pa.Table:
    campaigns = cal.campaigns
    return pa.table(
        {
            "code": [c.code for c in campaigns],
            "campaign": [c.campaign for c in campaigns],
            "kind": [c.kind for c in campaigns],
            # percent for a percentage, money for a fixed amount: both two-decimal numbers.
            "value": decimals(
                np.array([c.value * 100 if c.kind == "percentage" else c.value for c in campaigns])
            ),
            "starts_at": pa.array([cal.to_utc(c.first, 0) for c in campaigns], pa.timestamp("s")),
            "ends_at": pa.array(
                [
                    cal.to_utc(c.last + timedelta(days=1), 0) - timedelta(seconds=1)
                    for c in campaigns
                ],
                pa.timestamp("s"),
            ),
        }
    )


def promotions_query() -> str:
    return f"""
        SELECT {sql_text(SOURCE)} AS source, code AS source_id, code, campaign, kind, value,
            starts_at, ends_at
        FROM chunk"""
