"""The condition language: what parses, what each placeholder reads, and what a failure shows."""

from __future__ import annotations

import re

import pytest

from storeops.monitoring.conditions import (
    ConditionError,
    ProbeContext,
    compile_conditions,
    format_duration,
    parse,
)

JSON_BODY = (
    b'{"items": [{"sku": "A1", "stock": 3}, {"sku": "B2", "stock": 0}], "open": true, "n": null}'
)


def http_context(**overrides: object) -> ProbeContext:
    fields: dict[str, object] = {
        "status": 200,
        "response_time_ms": 123.4,
        "body": JSON_BODY,
        "headers": {"Content-Type": "application/json", "X-Cache": "HIT"},
    }
    fields.update(overrides)
    return ProbeContext(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "ok", "actual"),
    [
        ("[STATUS] == 200", True, "200"),
        ("[STATUS] != 200", False, "200"),
        ("[STATUS] < 400", True, "200"),
        ("[STATUS] >= 500", False, "200"),
        ("[STATUS] == any(301, 200)", True, "200"),
        ("[STATUS] != any(500, 503)", True, "200"),
        ("[STATUS] == any(500, 503)", False, "200"),
        ("200 == [STATUS]", True, "200"),
        ("[RESPONSE_TIME] < 800", True, "123.4"),
        ("[RESPONSE_TIME] <= 100", False, "123.4"),
        ("[RESPONSE_TIME] < 1s", True, "123.4"),
        ("[RESPONSE_TIME] > 100ms", True, "123.4"),
        ('[BODY].items[0].sku == "A1"', True, "A1"),
        ("[BODY].items[1].sku == A1", False, "B2"),
        ("[BODY].items[-1].stock == 0", True, "0"),
        ("[BODY].items[0].stock > 2", True, "3"),
        ("[BODY].open == true", True, "true"),
        ("[BODY].n == null", True, "null"),
        ("len([BODY].items) == 2", True, "2"),
        ("len([BODY].items[0].sku) == 2", True, "2"),
        ("has([BODY].items) == true", True, "true"),
        ("has([BODY].cart.id) == false", True, "false"),
        ('[BODY] == pat(*"sku": "A1"*)', True, JSON_BODY.decode()),
        ("[BODY] == pat(*Out of stock*)", False, JSON_BODY.decode()),
        ("[BODY] != pat(*Out of stock*)", True, JSON_BODY.decode()),
        ('[BODY].items[0].sku == pat("A*")', True, "A1"),
        ("[HEADERS].content-type == application/json", True, "application/json"),
        ("[HEADERS].X-Cache != MISS", True, "HIT"),
    ],
)
def test_http_conditions(condition: str, ok: bool, actual: str) -> None:
    outcome = parse(condition).evaluate(http_context())
    assert (outcome.ok, outcome.actual) == (ok, actual)
    assert outcome.text == condition


def test_a_failure_reads_like_gatus() -> None:
    outcome = parse("[STATUS] == 200").evaluate(http_context(status=500))
    assert outcome.display == "[STATUS] (500) == 200"
    assert outcome.as_dict() == {"condition": "[STATUS] == 200", "ok": False, "actual": "500"}
    both = parse("[BODY].items[0].stock > [BODY].items[1].stock").evaluate(http_context())
    assert both.ok
    assert both.display == "[BODY].items[0].stock (3) > [BODY].items[1].stock (0)"


@pytest.mark.parametrize(
    ("condition", "body", "actual"),
    [
        ('[BODY].cart.id == "c1"', JSON_BODY, "no 'cart' in [BODY]"),
        ("[BODY].items[5].sku == A1", JSON_BODY, "no [5] in [BODY].items (2 long)"),
        ("[BODY].items.sku == A1", JSON_BODY, "[BODY].items is not an object"),
        ("[BODY].open[0] == 1", JSON_BODY, "[BODY].open is not a list"),
        ("[BODY].items[0] != 1", b"<html>In stock</html>", "body is not JSON: Expecting value"),
        ("len([BODY].x) > 0", b"{}", "no 'x' in [BODY]"),
        ("[STATUS] == 200", None, "no response"),
        ("[HEADERS].X-Missing == 1", JSON_BODY, "no header X-Missing"),
    ],
)
def test_what_cannot_be_read_fails_with_the_reason(
    condition: str, body: bytes | None, actual: str
) -> None:
    ctx = http_context(body=body, status=None if body is None else 200)
    outcome = parse(condition).evaluate(ctx)
    assert not outcome.ok
    assert outcome.actual.startswith(actual)


def test_missing_values_fail_whatever_the_operator() -> None:
    ctx = http_context(body=b"not json")
    for condition in (
        "[BODY].a != 1",
        "[BODY].a == pat(*)",
        "[BODY].a != pat(x)",
        "[BODY].a != any(1, 2)",
    ):
        assert not parse(condition).evaluate(ctx).ok, condition


