"""Recording changes in the audit log. Actions call this explicitly; no event hooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeops.db.models import AuditEntry


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(actor=actor, action=action, target=target, before=before, after=after)
    session.add(entry)
    return entry
