"""The JSON API under /api/v1: one router per resource, bearer-token authentication.

Every module of this package that defines `router` is included, so adding a resource is adding
a module. Errors are `{"detail": "message"}` (422 keeps FastAPI's list of field problems).
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "router"):
            router.include_router(module.router)
    return router
