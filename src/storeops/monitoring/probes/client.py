"""The shared means of probing: one ProbeClient per engine process."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import dns.asyncresolver

BODY_LIMIT = (
    1_000_000  # bytes of a body read; the rest is left unread (a 1 GB page is no reason to fail)
)


@dataclass(frozen=True, slots=True)
class PeerFacts:
    ip: str | None
    certificate_not_after: float | None  # POSIX time; None over plain HTTP


# Set by a check whose conditions read [IP] or [CERTIFICATE_EXPIRATION]: the connector appends
# the facts of each connection it opens for that check (the same task, so the same context).
PEERS: ContextVar[list[PeerFacts] | None] = ContextVar("PEERS", default=None)


class _Connector(aiohttp.TCPConnector):
    """Notes the address and certificate of a connection when a check asks for them: aiohttp
    releases a connection as soon as a small body is read, so they cannot be asked later."""

    async def connect(self, req: Any, traces: Any, timeout: Any) -> aiohttp.connector.Connection:
        connection = await super().connect(req, traces, timeout)
        peers = PEERS.get()
        if peers is not None and connection.transport is not None:
            peers.append(_facts(connection.transport))
        return connection


def _facts(transport: asyncio.BaseTransport) -> PeerFacts:
    peer = transport.get_extra_info("peername")
    certificate = transport.get_extra_info("peercert")
    not_after = None
    if certificate and "notAfter" in certificate:
        not_after = ssl.cert_time_to_seconds(certificate["notAfter"])
    return PeerFacts(str(peer[0]) if peer else None, not_after)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ProbeClient:
    """The HTTP session, TLS contexts and DNS resolvers every check shares.

    Connections are not kept alive between checks (`force_close`): each check opens a fresh one
    and so measures what a new visitor gets (DNS, connect, TLS, first byte), like Prometheus'
    blackbox_exporter. Plain checks keep no cookies; a journey gets a session with its own jar.
    `ca_file` adds certificate authorities to the system's (a private CA, tests); `clock` gives
    the time certificates are judged against.
    """

    def __init__(
        self,
        *,
        ca_file: str | Path | None = None,
        body_limit: int = BODY_LIMIT,
        user_agent: str = "storeops-probe/1",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.body_limit = body_limit
        self.clock = clock
        self.verifying = ssl.create_default_context()
        if ca_file is not None:
            self.verifying.load_verify_locations(cafile=str(ca_file))
        # Reads a certificate whatever it is (expired, self-signed) so it can be described.
        self.trusting = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no trust store to load
        self.trusting.check_hostname = False
        self.trusting.verify_mode = ssl.CERT_NONE
        self._headers = {"User-Agent": user_agent}
        self._session: aiohttp.ClientSession | None = None
        self._resolvers: dict[str | None, dns.asyncresolver.Resolver] = {}

    async def __aenter__(self) -> ProbeClient:
        connector = _Connector(force_close=True, limit=0, ssl=self.verifying)
        self._session = self._new_session(connector, aiohttp.DummyCookieJar(), owner=True)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use the ProbeClient as `async with ProbeClient() as client`")
        return self._session

    def journey_session(self) -> aiohttp.ClientSession:
        """A session on the shared connector with a fresh cookie jar (IP hosts included)."""
        return self._new_session(
            self.session.connector, aiohttp.CookieJar(unsafe=True), owner=False
        )

    def _new_session(
        self,
        connector: aiohttp.BaseConnector | None,
        jar: aiohttp.abc.AbstractCookieJar,
        *,
        owner: bool,
    ) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=connector,
            connector_owner=owner,
            cookie_jar=jar,
            headers=self._headers,
            # The check's own deadline (asyncio.timeout) is the only one.
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None),
        )

    def resolver(self, nameserver: str | None) -> dns.asyncresolver.Resolver:
        """The system's resolver, or one asking `nameserver` ("10.0.0.53", "127.0.0.1:5353",
        "[::1]:53"); built once each."""
        resolver = self._resolvers.get(nameserver)
        if resolver is None:
            if nameserver is None:
                resolver = dns.asyncresolver.Resolver()
            else:
                host, port = split_host_port(nameserver, 53)
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = [host]
                resolver.port = port
            resolver.cache = None  # every check asks the server
            self._resolvers[nameserver] = resolver
        return resolver


def split_host_port(text: str, default_port: int) -> tuple[str, int]:
    """ "127.0.0.1:5353" -> ("127.0.0.1", 5353); "[::1]:53" -> ("::1", 53); "::1" -> ("::1", 53)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port
