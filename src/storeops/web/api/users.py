"""GET /api/v1/me (anyone signed in) and GET /api/v1/users (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from storeops.db.users import User, list_users
from storeops.web.deps import CurrentUser, DbSession, require
from storeops.web.permissions import AREAS, can

router = APIRouter(tags=["users"])


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class Me(BaseModel):
    email: str
    role: str
    access: dict[str, str]  # area -> "read" or "write", for the areas the role may read


@router.get("/me")
def get_me(user: CurrentUser) -> Me:
    access = {
        area: "write" if can(user.role, area, write=True) else "read"
        for area in AREAS
        if can(user.role, area)
    }
    return Me(email=user.email, role=user.role, access=access)


@router.get("/users")
def get_users(user: Annotated[User, Depends(require("users"))], db: DbSession) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in list_users(db)]
