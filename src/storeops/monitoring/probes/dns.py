"""dns monitors: the rcode and answers for a name and record type.

Placeholders: [DNS_RCODE] (NOERROR, NXDOMAIN, SERVFAIL...), [IP] (the first A/AAAA answer),
[BODY] (every answer as text, sorted and joined by a space, so a round-robin order does not
change it: `[BODY] == pat(*10.0.0.1*)`), [RESPONSE_TIME]. The answers are also listed in
details["answers"].
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver

from storeops.monitoring.conditions import ProbeContext, compile_conditions
from storeops.monitoring.probes.client import ProbeClient
from storeops.monitoring.probes.result import ProbeResult, Progress, failed_text, judge
from storeops.monitoring.spec import MonitorSpec


async def probe_dns(spec: MonitorSpec, client: ProbeClient, progress: Progress) -> ProbeResult:
    assert spec.host is not None
    compiled = compile_conditions(tuple(spec.effective_conditions()))
    resolver = client.resolver(spec.nameserver)
    progress.stage = f"waiting for {spec.nameserver or 'the system resolver'}"
    started = perf_counter()
    answers: list[str] = []
    try:
        answer = await resolver.resolve(
            spec.host, spec.record_type, raise_on_no_answer=False, lifetime=spec.timeout_seconds
        )
        rcode = "NOERROR"
        answers = sorted(_text(rdata) for rdata in answer.rrset or [])
    except dns.resolver.NXDOMAIN:
        rcode = "NXDOMAIN"
    except dns.resolver.YXDOMAIN:
        rcode = "YXDOMAIN"
    except dns.resolver.LifetimeTimeout:
        raise TimeoutError from None  # reported like every other timeout
    except dns.resolver.NoNameservers as exc:
        rcode = _rcode_of_failure(exc)
    elapsed_ms = (perf_counter() - started) * 1000
    address = next(
        (a for a in answers if spec.record_type in ("A", "AAAA")),
        None,
    )
    ctx = ProbeContext(
        response_time_ms=elapsed_ms,
        dns_rcode=rcode,
        body=" ".join(answers).encode(),
        ip=address,
    )
    outcomes = judge(compiled.conditions, ctx)
    details: dict[str, Any] = {
        "rcode": rcode,
        "answers": answers,
        "conditions": [o.as_dict() for o in outcomes],
    }
    error = failed_text(outcomes)
    return ProbeResult(error is None, elapsed_ms, None, error, details)


def _text(rdata: Any) -> str:
    if rdata.rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode(errors="replace")
    return str(rdata.to_text())


def _rcode_of_failure(exc: dns.resolver.NoNameservers) -> str:
    """SERVFAIL, REFUSED...: what the server answered, when all it did was refuse."""
    for error in exc.kwargs.get("errors", []):
        response = error[-1] if isinstance(error, tuple) else None
        if isinstance(response, dns.message.Message):
            return dns.rcode.to_text(response.rcode())
    raise exc
