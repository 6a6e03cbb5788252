"""The stock simulation: one location, "main".

Each morning the deliveries due that day are received and the count is taken (inventory_levels
holds this opening count). During the day, order lines take units in the order they were placed;
a line that asks for more than is left is LOST (the sale does not happen: that is what the stock
analytics later estimate). In the evening every sellable SKU whose stock plus open orders fell to
its reorder point is reordered; the delivery arrives after the SKU's lead time.

The reorder point follows a smoothed estimate of recent demand, so sudden peaks (Black Friday)
and suppliers with long lead times empty shelves. Dead stock (SKUs nobody buys) and retired SKUs
are never reordered: their stock stays where it is.
"""

from __future__ import annotations

import numpy as np

from storeops.connectors.demo.catalog import Catalog

SMOOTHING = 0.07  # weight of today's demand in the running demand estimate
MIN_ORDER = 3


class Stock:
    def __init__(
        self, catalog: Catalog, expected_daily_units: np.ndarray, rng: np.random.Generator
    ):
        self.catalog = catalog
        self.demand = expected_daily_units.astype(float)
        self.on_order = np.zeros(catalog.n, dtype=np.int64)
        self._arrivals: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        opening = self.demand * (catalog.cover_days + catalog.safety_days + catalog.lead_days)
        dead_stock = rng.integers(20, 200, catalog.n)
        self.on_hand = np.where(catalog.dead, dead_stock, np.ceil(opening) + MIN_ORDER).astype(
            np.int64
        )
        # A SKU launched during the period arrives on its launch day.
        self.on_hand[catalog.launch > 0] = 0
        for day in np.unique(catalog.launch[catalog.launch > 0]):
            skus = np.flatnonzero(catalog.launch == day)
            qty = np.ceil(opening[skus]).astype(np.int64) + MIN_ORDER
            self._arrivals.setdefault(int(day), []).append((skus, qty))
            self.on_order[skus] += qty

    def open_day(self, day: int) -> np.ndarray:
        """Receives the day's deliveries and returns the opening count of every SKU."""
        for skus, qty in self._arrivals.pop(day, []):
            np.add.at(self.on_hand, skus, qty)
            np.subtract.at(self.on_order, skus, qty)
        return self.on_hand.copy()

    def fill(
        self, sku: np.ndarray, qty: np.ndarray, rank: np.ndarray, takes: np.ndarray
    ) -> np.ndarray:
        """Which lines can be served, first come first served by `rank` within each SKU.

        Lines where `takes` is false (orders voided later) reserve stock while deciding but give
        it back, so they never make a later line fail.
        """
        order = np.lexsort((rank, sku))
        s_sku, s_qty = sku[order], qty[order]
        wanted = np.cumsum(s_qty)
        first = np.diff(s_sku, prepend=-1) != 0
        before = np.maximum.accumulate(np.where(first, wanted - s_qty, 0))
        served_sorted = wanted - before <= self.on_hand[s_sku]
        served = np.empty(len(sku), dtype=bool)
        served[order] = served_sorted
        n = self.catalog.n
        self.on_hand -= np.bincount(sku[served & takes], qty[served & takes], n).astype(np.int64)
        wanted_units = np.bincount(sku, qty, n)
        self.demand = (1 - SMOOTHING) * self.demand + SMOOTHING * wanted_units
        return served

    def close_day(self, day: int, days: int) -> None:
        c = self.catalog
        reorder_point = np.ceil(self.demand * (c.lead_days + c.safety_days))
        due = (
            c.sellable(day + 1)
            & ~c.dead
            & (c.retire > day + c.lead_days)
            & (self.on_hand + self.on_order <= reorder_point)
        )
        skus = np.flatnonzero(due)
        if not len(skus):
            return
        qty = np.ceil(self.demand[skus] * c.cover_days[skus]).astype(np.int64) + MIN_ORDER
        self.on_order[skus] += qty
        for lead in np.unique(c.lead_days[skus]):
            pick = c.lead_days[skus] == lead
            arrival = day + 1 + int(lead)
            if arrival < days:
                self._arrivals.setdefault(arrival, []).append((skus[pick], qty[pick]))
