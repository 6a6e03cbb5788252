"""Runs the simulation day by day and writes it to the warehouse a chunk of days at a time.

Memory stays bounded: only the running state (stock per SKU, the customer pool) and one chunk
of rows are held; each chunk goes to DuckDB as Arrow. All chunks, the catalog, the promotions
and the import log line are written in ONE transaction that first deletes the previous demo.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import numpy as np
import pyarrow as pa

from storeops.connectors.demo.aftersales import after_sales
from storeops.connectors.demo.calendar import Calendar
from storeops.connectors.demo.catalog import SEASON, Catalog, build_catalog
from storeops.connectors.demo.customers import FIRST_NAMES, LAST_NAMES, CustomerPool
from storeops.connectors.demo.inventory import Stock
from storeops.connectors.demo.orders import EXTRA_LINES, expected_orders, make_day
from storeops.connectors.demo.seeds import rng_for
from storeops.connectors.demo.tables import (
    CATALOG_TABLE,
    FIRST_ORDER_NUMBER,
    SOURCE,
    Chunk,
    chunk_queries,
    products_query,
    promotions_query,
    promotions_table,
)
from storeops.connectors.demo.traffic import funnel
from storeops.core.settings import Settings
from storeops.warehouse.bulk import replace_source
from storeops.warehouse.connection import write_session

SCALES = {"small": 60_000, "medium": 1_000_000, "large": 10_000_000}
SCALE_DAYS = 730  # the scales are sized for two years
MEAN_UNITS_PER_LINE = 1.18
SERVED = 0.95  # share of demanded lines the shelves serve, roughly
DEMO_MEMORY_LIMIT = "1GB"  # DuckDB's share; the chunk arrays come on top
# Rows gathered per table before one INSERT. DuckDB writes an insert straight to the file, compressed
# once, only when each of its threads fills whole row groups (122,880 rows); smaller inserts are
# kept in memory and written again at commit: 200k-row inserts cost 1.6x the CPU and twice the
# memory of 1M-row ones.
ROWS_PER_INSERT = 1_000_000

T = TypeVar("T")


@dataclass(frozen=True)
class DemoOptions:
    end: date
    seed: int = 42
    days: int = SCALE_DAYS
    lines: int = SCALES["small"]  # approximate order lines over the whole period
    chunk_days: int = 31

    @property
    def first(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    @property
    def skus(self) -> int:
        """A bigger shop sells more SKUs: ~300 at the small scale, ~5,000 at the large one."""
        yearly = self.lines * SCALE_DAYS / max(self.days, 1) / SCALES["small"]
        return int(np.clip(300 * yearly**0.55, 50, 5000))

    def description(self) -> str:
        return f"demo seed={self.seed} first={self.first} end={self.end} lines={self.lines}"


def options_for(
    *,
    end: date,
    seed: int = 42,
    days: int | None = None,
    scale: str = "small",
    lines: int | None = None,
    chunk_days: int = 31,
) -> DemoOptions:
    days = days or SCALE_DAYS
    target = lines if lines is not None else round(SCALES[scale] * days / SCALE_DAYS)
    return DemoOptions(end=end, seed=seed, days=days, lines=target, chunk_days=chunk_days)


def _base_rate(cal: Calendar, lines: int) -> float:
    """Orders per day of a weekday at the start, so that the period has about `lines` lines."""
    per_channel = cal.factor.sum(axis=0)
    lines_per_order = 1 + per_channel @ EXTRA_LINES / per_channel.sum()
    return lines / (lines_per_order * per_channel.sum() * SERVED)


def _expected_units(cal: Calendar, catalog: Catalog, base: float) -> np.ndarray:
    share = catalog.weight * SEASON[cal.first.month - 1, catalog.category]
    share = share / share.sum()
    lines_per_day = (
        base * cal.factor[: min(28, cal.n)].sum(axis=1).mean() * (1 + EXTRA_LINES.mean())
    )
    return share * lines_per_day * MEAN_UNITS_PER_LINE


class Simulation:
    """The shop's state from day to day."""

    def __init__(self, options: DemoOptions, timezone: str):
        self.options = options
        self.cal = Calendar(options.first, options.end, timezone, options.seed)
        self.catalog = build_catalog(options.seed, options.skus, self.cal.n)
        self.base = _base_rate(self.cal, options.lines)
        stock_rng = rng_for(options.seed, "stock", self.cal.n)
        self.stock = Stock(
            self.catalog, _expected_units(self.cal, self.catalog, self.base), stock_rng
        )
        self.customers = CustomerPool()
        self.next_order = FIRST_ORDER_NUMBER
        self.next_ticket = 0

    def run_day(self, i: int, chunk: Chunk) -> None:
        cal, seed, key = self.cal, self.options.seed, self.cal.dates[i].toordinal()
        rng = rng_for(seed, "day", key)
        noise = rng.gamma(40.0, 1 / 40.0)
        date = np.datetime64(cal.dates[i], "D")
        opening = self.stock.open_day(i)
        listed = np.flatnonzero(self.catalog.launch <= i)
        chunk.add_stock(date, listed, opening[listed])

        known = self.customers.count
        day = make_day(rng, cal, i, self.base, noise, self.catalog, self.stock, self.customers)
        self.stock.close_day(i, cal.n)
        new = np.arange(known, self.customers.count)
        chunk.add_customers(
            new,
            self.customers.country[new],
            rng.integers(0, len(FIRST_NAMES), len(new)),
            rng.integers(0, len(LAST_NAMES), len(new)),
            rng.random(len(new)) < 0.4,
        )
        cancelled = day.created_at + rng.integers(300, 6 * 3600, day.n).astype("timedelta64[s]")
        after = after_sales(rng_for(seed, "aftersales", key), cal, i, day, self.catalog)
        chunk.add_day(cal, i, self.next_order, self.next_ticket, day, after, cancelled)
        self.next_order += day.n
        self.next_ticket += len(after.ticket_opened)

        sales = np.bincount(day.channel[~day.voided], minlength=cal.factor.shape[1])
        expected = expected_orders(cal, i, self.base, noise)
        chunk.add_traffic(date, funnel(rng_for(seed, "traffic", key), expected, sales))

    def chunks(self) -> Iterator[tuple[int, dict[str, pa.Table]]]:
        """(days done, Arrow tables) per chunk of `chunk_days` days."""
        n, size = self.cal.n, self.options.chunk_days
        for start in range(0, n, size):
            chunk = Chunk()
            for i in range(start, min(start + size, n)):
                self.run_day(i, chunk)
            yield min(start + size, n), chunk.tables()


