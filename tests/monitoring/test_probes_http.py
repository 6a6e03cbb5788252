"""http, keyword and json probes against a real HTTP server on 127.0.0.1, including one that
answers slowly, trickles bytes, resets, hangs up or speaks no HTTP."""

from __future__ import annotations

import asyncio
import re
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from storeops.monitoring.probes import ProbeClient, ProbeResult, check, validate
from storeops.monitoring.probes.result import describe_error
from storeops.monitoring.spec import MonitorSpec
from tests.monitoring.servers import HttpServer, Request, Response, closed_port

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    with HttpServer() as running:
        yield running


def monitor(**fields: Any) -> MonitorSpec:
    return MonitorSpec(
        **{"name": "shop", "kind": "http", "service": "web", "timeout_seconds": 1, **fields}
    )


async def probe(**fields: Any) -> ProbeResult:
    async with ProbeClient() as client:
        return await check(monitor(**fields), client)


async def test_status_and_the_default_condition(server: HttpServer) -> None:
    ok = await probe(url=server.url("/status/200"))
    assert ok.ok and ok.error is None and ok.status_code == 200
    assert ok.details == {
        "conditions": [{"condition": "[STATUS] < 400", "ok": True, "actual": "200"}],
        "attempts": 1,
    }
    assert 0 < ok.duration_ms < 1000
    failed = await probe(url=server.url("/status/503"))
    assert not failed.ok and failed.status_code == 503
    assert failed.error == "[STATUS] (503) < 400"


async def test_conditions_on_time_headers_and_json_body(server: HttpServer) -> None:
    conditions = [
        "[STATUS] == 200",
        "[RESPONSE_TIME] < 900",
        "[HEADERS].Content-Type == application/json",
        '[BODY].items[0].sku == "A1"',
        "len([BODY].items) == 1",
        "[BODY].status == pat(o*)",
        "[IP] == 127.0.0.1",
    ]
    result = await probe(kind="json", url=server.url("/json"), conditions=conditions)
    assert result.ok, result.error
    assert [c["ok"] for c in result.details["conditions"]] == [True] * 8  # + body is JSON
    wrong = await probe(
        kind="json", url=server.url("/json"), conditions=["[BODY].items[0].stock > 5"]
    )
    assert wrong.error == "[BODY].items[0].stock (3) > 5"


async def test_json_monitor_needs_a_json_body(server: HttpServer) -> None:
    result = await probe(kind="json", url=server.url("/text"))
    assert not result.ok
    assert result.error is not None and result.error.startswith("body is JSON (body is not JSON")


async def test_keyword_present_or_absent(server: HttpServer) -> None:
    url = server.url("/text")
    assert (await probe(kind="keyword", url=url, keyword="In stock")).ok
    missing = await probe(kind="keyword", url=url, keyword="Sold out")
    assert missing.error == "body contains 'Sold out' (not found)"
    assert (await probe(kind="keyword", url=url, keyword="Sold out", keyword_absent=True)).ok
    present = await probe(kind="keyword", url=url, keyword="In stock", keyword_absent=True)
    assert present.error == "body lacks 'In stock' (found)"


async def test_redirects_are_followed_unless_told_not_to(server: HttpServer) -> None:
    followed = await probe(
        url=server.url("/redirect?to=/status/201"), conditions=["[STATUS] == 201"]
    )
    assert followed.ok
    kept = await probe(
        url=server.url("/redirect?to=/status/201"),
        follow_redirects=False,
        conditions=["[STATUS] == 302", "[HEADERS].location == /status/201"],
    )
    assert kept.ok, kept.error
    loop = await probe(url=server.url("/redirect-loop"))
    assert loop.error == "too many redirects (10)"


