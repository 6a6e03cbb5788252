"""Anomaly detection: hand-made series on every engine (tests/commerce/anomalies_data.py says
what to expect and why), the pure maths on its own, the CLI, and the demo shop with anomalies
injected (a falsifiable check of recall and drill-down, the fast version of
`python -m bench anomalies`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, text

from storeops.commerce.anomalies import detect_anomalies, explain_gap, top_anomalies
from storeops.commerce.expected import (
    MIN_NOISE_DAYS,
    NOISE_DAYS,
    _rolling_mad,
    black_friday,
    event_label,
    fit_series,
)
from storeops.commerce.period import Period
from tests.commerce.anomalies_data import BLACK_FRIDAYS, OUTAGE, build_anomaly_shop
from tests.commerce.conftest import ENGINES, copy_warehouse

AUTUMN = Period(date(2024, 9, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def anomaly_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_anomaly_shop(tmp_path_factory.mktemp("anomalies") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def anomaly_pg(pg_admin_url: str, anomaly_file: Path) -> Iterator[BaseBackend]:
    """The hand-made shop in its own PostgreSQL database, dropped afterwards."""
    name = f"storeops_anom_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    backend = ibis.connect(f"{pg_admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        copy_warehouse(anomaly_file, backend)
        yield backend
    finally:
        backend.disconnect()
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=ENGINES)
def shop(request: pytest.FixtureRequest, anomaly_file: Path) -> Iterator[BaseBackend]:
    if request.param == "duckdb":
        with duckdb.connect(str(anomaly_file), read_only=True) as con:
            yield ibis.duckdb.from_connection(con)
        return
    yield request.getfixturevalue("anomaly_pg")


@pytest.fixture(scope="module")
def autumn(shop: BaseBackend):
    return detect_anomalies(shop, period=AUTUMN)


def test_black_friday_and_events_are_aligned_by_event() -> None:
    assert black_friday(2023) == date(2023, 11, 24)
    assert black_friday(2024) == date(2024, 11, 29)
    assert event_label(date(2024, 11, 29)) == "BF+0"
    assert event_label(date(2024, 12, 2)) == "CM+0"  # the Monday after
    assert event_label(date(2024, 11, 27)) == "BF-2"
    assert event_label(date(2024, 12, 24)) == "Xmas-1"
    assert event_label(date(2025, 1, 1)) == "NY+0"
    assert event_label(date(2024, 10, 16)) is None


def test_weekday_pattern_is_learned(shop: BaseBackend, autumn) -> None:
    from storeops.commerce.anomalies import Model

    model = Model(shop, last=date(2024, 10, 14))
    fit = model.fits[("orders", "total", "total")]
    saturday, monday = model.data.index(date(2024, 10, 12)), model.data.index(date(2024, 10, 14))
    assert fit.expected[saturday] == pytest.approx(120, abs=3)  # 100 web + 20 app
    assert fit.expected[monday] == pytest.approx(70, abs=3)
    # the ordinary autumn days, weekends included, raise nothing
    assert {a.day for a in autumn} == {OUTAGE}


def test_black_friday_like_last_year_is_not_flagged(shop: BaseBackend, autumn) -> None:
    assert not [a for a in autumn if a.day == BLACK_FRIDAYS[1]]
    # the first Black Friday had no previous year to learn from: it is a surprise, and says so
    first = detect_anomalies(
        shop, period=Period(BLACK_FRIDAYS[0], BLACK_FRIDAYS[0]), metrics=("orders",)
    )
    total = next(a for a in first if a.dimension == "total")
    assert total.direction == "spike" and total.event == "BF+0" and total.new_event
    # 4 × (60 − 3 wobble + 20); an ordinary Friday is 60 + 20
    assert total.actual == 308 and total.expected == pytest.approx(80, abs=3)


def test_a_real_drop_is_flagged_with_its_sign_gap_and_cause(shop: BaseBackend, autumn) -> None:
    by_key = {(a.metric, a.dimension, a.member): a for a in autumn}
    total = by_key[("orders", "total", "total")]
    assert total.day == OUTAGE and total.direction == "drop"
    assert total.actual == 20 and total.expected == pytest.approx(70, abs=3)
    assert total.gap == pytest.approx(-50, abs=3)
    net = by_key[("net_sales", "total", "total")]
    assert isinstance(net.revenue_gap, Decimal)
    assert net.actual == Decimal("800.00")  # 20 app orders × 40.00
    assert abs(net.revenue_gap - Decimal("-1250.00")) <= Decimal("75.00")  # 50 web orders × 25
    assert by_key[("orders", "channel", "web")].direction == "drop"
    assert ("orders", "channel", "app") not in by_key  # the app did its usual day
    top = total.explanation[0]
    assert (top["dimension"], top["member"]) in {
        ("channel", "web"),
        ("category", "socks"),
        ("product", "A"),
    }
    assert top["share"] == pytest.approx(1.0, abs=0.1)
    # the most severe first, then the biggest revenue gap
    ranks = [(a.severity, abs(a.revenue_gap)) for a in autumn]
    assert ranks == sorted(
        ranks, key=lambda r: ({"critical": 0, "major": 1, "minor": 2}[r[0]], -r[1])
    )


def test_explain_gap_names_the_channel_category_and_product(shop: BaseBackend) -> None:
    rows = explain_gap(shop, day=OUTAGE, metric="net_sales")
    first = {}
    for row in rows:
        first.setdefault(row["dimension"], row)
    assert first["channel"]["member"] == "web"
    assert first["category"]["member"] == "socks"
    assert first["product"]["member"] == "A"
    assert first["channel"]["actual"] == Decimal("0.00")
    assert abs(first["channel"]["gap"] - Decimal("-1250.00")) <= Decimal("75.00")
    assert [r["share"] for r in rows] == sorted((r["share"] for r in rows), reverse=True)


def test_top_anomalies_for_the_briefing(shop: BaseBackend) -> None:
    top = top_anomalies(shop, AUTUMN, 2)
    assert len(top) == 2 and all(a.day == OUTAGE for a in top)
    assert all(a.explanation for a in top)


def test_no_peeking_at_the_future() -> None:
    """A day's expected value is the same whether or not later days exist."""
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(200)]
    rng = np.random.default_rng(3)
    values = rng.poisson(30, 200).astype(float)
    whole = fit_series(days, values)
    cut = fit_series(days[:150], values[:150])
    np.testing.assert_allclose(whole.expected[:150], cut.expected, equal_nan=True)
    np.testing.assert_allclose(whole.z[:150], cut.z, equal_nan=True)


