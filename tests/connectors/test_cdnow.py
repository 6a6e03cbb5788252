"""The CDNOW transaction log: both layouts, exact money, stable order ids, bad lines kept."""

from __future__ import annotations

import random
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from storeops.cli.workspace import prepare_stores
from storeops.core.settings import Settings, write_default_settings
from tests.conftest import FIXTURES
from tests.warehouse_helpers import query, snapshot

SAMPLES = FIXTURES / "cdnow"
MASTER = SAMPLES / "CDNOW_master_head.txt"
SAMPLE = SAMPLES / "CDNOW_sample_head.txt"
BAD = SAMPLES / "CDNOW_bad_lines.txt"


@pytest.fixture
def usd_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """CDNOW sold in dollars from the US east coast: the workspace the log belongs in."""
    monkeypatch.delenv("STOREOPS_HOME", raising=False)
    monkeypatch.delenv("STOREOPS_DATABASE_URL", raising=False)
    monkeypatch.delenv("STOREOPS_WAREHOUSE_URL", raising=False)
    settings = write_default_settings(
        tmp_path / "cdnow", name="CDNOW", currency="USD", timezone="America/New_York"
    )
    prepare_stores(settings)
    return settings


def import_json(cli, settings, *files: Path) -> list[dict]:
    result = cli("import", "cdnow", *files, "-w", settings.workspace, "--json")
    assert result.code == 0, result.err
    return result.json()["files"]


def orders(settings) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in query(
            settings,
            "SELECT source_id, customer_id, created_at, local_date, currency, is_sale, subtotal, "
            "discounts, total FROM orders",
        )
    }


def lines_of(settings, order_id: str) -> list[tuple]:
    return query(
        settings,
        "SELECT line_no, sku, quantity, price, discount FROM order_lines WHERE order_id = ? "
        "ORDER BY line_no",
        [order_id],
    )


def test_master_log_one_order_per_line(cli, usd_workspace) -> None:
    [report] = import_json(cli, usd_workspace, MASTER)
    assert report["source"] == "cdnow"
    assert report["rows_read"] == 14 and report["rows_loaded"] == 14
    assert report["orders_new"] == 14 and report["rows_quarantined"] == 0
    assert report["records"]["customers"]["new"] == 5

    rows = orders(usd_workspace)
    # The log gives days: an order is put at the store's local midnight, stored in UTC.
    assert rows["1-19970101-1"] == (
        "1",
        datetime(1997, 1, 1, 5, 0),
        date(1997, 1, 1),
        "USD",
        True,
        Decimal("11.77"),
        Decimal("0.00"),
        Decimal("11.77"),
    )
    # Two purchases by one customer on one day are numbered in file order.
    assert rows["2-19970112-1"][5] == Decimal("12.00")
    assert rows["2-19970112-2"][5] == Decimal("77.00")
    assert rows["455-19970102-1"][7] == Decimal("0.00")  # the log has free purchases too
    assert sorted(r[0] for r in query(usd_workspace, "SELECT source_id FROM customers")) == [
        "1",
        "2",
        "3",
        "4",
        "455",
    ]


def test_amounts_spread_over_the_cds_in_whole_cents(cli, usd_workspace) -> None:
    import_json(cli, usd_workspace, MASTER)
    # $29.33 for two CDs: one at 14.66, one at 14.67, no invented discount.
    assert lines_of(usd_workspace, "4-19970101-1") == [
        (1, "CD", 1, Decimal("14.66"), Decimal("0.00")),
        (2, "CD", 1, Decimal("14.67"), Decimal("0.00")),
    ]
    # $57.45 for five CDs divides evenly: one line.
    assert lines_of(usd_workspace, "3-19971115-1") == [
        (1, "CD", 5, Decimal("11.49"), Decimal("0.00"))
    ]
    # $19.54 for two: 9.77 each.
    assert lines_of(usd_workspace, "3-19970402-1") == [
        (1, "CD", 2, Decimal("9.77"), Decimal("0.00"))
    ]

    # Over the whole file, gross sales are the dollars paid and units sold the CDs bought.
    expected_dollars = sum(Decimal(line.split()[3]) for line in MASTER.read_text().splitlines())
    expected_cds = sum(int(line.split()[2]) for line in MASTER.read_text().splitlines())
    [(gross, units)] = query(
        usd_workspace, "SELECT sum(price * quantity), sum(quantity) FROM order_lines"
    )
    assert (gross, units) == (expected_dollars, expected_cds)
    [(totals,)] = query(usd_workspace, "SELECT sum(total) FROM orders")
    assert totals == expected_dollars