def test_other_placeholders() -> None:
    tls = ProbeContext(certificate_expiration_ms=3 * 86_400_000 + 3_600_000)
    outcome = parse("[CERTIFICATE_EXPIRATION] > 72h").evaluate(tls)
    assert outcome.ok and outcome.display == "[CERTIFICATE_EXPIRATION] (3d1h) > 72h"
    assert not parse("[CERTIFICATE_EXPIRATION] > 7d").evaluate(tls).ok
    assert parse("[CERTIFICATE_EXPIRATION] > 1d12h").evaluate(tls).ok

    assert parse("[CONNECTED] == true").evaluate(ProbeContext(connected=True)).ok
    assert parse("[CONNECTED] == false").evaluate(ProbeContext(connected=False)).ok
    assert not parse("[CONNECTED] == true").evaluate(ProbeContext(connected=False)).ok

    dns = ProbeContext(dns_rcode="NXDOMAIN", ip=None, body=b"")
    assert parse("[DNS_RCODE] == NXDOMAIN").evaluate(dns).ok
    assert parse("[DNS_RCODE] != NOERROR").evaluate(dns).ok
    assert parse("[IP] == 10.0.0.1").evaluate(dns).actual == "no address"
    assert parse("[IP] == 10.0.0.1").evaluate(ProbeContext(ip="10.0.0.1")).ok
    # A placeholder the probe did not observe says so.
    assert parse("[CONNECTED] == true").evaluate(http_context()).actual == "not a tcp check"


def test_numbers_compare_as_numbers_and_text_as_text() -> None:
    ctx = http_context(body=b'{"price": "12.50", "code": "007", "name": "1e3"}')
    assert parse("[BODY].price == 12.5").evaluate(ctx).ok
    assert parse("[BODY].price < 13").evaluate(ctx).ok
    assert parse('[BODY].code == "007"').evaluate(ctx).ok
    assert parse("[BODY].code == 7").evaluate(ctx).ok
    # "1e3" is a word, not a number: ordering it fails instead of comparing 1000.
    outcome = parse("[BODY].name > 5").evaluate(ctx)
    assert not outcome.ok and outcome.actual == "1e3"


def test_quoted_strings_keep_spaces_and_operators() -> None:
    ctx = http_context(body=b'{"msg": "a == b < c"}')
    assert parse('[BODY].msg == "a == b < c"').evaluate(ctx).ok
    assert parse("[BODY].msg == 'a == b < c'").evaluate(ctx).ok
    assert parse("[BODY] == pat(*a == b*)").evaluate(ctx).ok


def test_a_long_body_is_shortened_in_the_actual_value() -> None:
    outcome = parse('[BODY] == "x"').evaluate(http_context(body=b"y" * 5000))
    assert len(outcome.actual) == 120 and outcome.actual.endswith("…")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("", "empty condition"),
        ("   ", "empty condition"),
        ("[STATUS]", "no operator"),
        ("[STATUS] 200", "no operator"),
        ("[STATUS] = 200", "'=' is not an operator"),
        ("[STATUS] => 200", "'=' is not an operator"),
        ("[STATS] == 200", "unknown placeholder [STATS]"),
        ("[status] == 200", "unknown placeholder [status]"),
        ("[STATUS].code == 200", "[STATUS] takes no path"),
        ("[HEADERS] == x", "name the header"),
        ("[BODY].a..b == 1", "bad JSON path"),
        ("[BODY].a[x] == 1", "bad JSON path"),
        ("== 200", "nothing on the left"),
        ("[STATUS] ==", "nothing on the right"),
        ("200 == 200", "compares no placeholder"),
        ("[STATUS] == 200 == 200", "more than one operator"),
        ("[BODY] == <html>", "more than one operator"),
        ('[BODY] == "open', "unclosed quote"),
        ("len([BODY] == 1", "unbalanced"),
        ("[STATUS] < abc", "'<' compares numbers or durations; 'abc' is neither"),
        ("[STATUS] > any(1, 2) ", "work only with == or !="),
        ("[STATUS] < pat(2*)", "work only with == or !="),
        ("pat(2*) == [STATUS]", "go on the right"),
        ("[STATUS] == any()", "any() needs values"),
        ("[BODY] == pat()", "pat() needs a pattern"),
        ("len(3) == 1", "len() takes a placeholder"),
        ("has(x) == true", "has() takes a placeholder"),
        ("size([BODY]) == 1", "unknown function size()"),
        ("[DNS_RCODE] == NOERRR", "unknown DNS rcode 'NOERRR'"),
        ("[DNS_RCODE] == any(NOERROR, NXDOMIAN)", "unknown DNS rcode 'NXDOMIAN'"),
        ("[CONNECTED] == yes", "[CONNECTED] is true or false"),
        ("has([BODY].a) == 1", "is true or false"),
    ],
)
def test_bad_conditions_name_what_is_wrong(condition: str, message: str) -> None:
    with pytest.raises(ConditionError, match=re.escape(message)):
        parse(condition)
    assert issubclass(ConditionError, ValueError)


def test_each_text_is_parsed_once() -> None:
    assert parse("[STATUS] == 201") is parse(" [STATUS] == 201 ")
    compiled = compile_conditions(("[STATUS] == 200", "[BODY].a == 1", "[RESPONSE_TIME] < 1s"))
    assert compiled is compile_conditions(
        ("[STATUS] == 200", "[BODY].a == 1", "[RESPONSE_TIME] < 1s")
    )
    assert compiled.placeholders == {"STATUS", "BODY", "RESPONSE_TIME"}
    assert parse("len([BODY].a) > has([HEADERS].X)").placeholders == {"BODY", "HEADERS"}


def test_body_decoding_follows_the_charset() -> None:
    ctx = ProbeContext(body="café".encode("latin-1"), encoding="latin-1")
    assert parse('[BODY] == "café"').evaluate(ctx).ok
    broken = ProbeContext(body=b"\xff ok", encoding="no-such-charset")
    assert parse("[BODY] == pat(* ok)").evaluate(broken).ok


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0s"),
        (45_000, "45s"),
        (90_000, "1m30s"),
        (3_600_000, "1h"),
        (90_061_000, "1d1h1m"),
        (-86_400_000, "-1d"),
    ],
)
def test_format_duration(ms: float, text: str) -> None:
    assert format_duration(ms) == text
