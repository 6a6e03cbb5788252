"""State DB reads the pages and the API share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.db.models import AuditEntry


def recent_changes(
    session: Session, *, limit: int, action: str | None = None, before_id: int | None = None
) -> list[AuditEntry]:
    """Audit entries newest first; `before_id` pages back, `action` keeps one kind (or prefix.*)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        if action.endswith(".*"):
            query = query.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))
