"""HTML pages (Jinja2 + HTMX). Every page route is behind the CSRF check for unsafe methods.

Every module of this package that defines `router` is included, so adding a page is adding a
module.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter, Depends

from storeops.web.deps import check_csrf


def pages_router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "router"):
            router.include_router(module.router)
    return router
