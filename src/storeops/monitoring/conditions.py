"""The condition language of monitors, after Gatus' config/endpoint/condition.go.

A condition compares two operands with one operator: `[STATUS] == 200`, `[RESPONSE_TIME] < 800`,
`[BODY].items[0].sku == "A1"`, `[BODY] == pat(*In stock*)`, `[CERTIFICATE_EXPIRATION] > 72h`,
`[STATUS] == any(200, 301)`, `len([BODY].items) > 0`, `has([BODY].cart.id) == true`.

Placeholders (what the probe observed):
  [STATUS]                  HTTP status code
  [RESPONSE_TIME]           milliseconds
  [BODY]                    response text; `[BODY].a.b[0].c` walks the JSON body
  [HEADERS].Name            a response header (case-insensitive)
  [CERTIFICATE_EXPIRATION]  time left on the server certificate (a duration)
  [CONNECTED]               tcp: true when the port accepted the connection
  [DNS_RCODE]               dns: NOERROR, NXDOMAIN, SERVFAIL, REFUSED...
  [IP]                      the address connected to (http) or the first address answered (dns)
Literals: numbers (`200`, `1.5`), durations (`500ms`, `30s`, `30m`, `72h`, `7d`, `1w`, `1h30m`; in
milliseconds, like [RESPONSE_TIME] and [CERTIFICATE_EXPIRATION]), quoted strings (`"A1"`), and bare
words (`NOERROR`, `true`). Functions: `len(placeholder)`, `has(placeholder)`, and on the right of
`==`/`!=` only, `pat(glob)` and `any(a, b, ...)`.

`parse` raises ValueError naming what is wrong; `evaluate` never raises: a missing JSON path or a
body that is not JSON is a failed condition whose actual value says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
PLACEHOLDERS = (
    "STATUS",
    "RESPONSE_TIME",
    "BODY",
    "HEADERS",
    "CERTIFICATE_EXPIRATION",
    "CONNECTED",
    "DNS_RCODE",
    "IP",
)
DNS_RCODES = frozenset(
    {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "NOTAUTH"}
)
_MS_PER_UNIT = {
    "ms": 1.0,
    "s": 1_000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
    "d": 86_400_000.0,
    "w": 604_800_000.0,
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DURATION = re.compile(r"-?(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_PLACEHOLDER = re.compile(r"\[([A-Z_]+)\](.*)", re.S)
_FUNCTION = re.compile(r"([A-Za-z_]+)\((.*)\)", re.S)
_PATH_STEP = re.compile(r"\.([^.\[\]\s]+)|\[(-?\d+)\]")
_HEADER_NAME = re.compile(r"\.([A-Za-z0-9!#$%&'*+.^_`|~-]+)")
_ACTUAL_MAX = 120  # characters of a body shown as the actual value


class ConditionError(ValueError):
    """A condition that does not parse; the message names what is wrong."""


@dataclass(slots=True)
class ProbeContext:
    """What one probe observed; each placeholder reads one field (None: not observed)."""

    status: int | None = None
    response_time_ms: float | None = None
    body: bytes | None = None
    encoding: str = "utf-8"
    headers: Mapping[str, str] | None = None
    certificate_expiration_ms: float | None = None
    connected: bool | None = None
    dns_rcode: str | None = None
    ip: str | None = None
    _text: str | None = field(default=None, repr=False)
    _json: Any = field(default=None, repr=False)
    _json_error: str | None = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    def text(self) -> str | None:
        """The body decoded once, invalid bytes replaced."""
        if self._text is None and self.body is not None:
            try:
                self._text = self.body.decode(self.encoding, errors="replace")
            except LookupError:  # an unknown charset announced by the server
                self._text = self.body.decode("utf-8", errors="replace")
        return self._text

    def json(self) -> tuple[Any, str | None]:
        """(document, None), or (None, why the body is not JSON); parsed once."""
        if not self._json_done:
            self._json_done = True
            text = self.text()
            if text is None:
                self._json_error = "no body"
            else:
                try:
                    self._json = json.loads(text)
                except ValueError as exc:
                    self._json_error = f"body is not JSON: {str(exc).splitlines()[0]}"
        return self._json, self._json_error


@dataclass(frozen=True, slots=True)
class ConditionOutcome:
    text: str  # the condition as written
    ok: bool
    actual: str  # the observed value, e.g. "500" for `[STATUS] == 200`
    display: str  # Gatus-style: `[STATUS] (500) == 200`

    def as_dict(self) -> dict[str, Any]:
        return {"condition": self.text, "ok": self.ok, "actual": self.actual}


@dataclass(frozen=True, slots=True)
class Missing:
    """A value that could not be read; `reason` is shown as the actual value."""

    reason: str


# -- operands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Constant:
    source: str
    value: str | float
    is_duration: bool = False

    dynamic = False

    def resolve(self, ctx: ProbeContext) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class Placeholder:
    source: str
    name: str
    path: tuple[str | int, ...] = ()

    dynamic = True

    def resolve(self, ctx: ProbeContext) -> Any:
        name = self.name
        if name == "STATUS":
            return ctx.status if ctx.status is not None else Missing("no response")
        if name == "RESPONSE_TIME":
            return _or_missing(ctx.response_time_ms, "not measured")
        if name == "BODY":
            if not self.path:
                text = ctx.text()
                return text if text is not None else Missing("no body")
            document, error = ctx.json()
            if error is not None:
                return Missing(error)
            return walk_json(document, self.path)
        if name == "HEADERS":
            return _header(ctx.headers, str(self.path[0]))
        if name == "CERTIFICATE_EXPIRATION":
            return _or_missing(ctx.certificate_expiration_ms, "no certificate")
        if name == "CONNECTED":
            return _or_missing(ctx.connected, "not a tcp check")
        if name == "DNS_RCODE":
            return _or_missing(ctx.dns_rcode, "no DNS answer")
        return _or_missing(ctx.ip, "no address")


@dataclass(frozen=True, slots=True)
class Length:
    source: str
    inner: Placeholder

    dynamic = True

    def resolve(self, ctx: ProbeContext) -> Any:
        value = self.inner.resolve(ctx)
        if isinstance(value, Missing):
            return value
        if isinstance(value, list | dict | str):
            return len(value)
        return len(as_text(value))


@dataclass(frozen=True, slots=True)
class Has:
    source: str
    inner: Placeholder

    dynamic = True

    def resolve(self, ctx: ProbeContext) -> Any:
        return not isinstance(self.inner.resolve(ctx), Missing)


@dataclass(frozen=True, slots=True)
class Pattern:
    source: str
    glob: str

    dynamic = False


@dataclass(frozen=True, slots=True)
class AnyOf:
    source: str
    options: tuple[Constant, ...]

    dynamic = False


Operand = Constant | Placeholder | Length | Has | Pattern | AnyOf
Value = Constant | Placeholder | Length | Has


def _or_missing(value: Any, reason: str) -> Any:
    return value if value is not None else Missing(reason)


def _header(headers: Mapping[str, str] | None, name: str) -> Any:
    if headers is None:
        return Missing("no headers")
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; aiohttp's headers are not
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value if value is not None else Missing(f"no header {name}")


def walk_json(document: Any, path: tuple[str | int, ...]) -> Any:
    """The value at `path` in a JSON document, or Missing naming where the walk stopped."""
    value = document
    walked = "[BODY]"
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list):
                return Missing(f"{walked} is not a list")
            if not -len(value) <= step < len(value):
                return Missing(f"no [{step}] in {walked} ({len(value)} long)")
            value = value[step]
            walked += f"[{step}]"
        else:
            if not isinstance(value, dict):
                return Missing(f"{walked} is not an object")
            if step not in value:
                return Missing(f"no {step!r} in {walked}")
            value = value[step]
            walked += f".{step}"
    return value


# -- parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    text: str
    left: Value
    operator: str
    right: Operand
    placeholders: frozenset[str]  # e.g. {"STATUS", "BODY"}: what the probe must observe

    def evaluate(self, ctx: ProbeContext) -> ConditionOutcome:
        left = self.left.resolve(ctx)
        right_operand = self.right
        shown_right = None
        if isinstance(right_operand, Pattern | AnyOf):
            if isinstance(left, Missing):
                ok = False  # what could not be read fails, whatever the operator
            else:
                if isinstance(right_operand, Pattern):
                    hit = fnmatchcase(as_text(left), right_operand.glob)
                else:
                    hit = any(_compare(left, "==", o.value) for o in right_operand.options)
                ok = hit == (self.operator == "==")
        else:
            right = right_operand.resolve(ctx)
            if right_operand.dynamic:
                shown_right = _show(right, right_operand)
            ok = _compare(left, self.operator, right)
        shown_left = _show(left, self.left) if self.left.dynamic else None
        left_text = self.left.source + (f" ({shown_left})" if shown_left is not None else "")
        right_text = right_operand.source + (f" ({shown_right})" if shown_right is not None else "")
        actual = shown_left if shown_left is not None else shown_right or ""
        display = f"{left_text} {self.operator} {right_text}"
        return ConditionOutcome(self.text, ok, actual, display)


def parse(text: str) -> Condition:
    """A condition from its text; ValueError names what is wrong."""
    return _parse_cached(text.strip())


@lru_cache(maxsize=16_384)  # monitors share a few condition texts: parse each once
def _parse_cached(text: str) -> Condition:
    if not text:
        raise ConditionError("empty condition")
    start, operator = _find_operator(text)
    left_text, right_text = text[:start].strip(), text[start + len(operator) :].strip()
    if not left_text:
        raise ConditionError(f"nothing on the left of {operator!r} in {text!r}")
    if not right_text:
        raise ConditionError(f"nothing on the right of {operator!r} in {text!r}")
    left = parse_operand(left_text)
    right = parse_operand(right_text)
    if isinstance(left, Pattern | AnyOf):
        raise ConditionError(f"{left_text}: pat() and any() go on the right of == or !=")
    if isinstance(right, Pattern | AnyOf) and operator not in ("==", "!="):
        raise ConditionError(f"{right_text}: pat() and any() work only with == or !=")
    if not left.dynamic and not right.dynamic:
        raise ConditionError(f"{text!r} compares no placeholder (e.g. [STATUS], [BODY])")
    for one, other in ((left, right), (right, left)):
        _check_constant_fits(one, other, operator)
    return Condition(text, left, operator, right, _placeholders(left) | _placeholders(right))


def _placeholders(operand: Operand) -> frozenset[str]:
    if isinstance(operand, Length | Has):
        operand = operand.inner
    return frozenset({operand.name}) if isinstance(operand, Placeholder) else frozenset()


def _find_operator(text: str) -> tuple[int, str]:
    """The one comparison operator outside quotes, brackets and parentheses."""
    found: tuple[int, str] | None = None
    depth = 0
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and char in "=!<>":
            operator = next((op for op in OPERATORS if text.startswith(op, i)), None)
            if operator is None:
                raise ConditionError(
                    f"{char!r} is not an operator in {text!r}: use ==, !=, <, <=, > or >="
                )
            if found is not None:
                raise ConditionError(
                    f"more than one operator in {text!r} (quote text that contains one)"
                )
            found = (i, operator)
            i += len(operator)
            continue
        i += 1
    if quote:
        raise ConditionError(f"unclosed quote in {text!r}")
    if depth != 0:
        raise ConditionError(f"unbalanced brackets or parentheses in {text!r}")
    if found is None:
        raise ConditionError(f"no operator in {text!r}: use ==, !=, <, <=, > or >=")
    return found


def parse_operand(text: str) -> Operand:
    """One side of a condition (also used by journeys to name the values they extract)."""
    if text.startswith("["):
        return _placeholder(text)
    function = _FUNCTION.fullmatch(text)
    if function:
        name, argument = function[1], function[2].strip()
        if name in ("len", "has"):
            inner = parse_operand(argument)
            if not isinstance(inner, Placeholder):
                raise ConditionError(f"{name}() takes a placeholder, e.g. {name}([BODY].items)")
            return Length(text, inner) if name == "len" else Has(text, inner)
        if name == "pat":
            if not argument:
                raise ConditionError("pat() needs a pattern, e.g. pat(*In stock*)")
            return Pattern(text, _unquote(argument))
        if name == "any":
            options = tuple(_constant(a.strip()) for a in _split_arguments(argument))
            if not options or any(not o.source for o in options):
                raise ConditionError(
                    f"any() needs values separated by commas, e.g. any(200, 301): {text!r}"
                )
            return AnyOf(text, options)
        raise ConditionError(f"unknown function {name}() in {text!r} (len, has, pat, any)")
    return _constant(text)


def _placeholder(text: str) -> Placeholder:
    match = _PLACEHOLDER.fullmatch(text)
    if not match or match[1] not in PLACEHOLDERS:
        known = ", ".join(f"[{p}]" for p in PLACEHOLDERS)
        raise ConditionError(f"unknown placeholder {text.split(']')[0]}] (known: {known})")
    name, rest = match[1], match[2]
    if name == "BODY":
        return Placeholder(text, name, _json_path(rest, text))
    if name == "HEADERS":
        header = _HEADER_NAME.fullmatch(rest)
        if not header:
            raise ConditionError(f"{text!r}: name the header, e.g. [HEADERS].Content-Type")
        return Placeholder(text, name, (header[1],))
    if rest:
        raise ConditionError(f"[{name}] takes no path, got {rest!r}")
    return Placeholder(text, name)


def _json_path(rest: str, text: str) -> tuple[str | int, ...]:
    path: list[str | int] = []
    position = 0
    while position < len(rest):
        step = _PATH_STEP.match(rest, position)
        if not step:
            raise ConditionError(
                f"bad JSON path {text!r} at {rest[position:]!r}: use [BODY].items[0].sku"
            )
        path.append(step[1] if step[1] is not None else int(step[2]))
        position = step.end()
    return tuple(path)


def _constant(text: str) -> Constant:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return Constant(text, _unquote(text))
    if _NUMBER.fullmatch(text):
        number = float(text)
        return Constant(text, number)
    if _DURATION.fullmatch(text):
        ms = sum(float(n) * _MS_PER_UNIT[unit] for n, unit in _DURATION_PART.findall(text))
        ms = -ms if text.startswith("-") else ms
        return Constant(text, ms, is_duration=True)
    if text[:1] in "\"'":
        raise ConditionError(f"unclosed quote in {text!r}")
    return Constant(text, text)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            return text[1:-1]
        return value if isinstance(value, str) else text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def _split_arguments(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts if text.strip() else []


def _check_constant_fits(one: Operand, other: Operand, operator: str) -> None:
    """Refuse at load what can never be true: `[STATUS] < abc`, `[DNS_RCODE] == NOERRR`."""
    constants = (
        [one] if isinstance(one, Constant) else list(one.options) if isinstance(one, AnyOf) else []
    )
    boolean = isinstance(other, Has) or (
        isinstance(other, Placeholder) and other.name == "CONNECTED"
    )
    rcode = isinstance(other, Placeholder) and other.name == "DNS_RCODE"
    for constant in constants:
        if operator not in ("==", "!=") and isinstance(constant.value, str):
            raise ConditionError(
                f"{operator!r} compares numbers or durations; {constant.source!r} is neither"
            )
        if rcode and constant.value not in DNS_RCODES:
            known = ", ".join(sorted(DNS_RCODES))
            raise ConditionError(f"unknown DNS rcode {constant.source!r} ({known})")
        if boolean and constant.value not in ("true", "false"):
            raise ConditionError(f"{other.source} is true or false, not {constant.source!r}")


# -- comparing ----------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return None


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _compare(left: Any, operator: str, right: Any) -> bool:
    if isinstance(left, Missing) or isinstance(right, Missing):
        return False
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return {
            "==": a == b,
            "!=": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }[operator]
    if operator == "==":
        return as_text(left) == as_text(right)
    if operator == "!=":
        return as_text(left) != as_text(right)
    return False  # an ordering of something that is not a number


def _show(value: Any, operand: Value) -> str:
    if isinstance(value, Missing):
        return value.reason
    if isinstance(operand, Placeholder) and operand.name == "CERTIFICATE_EXPIRATION":
        return format_duration(float(value))
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}".rstrip("0")
    text = as_text(value)
    return text if len(text) <= _ACTUAL_MAX else text[: _ACTUAL_MAX - 1] + "…"


def format_duration(ms: float) -> str:
    """72h-style text of a duration in milliseconds: 2d3h4m, -1d2h, 45s."""
    sign = "-" if ms < 0 else ""
    seconds = int(abs(ms) // 1000)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if not days and not hours:
        parts.append(f"{seconds}s")
    return sign + "".join(parts)


@dataclass(frozen=True, slots=True)
class CompiledConditions:
    conditions: tuple[Condition, ...]
    placeholders: frozenset[str]  # what the probe must observe for them


@lru_cache(maxsize=8_192)
def compile_conditions(texts: tuple[str, ...]) -> CompiledConditions:
    """A monitor's conditions parsed once (cached by their texts); ValueError as `parse`."""
    conditions = tuple(parse(text) for text in texts)
    return CompiledConditions(conditions, frozenset().union(*(c.placeholders for c in conditions)))
