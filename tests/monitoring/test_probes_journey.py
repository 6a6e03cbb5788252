"""journey probes through a small shop on 127.0.0.1: a page with a CSRF token and a session
cookie, a login, a cart whose id comes back in JSON, and a checkout that needs all of them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from storeops.monitoring.probes import ProbeClient, ProbeResult, check, validate
from storeops.monitoring.spec import MonitorSpec, Step
from tests.monitoring.servers import HttpServer, Request, Response, closed_port

pytestmark = pytest.mark.anyio


class Shop:
    """The shop's routes; `checkout_status` switches the checkout's answer."""

    def __init__(self) -> None:
        self.sessions = itertools.count(1)
        self.checkout_status = 200

    async def home(self, request: Request) -> Response:
        response = Response.text('<form><input name="csrf" value="tok-123"></form>')
        response.headers.append(("Set-Cookie", f"session=s{next(self.sessions)}; Path=/"))
        return response

    async def login(self, request: Request) -> Response:
        if "session" not in request.cookies or b"csrf=tok-123" not in request.body:
            return Response.json({"error": "forbidden"}, 403)
        return Response.json({"user": "ann", "token": "secret-bearer-9"})

    async def cart(self, request: Request) -> Response:
        if (
            "session" not in request.cookies
            or request.headers.get("authorization") != "Bearer secret-bearer-9"
        ):
            return Response.json({"error": "no session"}, 401)
        return Response.json({"cart": {"id": "c-7", "items": len(json.loads(request.body))}})

    async def checkout(self, request: Request) -> Response:
        if request.query.get("cart") != "c-7" or "session" not in request.cookies:
            return Response.json({"error": "bad cart"}, 400)
        return Response.json({"status": "paid"}, self.checkout_status)


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[HttpServer, Shop]]:
    routes = Shop()
    with HttpServer() as server:
        server.route("/shop", routes.home)
        server.route("/login", routes.login)
        server.route("/cart", routes.cart)
        server.route("/checkout", routes.checkout)
        yield server, routes


def purchase_steps(server: HttpServer, **checkout: Any) -> list[Step]:
    return [
        Step(
            name="home",
            url=server.url("/shop"),
            extract={"csrf": 're(name="csrf" value="([^"]+)")'},
        ),
        Step(
            name="login",
            url=server.url("/login"),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body="user=ann&csrf={csrf}",
            extract={"token": "[BODY].token"},
        ),
        Step(
            name="add-to-cart",
            url=server.url("/cart"),
            method="POST",
            headers={"Authorization": "Bearer {token}"},
            body='[{"sku": "A1"}]',
            conditions=["[STATUS] == 200", "[BODY].cart.items == 1"],
            extract={"cart_id": "[BODY].cart.id"},
        ),
        Step(
            **{
                "name": "checkout",
                "url": server.url("/checkout?cart={cart_id}"),
                "conditions": ["[STATUS] == 200", '[BODY].status == "paid"'],
                **checkout,
            }
        ),
    ]


def journey(steps: list[Step], **fields: Any) -> MonitorSpec:
    return MonitorSpec(
        **{
            "name": "purchase",
            "kind": "journey",
            "service": "checkout",
            "steps": steps,
            "timeout_seconds": 2,
            **fields,
        }
    )


async def run(spec: MonitorSpec) -> ProbeResult:
    async with ProbeClient() as client:
        return await check(spec, client)


async def test_a_purchase_carries_cookies_and_values_from_step_to_step(
    shop: tuple[HttpServer, Shop],
) -> None:
    server, _ = shop
    spec = journey(
        purchase_steps(server), conditions=["[RESPONSE_TIME] < 5s", '[BODY].status == "paid"']
    )
    validate(spec)
    result = await run(spec)
    assert result.ok, result.error
    assert result.status_code == 200
    steps = result.details["steps"]
    assert [(s["name"], s["ok"], s["status_code"]) for s in steps] == [
        ("home", True, 200),
        ("login", True, 200),
        ("add-to-cart", True, 200),
        ("checkout", True, 200),
    ]
    assert steps[2]["extracted"] == ["cart_id"]
    assert all(s["duration_ms"] > 0 for s in steps)
    assert result.duration_ms >= sum(s["duration_ms"] for s in steps)
    assert [c["ok"] for c in result.details["conditions"]] == [True, True]
    checkout = server.requests[-1]
    assert checkout.query == {"cart": "c-7"} and checkout.cookies["session"].startswith("s")
    # Extracted values may be secrets: only their names are kept.
    assert "secret-bearer-9" not in json.dumps(result.details)


async def test_the_journey_stops_at_the_first_failing_step(shop: tuple[HttpServer, Shop]) -> None:
    server, routes = shop
    routes.checkout_status = 500
    try:
        result = await run(journey(purchase_steps(server)))
    finally:
        routes.checkout_status = 200
    assert not result.ok and result.status_code == 500
    assert result.error == "step 'checkout': [STATUS] (500) == 200"
    assert result.details["failed_step"] == "checkout"
    assert [s["ok"] for s in result.details["steps"]] == [True, True, True, False]

    steps = purchase_steps(server)
    steps[1] = steps[1].model_copy(update={"body": "user=ann&csrf=forged"})
    carts_before = sum(r.path == "/cart" for r in server.requests)
    early = await run(journey(steps))
    assert early.error == "step 'login': [STATUS] (403) == 200"
    assert len(early.details["steps"]) == 2
    assert sum(r.path == "/cart" for r in server.requests) == carts_before  # later steps never ran


async def test_each_run_starts_without_cookies(shop: tuple[HttpServer, Shop]) -> None:
    server, _ = shop
    await run(journey(purchase_steps(server)))
    await run(journey(purchase_steps(server)))
    homes = [r for r in server.requests if r.path == "/shop"]
    assert homes[-1].cookies == {} and homes[-2].cookies == {}
    logins = [r for r in server.requests if r.path == "/login"]
    assert logins[-1].cookies["session"] != logins[-2].cookies["session"]


@pytest.mark.parametrize(
    ("extract", "error"),
    [
        (
            {"cart_id": "[BODY].cart.number"},
            "step 'add-to-cart': cannot extract cart_id: no 'number' in [BODY].cart",
        ),
        (
            {"cart_id": 're("id": "(x-\\d+)")'},
            'step \'add-to-cart\': cannot extract cart_id: re("id": "(x-\\d+)") does not match the body',
        ),
        (
            {"cart_id": "[HEADERS].X-Cart"},
            "step 'add-to-cart': cannot extract cart_id: no header X-Cart",
        ),
    ],
)
async def test_a_value_that_cannot_be_extracted_fails_its_step(
    shop: tuple[HttpServer, Shop], extract: dict[str, str], error: str
) -> None:
    server, _ = shop
    steps = purchase_steps(server)
    steps[2] = steps[2].model_copy(update={"extract": extract})
    result = await run(journey(steps))
    assert result.error == error
    assert result.details["failed_step"] == "add-to-cart"


async def test_a_step_that_times_out_is_named(shop: tuple[HttpServer, Shop]) -> None:
    server, _ = shop
    steps = purchase_steps(server)[:1] + [Step(name="slow-search", url=server.url("/slow?ms=3000"))]
    result = await run(journey(steps, timeout_seconds=0.4))
    assert result.error == "timed out after 0.4 s in step 'slow-search' waiting for the response"
    assert result.details["failed_step"] == "slow-search"
    assert [s["name"] for s in result.details["steps"]] == ["home"]


async def test_a_step_that_cannot_connect_is_named(shop: tuple[HttpServer, Shop]) -> None:
    server, _ = shop
    port = closed_port()
    steps = purchase_steps(server)[:1] + [Step(name="api", url=f"http://127.0.0.1:{port}/")]
    result = await run(journey(steps))
    assert result.error == f"step 'api': cannot connect to 127.0.0.1:{port}: connection refused"
    assert result.details["steps"][-1] == {
        "name": "api",
        "ok": False,
        "error": f"cannot connect to 127.0.0.1:{port}: connection refused",
        "duration_ms": result.details["steps"][-1]["duration_ms"],
    }


async def test_journey_conditions_judge_the_whole_run(shop: tuple[HttpServer, Shop]) -> None:
    server, _ = shop
    result = await run(journey(purchase_steps(server), conditions=["[RESPONSE_TIME] < 1ms"]))
    assert not result.ok
    assert result.error is not None and result.error.startswith("[RESPONSE_TIME] (")
    assert all(s["ok"] for s in result.details["steps"])


async def test_an_unknown_variable(shop: tuple[HttpServer, Shop]) -> None:
    server, _ = shop
    spec = journey([Step(name="cart", url=server.url("/checkout?cart={cart_id}"))])
    with pytest.raises(
        ValueError, match=r"step 'cart' uses \{cart_id\}, which no earlier step extracts"
    ):
        validate(spec)
    result = await run(spec)
    assert result.error == "step 'cart': unknown variable {cart_id} (extracted so far: none yet)"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            Step(name="a", url="http://127.0.0.1/", conditions=["[STATUS] = 200"]),
            "step 'a': condition '[STATUS] = 200': '='",
        ),
        (
            Step(name="b", url="http://127.0.0.1/", extract={"x": "re(no group)"}),
            "step 'b': extract x: re(no group) needs exactly one group",
        ),
        (
            Step(name="c", url="http://127.0.0.1/", extract={"x": "re((a)(b))"}),
            "needs exactly one group",
        ),
        (
            Step(name="d", url="http://127.0.0.1/", extract={"x": "re(([)"}),
            "step 'd': extract x: bad regular expression",
        ),
        (
            Step(name="e", url="http://127.0.0.1/", extract={"x": "[BODY].a..b"}),
            "step 'e': extract x: bad extraction",
        ),
        (
            Step(name="f", url="http://127.0.0.1/", extract={"x": "len([BODY])"}),
            "extract with a placeholder",
        ),
    ],
)
def test_bad_steps_are_refused_at_load(step: Step, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        validate(journey([step]))
    assert message in str(refused.value)
