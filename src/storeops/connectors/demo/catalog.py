"""The demo catalog: products with variants (SKUs) in categories, with prices, costs (margin by
category), Zipf-like popularity, return rates, supply parameters, a few launches and retirements,
some dead stock, and two SKUs whose returns stand out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from storeops.connectors.demo.money import decimals
from storeops.connectors.demo.seeds import rng_for


@dataclass(frozen=True)
class Category:
    name: str
    code: str
    share: float  # of the products
    median_price: float
    margin: float  # (price - cost) / price
    return_rate: float
    season: tuple[float, ...]  # demand multiplier by month
    nouns: tuple[str, ...]
    vendors: tuple[str, ...]
    variants: tuple[str, ...]
    variant_weights: tuple[float, ...]


CATEGORIES = (
    Category(
        "apparel",
        "APP",
        0.30,
        39,
        0.60,
        0.16,
        (0.9, 0.8, 1.1, 1.15, 1.1, 1.0, 0.95, 0.8, 1.15, 1.15, 1.0, 1.0),
        (
            "T-Shirt",
            "Linen Shirt",
            "Merino Sweater",
            "Hoodie",
            "Chino Trousers",
            "Denim Jacket",
            "Summer Dress",
            "Rain Coat",
            "Polo",
            "Cardigan",
            "Puffer Jacket",
            "Wool Scarf",
        ),
        ("Maison Lin", "Nordwear", "Atelier 9"),
        ("XS", "S", "M", "L", "XL"),
        (0.08, 0.22, 0.32, 0.26, 0.12),
    ),
    Category(
        "shoes",
        "SHO",
        0.15,
        79,
        0.50,
        0.20,
        (0.85, 0.85, 1.15, 1.2, 1.1, 1.0, 0.9, 0.8, 1.2, 1.1, 0.95, 0.9),
        (
            "Leather Sneakers",
            "Running Shoes",
            "Chelsea Boots",
            "Espadrilles",
            "Loafers",
            "Hiking Boots",
            "Sandals",
            "Ballet Flats",
        ),
        ("Pas de Loup", "Trailhead"),
        ("38", "39", "40", "41", "42", "43", "44"),
        (0.08, 0.13, 0.17, 0.19, 0.18, 0.15, 0.10),
    ),
    Category(
        "home",
        "HOM",
        0.20,
        29,
        0.55,
        0.05,
        (0.9, 0.85, 0.95, 0.95, 0.9, 0.85, 0.85, 0.8, 1.0, 1.05, 1.3, 1.5),
        (
            "Ceramic Vase",
            "Linen Tablecloth",
            "Scented Candle",
            "Throw Blanket",
            "Cushion Cover",
            "Stoneware Mug Set",
            "Bath Towel",
            "Table Lamp",
            "Photo Frame",
            "Glass Carafe",
        ),
        ("Casa Sud", "Fjord Home"),
        ("Sand", "Sage", "Charcoal", "White"),
        (0.3, 0.25, 0.25, 0.2),
    ),
    Category(
        "beauty",
        "BEA",
        0.15,
        19,
        0.65,
        0.02,
        (0.95, 1.0, 1.0, 1.0, 1.25, 0.95, 0.9, 0.85, 0.95, 1.0, 1.2, 1.6),
        (
            "Face Cream",
            "Lip Balm",
            "Shampoo",
            "Body Lotion",
            "Eau de Parfum",
            "Hand Cream",
            "Face Serum",
            "Shower Gel",
        ),
        ("Herbier", "Clair"),
        ("50 ml", "100 ml"),
        (0.55, 0.45),
    ),
    Category(
        "electronics accessories",
        "ELE",
        0.12,
        25,
        0.45,
        0.07,
        (0.95, 0.85, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95, 1.1, 1.0, 1.4, 1.8),
        (
            "Phone Case",
            "USB-C Cable",
            "Wireless Charger",
            "Earbuds",
            "Power Bank",
            "Laptop Sleeve",
            "Screen Protector",
            "Bluetooth Speaker",
        ),
        ("Voltz", "Kabl"),
        ("Black", "White", "Blue"),
        (0.5, 0.3, 0.2),
    ),
    Category(
        "sports",
        "SPO",
        0.08,
        35,
        0.50,
        0.08,
        (1.4, 1.1, 1.0, 1.05, 1.15, 1.2, 1.1, 0.9, 1.0, 0.9, 0.85, 0.9),
        (
            "Yoga Mat",
            "Water Bottle",
            "Running Belt",
            "Resistance Bands",
            "Gym Bag",
            "Cycling Gloves",
            "Swim Goggles",
        ),
        ("Cime Sport",),
        ("Black", "Ocean", "Coral"),
        (0.45, 0.35, 0.2),
    ),
)
ADJECTIVES = (
    "Classic",
    "Essential",
    "Organic",
    "Recycled",
    "Premium",
    "Everyday",
    "Heritage",
    "Studio",
    "Coastal",
    "Alpine",
    "Urban",
    "Nordic",
    "Riviera",
    "Soft",
    "Travel",
    "Weekend",
)
SEASON = np.array([c.season for c in CATEGORIES]).T  # (month, category)
RETURN_REASONS = ("size", "damaged", "not as described", "late delivery", "changed mind")
# Why items of each category come back, in RETURN_REASONS order (late delivery is added at peaks).
REASON_MIX = np.array(
    [
        [0.55, 0.04, 0.13, 0.04, 0.24],
        [0.60, 0.04, 0.10, 0.04, 0.22],
        [0.00, 0.45, 0.20, 0.05, 0.30],
        [0.00, 0.30, 0.30, 0.05, 0.35],
        [0.00, 0.35, 0.35, 0.05, 0.25],
        [0.10, 0.20, 0.25, 0.05, 0.40],
    ]
)


@dataclass
class Catalog:
    """One row per SKU (numpy arrays) plus the text columns of the products table."""

    sku: list[str]
    handle: list[str]
    title: list[str]
    variant_title: list[str]
    vendor: list[str]
    category: np.ndarray  # index into CATEGORIES
    price: np.ndarray  # cents
    compare_at: np.ndarray  # cents, 0 when none
    cost: np.ndarray  # cents
    weight: np.ndarray  # relative popularity; 0 for dead stock
    launch: np.ndarray  # first sellable day index (0 = before the period)
    retire: np.ndarray  # first day it is no longer sold (n = never)
    return_rate: np.ndarray
    standout_reason: np.ndarray  # index into RETURN_REASONS, -1 for ordinary SKUs
    lead_days: np.ndarray
    cover_days: np.ndarray
    safety_days: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sku)

    @property
    def dead(self) -> np.ndarray:
        return self.weight == 0

    def sellable(self, day: int) -> np.ndarray:
        return (self.launch <= day) & (day < self.retire)

    def products_table(self, days: int) -> pa.Table:
        status = np.where(self.retire < days, "archived", "active")
        return pa.table(
            {
                "idx": np.arange(self.n, dtype=np.int32),
                "sku": self.sku,
                "handle": self.handle,
                "title": self.title,
                "variant_title": self.variant_title,
                "product_name": [
                    t if v == "Default Title" else f"{t} - {v}"
                    for t, v in zip(self.title, self.variant_title, strict=True)
                ],
                "vendor": self.vendor,
                "category": [CATEGORIES[c].name for c in self.category],
                "price": decimals(self.price),
                "compare_at_price": decimals(self.compare_at, null=self.compare_at == 0),
                "cost": decimals(self.cost),
                "status": status,
            }
        )


def build_catalog(seed: int, n_skus: int, days: int) -> Catalog:
    rng = rng_for(seed, "catalog", n_skus)
    shares = np.array([c.share for c in CATEGORIES])
    rows: dict[str, list] = {
        k: [] for k in ("sku", "handle", "title", "variant", "vendor", "cat", "vshare", "product")
    }
    product = 0
    while len(rows["sku"]) < n_skus:
        cat_index = int(rng.choice(len(CATEGORIES), p=shares))
        cat = CATEGORIES[cat_index]
        title = (
            f"{ADJECTIVES[rng.integers(len(ADJECTIVES))]} {cat.nouns[rng.integers(len(cat.nouns))]}"
        )
        handle = f"{title.lower().replace(' ', '-')}-{product + 1}"
        vendor = cat.vendors[rng.integers(len(cat.vendors))]
        count = int(rng.integers(1, len(cat.variants) + 1)) if rng.random() < 0.7 else 1
        first = int(rng.integers(0, len(cat.variants) - count + 1))
        chosen = range(first, first + count)
        weights = np.array([cat.variant_weights[v] for v in chosen])
        for v, share in zip(chosen, weights / weights.sum(), strict=True):
            variant = cat.variants[v] if count > 1 else "Default Title"
            suffix = cat.variants[v].replace(" ", "").upper() if count > 1 else "OS"
            rows["sku"].append(f"{cat.code}-{product + 1:05d}-{suffix}")
            rows["handle"].append(handle)
            rows["title"].append(title)
            rows["variant"].append(variant)
            rows["vendor"].append(vendor)
            rows["cat"].append(cat_index)
            rows["vshare"].append(share)
            rows["product"].append(product)
        product += 1
    n = len(rows["sku"])
    category = np.array(rows["cat"], dtype=np.int8)
    product_of = np.array(rows["product"])

    # Prices per product (variants share them), rounded to .90 like a shop would.
    median = np.array([c.median_price for c in CATEGORIES])[category]
    product_price = np.exp(rng.normal(0, 0.45, product))
    euros = np.maximum(np.floor(median * product_price[product_of]), 3) + 0.9
    price = np.round(euros * 100).astype(np.int64)
    margin = (
        np.array([c.margin for c in CATEGORIES])[category]
        + rng.normal(0, 0.05, product)[product_of]
    )
    cost = np.round(price * (1 - np.clip(margin, 0.2, 0.85))).astype(np.int64)
    marked_down = rng.random(product)[product_of] < 0.2
    compare_at = np.where(marked_down, np.round(price * 1.3 / 100) * 100 + 90, 0).astype(np.int64)

    # Zipf-like popularity over products, split between variants by size/colour share.
    rank = rng.permutation(product)[product_of] + 1
    weight = np.array(rows["vshare"]) / rank**1.05
    dead = rng.random(n) < 0.04
    weight[dead] = 0.0

    launch = np.zeros(n, dtype=np.int64)
    retire = np.full(n, days, dtype=np.int64)
    if days >= 60:
        launched = rng.random(product)[product_of] < 0.08
        launch[launched] = rng.integers(days // 10, days * 8 // 10, product)[product_of][launched]
        retired = (rng.random(product)[product_of] < 0.05) & ~launched & ~dead
        retire[retired] = rng.integers(days // 2, days - 10, product)[product_of][retired]

    return_rate = np.array([c.return_rate for c in CATEGORIES])[category] * rng.uniform(0.5, 1.1, n)
    standout = np.full(n, -1, dtype=np.int8)
    for cat_name, rate, reason in (("shoes", 0.45, "size"), ("home", 0.30, "damaged")):
        candidates = np.flatnonzero((category == _category_index(cat_name)) & ~dead & (launch == 0))
        if len(candidates):
            top = candidates[np.argmax(weight[candidates])]  # a best-seller, so it is noticed
            return_rate[top] = rate
            standout[top] = RETURN_REASONS.index(reason)

    lead = rng.integers(7, 22, n)
    unreliable = rng.random(n) < 0.06
    lead[unreliable] *= 3
    return Catalog(
        sku=rows["sku"],
        handle=rows["handle"],
        title=rows["title"],
        variant_title=rows["variant"],
        vendor=rows["vendor"],
        category=category,
        price=price,
        compare_at=compare_at,
        cost=cost,
        weight=weight,
        launch=launch,
        retire=retire,
        return_rate=return_rate,
        standout_reason=standout,
        lead_days=lead,
        cover_days=rng.integers(21, 46, n),
        safety_days=rng.integers(2, 10, n),
    )


def _category_index(name: str) -> int:
    return next(i for i, c in enumerate(CATEGORIES) if c.name == name)
