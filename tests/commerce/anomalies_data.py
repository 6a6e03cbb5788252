"""A hand-made shop with series simple enough to know on paper what the detector must say.

Two years, 2023-01-02 (a Monday) to 2024-12-31, Europe/Paris, EUR, one line per order:
- web: Mon–Thu 50 orders, Fri 60, Sat 100, Sun 40, plus a small wobble of 0, +3, −3 by day
  (day number mod 3); each order one SKU "A" (socks) at 25.00;
- app: 20 orders every day, each one SKU "B" (shirts) at 40.00;
- Black Friday (2023-11-24 and 2024-11-29): both channels sell four times their usual day;
- 2024-10-16 (a Wednesday): the web sells nothing (an outage); the app is as usual.
So an ordinary Saturday expects 120 orders, a Monday 70; Black Friday 2024 expects 4 × 80 = 320
because Black Friday 2023 did the same; the outage day expects 70 and gets 20 (gap −50 orders,
−1,250.00 of net sales, all of it the web's). (Fewer orders would not do: at 14 a day, a drop to
4 is within what Poisson noise allows now and then, and the detector knows it.)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.commerce.shop import write_rows

FIRST = date(2023, 1, 2)
LAST = date(2024, 12, 31)
WEB_WEEK = (50, 50, 50, 50, 60, 100, 40)  # Monday .. Sunday
APP_DAY = 20
BLACK_FRIDAYS = (date(2023, 11, 24), date(2024, 11, 29))
OUTAGE = date(2024, 10, 16)
PRICES = {"web": ("A", Decimal("25.00")), "app": ("B", Decimal("40.00"))}


def orders_on(day: date) -> dict[str, int]:
    """Orders per channel of a day, as the module docstring says."""
    i = (day - FIRST).days
    web = WEB_WEEK[day.weekday()] + (0, 3, -3)[i % 3]
    app = APP_DAY
    if day in BLACK_FRIDAYS:
        web, app = web * 4, app * 4
    if day == OUTAGE:
        web = 0
    return {"web": web, "app": app}


def _rows() -> tuple[list[dict], list[dict]]:
    orders, lines = [], []
    day = FIRST
    while day <= LAST:
        for channel, count in orders_on(day).items():
            sku, price = PRICES[channel]
            for k in range(count):
                order_id = f"{day:%Y%m%d}-{channel}-{k}"
                orders.append(
                    {
                        "source": "test",
                        "source_id": order_id,
                        "name": f"#{order_id}",
                        "created_at": datetime(day.year, day.month, day.day, 10, 0),
                        "local_date": day,
                        "currency": "EUR",
                        "financial_status": "paid",
                        "is_sale": True,
                        "channel": channel,
                        "country": "FR",
                        "discounts": Decimal("0"),
                        "shipping": Decimal("0"),
                        "taxes": Decimal("0"),
                        "refunded": Decimal("0"),
                    }
                )
                lines.append(
                    {
                        "source": "test",
                        "order_id": order_id,
                        "line_no": 1,
                        "sku": sku,
                        "product_name": f"Product {sku}",
                        "quantity": 1,
                        "price": price,
                        "discount": Decimal("0"),
                    }
                )
        day += timedelta(days=1)
    return orders, lines


PRODUCTS = [
    {"source": "test", "source_id": sku, "sku": sku, "category": category, "price": price}
    for sku, category, price in (("A", "socks", Decimal("25")), ("B", "shirts", Decimal("40")))
]


def build_anomaly_shop(path: Path) -> Path:
    """Writes the shop into a DuckDB warehouse file with the canonical schema."""
    orders, lines = _rows()
    return write_rows(path, {"orders": orders, "order_lines": lines, "products": PRODUCTS})
