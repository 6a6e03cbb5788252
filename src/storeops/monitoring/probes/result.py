"""What a check reports, and the one-line error texts of what can go wrong."""

from __future__ import annotations

import errno
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from storeops.core.redact import redact_urls
from storeops.monitoring.conditions import Condition, ConditionOutcome, ProbeContext
from storeops.monitoring.redaction import redact_url

ERROR_MAX = 300  # characters: an error is one short line


@dataclass(slots=True)
class ProbeResult:
    ok: bool
    duration_ms: float
    status_code: int | None = None
    error: str | None = None  # one short line, no secrets
    # JSON-able: "conditions", "steps" (journeys), "certificate_days_left", "attempts"...
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Progress:
    """How far a check got, so a timeout can say where it struck and keep what was learnt."""

    stage: str = "connecting"
    step: str | None = None  # the journey step running
    status_code: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return f"in step {self.step!r} {self.stage}" if self.step else self.stage


class ProbeError(Exception):
    """A failure already put in words (one line)."""


def judge(conditions: Iterable[Condition], ctx: ProbeContext) -> list[ConditionOutcome]:
    return [condition.evaluate(ctx) for condition in conditions]


def failed_text(outcomes: list[ConditionOutcome]) -> str | None:
    """`[STATUS] (500) == 200; [RESPONSE_TIME] (912) < 800`, or None when all passed."""
    failed = [o.display for o in outcomes if not o.ok]
    return one_line("; ".join(failed)) if failed else None


def one_line(text: str) -> str:
    text = redact_urls(" ".join(text.split()))
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def describe_error(exc: BaseException) -> str:
    """One line naming what went wrong, without the URL's credentials."""
    return one_line(_describe(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ProbeError):
        return str(exc)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"certificate not trusted: {certificate_problem(exc.certificate_error)}"
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return f"TLS handshake failed: {_ssl_reason(exc.os_error)}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {_ssl_reason(exc)}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}: {_os_reason(exc.os_error)}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without a complete response"
    if isinstance(exc, aiohttp.TooManyRedirects):
        return f"too many redirects ({len(exc.history)})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"invalid HTTP response: {exc.message}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"the response body was cut off: {_root(exc)}"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid URL: {redact_url(str(exc.url))}"  # its query may hold a token
    if isinstance(exc, OSError):
        return _os_reason(exc)
    return f"{type(exc).__name__}: {exc}"


def certificate_problem(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return str(exc.verify_message)
    return _ssl_reason(exc)


def _ssl_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None)
    return str(reason or exc).replace("_", " ").lower()


def _os_reason(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
        return "connection reset by the server"
    if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
        return "connection refused"
    strerror = getattr(exc, "strerror", None)
    return str(strerror or exc or type(exc).__name__)


def _root(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__
