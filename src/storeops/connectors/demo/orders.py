"""One day of orders: who buys, when, through which channel, what, and what it costs.

Everything is vectorised over the day's orders and lines. Money is integer cents; here
(and only here: the warehouse's subtotal is after discounts, see tables.py):
- subtotal = Σ line price × quantity (gross, before discounts);
- discounts = Σ line discounts (a percentage code discounts every line; a fixed amount is split
  over the lines in proportion to their value, the cent remainder on the first line);
- shipping by channel and country (free above a threshold online);
- taxes = VAT of the order's country on (subtotal - discounts + shipping);
- total = subtotal - discounts + shipping + taxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storeops.connectors.demo.calendar import Calendar
from storeops.connectors.demo.catalog import SEASON, Catalog
from storeops.connectors.demo.customers import CustomerPool
from storeops.connectors.demo.inventory import Stock

COUNTRIES = ("FR", "BE", "DE", "ES", "IT", "NL", "CH", "GB")
VAT_BASIS_POINTS = np.array([2000, 2100, 1900, 2100, 2200, 2100, 810, 2000])
COUNTRY_MIX = np.array(  # per channel, in COUNTRIES order
    [
        [0.55, 0.10, 0.10, 0.07, 0.07, 0.05, 0.03, 0.03],
        [0.62, 0.10, 0.08, 0.06, 0.06, 0.04, 0.02, 0.02],
        [0.45, 0.05, 0.25, 0.10, 0.10, 0.05, 0.00, 0.00],
        [1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
    ]
)
HOURLY = np.array(  # orders by local hour, per channel (the shop opens 10:00-19:00)
    [
        [2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 11, 10, 8, 8, 8, 9, 10, 12, 14, 15, 11, 5],
        [3, 2, 1, 1, 1, 1, 3, 7, 8, 6, 6, 7, 10, 9, 6, 6, 6, 7, 9, 11, 14, 16, 14, 7],
        [2, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 10, 10, 9, 9, 9, 9, 9, 9, 9, 8, 6, 3],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 8, 10, 9, 9, 11, 13, 14, 12, 0, 0, 0, 0, 0],
    ],
    dtype=float,
)
HOURLY_CUMULATIVE = np.cumsum(HOURLY / HOURLY.sum(axis=1, keepdims=True), axis=1)
GUEST_SHARE = np.array([0.04, 0.0, 0.6, 0.35])  # marketplaces keep their buyers' identity
REPEAT_SHARE = 0.55  # share of identified orders that repeat customers would place
EXTRA_LINES = np.array([1.2, 1.0, 0.5, 1.3])  # Poisson mean of lines beyond the first
VOID_RATE = 0.008
FREE_SHIPPING_FROM = 6000
SHIPPING = {"domestic": 490, "abroad": 990, "marketplace": 390}
CODE_CHANNELS = (0, 1, 3)  # marketplaces do not take the shop's codes
FULFILMENT_DAYS = 2  # orders of the last days are not shipped yet


@dataclass
class DayOrders:
    """The orders of one day (sorted by time) and their lines (sorted by order)."""

    local_seconds: np.ndarray
    created_at: np.ndarray  # UTC datetime64[s]
    channel: np.ndarray
    country: np.ndarray
    customer: np.ndarray  # -1 for guests
    code: np.ndarray  # campaign index, -1 for none
    voided: np.ndarray
    unfulfilled: np.ndarray
    subtotal: np.ndarray
    discounts: np.ndarray
    shipping: np.ndarray
    taxes: np.ndarray
    line_order: np.ndarray
    sku: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    line_discount: np.ndarray

    @property
    def n(self) -> int:
        return len(self.channel)

    @property
    def total(self) -> np.ndarray:
        return self.subtotal - self.discounts + self.shipping + self.taxes


def _by_channel(
    rng: np.random.Generator, channel: np.ndarray, cumulative: np.ndarray
) -> np.ndarray:
    """One categorical draw per row from its channel's cumulative distribution."""
    u = rng.random(len(channel))
    out = np.empty(len(channel), dtype=np.int64)
    for c in range(cumulative.shape[0]):
        rows = channel == c
        out[rows] = np.searchsorted(cumulative[c], u[rows], side="right")
    return np.minimum(out, cumulative.shape[1] - 1)


def _out_of_service(
    cal: Calendar, i: int, channel: np.ndarray, seconds: np.ndarray, u: np.ndarray
) -> np.ndarray:
    lost = np.zeros(len(channel), dtype=bool)
    for outage in cal.outages:
        if outage.day == i:
            lost |= (
                np.isin(channel, outage.channels)
                & (seconds >= outage.start_second)
                & (seconds < outage.end_second)
                & (u < outage.severity)
            )
    return lost


def expected_orders(cal: Calendar, i: int, base: float, noise: float) -> np.ndarray:
    return base * cal.factor[i] * noise


