"""tcp probes against open, closed and hanging loopback ports; dns probes against a real UDP DNS
server on 127.0.0.1 (answers, NXDOMAIN, no data, SERVFAIL, and silence)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from storeops.monitoring.probes import ProbeClient, ProbeResult, check
from storeops.monitoring.probes.client import split_host_port
from storeops.monitoring.spec import MonitorSpec
from tests.monitoring.servers import DnsServer, HttpServer, closed_port, hanging_port

pytestmark = pytest.mark.anyio


async def probe(**fields: Any) -> ProbeResult:
    spec = MonitorSpec(**{"name": "probe", "service": "web", "timeout_seconds": 1, **fields})
    async with ProbeClient() as client:
        return await check(spec, client)


# -- tcp ------------------------------------------------------------------------------------------


async def test_an_open_port() -> None:
    with HttpServer() as server:
        before = server.connections
        result = await probe(kind="tcp", host="127.0.0.1", port=server.port)
        assert result.ok, result.error
        assert result.details["conditions"] == [
            {"condition": "[CONNECTED] == true", "ok": True, "actual": "true"}
        ]
        assert 0 < result.duration_ms < 1000
        # The server counts the connection on its own thread, maybe just after the probe is done.
        for _ in range(200):
            if server.connections > before:
                break
            await asyncio.sleep(0.01)
        assert server.connections == before + 1
        timed = await probe(
            kind="tcp",
            host="localhost",
            port=server.port,
            conditions=["[CONNECTED] == true", "[RESPONSE_TIME] < 500", "[IP] == 127.0.0.1"],
        )
        assert timed.ok, timed.error


async def test_a_closed_port_is_refused() -> None:
    port = closed_port()
    result = await probe(kind="tcp", host="127.0.0.1", port=port)
    assert not result.ok
    assert result.error == f"cannot connect to 127.0.0.1:{port}: connection refused"
    assert result.details["conditions"][0]["actual"] == "false"
    # Watching that a port stays closed is a condition like any other.
    assert (
        await probe(kind="tcp", host="127.0.0.1", port=port, conditions=["[CONNECTED] == false"])
    ).ok


async def test_a_connection_that_hangs_times_out() -> None:
    with hanging_port() as port:
        result = await probe(kind="tcp", host="127.0.0.1", port=port, timeout_seconds=0.3)
    assert result.error == f"timed out after 0.3 s connecting to 127.0.0.1:{port}"
    assert 290 < result.duration_ms < 1000


# -- dns ------------------------------------------------------------------------------------------

RECORDS = {
    "shop.test": {
        "A": ["10.0.0.2", "10.0.0.1"],
        "MX": ["10 mail.shop.test."],
        "TXT": ['"v=spf1 -all"'],
    },
    "www.shop.test": {"CNAME": ["shop.test."]},
}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(
        RECORDS, silent={"slow.shop.test"}, rcodes={"broken.shop.test": "SERVFAIL"}
    ) as server:
        yield server


async def test_answers_and_placeholders(dns_server: DnsServer) -> None:
    result = await probe(
        kind="dns",
        host="shop.test",
        nameserver=dns_server.nameserver,
        conditions=[
            "[DNS_RCODE] == NOERROR",
            "[IP] == 10.0.0.1",
            '[BODY] == "10.0.0.1 10.0.0.2"',
            "[BODY] == pat(*10.0.0.2*)",
            "[RESPONSE_TIME] < 900",
        ],
    )
    assert result.ok, result.error
    assert result.details["rcode"] == "NOERROR"
    assert result.details["answers"] == ["10.0.0.1", "10.0.0.2"]  # sorted: round robin is noise
    assert ("shop.test", "A") in dns_server.queries


@pytest.mark.parametrize(
    ("record_type", "host", "answers"),
    [
        ("MX", "shop.test", ["10 mail.shop.test."]),
        ("TXT", "shop.test", ["v=spf1 -all"]),
        ("CNAME", "www.shop.test", ["shop.test."]),
    ],
)
async def test_other_record_types(
    dns_server: DnsServer, record_type: str, host: str, answers: list[str]
) -> None:
    result = await probe(
        kind="dns", host=host, record_type=record_type, nameserver=dns_server.nameserver
    )
    assert result.ok, result.error
    assert result.details["answers"] == answers
    ip = await probe(
        kind="dns",
        host=host,
        record_type=record_type,
        nameserver=dns_server.nameserver,
        conditions=["[IP] == 10.0.0.1"],
    )
    assert ip.error == "[IP] (no address) == 10.0.0.1"  # only A and AAAA answers are addresses


async def test_an_unknown_name_is_nxdomain(dns_server: DnsServer) -> None:
    result = await probe(kind="dns", host="gone.shop.test", nameserver=dns_server.nameserver)
    assert not result.ok
    assert result.error == "[DNS_RCODE] (NXDOMAIN) == NOERROR"
    assert result.details["answers"] == []
    expected_gone = await probe(
        kind="dns",
        host="gone.shop.test",
        nameserver=dns_server.nameserver,
        conditions=["[DNS_RCODE] == NXDOMAIN"],
    )
    assert expected_gone.ok


async def test_a_name_without_that_record_type(dns_server: DnsServer) -> None:
    result = await probe(
        kind="dns",
        host="shop.test",
        record_type="AAAA",
        nameserver=dns_server.nameserver,
        conditions=["[DNS_RCODE] == NOERROR", "len([BODY]) > 0"],
    )
    assert result.error == "len([BODY]) (0) > 0"
    assert result.details["answers"] == []


async def test_a_failing_server_gives_its_rcode(dns_server: DnsServer) -> None:
    result = await probe(kind="dns", host="broken.shop.test", nameserver=dns_server.nameserver)
    assert result.error == "[DNS_RCODE] (SERVFAIL) == NOERROR"


async def test_a_silent_server_times_out(dns_server: DnsServer) -> None:
    result = await probe(
        kind="dns", host="slow.shop.test", nameserver=dns_server.nameserver, timeout_seconds=0.3
    )
    assert result.error == f"timed out after 0.3 s waiting for {dns_server.nameserver}"
    assert 290 < result.duration_ms < 1000


async def test_retries_ask_again(dns_server: DnsServer) -> None:
    before = dns_server.queries.count(("slow.shop.test", "A"))
    result = await probe(
        kind="dns",
        host="slow.shop.test",
        nameserver=dns_server.nameserver,
        timeout_seconds=0.2,
        retries=1,
    )
    assert not result.ok and result.details["attempts"] == 2
    assert dns_server.queries.count(("slow.shop.test", "A")) - before >= 2


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("10.0.0.53", "10.0.0.53", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[::1]:5353", "::1", 5353),
        ("[::1]", "::1", 53),
        ("::1", "::1", 53),
    ],
)
def test_nameserver_forms(text: str, host: str, port: int) -> None:
    assert split_host_port(text, 53) == (host, port)
