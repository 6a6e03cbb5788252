"""Recording changes in the audit log. Actions call this explicitly; no event hooks.

Most audited rows are named records (a monitor, an SLO, a service) changed in one of three ways:
created, brought to new values, deleted. `create_audited`, `update_audited` and `delete_audited`
do that once for every domain, with the target "<kind>:<name>" and the actions "<kind>.create",
"<kind>.update", "<kind>.delete"; `public` says what the log keeps of a row (never its secrets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from storeops.db.models import AuditEntry, Base

Row = TypeVar("Row", bound=Base)


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


def _target(kind: str, row: Base) -> str:
    return f"{kind}:{row.name}"  # type: ignore[attr-defined]


def create_audited(
    session: Session, row: Row, *, kind: str, public: Callable[[Row], dict[str, Any]], actor: str
) -> Row:
    """Adds the new row (flushed, so it has its id) and logs it."""
    session.add(row)
    session.flush()
    record_change(
        session, actor=actor, action=f"{kind}.create", target=_target(kind, row), after=public(row)
    )
    return row


def update_audited(
    session: Session,
    row: Row,
    values: dict[str, Any],
    *,
    kind: str,
    public: Callable[[Row], dict[str, Any]],
    actor: str,
    note: dict[str, Any] | None = None,
) -> bool:
    """Sets the values that differ and logs the change; whether anything changed (an unchanged
    row is not touched and leaves no entry). `note` joins the logged "after" (e.g. a flag that a
    secret changed, when the secret itself may not be logged)."""
    before = public(row)
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if not changed:
        return False
    session.flush()
    record_change(
        session,
        actor=actor,
        action=f"{kind}.update",
        target=_target(kind, row),
        before=before,
        after=public(row) | (note or {}),
    )
    return True


def delete_audited(
    session: Session, row: Row, *, kind: str, public: Callable[[Row], dict[str, Any]], actor: str
) -> None:
    """Logs the row as it was, then deletes it (flushed, so its name is free again)."""
    record_change(
        session, actor=actor, action=f"{kind}.delete", target=_target(kind, row), before=public(row)
    )
    session.delete(row)
    session.flush()
