"""test_kpis.py's tests, unchanged, on PySpark in local mode (the hand-made shop of shop.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from tests.commerce import test_kpis
from tests.commerce.spark import spark_backend, spark_session  # noqa: F401  (fixture)

KPI_TESTS = [test for name, test in vars(test_kpis).items() if name.startswith("test_")]


@pytest.fixture(scope="module")
def spark_shop(spark_session, shop_file: Path) -> BaseBackend:  # noqa: F811
    return spark_backend(spark_session, shop_file)


@pytest.mark.slow
@pytest.mark.parametrize("kpi_test", KPI_TESTS, ids=lambda test: test.__name__)
def test_on_spark(kpi_test: Callable[[BaseBackend], None], spark_shop: BaseBackend) -> None:
    kpi_test(spark_shop)
