"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from storeops.db.users import (
    MAX_FAILED_LOGINS,
    SESSION_LIFETIME,
    authenticate,
    end_session,
    start_session,
)
from storeops.web import security
from storeops.web.deps import CurrentUser, DbSession, Login
from storeops.web.rendering import render

router = APIRouter()


def _login_page(
    request: Request, next_: str, *, error: str | None = None, email: str = ""
) -> Response:
    token = security.login_csrf(request)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": security.local_path(next_), "error": error, "email": email},
        status_code=401 if error else 200,
    )
    security.set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login")
def login_form(
    request: Request, login: Login, next_: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    if login is not None:
        return RedirectResponse(security.local_path(next_), status_code=303)
    return _login_page(request, next_)


@router.post("/login")
def login_submit(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next_: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    user = authenticate(db, email, password)
    if user is None:
        db.commit()  # the failure count and any lock
        message = (
            "Wrong email or password. After "
            f"{MAX_FAILED_LOGINS} failed attempts in a row an account is locked for a while."
        )
        return _login_page(request, next_, error=message, email=email)
    _, raw = start_session(db, user)
    db.commit()
    response = RedirectResponse(security.local_path(next_), status_code=303)
    security.set_session_cookie(response, request, raw, int(SESSION_LIFETIME.total_seconds()))
    security.clear_login_csrf_cookie(response)
    return response


@router.post("/logout")
def logout(request: Request, user: CurrentUser, db: DbSession) -> Response:
    end_session(db, request.cookies[security.SESSION_COOKIE])
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    security.clear_session_cookie(response)
    return response
