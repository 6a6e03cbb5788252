"""GET /api/v1/audit: who changed what, newest first (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from storeops.db.users import User
from storeops.web.deps import DbSession, require
from storeops.web.queries import recent_changes

router = APIRouter(tags=["audit"])


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("/audit")
def get_audit(
    user: Annotated[User, Depends(require("audit"))],
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[
        str | None, Query(max_length=100, description="One action, or a prefix as 'user.*'.")
    ] = None,
    before_id: Annotated[int | None, Query(ge=1, description="Page back from this id.")] = None,
) -> list[AuditEntryPublic]:
    entries = recent_changes(db, limit=limit, action=action, before_id=before_id)
    return [AuditEntryPublic.model_validate(entry) for entry in entries]
