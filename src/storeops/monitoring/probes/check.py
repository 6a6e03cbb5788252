"""check(spec, client): one check of a monitor, retried at once, that never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from time import perf_counter

from storeops.monitoring.conditions import ConditionError, compile_conditions
from storeops.monitoring.probes.client import ProbeClient
from storeops.monitoring.probes.dns import probe_dns
from storeops.monitoring.probes.http import probe_http
from storeops.monitoring.probes.journey import probe_journey, validate_step, variables_of
from storeops.monitoring.probes.result import ProbeResult, Progress, describe_error, one_line
from storeops.monitoring.probes.tcp import probe_tcp
from storeops.monitoring.probes.tls import probe_tls
from storeops.monitoring.spec import Kind, MonitorSpec

Probe = Callable[[MonitorSpec, ProbeClient, Progress], Awaitable[ProbeResult]]

PROBES: dict[Kind, Probe] = {
    Kind.http: probe_http,
    Kind.keyword: probe_http,
    Kind.json: probe_http,
    Kind.tls: probe_tls,
    Kind.tcp: probe_tcp,
    Kind.dns: probe_dns,
    Kind.journey: probe_journey,
}


async def check(spec: MonitorSpec, client: ProbeClient) -> ProbeResult:
    """Runs the monitor's probe, each attempt within spec.timeout_seconds, attempting again at
    once (up to spec.retries times) while it fails; the result is the last attempt's, with
    details["attempts"]. So a check lasts at most timeout_seconds * (retries + 1). Never raises,
    except when cancelled."""
    attempts = spec.retries + 1
    for attempt in range(1, attempts + 1):
        result = await _attempt(spec, client)
        if result.ok or attempt == attempts:
            break
    result.details["attempts"] = attempt
    return result


async def _attempt(spec: MonitorSpec, client: ProbeClient) -> ProbeResult:
    progress = Progress()
    started = perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            return await PROBES[spec.kind](spec, client, progress)
    except TimeoutError:
        error = f"timed out after {spec.timeout_seconds:g} s {progress.where()}"
    except ConditionError as exc:  # specs should be validated (validate) when declared
        error = f"invalid monitor: {exc}"
    except Exception as exc:
        error = describe_error(exc)
    details = progress.details
    if progress.step is not None:
        details["failed_step"] = progress.step
    return ProbeResult(
        ok=False,
        duration_ms=(perf_counter() - started) * 1000,
        status_code=progress.status_code,
        error=one_line(error),
        details=details,
    )


_HTTP = frozenset({"STATUS", "RESPONSE_TIME", "BODY", "HEADERS", "IP", "CERTIFICATE_EXPIRATION"})
# The placeholders each kind observes (journey: its own conditions; steps are http requests).
OBSERVES: dict[Kind, frozenset[str]] = {
    Kind.http: _HTTP,
    Kind.keyword: _HTTP,
    Kind.json: _HTTP,
    Kind.tls: frozenset({"CERTIFICATE_EXPIRATION", "RESPONSE_TIME", "IP", "CONNECTED"}),
    Kind.tcp: frozenset({"CONNECTED", "RESPONSE_TIME", "IP"}),
    Kind.dns: frozenset({"DNS_RCODE", "IP", "BODY", "RESPONSE_TIME"}),
    Kind.journey: frozenset({"STATUS", "RESPONSE_TIME", "BODY", "HEADERS"}),
}


def validate(spec: MonitorSpec) -> None:
    """Raises ValueError naming the first condition, extraction or journey variable that cannot
    work (it does not parse, or reads what the kind never observes), so a bad monitor is refused
    when it is declared rather than failing every check."""
    plain_http = (spec.url or "").startswith("http://")
    for text in spec.conditions:
        _observable(text, f"{spec.kind} checks", OBSERVES[spec.kind], plain_http)
    known: set[str] = set()
    for step in spec.steps:
        try:
            validate_step(step)
            for text in step.conditions:
                _observable(text, "journey steps", _HTTP, step.url.startswith("http://"))
        except ValueError as exc:
            raise ValueError(f"step {step.name!r}: {exc}") from None
        unknown = variables_of(step) - known
        if unknown:
            names = ", ".join(f"{{{n}}}" for n in sorted(unknown))
            raise ValueError(f"step {step.name!r} uses {names}, which no earlier step extracts")
        known |= set(step.extract)


def _observable(text: str, checks: str, observed: frozenset[str], plain_http: bool) -> None:
    try:
        placeholders = compile_conditions((text,)).placeholders
    except ValueError as exc:
        raise ValueError(f"condition {text!r}: {exc}") from None
    unseen = sorted(placeholders - observed)
    if unseen:
        raise ValueError(f"condition {text!r}: {checks} have no [{unseen[0]}]")
    if plain_http and "CERTIFICATE_EXPIRATION" in placeholders:
        raise ValueError(f"condition {text!r}: [CERTIFICATE_EXPIRATION] needs an https:// url")