def make_day(
    rng: np.random.Generator,
    cal: Calendar,
    i: int,
    base: float,
    noise: float,
    catalog: Catalog,
    stock: Stock,
    customers: CustomerPool,
) -> DayOrders:
    # How many would-be orders, when, and through which channel.
    counts = rng.poisson(expected_orders(cal, i, base, noise))
    channel = np.repeat(np.arange(len(counts)), counts)
    hour = _by_channel(rng, channel, HOURLY_CUMULATIVE)
    seconds = hour * 3600 + rng.integers(0, 3600, len(channel))
    keep = ~_out_of_service(cal, i, channel, seconds, rng.random(len(channel)))
    order = np.argsort(seconds[keep], kind="stable")
    channel, seconds = channel[keep][order], seconds[keep][order]
    n = len(channel)

    # Who: guests, customers coming back, or new customers (created once the order happens).
    guest = rng.random(n) < GUEST_SHARE[channel]
    wants_repeat = np.flatnonzero(~guest & (rng.random(n) < REPEAT_SHARE))
    returning = customers.take_ready(i, len(wants_repeat))
    customer = np.where(guest, -1, -2)  # -2: a new customer
    customer[wants_repeat[: len(returning)]] = returning
    country = _by_channel(rng, channel, np.cumsum(COUNTRY_MIX, axis=1))
    known = customer >= 0
    country[known] = customers.country[customer[known]]

    # Which code: the running campaign, or the welcome code on a new customer's first order.
    code = np.full(n, -1)
    takes_codes = np.isin(channel, CODE_CHANNELS)
    u = rng.random(n)
    campaign = int(cal.campaign_of_day[i])
    if campaign >= 0:
        code[takes_codes & (u < cal.campaigns[campaign].usage)] = campaign
    welcome = cal.campaigns[cal.welcome]
    code[takes_codes & (code < 0) & (customer == -2) & (u > 1 - welcome.usage)] = cal.welcome

    # What: lines drawn by popularity and the category's season, one line per SKU and order.
    extra = EXTRA_LINES[channel] + np.where(code >= 0, 0.3, 0.0)
    lines_per_order = 1 + np.minimum(rng.poisson(extra), 7)
    line_order = np.repeat(np.arange(n), lines_per_order)
    month = cal.dates[i].month - 1
    weights = catalog.weight * SEASON[month, catalog.category] * catalog.sellable(i)
    cumulative = np.cumsum(weights)
    sku = np.searchsorted(cumulative, rng.random(len(line_order)) * cumulative[-1], side="right")
    sku = np.minimum(sku, catalog.n - 1)
    pair = np.unique(line_order * catalog.n + sku)
    line_order, sku = pair // catalog.n, pair % catalog.n
    qty_draw = rng.random(len(sku))
    qty = 1 + (qty_draw > 0.86).astype(np.int64) + (qty_draw > 0.965)

    # Stock: lines the shelves cannot serve are lost; an order with no line left never happens.
    voided = rng.random(n) < VOID_RATE
    served = stock.fill(sku, qty, seconds[line_order], ~voided[line_order])
    line_order, sku, qty = line_order[served], sku[served], qty[served]
    alive = np.bincount(line_order, minlength=n) > 0
    renumber = np.cumsum(alive) - 1
    line_order = renumber[line_order]
    channel, seconds, customer, country, code, voided = (
        a[alive] for a in (channel, seconds, customer, country, code, voided)
    )
    new = customer == -2
    customer[new] = customers.create(country[new].astype(np.int8))
    buyers = customer[(customer >= 0) & ~voided]
    customers.record_purchases(i, buyers, rng)

    return _priced(
        cal, i, catalog, seconds, channel, country, customer, code, voided, line_order, sku, qty
    )


def _priced(
    cal: Calendar,
    i: int,
    catalog: Catalog,
    seconds: np.ndarray,
    channel: np.ndarray,
    country: np.ndarray,
    customer: np.ndarray,
    code: np.ndarray,
    voided: np.ndarray,
    line_order: np.ndarray,
    sku: np.ndarray,
    qty: np.ndarray,
) -> DayOrders:
    n = len(channel)
    price = catalog.price[sku]
    gross_line = price * qty
    subtotal = np.bincount(line_order, gross_line, n).astype(np.int64)

    kinds = np.array([c.kind == "percentage" for c in cal.campaigns])
    values = np.array([c.value for c in cal.campaigns], dtype=np.int64)
    minimum = np.array([c.min_order_cents for c in cal.campaigns], dtype=np.int64)
    has_code = code >= 0
    code = np.where(has_code & (subtotal < minimum[code]), -1, code)  # below the code's minimum
    has_code = code >= 0
    percent = np.where(has_code & kinds[code], values[code], 0)
    fixed = np.where(has_code & ~kinds[code], values[code], 0)
    line_discount = (gross_line * percent[line_order] + 50) // 100
    share = fixed[line_order] * gross_line // np.maximum(subtotal[line_order], 1)
    first_line = np.diff(line_order, prepend=-1) != 0
    remainder = fixed - np.bincount(line_order, share, n).astype(np.int64)
    line_discount += share + np.where(first_line, remainder[line_order], 0)
    discounts = np.bincount(line_order, line_discount, n).astype(np.int64)

    online = channel <= 1
    shipping = np.where(country == 0, SHIPPING["domestic"], SHIPPING["abroad"])
    shipping = np.where(online & (subtotal - discounts >= FREE_SHIPPING_FROM), 0, shipping)
    shipping = np.where(channel == 2, SHIPPING["marketplace"], np.where(channel == 3, 0, shipping))
    taxes = ((subtotal - discounts + shipping) * VAT_BASIS_POINTS[country] + 5000) // 10000
    unfulfilled = (channel != 3) & (i >= cal.n - FULFILMENT_DAYS) & ~voided

    return DayOrders(
        local_seconds=seconds,
        created_at=cal.utc_of(i, seconds),
        channel=channel,
        country=country,
        customer=customer,
        code=code,
        voided=voided,
        unfulfilled=unfulfilled,
        subtotal=subtotal,
        discounts=discounts,
        shipping=shipping.astype(np.int64),
        taxes=taxes.astype(np.int64),
        line_order=line_order,
        sku=sku,
        qty=qty,
        price=price,
        line_discount=line_discount,
    )
