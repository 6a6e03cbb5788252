"""tls monitors: the server certificate, whether it is trusted, and how long it has left."""

from __future__ import annotations

import asyncio
import ssl
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from storeops.monitoring.conditions import ProbeContext, compile_conditions
from storeops.monitoring.probes.client import ProbeClient
from storeops.monitoring.probes.result import (
    ProbeError,
    ProbeResult,
    Progress,
    certificate_problem,
    describe_error,
    failed_text,
    judge,
    one_line,
)
from storeops.monitoring.spec import MonitorSpec


async def probe_tls(spec: MonitorSpec, client: ProbeClient, progress: Progress) -> ProbeResult:
    """Handshakes with verification (chain to the trust store, host name); when that fails,
    handshakes again without, to describe the certificate all the same. An untrusted
    certificate fails the check whatever the conditions say."""
    url = urlsplit(spec.url or "")
    host, port = url.hostname or "", url.port or 443
    compiled = compile_conditions(tuple(spec.effective_conditions()))
    started = perf_counter()
    problem = None
    progress.stage = "during the TLS handshake"
    try:
        der, peer = await _handshake(host, port, client.verifying)
    except ssl.SSLCertVerificationError as exc:
        problem = certificate_problem(exc)
        der, peer = await _handshake(host, port, client.trusting)
    elapsed_ms = (perf_counter() - started) * 1000
    certificate = x509.load_der_x509_certificate(der)
    left = certificate.not_valid_after_utc - client.clock()
    ctx = ProbeContext(
        response_time_ms=elapsed_ms,
        certificate_expiration_ms=left.total_seconds() * 1000,
        connected=True,
        ip=peer,
    )
    outcomes = judge(compiled.conditions, ctx)
    details: dict[str, Any] = {
        "verified": problem is None,
        "certificate_days_left": round(left.total_seconds() / 86_400, 2),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "conditions": [o.as_dict() for o in outcomes],
    }
    if problem is not None:
        details["verify_error"] = problem
    error = one_line(f"certificate not trusted: {problem}") if problem else failed_text(outcomes)
    return ProbeResult(error is None, elapsed_ms, None, error, details)


async def _handshake(host: str, port: int, context: ssl.SSLContext) -> tuple[bytes, str | None]:
    """The server's certificate (DER) and address, from one TLS handshake."""
    try:
        _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    except ssl.SSLError:
        raise
    except OSError as exc:
        raise ProbeError(f"cannot connect to {host}:{port}: {describe_error(exc)}") from exc
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        peer = writer.get_extra_info("peername")
    finally:
        writer.transport.abort()  # no close_notify dance: the answer is in
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return der, str(peer[0]) if peer else None
