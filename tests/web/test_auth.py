"""Signing in and out, session cookies, CSRF on every form, lock-out, bearer tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from storeops.db.engine import engine_for, session_factory
from storeops.db.users import User, revoke_api_token
from storeops.web.app import create_app, routes_of
from tests.web.conftest import PASSWORD, csrf_in, email_of


def form_posts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        route.path
        for route in routes_of(app)
        if "POST" in route.methods and not route.path.startswith("/api/")
    )


def test_every_form_post_refuses_a_missing_or_wrong_csrf_token(app, client_for) -> None:  # type: ignore[no-untyped-def]
    posts = form_posts(app)
    assert {"/login", "/logout", "/users", "/imports"} <= set(posts)  # and every later form
    admin = client_for("admin")
    for path in posts:
        data = {"email": "new@shop.example", "password": PASSWORD, "role": "viewer"}
        assert admin.client.post(path, data=data).status_code == 403, path
        wrong = data | {"csrf_token": admin.csrf[:-2] + "xx"}
        assert admin.client.post(path, data=wrong).status_code == 403, path
        assert (
            admin.client.post(path, data=data, headers={"X-CSRF-Token": "nope"}).status_code == 403
        )
    # Still signed in: none of them went through.
    assert admin.client.get("/users").status_code == 200
    assert "new@shop.example" not in admin.client.get("/users").text


def test_the_csrf_header_serves_htmx_posts(client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    answer = admin.client.post(
        "/users",
        data={"email": "hx@shop.example", "role": "it"},
        headers={"X-CSRF-Token": admin.csrf, "HX-Request": "true"},
    )
    assert answer.status_code == 201 and "hx@shop.example" in answer.text


def test_login_needs_the_token_of_its_own_form(client) -> None:  # type: ignore[no-untyped-def]
    credentials = {"email": email_of("viewer"), "password": PASSWORD}
    assert client.post("/login", data=credentials).status_code == 403  # no cookie, no field
    token = csrf_in(client.get("/login").text)
    assert client.post("/login", data=credentials | {"csrf_token": "forged"}).status_code == 403
    answer = client.post("/login", data=credentials | {"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_session_cookie_flags_and_logout(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_in(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": email_of("it"), "password": PASSWORD, "csrf_token": token, "next": "/audit"},
    )
    assert answer.headers["location"] == "/audit"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("storeops_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # plain HTTP in this test
    home = client.get("/")
    assert home.status_code == 200 and email_of("it") in home.text
    assert client.post("/logout", data={"csrf_token": csrf_in(home.text)}).status_code == 303
    assert client.get("/").status_code == 303  # the session is gone server-side too


@pytest.mark.parametrize(("trusted", "secure"), [("127.0.0.1", False), ("testclient", True)])
def test_secure_cookie_behind_a_trusted_https_proxy(
    shop_workspace, tokens, trusted, secure
) -> None:  # type: ignore[no-untyped-def]
    # The test client's address is "testclient": a proxy only when listed as trusted.
    app = create_app(shop_workspace, trusted_proxies=trusted)
    with TestClient(app, follow_redirects=False) as client:
        proto = {"X-Forwarded-Proto": "https"}
        token = csrf_in(client.get("/login", headers=proto).text)
        client.cookies.clear()  # a Secure cookie would not be sent back over plain HTTP
        answer = client.post(
            "/login",
            data={"email": email_of("viewer"), "password": PASSWORD, "csrf_token": token},
            headers=proto | {"Cookie": f"storeops_login_csrf={token}"},
        )
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("storeops_session=")
    )
    assert ("secure" in cookie.lower()) is secure


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_no_open_redirect_after_login(client, target) -> None:  # type: ignore[no-untyped-def]
    token = csrf_in(client.get("/login").text)
    answer = client.post(
        "/login",
        data={
            "email": email_of("viewer"),
            "password": PASSWORD,
            "csrf_token": token,
            "next": target,
        },
    )
    assert answer.headers["location"] == "/"


def test_lock_out_after_five_wrong_passwords(client, shop_workspace) -> None:  # type: ignore[no-untyped-def]
    token = csrf_in(client.get("/login").text)

    def attempt(email: str, password: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    unknown = attempt("nobody@shop.example", "whatever")
    assert unknown.status_code == 401
    for _ in range(5):
        wrong = attempt(email_of("commerce"), "wrong password")
        assert wrong.status_code == 401
    # The same message whether the address exists or not.
    assert (
        unknown.text.split('role="alert">')[1].split("<")[0]
        == wrong.text.split('role="alert">')[1].split("<")[0]
    )
    locked = attempt(email_of("commerce"), PASSWORD)
    assert locked.status_code == 401 and "storeops_session" not in locked.headers.get(
        "set-cookie", ""
    )
    engine = engine_for(shop_workspace)
    try:
        with session_factory(engine)() as session:
            user = session.scalars(select(User).where(User.email == email_of("commerce"))).one()
            assert user.failed_logins == 5 and user.locked_until is not None
    finally:
        engine.dispose()
    # Other accounts are not affected.
    assert attempt(email_of("viewer"), PASSWORD).status_code == 303


def test_bearer_tokens(client, tokens, shop_workspace) -> None:  # type: ignore[no-untyped-def]
    def me(token: str):  # type: ignore[no-untyped-def]
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    answer = me(tokens["commerce"])
    assert answer.status_code == 200
    assert answer.json()["email"] == email_of("commerce")
    assert answer.json()["access"] == {
        "overview": "read", "sales": "write", "stock": "write", "aftersales": "write",
        "promotions": "write", "baskets": "write", "customers": "write", "imports": "write",
    }  # fmt: skip
    for bad in ("sto_unknown", tokens["commerce"] + "x", "", "not-a-token"):
        answer = me(bad)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer", bad
        assert isinstance(answer.json()["detail"], str)
    engine = engine_for(shop_workspace)
    try:
        with session_factory(engine).begin() as session:
            revoke_api_token(session, 1, actor="test")  # the first token: admin's
    finally:
        engine.dispose()
    assert me(tokens["admin"]).status_code == 401
    assert me(tokens["viewer"]).status_code == 200


def test_the_api_takes_a_browser_session_only_with_its_csrf_header(client_for) -> None:  # type: ignore[no-untyped-def]
    viewer = client_for("viewer")
    assert viewer.client.get("/api/v1/me").status_code == 401  # the cookie alone
    wrong = viewer.client.get("/api/v1/me", headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403 and wrong.json() == {
        "detail": "the X-CSRF-Token header does not match the session"
    }
    right = viewer.client.get("/api/v1/me", headers={"X-CSRF-Token": viewer.csrf})
    assert right.status_code == 200 and right.json()["role"] == "viewer"
