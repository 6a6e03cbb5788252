"""The JSON API under /api/v1: one router per resource, bearer-token authentication.

Errors are `{"detail": "message"}` (422 keeps FastAPI's list of field problems).
"""

from __future__ import annotations

from fastapi import APIRouter

from storeops.web.api import audit, kpis, users

PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for module in (kpis, audit, users):
        router.include_router(module.router)
    return router
