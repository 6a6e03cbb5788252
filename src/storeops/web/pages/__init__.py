"""HTML pages (Jinja2 + HTMX). Every page route is behind the CSRF check for unsafe methods."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from storeops.web.deps import check_csrf
from storeops.web.pages import audit, auth, overview, users


def pages_router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
    for module in (auth, overview, audit, users):
        router.include_router(module.router)
    return router
