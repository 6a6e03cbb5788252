"""`storeops serve`: the web app (pages, JSON API, API docs) under uvicorn.

Each worker process builds its own app with `storeops.web.app:app_from_environment`, reading the
workspace from STOREOPS_HOME, which this command sets. The state DB is migrated once here, before
the workers start. Behind a reverse proxy, list its address in --forwarded-allow-ips so that its
X-Forwarded-Proto/-For headers are believed (session cookies are then marked Secure over HTTPS).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from storeops.cli.common import WorkspaceOption, console, settings_for
from storeops.db.engine import engine_for
from storeops.db.migrate import upgrade


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (about one per core).", min=1)] = 1,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Comma-separated addresses of reverse proxies whose X-Forwarded-* headers "
            "are trusted ('*' for any).",
        ),
    ] = "127.0.0.1,::1",
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the web app and the JSON API."""
    settings = settings_for(workspace)
    engine = engine_for(settings)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    os.environ["STOREOPS_HOME"] = str(settings.workspace)
    os.environ["STOREOPS_TRUSTED_PROXIES"] = forwarded_allow_ips
    console.print(f"storeops: {settings.store.name} on http://{host}:{port}/", highlight=False)
    uvicorn.run(
        "storeops.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The app applies the proxy headers itself (the same rule under any server).
        proxy_headers=False,
        server_header=False,
    )
