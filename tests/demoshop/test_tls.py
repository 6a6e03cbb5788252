"""HTTPS from a CA made at start, with a certificate that expires when asked."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from cryptography import x509

from storeops.demoshop.runner import BackgroundShop
from storeops.demoshop.server import ShopConfig
from storeops.demoshop.tls import write_certificates
from tests.demoshop.conftest import TOKEN, run


def _peer_not_after(url: str, context: ssl.SSLContext) -> float:
    """Seconds since the epoch at which the certificate the server presents expires."""
    host, port = url.removeprefix("https://").rstrip("/").rsplit(":", 1)

    async def main() -> float:
        reader, writer = await asyncio.open_connection(host, int(port), ssl=context)
        cert = writer.get_extra_info("peercert")
        writer.close()
        await writer.wait_closed()
        return ssl.cert_time_to_seconds(cert["notAfter"])

    return asyncio.run(main())


def test_certificates_expire_when_asked_and_chain_to_the_ca(tmp_path):
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    files = write_certificates(tmp_path, hosts=["127.0.0.1", "localhost"], days=3, now=now)
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
    assert cert.not_valid_after_utc == now + timedelta(days=3)
    assert cert.not_valid_before_utc < now
    assert cert.issuer == ca.subject and ca.subject == ca.issuer
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert oct(files.key_file.stat().st_mode & 0o777) == "0o600"


def test_an_expired_certificate_can_be_asked_for(tmp_path):
    now = datetime(2025, 3, 1, tzinfo=UTC)
    files = write_certificates(tmp_path, hosts=["127.0.0.1"], days=-2, now=now)
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    assert cert.not_valid_after_utc == now - timedelta(days=2)
    assert cert.not_valid_before_utc < cert.not_valid_after_utc


def test_https_with_a_near_expiry_certificate_beside_http():
    config = ShopConfig(http_port=0, https_port=0, cert_days=3, admin_token=TOKEN)
    with BackgroundShop(config) as shop:
        assert shop.url.startswith("http://") and shop.https_url.startswith("https://")
        assert shop.ca_file.exists()
        trusted = ssl.create_default_context(cafile=str(shop.ca_file))
        days_left = (_peer_not_after(shop.https_url, trusted) - time.time()) / 86400
        assert days_left == pytest.approx(3, abs=0.01)

        async def fetch(session, url):
            async with session.get(url + "products/linen-shirt") as r:
                return r.status, "In stock" in await r.text()

        assert run(lambda s: fetch(s, shop.https_url), ssl=trusted) == (200, True)
        assert run(lambda s: fetch(s, shop.url)) == (200, True)

        async def untrusted(session):
            try:
                await fetch(session, shop.https_url)
            except aiohttp.ClientConnectorCertificateError:
                return "refused"

        assert run(untrusted) == "refused"  # the system's CAs do not know the shop's
        tls_dir = shop.ca_file.parent
    assert not tls_dir.exists()  # the certificates go with the shop