async def test_method_headers_and_body_are_sent(server: HttpServer) -> None:
    result = await probe(
        kind="json",
        url=server.url("/echo?q=1"),
        method="post",
        headers={"X-Api-Key": "k1", "Content-Type": "application/json"},
        body='{"sku": "A1"}',
        conditions=[
            "[BODY].method == POST",
            "[BODY].headers.x-api-key == k1",
            "[BODY].headers.content-type == application/json",
            '[BODY].body == "{\\"sku\\": \\"A1\\"}"',
            "[BODY].query.q == 1",
        ],
    )
    assert result.ok, result.error
    assert server.requests[-1].body == b'{"sku": "A1"}'


async def test_each_check_opens_a_fresh_connection_and_keeps_no_cookies(server: HttpServer) -> None:
    async def set_cookie(request: Request) -> Response:
        return Response(200, b"ok", [("Set-Cookie", "session=abc; Path=/")])

    server.route("/login", set_cookie)
    async with ProbeClient() as client:
        before = server.connections
        await check(monitor(url=server.url("/login")), client)
        again = await check(
            monitor(
                kind="json",
                url=server.url("/echo"),
                conditions=["has([BODY].cookies.session) == false"],
            ),
            client,
        )
    assert again.ok, again.error
    assert server.connections - before == 2


async def test_a_slow_answer_times_out_saying_where(server: HttpServer) -> None:
    started = time.perf_counter()
    result = await probe(url=server.url("/slow?ms=3000"), timeout_seconds=0.3)
    assert time.perf_counter() - started < 1.0
    assert result.error == "timed out after 0.3 s waiting for the response"
    assert result.status_code is None and 290 < result.duration_ms < 1000
    quick = await probe(url=server.url("/slow?ms=150"), conditions=["[RESPONSE_TIME] >= 150"])
    assert quick.ok and quick.duration_ms >= 150


async def test_a_trickling_body_cannot_outlive_the_timeout(server: HttpServer) -> None:
    # Bytes keep coming (every 50 ms), so only a deadline over the whole check stops it.
    started = time.perf_counter()
    result = await probe(url=server.url("/loris?every=0.05"), timeout_seconds=0.4)
    assert time.perf_counter() - started < 1.0
    assert result.error == "timed out after 0.4 s reading the body"
    assert result.status_code == 200


async def test_trickling_headers_time_out(server: HttpServer) -> None:
    result = await probe(url=server.url("/loris-headers?every=0.05"), timeout_seconds=0.4)
    assert result.error == "timed out after 0.4 s waiting for the response"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/reset", "connection reset by the server"),
        ("/close", "the server closed the connection without a complete response"),
        ("/garbage", "invalid HTTP response: Bad status line"),
    ],
)
async def test_broken_servers_are_named_errors(server: HttpServer, path: str, error: str) -> None:
    result = await probe(url=server.url(path))
    assert not result.ok and result.status_code is None
    assert result.error is not None and result.error.startswith(error)


async def test_a_refused_connection(server: HttpServer) -> None:
    port = closed_port()
    result = await probe(url=f"http://127.0.0.1:{port}/")
    assert result.error == f"cannot connect to 127.0.0.1:{port}: connection refused"


async def test_credentials_in_urls_stay_out_of_errors() -> None:
    port = closed_port()
    result = await probe(url=f"http://admin:hunter2@127.0.0.1:{port}/")
    assert result.error is not None and "hunter2" not in result.error
    text = describe_error(RuntimeError("GET https://shop:s3cret@example.com/x\nfailed"))
    assert text == "RuntimeError: GET https://shop:***@example.com/x failed"
    invalid = await probe(url="http://ops:hunter2@127.0.0.1:99999/?token=s3cret&q=1")
    assert invalid.error == "invalid URL: http://ops:***@127.0.0.1:99999/?token=***&q=1"


