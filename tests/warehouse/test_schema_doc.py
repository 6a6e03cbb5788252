"""docs/schema.md stays true: it names every canonical table and column."""

from __future__ import annotations

import re
from pathlib import Path

from storeops.warehouse.schema import BOOKKEEPING, DATA_TABLES

DOC = (Path(__file__).parents[2] / "docs" / "schema.md").read_text()


def test_schema_doc_names_every_table_and_column() -> None:
    sections = re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", DOC, re.S | re.M)
    for table in DATA_TABLES + BOOKKEEPING:
        # a heading may describe two tables ("refunds and refund_lines")
        section = next(text for heading, text in sections if table.name in heading.split())
        for column, _ in table.all_columns() if table not in BOOKKEEPING else table.columns:
            assert column in section, f"docs/schema.md: {table.name}.{column} is not described"
