"""Real servers on 127.0.0.1 for tests that probe something: HTTP (well- and badly behaved),
HTTPS with trustme certificates, DNS over UDP, and a port nobody listens on.

Each server runs its own event loop on a daemon thread, so it keeps answering (or trickling
bytes) whatever the test does: block in a CLI call, run its own event loop, or sleep. Use them as
context managers, typically from a module-scoped fixture:

    with HttpServer() as server:
        server.url("/status/500")            # http://127.0.0.1:PORT/status/500
        server.route("/cart", handler)       # async handler(request) -> Response
        server.requests[-1].headers["x-a"]   # what the server received
        server.connections                   # connections accepted so far

    ca = trustme.CA(); cert = issue(ca, days=2)
    with HttpServer(tls=cert) as server: ...  # https://127.0.0.1:PORT, served with `cert`

    with DnsServer({"shop.test": {"A": ["10.0.0.1"]}}, silent={"slow.test"}) as dns:
        dns.nameserver                       # "127.0.0.1:PORT"

    closed_port()                            # connecting is refused
    with hanging_port() as port: ...         # connecting hangs (for connect timeouts)

Built-in routes of HttpServer (every response has Content-Length unless said otherwise):
    /status/CODE            that status, body "status CODE"
    /text                   200 text/html, body `server.text`
    /json                   200 application/json, body `json.dumps(server.json)`
    /echo                   200 JSON: method, path, query, headers (lower-case), body, cookies
    /redirect?to=PATH       302 to PATH (default /status/200)
    /redirect-loop          302 to itself, for ever
    /slow?ms=N              answers 200 after N ms (default 2000)
    /loris?every=S          200 with Content-Length 10000, then one byte every S s (default 1)
    /loris-headers?every=S  the status line, then the headers one byte every S s
    /reset                  reads the request, then resets the connection (RST)
    /close                  reads the request, then closes without answering
    /garbage                answers bytes that are not HTTP
    /huge?mb=N              200 with an N MB body (default 50), streamed
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.cookies import SimpleCookie
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import trustme


class LoopbackServer:
    """An asyncio server on its own thread and loop; subclasses implement `_start` and `_stop`."""

    host = "127.0.0.1"
    port: int

    def __enter__(self) -> Any:
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(_quiet_about_clients)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.call(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Runs a coroutine on the server's loop and returns its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError


def _quiet_about_clients(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Probes abort handshakes and connections on purpose; that is not a server bug.
    if isinstance(context.get("exception"), ssl.SSLError | ConnectionError):
        return
    loop.default_exception_handler(context)


# -- HTTP -----------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    cookies: dict[str, str]
    writer: asyncio.StreamWriter = field(repr=False)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/html") -> Response:
        return cls(status, text.encode(), [("Content-Type", f"{content_type}; charset=utf-8")])

    @classmethod
    def json(cls, document: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(document).encode(), [("Content-Type", "application/json")])


# A handler answers with a Response, or returns None after writing (or not) on request.writer.
Handler = Callable[[Request], Awaitable[Response | None]]


class HttpServer(LoopbackServer):
    """HTTP/1.1 (keep-alive when the client wants it), or HTTPS when given a trustme cert."""

    def __init__(self, *, tls: trustme.LeafCert | None = None) -> None:
        self.tls = tls
        self.text = "<html><body>In stock</body></html>"
        self.json: Any = {"items": [{"sku": "A1", "stock": 3}], "status": "ok"}
        self.requests: list[Request] = []
        self.connections = 0  # accepted so far
        self._connections: set[asyncio.Task[None]] = set()
        self.routes: dict[str, Handler] = {
            "/text": self._text,
            "/json": self._json,
            "/echo": self._echo,
            "/redirect": self._redirect,
            "/redirect-loop": self._redirect_loop,
            "/slow": self._slow,
            "/loris": self._loris,
            "/loris-headers": self._loris_headers,
            "/reset": self._reset,
            "/close": self._close,
            "/garbage": self._garbage,
            "/huge": self._huge,
        }

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    async def _start(self) -> None:
        context = None
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.configure_cert(context)
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._server.close()
        # Trickling handlers would run for ever: stop them with their connections.
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.connections += 1
        try:
            while True:
                request = await _read_request(reader, writer)
                if request is None:
                    return
                self.requests.append(request)
                response = await self._answer(request)
                if response is None:
                    return
                writer.write(_encode(response))
                await writer.drain()
                if request.headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:
            return  # stopped by _stop; ending quietly spares Python 3.11 a spurious traceback
        finally:
            self._connections.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _answer(self, request: Request) -> Response | None:
        if request.path.startswith("/status/"):
            code = int(request.path.rsplit("/", 1)[1])
            return Response.text(f"status {code}", code, "text/plain")
        handler = self.routes.get(request.path)
        if handler is None:
            return Response.text("not found", 404, "text/plain")
        try:
            return await handler(request)
        except Exception as exc:  # a broken test handler shows as a 500 naming the error
            return Response.text(f"handler failed: {exc!r}", 500, "text/plain")

    async def _text(self, request: Request) -> Response:
        return Response.text(self.text)

    async def _json(self, request: Request) -> Response:
        return Response.json(self.json)

    async def _echo(self, request: Request) -> Response:
        return Response.json(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "headers": request.headers,
                "body": request.body.decode(errors="replace"),
                "cookies": request.cookies,
            }
        )

    async def _redirect(self, request: Request) -> Response:
        return Response(302, b"", [("Location", request.query.get("to", "/status/200"))])

    async def _redirect_loop(self, request: Request) -> Response:
        return Response(302, b"", [("Location", "/redirect-loop")])

    async def _slow(self, request: Request) -> Response:
        await asyncio.sleep(float(request.query.get("ms", 2000)) / 1000)
        return Response.text("slow", content_type="text/plain")

    async def _loris(self, request: Request) -> None:
        every = float(request.query.get("every", 1))
        writer = request.writer
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\nContent-Type: text/plain\r\n\r\n"
        )
        for _ in range(10000):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(every)

    async def _loris_headers(self, request: Request) -> None:
        every = float(request.query.get("every", 1))
        writer = request.writer
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Slow: " + b"a" * 5000 + b"\r\nContent-Length: 0\r\n\r\n":
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)

    async def _reset(self, request: Request) -> None:
        sock = request.writer.get_extra_info("socket")
        # SO_LINGER on, 0 s: close() sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.writer.transport.abort()

    async def _close(self, request: Request) -> None:
        request.writer.close()

    async def _garbage(self, request: Request) -> None:
        request.writer.write(b"THIS IS NOT HTTP\r\n\r\n")
        await request.writer.drain()
        request.writer.close()

    async def _huge(self, request: Request) -> None:
        size = int(float(request.query.get("mb", 50)) * 1_000_000)
        writer = request.writer
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b"y" * 65_536
        sent = 0
        while sent < size:
            writer.write(chunk[: size - sent])
            sent += len(chunk)
            await writer.drain()


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection between requests
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    parts = urlsplit(target)
    cookies = SimpleCookie(headers.get("cookie", ""))
    return Request(
        method,
        parts.path,
        dict(parse_qsl(parts.query)),
        headers,
        body,
        {name: morsel.value for name, morsel in cookies.items()},
        writer,
    )


def _encode(response: Response) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    head = [f"HTTP/1.1 {response.status} {reason}", f"Content-Length: {len(response.body)}"]
    head += [f"{name}: {value}" for name, value in response.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body


# -- TLS certificates -----------------------------------------------------------------------------


def issue(
    ca: trustme.CA,
    *names: str,
    days: float = 90,
    now: datetime | None = None,
) -> trustme.LeafCert:
    """A certificate from `ca` for `names` (default 127.0.0.1 and localhost) expiring in `days`
    (negative: expired that long ago)."""
    now = now or datetime.now(UTC)
    not_after = now + timedelta(days=days)
    not_before = min(now, not_after) - timedelta(days=30)
    return ca.issue_cert(
        *(names or ("127.0.0.1", "localhost")), not_before=not_before, not_after=not_after
    )


# -- DNS ------------------------------------------------------------------------------------------


class DnsServer(LoopbackServer):
    """Answers UDP queries from `records` ({"shop.test": {"A": ["10.0.0.1"], "MX": [...]}}):
    known name and type -> the answers; known name, other type -> NOERROR with no answer;
    unknown name -> NXDOMAIN. Names in `silent` never get an answer (timeouts); names in
    `rcodes` get that rcode ({"broken.test": "SERVFAIL"})."""

    def __init__(
        self,
        records: dict[str, dict[str, list[str]]],
        *,
        silent: set[str] | frozenset[str] = frozenset(),
        rcodes: dict[str, str] | None = None,
    ) -> None:
        self.records = {_dns_key(n): answers for n, answers in records.items()}
        self.silent = {_dns_key(n) for n in silent}
        self.rcodes = {_dns_key(n): code for n, code in (rcodes or {}).items()}
        self.queries: list[tuple[str, str]] = []

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    async def _start(self) -> None:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _DnsProtocol(self), local_addr=(self.host, 0)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    async def _stop(self) -> None:
        self._transport.close()

    def answer(self, wire: bytes) -> bytes | None:
        query = dns.message.from_wire(wire)
        question = query.question[0]
        name = _dns_key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if name in self.silent:
            return None
        response = dns.message.make_response(query)
        if name in self.rcodes:
            response.set_rcode(dns.rcode.from_text(self.rcodes[name]))
        elif name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif self.records[name].get(rdtype):
            response.answer.append(
                dns.rrset.from_text_list(
                    question.name,
                    60,
                    dns.rdataclass.IN,
                    question.rdtype,
                    self.records[name][rdtype],
                )
            )
        return response.to_wire()


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = self.server.answer(data)
        if answer is not None:
            self.transport.sendto(answer, addr)


def _dns_key(name: str) -> str:
    return name.lower().rstrip(".")


# -- ports ----------------------------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def hanging_port(fill: int = 3) -> Iterator[int]:
    """A loopback port where connecting hangs: it listens but never accepts, and its accept
    queue is full, so Linux drops further connection requests (a firewall that drops, not
    refuses)."""
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        for _ in range(fill):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(filler)
        time.sleep(0.05)  # the handshakes complete and fill the queue
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