def test_cli_json(cli, workspace, tmp_path) -> None:
    target = workspace.duckdb_path()
    target.unlink(missing_ok=True)
    build_anomaly_shop(target)
    result = cli(
        "anomalies",
        "-w",
        workspace.workspace,
        "--from",
        "2024-10-01",
        "--to",
        "2024-10-31",
        "--metric",
        "orders",
        "--by",
        "channel",
        "--json",
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["from"] == "2024-10-01" and data["currency"] == "EUR"
    (web,) = data["anomalies"]
    assert web["day"] == "2024-10-16" and web["member"] == "web" and web["direction"] == "drop"
    assert set(web) >= {
        "day",
        "metric",
        "dimension",
        "member",
        "actual",
        "expected",
        "gap",
        "severity",
        "direction",
        "explanation",
        "revenue_gap",
    }
    assert isinstance(web["revenue_gap"], str) and web["explanation"][0]["member"] in {
        "web",
        "socks",
        "A",
    }


@pytest.mark.slow
def test_injected_anomalies_are_found_and_named(tmp_path) -> None:
    """The three named anomalies of bench/anomalies_eval.py on one demo shop: each detected on
    its day with the drill-down naming the injected channel, category or SKU."""
    from bench.anomalies_eval import _name, evaluate

    outcome = evaluate(tmp_path, seed=3, days=560, lines=150_000)
    named = {item.kind: outcome.named[_name(item)] for item in outcome.injected[:3]}
    assert named == {"channel outage": True, "category collapse": True, "pricing error": True}


def test_rolling_noise_is_the_mad_of_the_days_before() -> None:
    """_rolling_mad against its definition, a window at a time: gaps, infinities, short
    histories."""
    rng = np.random.default_rng(7)
    for n in (1, 13, 15, 57, 400):
        x = rng.normal(size=n) * 10
        x[rng.random(n) < 0.3] = np.nan
        x[n // 2] = np.inf
        got = _rolling_mad(x)
        for i in range(n):
            window = x[max(0, i - NOISE_DAYS) : i]
            window = window[np.isfinite(window)]
            want = (
                np.median(np.abs(window - np.median(window)))
                if len(window) >= MIN_NOISE_DAYS
                else np.nan
            )
            assert np.array_equal(got[i], want, equal_nan=True), (n, i)
