"""The import kinds `storeops import KIND` knows, and the loop that imports files one by one."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy.orm import Session

from storeops.connectors.base import StageContext, check_file
from storeops.core.errors import UserError
from storeops.core.settings import Settings
from storeops.db.audit import record_change
from storeops.warehouse.connection import attached_for_write
from storeops.warehouse.loading import ImportResult, StagedFile, load_staged

Stage = Callable[[duckdb.DuckDBPyConnection, Path, StageContext], StagedFile]


@dataclass(frozen=True)
class Kind:
    name: str
    target: str  # module:function, imported when used
    help: str

    def stage_function(self) -> Stage:
        module, function = self.target.split(":")
        return getattr(importlib.import_module(module), function)


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "shopify-orders",
            "storeops.connectors.shopify_orders:stage",
            "Shopify orders CSV export",
        ),
        Kind(
            "shopify-products",
            "storeops.connectors.shopify_products:stage",
            "Shopify products CSV export",
        ),
        Kind(
            "woocommerce-orders",
            "storeops.connectors.woocommerce:stage",
            "WooCommerce REST API orders JSON",
        ),
        Kind(
            "csv",
            "storeops.connectors.mapped:stage_csv",
            "any CSV with a TOML mapping (--kind, --mapping)",
        ),
        Kind(
            "parquet",
            "storeops.connectors.mapped:stage_parquet",
            "any Parquet file with a TOML mapping",
        ),
        Kind("cdnow", "storeops.connectors.cdnow:stage", "the CDNOW transaction log"),
    )
}


def context_for(settings: Settings, **options: object) -> StageContext:
    return StageContext(
        timezone=settings.store.timezone, currency=settings.store.currency, **options
    )  # type: ignore[arg-type]


def import_files(
    settings: Settings,
    kind: str,
    files: list[Path],
    ctx: StageContext,
    *,
    on_step: Callable[[Path, str], None] = lambda file, step: None,
) -> list[ImportResult]:
    """Imports each file in its own transaction: a file loads completely or not at all.

    Files are checked before any is loaded, so a missing file stops the command before it starts.
    """
    if kind not in KINDS:
        raise UserError(f"unknown import kind {kind!r}; choose one of: {', '.join(KINDS)}")
    for file in files:
        check_file(file)
    stage = KINDS[kind].stage_function()
    results = []
    for file in files:
        con = duckdb.connect()
        try:
            on_step(file, "reading")
            staged = stage(con, file, ctx)
            on_step(file, "writing")
            with attached_for_write(con, settings):
                results.append(load_staged(con, staged))
            on_step(file, "done")
        finally:
            con.close()
    return results


def record_imports(session: Session, *, actor: str, kind: str, results: list[ImportResult]) -> None:
    """One `warehouse.import` audit entry per imported file, with its counts (the CLI and the web
    app record imports alike; the list of quarantined orders stays in the warehouse)."""
    for result in results:
        record_change(
            session,
            actor=actor,
            action="warehouse.import",
            target=f"{kind}:{result.file}",
            after={k: v for k, v in result.as_json().items() if k != "quarantined_orders"},
        )