def test_sample_layout_uses_the_master_customer_id(cli, usd_workspace) -> None:
    [report] = import_json(cli, usd_workspace, SAMPLE)
    assert report["rows_read"] == 6 and report["orders_new"] == 6
    assert set(orders(usd_workspace)) == {
        "4-19970101-1",
        "4-19970118-1",
        "4-19970802-1",
        "4-19971212-1",
        "18-19970104-1",
        "18-19970104-2",
    }
    # The sample's customer 4 is the master's 00004: the master adds to it, changing nothing.
    [master] = import_json(cli, usd_workspace, MASTER)
    assert master["orders_unchanged"] == 4 and master["orders_new"] == 10
    assert master["records"]["customers"] == {"new": 4, "changed": 0, "unchanged": 1}


def test_dates_follow_the_workspace_time_zone_and_currency(cli, workspace) -> None:
    import_json(cli, workspace, MASTER)  # Europe/Paris, EUR
    created, local_date, currency = orders(workspace)["1-19970101-1"][1:4]
    assert (created, local_date, currency) == (
        datetime(1996, 12, 31, 23, 0),
        date(1997, 1, 1),
        "EUR",
    )


def test_bad_lines_are_quarantined_with_their_line_and_text(cli, usd_workspace) -> None:
    [report] = import_json(cli, usd_workspace, BAD)
    # 14 physical lines, 2 of them blank: 12 rows read.
    assert report["rows_read"] == 12
    assert report["rows_loaded"] == 3 and report["rows_quarantined"] == 9
    assert set(orders(usd_workspace)) == {"1-19970101-1", "2-19970112-1", "4-19970101-2"}

    rows = query(
        usd_workspace, "SELECT line, field, reason, record_ref, raw FROM quarantine ORDER BY line"
    )
    assert [(line, field) for line, field, *_ in rows] == [
        (4, "date"),
        (5, "date"),
        (6, "dollar_value"),
        (7, "number_of_cds"),
        (8, "line"),
        (9, "line"),
        (10, "customer_id"),
        (11, "number_of_cds"),
        (14, "dollar_value"),
    ]
    by_line = {line: (reason, ref, raw) for line, _, reason, ref, raw in rows}
    assert by_line[4] == (
        "not a date like 19970101: '1997-01-12'",
        None,
        " 00002 1997-01-12  5   77.00",
    )
    assert by_line[5][0] == "not a date like 19970101: '19970231'"
    assert by_line[6] == ("negative amount: '-20.76'", "3-19970330-1", " 00003 19970330  2  -20.76")
    assert by_line[7][0] == "not a number of CDs: 'x'"
    assert (
        by_line[8][0] == "expected 4 fields (customer_id date number_of_cds dollar_value), found 3"
    )
    assert by_line[9][0].endswith("found 5")
    assert by_line[10][0] == "not a customer id: 'abc12'"
    assert by_line[11][:2] == ("a purchase holds at least one CD: '0'", "4-19970101-1")
    # A bad amount keeps its place in the day's numbering: fixing it renumbers nothing.
    assert by_line[14][:2] == ("not an amount: '3.5x'", "2-19970112-2")


