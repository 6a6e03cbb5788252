"""http, keyword and json monitors: one request, its status, timing, headers and body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import aiohttp

from storeops.monitoring.conditions import ConditionOutcome, ProbeContext, compile_conditions
from storeops.monitoring.probes.client import PEERS, PeerFacts, ProbeClient
from storeops.monitoring.probes.result import ProbeResult, Progress, failed_text, judge
from storeops.monitoring.spec import Kind, MonitorSpec

_CHUNK = 65_536


@dataclass(slots=True)
class Exchange:
    """One request and what came back."""

    ctx: ProbeContext
    body_truncated: bool


async def exchange(
    session: aiohttp.ClientSession,
    client: ProbeClient,
    progress: Progress,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: str | None,
    follow_redirects: bool,
    needs: frozenset[str],
) -> Exchange:
    """Sends the request and reads at most `client.body_limit` bytes of the answer.

    `needs` names the placeholders the conditions read: the peer address and certificate are
    looked up only when asked for."""
    started = perf_counter()
    progress.stage = "waiting for the response"
    peers: list[PeerFacts] = []
    # Set for every exchange, so none inherits the list of an earlier one in the same task.
    PEERS.set(peers if needs & {"IP", "CERTIFICATE_EXPIRATION"} else None)
    async with session.request(
        method,
        url,
        headers=headers or None,
        data=body,
        allow_redirects=follow_redirects,
    ) as response:
        progress.status_code = response.status
        ctx = ProbeContext(
            status=response.status,
            headers=response.headers,
            encoding=response.charset or "utf-8",
        )
        if peers:
            _peer_facts(ctx, peers[-1], client)  # the last connection: after any redirect
        progress.stage = "reading the body"
        chunks: list[bytes] = []
        size = 0
        while size < client.body_limit:
            chunk = await response.content.read(min(_CHUNK, client.body_limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        truncated = size >= client.body_limit and not response.content.at_eof()
    ctx.body = b"".join(chunks)
    ctx.response_time_ms = (perf_counter() - started) * 1000
    return Exchange(ctx, truncated)


def _peer_facts(ctx: ProbeContext, peer: PeerFacts, client: ProbeClient) -> None:
    ctx.ip = peer.ip
    if peer.certificate_not_after is not None:
        left = peer.certificate_not_after - client.clock().timestamp()
        ctx.certificate_expiration_ms = left * 1000


async def probe_http(spec: MonitorSpec, client: ProbeClient, progress: Progress) -> ProbeResult:
    assert spec.url is not None  # the spec guarantees it for these kinds
    compiled = compile_conditions(tuple(spec.effective_conditions()))
    result = await exchange(
        client.session,
        client,
        progress,
        method=spec.method,
        url=spec.url,
        headers=spec.headers,
        body=spec.body,
        follow_redirects=spec.follow_redirects,
        needs=compiled.placeholders,
    )
    ctx = result.ctx
    outcomes = judge(compiled.conditions, ctx)
    if spec.kind == Kind.keyword:
        outcomes.append(_keyword_outcome(spec, ctx))
    elif spec.kind == Kind.json:
        outcomes.append(_json_outcome(ctx))
    details: dict[str, Any] = {"conditions": [o.as_dict() for o in outcomes]}
    if result.body_truncated:
        details["body_truncated"] = True
    error = failed_text(outcomes)
    return ProbeResult(
        ok=error is None,
        duration_ms=ctx.response_time_ms or 0.0,
        status_code=ctx.status,
        error=error,
        details=details,
    )


def _keyword_outcome(spec: MonitorSpec, ctx: ProbeContext) -> ConditionOutcome:
    """Looks in the body as read: its first ProbeClient.body_limit bytes."""
    keyword = spec.keyword or ""
    found = keyword in (ctx.text() or "")
    text = f"body {'lacks' if spec.keyword_absent else 'contains'} {keyword!r}"
    actual = "found" if found else "not found"
    return ConditionOutcome(text, found != spec.keyword_absent, actual, f"{text} ({actual})")


def _json_outcome(ctx: ProbeContext) -> ConditionOutcome:
    _, error = ctx.json()
    actual = error or "JSON"
    return ConditionOutcome("body is JSON", error is None, actual, f"body is JSON ({actual})")
