"""Cookies, CSRF tokens and redirects: the browser-facing half of authentication.

- The session cookie holds a random session id (the state DB keeps only its SHA-256). It is
  HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS. Behind a reverse proxy
  that terminates TLS, the proxy's `X-Forwarded-Proto: https` is believed only from the
  addresses in `trusted_proxies` (uvicorn's ProxyHeadersMiddleware, installed by create_app).
- Every form POST carries a CSRF token, in the hidden field `csrf_token` or, for HTMX and
  fetch(), in the `X-CSRF-Token` header. Signed in, it is the session's token; on the login form,
  a random token also set in a cookie (double submit), since there is no session yet.
- The JSON API takes `Authorization: Bearer TOKEN`; a browser session is accepted there only
  with its X-CSRF-Token header, so a cookie alone never authorizes an API call.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

SESSION_COOKIE = "storeops_session"
LOGIN_CSRF_COOKIE = "storeops_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def same_token(sent: str | None, expected: str | None) -> bool:
    return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def set_session_cookie(response: Response, request: Request, raw: str, max_age: int) -> None:
    _set_cookie(response, request, SESSION_COOKIE, raw, max_age)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def login_csrf(request: Request) -> str:
    """The login form's token: the one its cookie already holds, else a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    _set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)


def clear_login_csrf_cookie(response: Response) -> None:
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target
