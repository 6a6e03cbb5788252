"""PySpark in local mode as a commerce test engine (the KPI and sales tests run on it too).

One local[1] SparkSession per test session; a warehouse file's canonical tables become Spark
tables through pyarrow -> pandas -> Spark DataFrames with an explicit schema (so DECIMAL(18,2)
stays DECIMAL(18,2) and dates stay dates), then `ibis.pyspark.connect(session)`.
Needs `pyspark>=3.5,<4.1` and a Java runtime; without them the Spark tests are skipped, loudly.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend

from storeops.warehouse.schema import BOOKKEEPING, DATA_TABLES


def _spark_type(arrow: pa.DataType):  # type: ignore[no-untyped-def]
    from pyspark.sql import types as T

    if pa.types.is_decimal(arrow):
        return T.DecimalType(arrow.precision, arrow.scale)
    if pa.types.is_timestamp(arrow):
        return T.TimestampNTZType()
    simple = {
        pa.string(): T.StringType(),
        pa.large_string(): T.StringType(),
        pa.int32(): T.IntegerType(),
        pa.int64(): T.LongType(),
        pa.bool_(): T.BooleanType(),
        pa.date32(): T.DateType(),
        pa.float64(): T.DoubleType(),
    }
    return simple[arrow]


def load_into_spark(session, source: Path) -> None:  # type: ignore[no-untyped-def]
    """Registers every canonical table of a DuckDB warehouse as a Spark temporary view."""
    from pyspark.sql import types as T

    with duckdb.connect(str(source), read_only=True) as con:
        for table in DATA_TABLES + BOOKKEEPING:
            data = con.sql(f"SELECT * FROM {table.name}").to_arrow_table()
            schema = T.StructType(
                [T.StructField(f.name, _spark_type(f.type), True) for f in data.schema]
            )
            # Through Arrow: Spark's row-by-row path reads pandas' missing strings as 'NaN'.
            frame = session.createDataFrame(data.to_pandas(), schema=schema)
            frame.createOrReplaceTempView(table.name)


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    pytest.importorskip("pyspark", minversion="3.5", reason="PySpark>=3.5 is not installed")
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        pytest.skip("PySpark needs Java (set JAVA_HOME)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("storeops-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()


def spark_backend(session, source: Path) -> BaseBackend:  # type: ignore[no-untyped-def]
    """The warehouse file's tables as an Ibis backend, in a session of their own (temporary
    views are per session, so two warehouses can be open side by side)."""
    own = session.newSession()
    load_into_spark(own, source)
    return ibis.pyspark.connect(own)
