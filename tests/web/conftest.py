"""The web app over a workspace holding the hand-made shop, with one user per role.

`client_for(role)` gives a TestClient signed in through the login form; `tokens[role]` an API
token; `live_server` the same app under a real uvicorn on 127.0.0.1 (for HTTP and browser tests).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from storeops.core.settings import Settings
from storeops.db.engine import engine_for, session_factory
from storeops.db.users import create_api_token, create_user
from storeops.web.app import create_app
from tests.commerce.shop import build_shop

ROLES = ("admin", "it", "commerce", "viewer")
PASSWORD = "correct horse battery"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def email_of(role: str) -> str:
    return f"{role}@shop.example"


def add_users(settings: Settings) -> dict[str, str]:
    """One user per role (password PASSWORD) and an API token each; returns the tokens."""
    engine = engine_for(settings)
    try:
        with session_factory(engine).begin() as session:
            tokens = {}
            for role in ROLES:
                user, _ = create_user(
                    session, email=email_of(role), role=role, password=PASSWORD, actor="test"
                )
                tokens[role] = create_api_token(session, user, name="test", actor="test")[1]
    finally:
        engine.dispose()
    return tokens


@pytest.fixture
def shop_workspace(workspace: Settings) -> Settings:
    """The test workspace with the hand-made shop as its warehouse."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    build_shop(path, as_import=False)  # the import log starts empty: tests count their imports
    return workspace


@pytest.fixture
def tokens(shop_workspace: Settings) -> dict[str, str]:
    return add_users(shop_workspace)


@pytest.fixture
def app(shop_workspace: Settings, tokens: dict[str, str]) -> FastAPI:
    return create_app(shop_workspace)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_in(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_in(form.text), "next": "/"},
    )
    assert answer.status_code == 303, answer.text


@dataclass
class SignedIn:
    client: TestClient
    csrf: str  # the session's token, as the pages carry it


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[Callable[[str | None], SignedIn]]:
    """A fresh client per call: signed in as `role`, or anonymous (None) with a login token."""
    opened: list[TestClient] = []

    def make(role: str | None) -> SignedIn:
        client = TestClient(app, follow_redirects=False)
        opened.append(client)
        if role is None:
            return SignedIn(client, csrf_in(client.get("/login").text))
        sign_in(client, email_of(role))
        return SignedIn(client, csrf_in(client.get("/").text))

    yield make
    for client in opened:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn in a thread on a free port; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url