def generate_demo(
    settings: Settings,
    options: DemoOptions,
    *,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, int]:
    """Replaces the demo shop in the warehouse; returns the rows written per table."""
    sim = Simulation(options, settings.store.timezone)
    queries = chunk_queries(sim.cal, settings.store.currency, settings.store.timezone)
    with write_session(settings) as con:
        con.execute(f"SET memory_limit = '{DEMO_MEMORY_LIMIT}'")
        # Rows are appended in parallel; their order on disk carries no meaning.
        con.execute("SET preserve_insertion_order = false")
        catalog_arrow = sim.catalog.products_table(sim.cal.n)
        con.register("catalog_arrow", catalog_arrow)
        con.execute(f"CREATE TABLE {CATALOG_TABLE} AS SELECT * FROM catalog_arrow")
        con.unregister("catalog_arrow")
        with replace_source(
            con, source=SOURCE, kind="demo", description=options.description()
        ) as writer:
            writer.append("products", products_query())
            writer.append("promotions", promotions_query(), chunk=promotions_table(sim.cal))
            pending: dict[str, list[pa.Table]] = {table: [] for table in queries}
            for done, tables in prefetched(sim.chunks()):
                for table, arrow in tables.items():
                    pending[table].append(arrow)
                    if sum(part.num_rows for part in pending[table]) >= ROWS_PER_INSERT:
                        writer.append(table, queries[table], chunk=pa.concat_tables(pending[table]))
                        pending[table] = []
                on_progress(done, sim.cal.n)
            for table, parts in pending.items():
                if parts:
                    writer.append(table, queries[table], chunk=pa.concat_tables(parts))
        return dict(writer.rows)


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Runs `items` in a thread, `depth` ahead: the next chunk is simulated (numpy releases the
    GIL) while DuckDB writes this one, which keeps both cores busy."""
    slots: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(("end", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            slots.put(("error", exc))

    worker = threading.Thread(target=produce, name="demo-simulation", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
