"""Each fault as a plain HTTP client sees it, switched through the admin endpoint, at start, or
in-process."""

from __future__ import annotations

import time

import aiohttp
import pytest

from storeops.demoshop.faults import Faults
from storeops.demoshop.runner import BackgroundShop
from storeops.demoshop.server import ShopConfig
from tests.demoshop.conftest import TOKEN, run

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _switch(shop, faults: dict) -> tuple[int, dict]:
    async def body(session):
        async with session.post(shop.url + "_faults", json=faults, headers=AUTH) as r:
            return r.status, await r.json()

    return run(body)


def _timed_get(shop, path: str) -> tuple[int | str, float]:
    async def body(session):
        started = time.perf_counter()
        try:
            async with session.get(shop.url + path.lstrip("/")) as r:
                await r.read()
                outcome: int | str = r.status
        except aiohttp.ServerDisconnectedError:
            outcome = "disconnected"
        return outcome, (time.perf_counter() - started) * 1000

    return run(body)


def test_paths_a_fault_covers():
    checkout = Faults(down=True, paths=("/checkout", "/"))
    assert checkout.covers("/checkout") and checkout.covers("/checkout/step-2")
    assert checkout.covers("/")
    assert not checkout.covers("/checkouts") and not checkout.covers("/cart")
    assert Faults(down=True).covers("/anything")
    assert not Faults(down=True).covers("/_faults")


def test_latency_slows_only_the_paths_named(shop):
    status, now = _switch(shop, {"latency_ms": 300, "paths": ["/checkout"]})
    assert status == 200 and now["latency_ms"] == 300 and now["paths"] == ["/checkout"]
    fast_status, fast_ms = _timed_get(shop, "/cart")
    slow_status, slow_ms = _timed_get(shop, "/checkout")
    assert (fast_status, slow_status) == (200, 200)
    assert slow_ms >= 300
    assert fast_ms < 250


def test_errors_on_the_paths_named_at_the_rate_asked(shop):
    _switch(shop, {"error_rate": 1.0, "paths": ["/search"]})
    assert _timed_get(shop, "/search?q=shirt")[0] == 500
    assert _timed_get(shop, "/")[0] == 200

    _switch(shop, {"error_rate": 0.5})

    async def body(session):
        statuses = []
        for _ in range(200):
            async with session.get(shop.url + "healthz") as r:
                statuses.append(r.status)
        return statuses

    statuses = run(body)
    assert set(statuses) == {200, 500}
    assert 60 < statuses.count(500) < 140


def test_down_closes_connections_without_an_answer_and_clearing_brings_it_back(shop):
    _switch(shop, {"down": True})
    assert _timed_get(shop, "/healthz")[0] == "disconnected"
    assert _timed_get(shop, "/")[0] == "disconnected"

    async def clear(session):  # the switch itself stays reachable
        async with session.delete(shop.url + "_faults", headers=AUTH) as r:
            return r.status, await r.json()

    status, faults = run(clear)
    assert status == 200 and faults == Faults().model_dump(mode="json")
    assert _timed_get(shop, "/healthz")[0] == 200


def test_wrong_stock_corrupts_the_json_but_not_the_pages(shop):
    _switch(shop, {"wrong_stock": True})

    async def body(session):
        async with session.get(shop.url + "api/stock.json") as r:
            everything = await r.json()
        async with session.get(shop.url + "api/stock/A1") as r:
            one = await r.json()
        async with session.get(shop.url + "products/linen-shirt") as r:
            page = await r.text()
        return everything, one, page

    everything, one, page = run(body)
    assert {item["available"] for item in everything["items"]} == {-1}
    assert one == {"sku": "A1", "available": -1}
    assert "In stock" in page


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer nope"}, 403), ({"Authorization": TOKEN}, 401)],
)
def test_the_admin_endpoint_wants_the_token(shop, headers, status):
    async def body(session):
        async with session.post(shop.url + "_faults", json={"down": True}, headers=headers) as r:
            posted = r.status
        async with session.get(shop.url + "_faults", headers=headers) as r:
            read = r.status
        async with session.get(shop.url + "healthz") as r:
            return posted, read, r.status

    assert run(body) == (status, status, 200)
    assert not shop.faults.current.down


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"latency": 5}, "latency: Extra inputs are not permitted"),
        ({"error_rate": 2}, "error_rate: Input should be less than or equal to 1"),
        ({"paths": ["checkout"]}, "a path starts with '/'"),
    ],
)
def test_the_admin_endpoint_refuses_bad_faults(shop, body, message):
    status, answer = _switch(shop, body)
    assert status == 400 and message in answer["error"]
    assert shop.faults.current == Faults()


def test_the_admin_endpoint_refuses_a_body_that_is_not_json(shop):
    async def body(session):
        async with session.post(shop.url + "_faults", data="down", headers=AUTH) as r:
            return r.status, await r.json()

    status, answer = run(body)
    assert status == 400 and "JSON" in answer["error"]


def test_faults_on_from_start_and_switched_in_process():
    config = ShopConfig(http_port=0, admin_token=TOKEN, faults=Faults(error_rate=1.0))
    with BackgroundShop(config) as shop:
        assert _timed_get(shop, "/")[0] == 500
        shop.faults.set(Faults(wrong_stock=True))
        assert _timed_get(shop, "/")[0] == 200

        async def read(session):
            async with session.get(shop.url + "_faults", headers=AUTH) as r:
                return await r.json()

        assert run(read)["wrong_stock"] is True


def test_describe_says_what_is_on():
    assert Faults().describe() == "none"
    faults = Faults(latency_ms=1500, error_rate=0.25, paths=("/checkout",), wrong_stock=True)
    assert faults.describe() == "1500 ms latency, 25% errors on /checkout; wrong stock JSON"
