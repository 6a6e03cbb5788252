"""The audit log, newest first, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from storeops.db.users import User
from storeops.web.deps import DbSession, require
from storeops.web.queries import recent_changes
from storeops.web.rendering import render

router = APIRouter()
PAGE_SIZE = 100


@router.get("/audit")
def audit_log(
    request: Request,
    user: Annotated[User, Depends(require("audit"))],
    db: DbSession,
    action: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[int | None, Query(ge=1, description="Entries with a smaller id.")] = None,
) -> Response:
    entries = recent_changes(db, limit=PAGE_SIZE, action=action or None, before_id=before)
    older = entries[-1].id if len(entries) == PAGE_SIZE else None
    return render(
        request, "audit.html", {"entries": entries, "action": action or "", "older": older}
    )