async def test_a_huge_body_is_read_up_to_the_limit(server: HttpServer) -> None:
    tracemalloc.start()
    try:
        result = await probe(url=server.url("/huge?mb=40"), timeout_seconds=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.details["body_truncated"] is True
    assert peak < 8_000_000  # 40 MB were on offer
    async with ProbeClient(body_limit=1000) as client:
        small = await check(
            monitor(url=server.url("/huge?mb=1"), conditions=["len([BODY]) == 1000"]), client
        )
    assert small.ok, small.error


async def test_retries_at_once_until_one_attempt_passes(server: HttpServer) -> None:
    answers = iter([500, 500, 200, 500, 500, 500])

    async def flaky(request: Request) -> Response:
        return Response.text("", next(answers))

    server.route("/flaky", flaky)
    passed = await probe(url=server.url("/flaky"), retries=2)
    assert passed.ok and passed.details["attempts"] == 3
    failed = await probe(url=server.url("/flaky"), retries=2)
    assert not failed.ok and failed.details["attempts"] == 3
    assert failed.error == "[STATUS] (500) < 400"


async def test_a_hung_check_does_not_hold_up_the_others(server: HttpServer) -> None:
    finished: dict[str, float] = {}
    started = time.perf_counter()

    async def timed(name: str, spec: MonitorSpec, client: ProbeClient) -> ProbeResult:
        result = await check(spec, client)
        finished[name] = time.perf_counter() - started
        return result

    async with ProbeClient() as client:
        results = await asyncio.gather(
            timed(
                "loris", monitor(url=server.url("/loris?every=0.1"), timeout_seconds=1.5), client
            ),
            *(
                timed(f"quick{i}", monitor(url=server.url("/status/200")), client)
                for i in range(30)
            ),
        )
    assert all(r.ok for r in results[1:]) and not results[0].ok
    assert finished["loris"] >= 0.8
    assert max(t for name, t in finished.items() if name != "loris") < finished["loris"] - 0.4


async def test_a_bad_condition_is_an_error_not_an_exception(server: HttpServer) -> None:
    spec = monitor(url=server.url("/status/200"), conditions=["[STATS] == 200"])
    async with ProbeClient() as client:
        result = await check(spec, client)
    assert not result.ok
    assert result.error is not None and result.error.startswith(
        "invalid monitor: unknown placeholder [STATS]"
    )
    with pytest.raises(ValueError, match=r"condition '\[STATS\] == 200': unknown placeholder"):
        validate(spec)


async def test_cancelling_a_check_cancels_it(server: HttpServer) -> None:
    async with ProbeClient() as client:
        task = asyncio.create_task(check(monitor(url=server.url("/slow?ms=3000")), client))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_client_must_be_entered() -> None:
    with pytest.raises(RuntimeError, match="async with ProbeClient"):
        _ = ProbeClient().session


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"url": "https://shop.test/", "conditions": ["[CONNECTED] == true"]},
            "http checks have no [CONNECTED]",
        ),
        (
            {"url": "http://shop.test/", "conditions": ["[CERTIFICATE_EXPIRATION] > 7d"]},
            "needs an https:// url",
        ),
        (
            {"kind": "tcp", "host": "db", "port": 5432, "conditions": ["[STATUS] == 200"]},
            "tcp checks have no [STATUS]",
        ),
        (
            {"kind": "dns", "host": "shop.test", "conditions": ["[HEADERS].X == 1"]},
            "dns checks have no [HEADERS]",
        ),
        (
            {"kind": "tls", "url": "https://shop.test/", "conditions": ["len([BODY]) > 1"]},
            "tls checks have no [BODY]",
        ),
    ],
)
def test_conditions_the_kind_cannot_observe_are_refused(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        validate(monitor(**fields))


def test_what_each_kind_observes_is_accepted() -> None:
    validate(
        monitor(
            url="https://shop.test/",
            conditions=["[CERTIFICATE_EXPIRATION] > 7d", "[IP] == 10.0.0.1"],
        )
    )
    validate(
        monitor(
            kind="tcp",
            host="db",
            port=5432,
            conditions=["[CONNECTED] == true", "[RESPONSE_TIME] < 50"],
        )
    )
    validate(
        monitor(
            kind="dns",
            host="shop.test",
            conditions=["[DNS_RCODE] == NOERROR", "[BODY] == pat(*10.*)"],
        )
    )
    validate(
        monitor(kind="tls", url="https://shop.test/", conditions=["[CERTIFICATE_EXPIRATION] > 7d"])
    )
