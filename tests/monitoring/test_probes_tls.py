"""tls probes (and certificate conditions of https checks) against HTTPS servers on 127.0.0.1
with trustme certificates: valid, expiring in two days, expired, from an unknown CA, for another
host name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from storeops.monitoring.probes import ProbeClient, ProbeResult, check
from storeops.monitoring.spec import MonitorSpec
from tests.monitoring.servers import HttpServer, closed_port, issue

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pki") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def servers(ca: trustme.CA) -> Iterator[dict[str, HttpServer]]:
    certificates = {
        "valid": issue(ca, days=90),
        "expiring": issue(ca, days=2),
        "expired": issue(ca, days=-3),
        "untrusted": issue(trustme.CA(), days=90),
        "other-host": issue(ca, "shop.example", days=90),
    }
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(HttpServer(tls=cert)) for name, cert in certificates.items()
        }


def tls_monitor(url: str, **fields: Any) -> MonitorSpec:
    return MonitorSpec(name="cert", kind="tls", service="web", url=url, timeout_seconds=1, **fields)


async def probe(spec: MonitorSpec, ca_file: Path | None, **client: Any) -> ProbeResult:
    async with ProbeClient(ca_file=ca_file, **client) as probes:
        return await check(spec, probes)


async def test_a_valid_certificate(servers: dict[str, HttpServer], ca_file: Path) -> None:
    result = await probe(tls_monitor(servers["valid"].url()), ca_file)
    assert result.ok, result.error
    details = result.details
    assert details["verified"] is True and "verify_error" not in details
    assert 89.9 < details["certificate_days_left"] <= 90
    assert details["subject"].startswith("OU=Testing cert") and details["issuer"].startswith(
        "OU=Testing CA"
    )
    assert datetime.fromisoformat(details["not_after"]) > datetime.now(UTC) + timedelta(days=89)
    assert details["conditions"][0]["condition"] == "[CERTIFICATE_EXPIRATION] > 168h"


async def test_a_certificate_expiring_soon_fails_the_default_condition(
    servers: dict[str, HttpServer], ca_file: Path
) -> None:
    url = servers["expiring"].url()
    result = await probe(tls_monitor(url), ca_file)
    assert not result.ok and result.details["verified"] is True
    assert result.error is not None and result.error.startswith("[CERTIFICATE_EXPIRATION] (1d23h")
    assert result.error.endswith(") > 168h")
    assert 1.9 < result.details["certificate_days_left"] <= 2
    assert (
        await probe(tls_monitor(url, conditions=["[CERTIFICATE_EXPIRATION] > 24h"]), ca_file)
    ).ok


async def test_days_left_are_counted_from_the_clients_clock(
    servers: dict[str, HttpServer], ca_file: Path
) -> None:
    later = datetime.now(UTC) + timedelta(days=85)
    result = await probe(tls_monitor(servers["valid"].url()), ca_file, clock=lambda: later)
    assert 4.9 < result.details["certificate_days_left"] <= 5
    assert result.error is not None and result.error.startswith("[CERTIFICATE_EXPIRATION] (4d23h")


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        ("expired", "certificate has expired"),
        ("untrusted", "unable to get local issuer certificate"),
        ("other-host", "IP address mismatch, certificate is not valid for '127.0.0.1'."),
    ],
)
async def test_an_untrusted_certificate_fails_and_is_still_described(
    servers: dict[str, HttpServer], ca_file: Path, server: str, reason: str
) -> None:
    result = await probe(
        tls_monitor(servers[server].url(), conditions=["[CERTIFICATE_EXPIRATION] > -30d"]), ca_file
    )
    assert not result.ok
    assert result.error == f"certificate not trusted: {reason}"
    assert result.details["verified"] is False and result.details["verify_error"] == reason
    assert result.details["conditions"][0]["ok"] is True  # the conditions alone would pass
    assert "subject" in result.details and "not_after" in result.details
    if server == "expired":
        assert -3.01 < result.details["certificate_days_left"] < -2.99


async def test_without_the_ca_file_the_private_ca_is_untrusted(
    servers: dict[str, HttpServer],
) -> None:
    result = await probe(tls_monitor(servers["valid"].url()), None)
    assert result.error == "certificate not trusted: unable to get local issuer certificate"


async def test_https_checks_read_the_certificate_too(
    servers: dict[str, HttpServer], ca_file: Path
) -> None:
    def https(server: str) -> MonitorSpec:
        return MonitorSpec(
            name="home",
            kind="http",
            service="web",
            url=servers[server].url("/status/200"),
            timeout_seconds=1,
            conditions=["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 72h"],
        )

    assert (await probe(https("valid"), ca_file)).ok
    soon = await probe(https("expiring"), ca_file)
    assert soon.status_code == 200
    assert soon.error is not None and soon.error.startswith("[CERTIFICATE_EXPIRATION] (1d23h")
    untrusted = await probe(https("untrusted"), ca_file)
    assert untrusted.error == "certificate not trusted: unable to get local issuer certificate"
    plain = await probe(
        https("valid").model_copy(
            update={"url": servers["valid"].url("/").replace("https", "http")}
        ),
        ca_file,
    )
    assert not plain.ok  # TLS server spoken to in plain HTTP: an error, not an exception


async def test_nothing_listening_or_no_tls(ca_file: Path) -> None:
    port = closed_port()
    refused = await probe(tls_monitor(f"https://127.0.0.1:{port}/"), ca_file)
    assert refused.error == f"cannot connect to 127.0.0.1:{port}: connection refused"

    async def speak_plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    plain = await asyncio.start_server(speak_plain_http, "127.0.0.1", 0)
    async with plain:
        port = plain.sockets[0].getsockname()[1]
        result = await probe(tls_monitor(f"https://127.0.0.1:{port}/"), ca_file)
        https = await probe(
            MonitorSpec(name="home", kind="http", service="web", url=f"https://127.0.0.1:{port}/"),
            ca_file,
        )
    assert result.error == https.error == "TLS handshake failed: wrong version number"
