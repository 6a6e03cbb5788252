"""Users: who has access with which role, and adding someone (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from storeops.core.errors import UserError
from storeops.db.users import Role, User, create_user, list_api_tokens, list_users
from storeops.web.deps import DbSession, require
from storeops.web.permissions import readable_areas
from storeops.web.rendering import render

router = APIRouter()


def _page(request: Request, db: DbSession, status_code: int = 200, **context: object) -> Response:
    tokens: dict[int, int] = {}
    for token in list_api_tokens(db):
        if token.revoked_at is None:
            tokens[token.user_id] = tokens.get(token.user_id, 0) + 1
    rows = [(user, tokens.get(user.id, 0), readable_areas(user.role)) for user in list_users(db)]
    return render(
        request,
        "users.html",
        {"rows": rows, "roles": list(Role), **context},
        status_code=status_code,
    )


@router.get("/users")
def users_page(
    request: Request, user: Annotated[User, Depends(require("users"))], db: DbSession
) -> Response:
    return _page(request, db)


@router.post("/users")
def add_user(
    request: Request,
    admin: Annotated[User, Depends(require("users", write=True))],
    db: DbSession,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[Role, Form()],
) -> Response:
    """Adds a user with a generated one-time password, shown on the answer page only."""
    try:
        added, password = create_user(db, email=email, role=role.value, actor=f"web:{admin.email}")
    except UserError as exc:
        db.rollback()
        return _page(request, db, 422, error=str(exc), email=email, selected_role=role.value)
    db.commit()
    return _page(request, db, 201, added=added, password=password)
