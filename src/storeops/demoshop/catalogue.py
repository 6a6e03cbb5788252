"""The demo shop's catalogue: a dozen products with prices and stock, two of them sold out.

Names and categories echo the demo data generator (connectors/demo/catalog.py); the SKUs are short
so that monitor conditions read well: `[BODY].items[0].sku == "A1"`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "EUR"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price: Decimal
    available: int
    featured: bool = False
    description: str = ""

    @property
    def handle(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    @property
    def in_stock(self) -> bool:
        return self.available > 0


PRODUCTS: tuple[Product, ...] = (
    Product("A1", "Linen Shirt", "apparel", Decimal("49.00"), 12, True, "Washed linen, loose fit."),
    Product("A2", "Merino Sweater", "apparel", Decimal("89.00"), 7, False, "Fine merino wool."),
    Product("A3", "Rain Coat", "apparel", Decimal("129.00"), 0, False, "Taped seams, hood."),
    Product("S1", "Leather Sneakers", "shoes", Decimal("119.00"), 5, True, "Full-grain leather."),
    Product("S2", "Running Shoes", "shoes", Decimal("99.00"), 14, False, "Light and cushioned."),
    Product("H1", "Ceramic Vase", "home", Decimal("35.00"), 9, True, "Hand-glazed stoneware."),
    Product("H2", "Scented Candle", "home", Decimal("19.00"), 40, False, "Fig and cedar."),
    Product("H3", "Throw Blanket", "home", Decimal("59.00"), 3, False, "Recycled wool."),
    Product("B1", "Face Cream", "beauty", Decimal("29.00"), 25, True, "For every skin type."),
    Product("B2", "Eau de Parfum", "beauty", Decimal("69.00"), 0, False, "Bergamot and vetiver."),
    Product(
        "E1", "Wireless Charger", "electronics accessories", Decimal("39.00"), 18, False, "15 W."
    ),
    Product(
        "E2", "Bluetooth Speaker", "electronics accessories", Decimal("79.00"), 6, True, "12 h."
    ),
)


@dataclass(frozen=True)
class Catalogue:
    products: tuple[Product, ...] = PRODUCTS

    def by_sku(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def by_handle(self, handle: str) -> Product | None:
        return next((p for p in self.products if p.handle == handle), None)

    def featured(self) -> list[Product]:
        return [p for p in self.products if p.featured]

    def search(self, query: str) -> list[Product]:
        """Products whose name, category or SKU contains every word of the query."""
        words = query.lower().split()
        return [
            p
            for p in self.products
            if all(w in f"{p.name} {p.category} {p.sku}".lower() for w in words)
        ]
