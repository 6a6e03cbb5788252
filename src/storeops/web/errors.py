"""How failures reach people: JSON `{"detail": "message"}` on the API, a friendly page elsewhere.

Invalid parameters are 422 (FastAPI's shape on the API: detail is a list naming each field);
a UserError from the domain is 400 with its message (503 + Retry-After while an import holds
the warehouse); an unknown failure is 500 without internals, and is logged.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from storeops.core.errors import UserError, WorkspaceBusy
from storeops.web import security
from storeops.web.rendering import render

log = logging.getLogger("storeops.web")

TITLES = {
    400: "That cannot be done",
    401: "Please sign in",
    403: "Not for your role",
    404: "Page not found",
    405: "Not allowed here",
    422: "Some values are not valid",
    500: "Something went wrong",
    503: "Busy for a moment",
}


class LoginRequired(Exception):
    """A page asked for by someone not signed in: they go to the login page and come back."""


def _error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    if security.is_api(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    title = TITLES.get(status, "Something went wrong")
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
        headers=headers,
    )


async def _http(request: Request, exc: HTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
    return _error(request, exc.status_code, message, exc.headers)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    if security.is_api(request):
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc'][1:]) or 'request'}: {error['msg']}"
        for error in exc.errors()
    )
    return _error(request, 422, problems)


async def _user_error(request: Request, exc: UserError) -> Response:
    if isinstance(exc, WorkspaceBusy):
        return _error(request, 503, str(exc), {"Retry-After": "5"})
    return _error(request, 400, str(exc))


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    target = "/login"
    if request.method == "GET":  # come back here after signing in (a form post cannot be replayed)
        query = f"?{request.url.query}" if request.url.query else ""
        target += "?next=" + quote(request.url.path + query, safe="/")
    if security.is_htmx(request):  # a fragment request: have htmx load the whole login page
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error(request, 500, "an unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(UserError, _user_error)  # type: ignore[arg-type]
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
