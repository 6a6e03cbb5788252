"""tcp monitors: does the port accept a connection?"""

from __future__ import annotations

import asyncio
from time import perf_counter

from storeops.monitoring.conditions import ProbeContext, compile_conditions
from storeops.monitoring.probes.client import ProbeClient
from storeops.monitoring.probes.result import (
    ProbeResult,
    Progress,
    describe_error,
    failed_text,
    judge,
)
from storeops.monitoring.spec import MonitorSpec


async def probe_tcp(spec: MonitorSpec, client: ProbeClient, progress: Progress) -> ProbeResult:
    """Connects and closes. A refused connection is an observation ([CONNECTED] false), so a
    monitor can also watch that a port stays closed; a timeout is an error."""
    assert spec.host is not None and spec.port is not None
    compiled = compile_conditions(tuple(spec.effective_conditions()))
    started = perf_counter()
    progress.stage = f"connecting to {spec.host}:{spec.port}"
    refusal = None
    peer = None
    try:
        _, writer = await asyncio.open_connection(spec.host, spec.port)
    except OSError as exc:
        refusal = f"cannot connect to {spec.host}:{spec.port}: {describe_error(exc)}"
    else:
        address = writer.get_extra_info("peername")
        peer = str(address[0]) if address else None
        writer.close()
    elapsed_ms = (perf_counter() - started) * 1000
    ctx = ProbeContext(response_time_ms=elapsed_ms, connected=refusal is None, ip=peer)
    outcomes = judge(compiled.conditions, ctx)
    error = failed_text(outcomes)
    if error is not None and refusal is not None:
        error = refusal
    return ProbeResult(
        error is None, elapsed_ms, None, error, {"conditions": [o.as_dict() for o in outcomes]}
    )
