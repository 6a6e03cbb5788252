"""journey monitors: HTTP steps in order, cookies kept, values carried from step to step.

A step's `extract` takes values from its response, by placeholder (`[BODY].cart.id`,
`[HEADERS].Location`) or by a regular expression with one group over the body
(`re(name="csrf" value="([^"]+)")`); later steps use them as `{cart_id}` in their URL, headers and
body (as they are: no escaping). The journey stops at the first failing step and names it.
Journey-level conditions see the last response, with [RESPONSE_TIME] the whole journey's time.
Extracted values may be secrets (tokens): only their names appear in the details.
"""

from __future__ import annotations

import re
from functools import lru_cache
from time import perf_counter
from typing import Any

from storeops.monitoring.conditions import (
    Missing,
    Placeholder,
    ProbeContext,
    as_text,
    compile_conditions,
    parse_operand,
)
from storeops.monitoring.probes.client import ProbeClient
from storeops.monitoring.probes.http import exchange
from storeops.monitoring.probes.result import (
    ProbeResult,
    Progress,
    describe_error,
    failed_text,
    judge,
    one_line,
)
from storeops.monitoring.spec import MonitorSpec, Step

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StepFailed(Exception):
    """A step that cannot go on; the message is the step's error."""


async def probe_journey(spec: MonitorSpec, client: ProbeClient, progress: Progress) -> ProbeResult:
    values: dict[str, str] = {}
    steps: list[dict[str, Any]] = []
    progress.details["steps"] = steps
    started = perf_counter()
    ctx = ProbeContext()
    async with client.journey_session() as session:
        for step in spec.steps:
            progress.step = step.name
            step_started = perf_counter()
            report: dict[str, Any] = {"name": step.name, "ok": False}
            try:
                compiled = compile_conditions(tuple(step.conditions))
                headers = {k: _substitute(v, values) for k, v in step.headers.items()}
                body = _substitute(step.body, values) if step.body is not None else None
                url = _substitute(step.url, values)
                try:
                    done = await exchange(
                        session,
                        client,
                        progress,
                        method=step.method,
                        url=url,
                        headers=headers,
                        body=body,
                        follow_redirects=spec.follow_redirects,
                        needs=compiled.placeholders,
                    )
                except (StepFailed, TimeoutError):
                    raise
                except Exception as exc:
                    raise StepFailed(describe_error(exc)) from exc
                ctx = done.ctx
                report["status_code"] = ctx.status
                outcomes = judge(compiled.conditions, ctx)
                report["conditions"] = [o.as_dict() for o in outcomes]
                failure = failed_text(outcomes)
                if failure is not None:
                    raise StepFailed(failure)
                for name, source in step.extract.items():
                    values[name] = _extract(name, source, ctx)
                if step.extract:
                    report["extracted"] = sorted(step.extract)
                report["ok"] = True
            except StepFailed as failed:
                report["error"] = str(failed)
                report["duration_ms"] = _ms_since(step_started)
                steps.append(report)
                return ProbeResult(
                    ok=False,
                    duration_ms=_ms_since(started),
                    status_code=ctx.status,
                    error=one_line(f"step {step.name!r}: {failed}"),
                    details={"steps": steps, "failed_step": step.name},
                )
            report["duration_ms"] = _ms_since(step_started)
            steps.append(report)
    progress.step = None
    total_ms = _ms_since(started)
    final = ProbeContext(
        status=ctx.status,
        headers=ctx.headers,
        body=ctx.body,
        encoding=ctx.encoding,
        response_time_ms=total_ms,
    )
    outcomes = judge(compile_conditions(tuple(spec.conditions)).conditions, final)
    error = failed_text(outcomes)
    details: dict[str, Any] = {"steps": steps}
    if outcomes:
        details["conditions"] = [o.as_dict() for o in outcomes]
    return ProbeResult(error is None, total_ms, ctx.status, error, details)


def _ms_since(started: float) -> float:
    return round((perf_counter() - started) * 1000, 3)


def _substitute(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            known = ", ".join(sorted(values)) or "none yet"
            raise StepFailed(f"unknown variable {{{name}}} (extracted so far: {known})")
        return values[name]

    return _VARIABLE.sub(value, text)


def _extract(name: str, source: str, ctx: ProbeContext) -> str:
    if source.startswith("re(") and source.endswith(")"):
        match = _regex(source[3:-1]).search(ctx.text() or "")
        if match is None:
            raise StepFailed(f"cannot extract {name}: {source} does not match the body")
        return match[1]
    operand = _operand(source)
    value = operand.resolve(ctx)
    if isinstance(value, Missing):
        raise StepFailed(f"cannot extract {name}: {value.reason}")
    return as_text(value)


@lru_cache(maxsize=1_024)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise StepFailed(f"bad regular expression {pattern!r}: {exc}") from None
    if compiled.groups != 1:
        raise StepFailed(f"re({pattern}) needs exactly one group (...) to extract")
    return compiled


@lru_cache(maxsize=1_024)
def _operand(source: str) -> Placeholder:
    try:
        operand = parse_operand(source)
    except ValueError as exc:
        raise StepFailed(f"bad extraction {source!r}: {exc}") from None
    if not isinstance(operand, Placeholder):
        raise StepFailed(f"extract with a placeholder ([BODY].cart.id) or re(...), not {source!r}")
    return operand


def variables_of(step: Step) -> set[str]:
    """The {names} a step uses in its URL, headers and body."""
    texts = [step.url, step.body or "", *step.headers.values()]
    return {name for text in texts for name in _VARIABLE.findall(text)}


def validate_step(step: Step) -> None:
    """Raises ValueError for a step whose conditions or extractions cannot work (load time)."""
    for text in step.conditions:
        try:
            compile_conditions((text,))
        except ValueError as exc:
            raise ValueError(f"condition {text!r}: {exc}") from None
    for name, source in step.extract.items():
        try:
            if source.startswith("re(") and source.endswith(")"):
                _regex(source[3:-1])
            else:
                _operand(source)
        except StepFailed as exc:
            raise ValueError(f"extract {name}: {exc}") from None
