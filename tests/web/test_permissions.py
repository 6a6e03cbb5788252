"""Every route of the app × every role × anonymous, against the access the issue asks for.

The expected access is written here from the issue, not read from permissions.py, and the
route list must match app.routes exactly: a new route without an entry fails the test. Each
area's routes may live in a module `tests/web/expect_<area>.py` defining `ROUTES` (same shape).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from fastapi import FastAPI

from storeops.web.app import routes_of
from tests.web.conftest import ROLES
from tests.web.expectations import PUBLIC, SIGNED_IN, Expect

COMMERCE = {"sales", "stock", "aftersales", "promotions", "baskets", "customers", "imports"}
IT = {"reliability", "incidents", "changes", "vendors", "budget"}
ALL = {"overview", "audit", "users"} | COMMERCE | IT
READ = {
    "admin": ALL,
    "it": {"overview"} | IT,
    "commerce": {"overview"} | COMMERCE,
    "viewer": ALL - {"users", "audit"},
}
WRITE = {"admin": ALL, "it": IT, "commerce": COMMERCE, "viewer": set()}

ROUTES: dict[tuple[str, str], Expect] = {
    ("GET", "/"): Expect("overview", url="/?from=2025-03-01&to=2025-03-07"),
    ("GET", "/kpis.csv"): Expect("overview"),
    ("GET", "/audit"): Expect("audit"),
    ("GET", "/users"): Expect("users"),
    ("POST", "/users"): Expect("users", write=True, form={"role": "viewer"}, ok=201),
    ("GET", "/login"): Expect(PUBLIC, signed_in_status=303),
    # A wrong password: the form is open to all, and answers 401 whoever posts it.
    ("POST", "/login"): Expect(PUBLIC, form={"email": "x@y.example", "password": "no"}, ok=401),
    ("POST", "/logout"): Expect(SIGNED_IN, ok=303),
    ("GET", "/api/v1/kpis"): Expect("overview", url="/api/v1/kpis?from=2025-03-01"),
    ("GET", "/api/v1/audit"): Expect("audit"),
    ("GET", "/api/v1/users"): Expect("users"),
    ("GET", "/api/v1/me"): Expect(SIGNED_IN),
    ("GET", "/api/v1/openapi.json"): Expect(PUBLIC),
    ("GET", "/api/docs"): Expect(PUBLIC),
    ("GET", "/healthz"): Expect(PUBLIC),
    ("GET", "/static/vendor/plotly.min.js"): Expect(PUBLIC),
    ("MOUNT", "/static"): Expect(PUBLIC, url="/static/vendor/htmx.min.js"),
}
for _info in pkgutil.iter_modules([str(Path(__file__).parent)]):
    if _info.name.startswith("expect_"):
        ROUTES.update(importlib.import_module(f"tests.web.{_info.name}").ROUTES)


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in routes_of(app):
        if route.mount:
            found.add(("MOUNT", route.path))
        found |= {(method, route.path) for method in route.methods}
    return found


def test_every_route_has_an_expectation(app: FastAPI) -> None:
    assert app_routes(app) == set(ROUTES)


def expected(role: str | None, key: tuple[str, str], spec: Expect) -> int:
    api = key[1].startswith("/api/v1/") and not key[1].endswith("openapi.json")
    if spec.access == PUBLIC:
        return spec.signed_in_status if role and spec.signed_in_status else spec.ok
    if role is None:
        return spec.anonymous_status or (401 if api else 303)
    if spec.access == SIGNED_IN:
        return spec.ok
    allowed = WRITE[role] if spec.write else READ[role]
    return spec.ok if spec.access in allowed else 403


# Logging out ends the session: it goes last.
ORDER = sorted(ROUTES, key=lambda key: key == ("POST", "/logout"))


@pytest.mark.parametrize("role", [None, *ROLES])
def test_permission_matrix(role, client_for, tokens) -> None:  # type: ignore[no-untyped-def]
    session = client_for(role)
    bearer = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    failures = []
    for key in ORDER:
        method, path = key
        spec = ROUTES[key]
        url = spec.url or path
        if path.startswith("/api/v1/") and method != "GET":
            answer = session.client.request(method, url, headers=bearer, json=spec.json)
        elif method == "POST":
            form = {"csrf_token": session.csrf, "email": f"new-{role}@shop.example"} | spec.form
            answer = session.client.post(url, data=form)
        elif path.startswith("/api/v1/"):
            answer = session.client.get(url, headers=bearer)
        else:
            answer = session.client.get(url)
        want = expected(role, key, spec)
        if answer.status_code != want:
            failures.append(f"{method} {url}: {answer.status_code}, expected {want}")
        elif want == 303 and role is None:
            assert answer.headers["location"].startswith("/login"), url
        elif want == 403 and path.startswith("/api/"):
            assert answer.json()["detail"].startswith(f"the {role} role may not")
    assert not failures, "\n".join(failures)


def test_page_paths_redirect_anonymous_visitors_back_after_login(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/kpis.csv?from=2025-03-01&to=2025-03-07")
    assert answer.status_code == 303
    assert (
        answer.headers["location"] == "/login?next=/kpis.csv%3Ffrom%3D2025-03-01%26to%3D2025-03-07"
    )


def test_htmx_requests_are_sent_to_the_login_page_whole(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/audit", headers={"HX-Request": "true"})
    assert answer.status_code == 401 and answer.headers["HX-Redirect"] == "/login?next=/audit"


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("admin", ["/", "/sales", "/audit", "/users"], []),
        ("it", ["/"], ["/sales", "/audit", "/users"]),
        ("commerce", ["/", "/sales"], ["/audit", "/users"]),
        ("viewer", ["/", "/sales"], ["/audit", "/users"]),
    ],
)
def test_navigation_lists_only_readable_pages(role, visible, hidden, client_for) -> None:  # type: ignore[no-untyped-def]
    html = client_for(role).client.get("/").text
    nav = html.split('<nav class="sidenav"', 1)[1].split("</nav>", 1)[0]
    for path in visible:
        assert f'href="{path}"' in nav
    for path in hidden:
        assert f'href="{path}"' not in nav
