"""The web app: `create_app(settings)` builds everything from the settings passed in.

Routes: pages (pages/), the JSON API under /api/v1 (api/), its OpenAPI document at
/api/v1/openapi.json and Swagger UI at /api/docs, /healthz for load balancers, and /static
(every asset served from here: our CSS/JS, htmx, Plotly from the plotly package, Swagger UI 5
vendored from npm swagger-ui-dist; no CDN).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastapi.routing
import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from storeops.core.settings import Settings, load_settings, resolve_workspace
from storeops.db.engine import engine_for, session_factory
from storeops.web import errors, metrics
from storeops.web.api import PREFIX, api_router
from storeops.web.deps import DbSession
from storeops.web.pages import pages_router
from storeops.web.rendering import make_templates, render

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"
# Scripts only from this origin (no inline script); Plotly and Swagger UI set inline styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'"
)


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]  # empty for a mount
    mount: bool
    in_schema: bool


def routes_of(app: FastAPI) -> list[RouteInfo]:
    """Every route the app serves, included routers flattened, with its full path."""
    # FastAPI 0.16x keeps included routers as lazy entries of app.routes; its public
    # iter_route_contexts flattens them. Earlier releases copy routes into app.routes.
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    entries: list[Any] = list(iterate(app.routes)) if iterate else list(app.routes)
    return [
        RouteInfo(
            path=entry.path,
            methods=frozenset(getattr(entry, "methods", None) or ()) - {"HEAD"},
            mount=isinstance(getattr(entry, "original_route", entry), Mount),
            in_schema=bool(getattr(entry, "include_in_schema", False)),
        )
        for entry in entries
    ]


class SecurityHeaders:
    """Adds browser protections to every answer; pages and API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", CSP.encode()),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings, *, trusted_proxies: str = DEFAULT_TRUSTED_PROXIES) -> FastAPI:
    """The app for one workspace. `trusted_proxies`: comma-separated addresses whose
    X-Forwarded-Proto/-For headers are believed ('*' for any)."""
    engine = engine_for(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title=f"storeops — {settings.store.name}",
        summary="The operations control tower of an online shop: JSON API.",
        version="1",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = session_factory(engine)
    app.state.templates = make_templates(settings)
    errors.install(app)

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        return render(request, "api_docs.html", {"openapi_url": app.openapi_url})

    @app.get("/healthz", include_in_schema=False)
    def healthz(db: DbSession) -> JSONResponse:
        db.execute(text("SELECT 1"))  # the state DB answers
        return JSONResponse({"status": "ok"})

    app.include_router(api_router())
    app.include_router(pages_router())
    app.include_router(metrics.router)  # /metrics for Prometheus, behind an API token
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.page_paths = frozenset(
        route.path for route in routes_of(app) if "GET" in route.methods and not route.in_schema
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        ProxyHeadersMiddleware,
        trusted_hosts=[host.strip() for host in trusted_proxies.split(",") if host.strip()],
    )
    return app


def app_from_environment() -> FastAPI:
    """The app of the workspace in STOREOPS_HOME (for `storeops serve` and its workers)."""
    settings = load_settings(resolve_workspace(None))
    return create_app(
        settings,
        trusted_proxies=os.environ.get("STOREOPS_TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES),
    )
