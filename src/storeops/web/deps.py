"""Typed dependencies of every route: settings, the state DB, the warehouse, the signed-in user.

    def page(user: Annotated[User, Depends(require("sales"))], con: Warehouse, db: DbSession)

`require(area, write=False)` is the permission check (permissions.py holds the table); it
authenticates first: pages by the session cookie (else a redirect to /login), the API by bearer
token or by session cookie + X-CSRF-Token header (else 401).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from storeops.core.settings import Settings
from storeops.db.users import LoginSession, User, user_for_session, user_for_token
from storeops.warehouse.engine import open_warehouse
from storeops.web import security
from storeops.web.errors import LoginRequired
from storeops.web.permissions import can


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(request: Request) -> Iterator[Session]:
    """A state DB session for the request; routes commit what they change."""
    with request.app.state.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def get_warehouse(settings: SettingsDep) -> Iterator[BaseBackend]:
    """The warehouse, opened read-only for this request only (imports may run meanwhile)."""
    with open_warehouse(settings) as con:
        yield con


Warehouse = Annotated[BaseBackend, Depends(get_warehouse)]


def get_login(request: Request, db: DbSession) -> LoginSession | None:
    """The live login session of the session cookie, if any (also kept for the page shell)."""
    raw = request.cookies.get(security.SESSION_COOKIE)
    found = user_for_session(db, raw) if raw else None
    request.state.login = found[1] if found else None
    return request.state.login


Login = Annotated[LoginSession | None, Depends(get_login)]

bearer = HTTPBearer(
    auto_error=False,
    description="An API token from `storeops token create --user EMAIL`.",
)


def current_user(
    request: Request,
    db: DbSession,
    login: Login,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if not security.is_api(request):
        if login is None:
            raise LoginRequired()
        return login.user
    if credentials is not None:
        user = user_for_token(db, credentials.credentials)
        if user is None:
            raise _unauthorized("the API token is unknown or revoked")
        db.commit()  # its last use
        return user
    sent = request.headers.get(security.CSRF_HEADER)
    if login is not None and sent is not None:
        if not security.same_token(sent, login.csrf_token):
            raise HTTPException(403, "the X-CSRF-Token header does not match the session")
        return login.user
    raise _unauthorized("send Authorization: Bearer TOKEN (create one with storeops token create)")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


CurrentUser = Annotated[User, Depends(current_user)]


def require(area: str, *, write: bool = False) -> Callable[[User], User]:
    """A dependency giving the signed-in user when their role may read (or write) `area`."""

    def allowed(user: CurrentUser) -> User:
        if not can(user.role, area, write=write):
            action = "change" if write else "see"
            raise HTTPException(403, f"the {user.role} role may not {action} {area}")
        return user

    allowed.__name__ = f"require_{area}_{'write' if write else 'read'}"
    return allowed


async def check_csrf(request: Request, login: Login) -> None:
    """Refuses (403) a form POST without the right CSRF token; safe methods pass."""
    if request.method in security.SAFE_METHODS:
        return
    sent = request.headers.get(security.CSRF_HEADER)
    if sent is None:
        sent = (await request.form()).get(security.CSRF_FIELD)
    expected = login.csrf_token if login else request.cookies.get(security.LOGIN_CSRF_COOKIE)
    if not security.same_token(sent if isinstance(sent, str) else None, expected):
        raise HTTPException(403, "the form has expired or did not come from this site: reload it")
