"""A demo shop on an ephemeral port of 127.0.0.1, and a plain aiohttp client to talk to it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from storeops.demoshop.runner import BackgroundShop
from storeops.demoshop.server import RunningShop, ShopConfig

TOKEN = "test-admin-token"


@pytest.fixture
def shop() -> Iterator[RunningShop]:
    with BackgroundShop(ShopConfig(http_port=0, admin_token=TOKEN, seed=7)) as running:
        yield running


def run(body: Callable[[aiohttp.ClientSession], Awaitable[Any]], *, ssl: Any = True) -> Any:
    """Runs `body(session)` with a fresh client session that keeps cookies for 127.0.0.1."""

    async def main() -> Any:
        jar = aiohttp.CookieJar(unsafe=True)  # the default jar ignores cookies of IP hosts
        connector = aiohttp.TCPConnector(ssl=ssl)
        async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as session:
            return await body(session)

    return asyncio.run(main())