def test_reimport_is_stable_and_appending_adds_only_the_new(cli, usd_workspace, tmp_path) -> None:
    import_json(cli, usd_workspace, MASTER)
    before = snapshot(usd_workspace)
    [again] = import_json(cli, usd_workspace, MASTER)
    assert again["orders_unchanged"] == 14 and again["orders_new"] == again["orders_changed"] == 0
    assert snapshot(usd_workspace) == before

    longer = tmp_path / "CDNOW_master.txt"
    longer.write_bytes(
        MASTER.read_bytes() + b" 00004 19971212  1   13.99\r\n 00005 19970101  3   38.90\r\n"
    )
    [report] = import_json(cli, usd_workspace, longer)
    assert report["orders_unchanged"] == 14 and report["orders_new"] == 2
    assert {"4-19971212-2", "5-19970101-1"} <= set(orders(usd_workspace))


def test_a_file_name_with_glob_characters(cli, usd_workspace, tmp_path) -> None:
    path = tmp_path / "CDNOW [1997]*.txt"
    path.write_bytes(MASTER.read_bytes())
    assert import_json(cli, usd_workspace, path)[0]["orders_new"] == 14


def test_fixing_a_bad_line_keeps_the_other_ids(cli, usd_workspace, tmp_path) -> None:
    import_json(cli, usd_workspace, BAD)
    fixed = tmp_path / "fixed.txt"
    fixed.write_text(BAD.read_text().replace("0    0.00", "1    0.00"))
    [report] = import_json(cli, usd_workspace, fixed)
    assert report["orders_new"] == 1 and report["orders_unchanged"] == 3
    assert orders(usd_workspace)["4-19970101-1"][7] == Decimal("0.00")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"Handle,Title,Variant Price\ntee,Tee,20.00\n",
            "not a CDNOW transaction log: most lines have 1 fields",
        ),
        (b"a b c\nd e f\n", "most lines have 3 fields; expected 4"),
        (b"\n  \n\n", "holds no transactions"),
        (b" 00001 19970101  1   11.77\n 00002 19970101  1   1\xe9.00\n", ":2: not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_a_cdnow_log_exits_2(
    cli, usd_workspace, tmp_path, content, message
) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(content)
    result = cli("import", "cdnow", path, "-w", usd_workspace.workspace)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert query(usd_workspace, "SELECT count(*) FROM orders") == [(0,)]


def write_master_sized_log(
    path: Path, *, lines: int = 69_659, customers: int = 23_570
) -> tuple[Decimal, int]:
    """A log the size of CDNOW_master.txt, in its layout: each customer's purchases in date order."""
    rng = random.Random(1997)
    per_customer = [1] * customers
    for _ in range(lines - customers):
        per_customer[rng.randrange(customers)] += 1
    dollars, cds, out = Decimal(0), 0, []
    for customer, count in enumerate(per_customer, start=1):
        days = sorted(rng.randrange(546) for _ in range(count))
        for day in days:
            n = rng.randint(1, 12)
            amount = Decimal(rng.randint(0, n * 2500)) / 100
            when = date.fromordinal(date(1997, 1, 1).toordinal() + day)
            out.append(f" {customer:05d} {when:%Y%m%d} {n:2d} {amount:7.2f}\r\n")
            dollars += amount
            cds += n
    path.write_text("".join(out))
    return dollars, cds


def test_a_master_sized_log_imports_in_seconds(cli, usd_workspace, tmp_path) -> None:
    path = tmp_path / "CDNOW_master.txt"
    dollars, cds = write_master_sized_log(path)
    started = time.perf_counter()
    [report] = import_json(cli, usd_workspace, path)
    elapsed = time.perf_counter() - started
    assert report["rows_read"] == 69_659 and report["orders_new"] == 69_659
    assert report["records"]["customers"]["new"] == 23_570
    [(gross, units)] = query(
        usd_workspace, "SELECT sum(price * quantity), sum(quantity) FROM order_lines"
    )
    assert (gross, units) == (dollars, cds)
    assert elapsed < 10, f"importing 69,659 lines took {elapsed:.1f}s"
