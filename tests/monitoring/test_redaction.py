"""A monitor's secrets hidden in URLs, headers and request bodies, and kept when a spec comes back
with the "***" it was handed out with."""

from __future__ import annotations

import json

import pytest

from storeops.monitoring.redaction import (
    HIDDEN,
    is_secret_name,
    keep_stored_channel_url,
    keep_stored_secrets,
    redact_body,
    redact_spec,
    redact_url,
)

SECRET_NAMES = [
    "password", "passwd", "pwd", "pass", "secret", "client_secret", "token", "access_token",
    "X-Auth-Token", "auth", "Authorization", "Proxy-Authorization", "oauth_verifier", "cookie",
    "Set-Cookie", "session", "sessionid", "X-Session-Id", "PHPSESSID", "sid", "credential",
    "X-Vendor-Credential", "api_key", "apikey", "X-Api-Key", "signature", "sig", "bearer",
    "private_key", "jwt",
]  # fmt: skip
PLAIN_NAMES = ["Accept", "Content-Type", "User-Agent", "q", "page", "user", "email", "name", "sku"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_looking_names_are_hidden_everywhere(name: str) -> None:
    assert is_secret_name(name)
    assert redact_url(f"https://shop.example/?{name}=v4lue&q=1") == (
        f"https://shop.example/?{name}={HIDDEN}&q=1"
    )
    spec = {"url": "https://shop.example/", "headers": {name: "v4lue"}, "body": None}
    assert redact_spec(spec)["headers"] == {name: HIDDEN}
    assert redact_body(f"{name}=v4lue&q=1") == f"{name}={HIDDEN}&q=1"
    assert json.loads(redact_body(json.dumps({"a": {name: "v4lue"}}))) == {"a": {name: HIDDEN}}


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_names_stay_readable(name: str) -> None:
    assert not is_secret_name(name)
    assert (
        redact_url(f"https://shop.example/?{name}=v4lue") == f"https://shop.example/?{name}=v4lue"
    )
    assert redact_body(f"{name}=v4lue") == f"{name}=v4lue"


def test_bodies_hide_their_secret_fields_and_keep_the_rest() -> None:
    assert redact_body("email=a@b.c&password=hunter2") == "email=a@b.c&password=***"
    posted = '{"client_id": "shop", "client_secret": "hunter2", "scope": ["read"]}'
    assert json.loads(redact_body(posted)) == {
        "client_id": "shop",
        "client_secret": HIDDEN,
        "scope": ["read"],
    }
    nested = '[{"user": {"credentials": {"pin": 1234}}, "n": 2}]'
    assert json.loads(redact_body(nested)) == [{"user": {"credentials": HIDDEN}, "n": 2}]
    unchanged = '{ "sku":  "A-1" }'
    assert redact_body(unchanged) == unchanged  # nothing hidden: the text as written
    # A journey template is not JSON yet ({cart_id}): it mentions a password, so all of it goes.
    assert redact_body('{"password": "hunter2", "cart": {cart_id}}') == HIDDEN
    assert redact_body("<login><user>a</user><password>x</password></login>") == HIDDEN
    assert redact_body("ping") == "ping"
    assert redact_body(None) is None and redact_body("") == ""


def test_a_journey_spec_hides_each_step() -> None:
    spec = {
        "url": None,
        "headers": {},
        "steps": [
            {"name": "login", "url": "https://shop.example/login?sid=s1", "method": "POST",
             "headers": {"Cookie": "c=1"}, "body": "email=a@b.c&password=hunter2"},
        ],
    }  # fmt: skip
    hidden = redact_spec(spec)
    assert "hunter2" not in json.dumps(hidden) and "s1" not in json.dumps(hidden)
    assert hidden["steps"][0] == {
        "name": "login",
        "url": "https://shop.example/login?sid=***",
        "method": "POST",
        "headers": {"Cookie": HIDDEN},
        "body": "email=a@b.c&password=***",
    }
    assert spec["steps"][0]["body"] == "email=a@b.c&password=hunter2"  # the stored spec intact


STORED = {
    "url": "https://ops:pa%24s@api.shop.example:8443/cart?q=a+b&api_key=K1&api_key=K2",
    "headers": {"Authorization": "Bearer T0K", "Accept": "application/json"},
    "body": '{"client_secret": "S3C", "grant": "client_credentials"}',
    "steps": [
        {"name": "login", "url": "https://shop.example/login", "headers": {},
         "body": "email=a@b.c&password=hunter2"},
        {"name": "cart", "url": "https://shop.example/cart", "headers": {"X-Session": "sess"},
         "body": None},
    ],
}  # fmt: skip


def test_what_was_handed_out_comes_back_as_the_stored_secrets() -> None:
    handed_out = redact_spec(STORED)
    assert all(s not in json.dumps(handed_out) for s in ("pa%24s", "K1", "T0K", "S3C", "hunter2"))
    assert keep_stored_secrets(handed_out, STORED) == STORED


def test_changes_beside_the_placeholders_are_kept_with_the_secrets() -> None:
    sent = redact_spec(STORED)
    sent["url"] = sent["url"].replace("/cart", "/basket")
    sent["headers"] = {"authorization": HIDDEN, "Accept": "text/plain"}  # any case of the name
    sent["body"] = '{"client_secret": "***", "grant": "refresh"}'
    login, cart = sent["steps"]
    login["body"] = "email=b@c.d&password=***"
    sent["steps"] = [cart, login]  # steps are matched by name, not place
    kept = keep_stored_secrets(sent, STORED)
    assert kept["url"] == (
        "https://ops:pa%24s@api.shop.example:8443/basket?q=a+b&api_key=K1&api_key=K2"
    )
    assert kept["headers"] == {"authorization": "Bearer T0K", "Accept": "text/plain"}
    assert json.loads(kept["body"]) == {"client_secret": "S3C", "grant": "refresh"}
    assert kept["steps"][0]["headers"] == {"X-Session": "sess"}
    assert kept["steps"][1]["body"] == "email=b@c.d&password=hunter2"
    new_secret = redact_spec(STORED) | {"headers": {"Authorization": "Bearer N3W"}}
    assert keep_stored_secrets(new_secret, STORED)["headers"] == {"Authorization": "Bearer N3W"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "https://ops:***@evil.example:8443/cart"}, "url password"),
        ({"url": "https://api.shop.example/cart?api_key=***"}, "url.api_key"),  # another port
        ({"url": "https://api.shop.example:8443/cart", "headers": {"X-Token": HIDDEN}}, "headers"),
        ({"body": "password=***"}, "body.password"),  # stored body is JSON: no such field
    ],
)
def test_a_placeholder_without_its_stored_secret_is_refused(
    change: dict[str, object], field: str
) -> None:
    sent = redact_spec(STORED) | change
    with pytest.raises(ValueError, match=field):
        keep_stored_secrets(sent, STORED)


def test_a_new_monitor_cannot_use_placeholders() -> None:
    for sent in (
        {"url": "https://ops:***@shop.example/"},
        {"url": "https://shop.example/", "headers": {"Cookie": HIDDEN}},
        {"url": "https://shop.example/", "body": HIDDEN},
        {"steps": [{"name": "login", "url": "https://shop.example/", "body": "pwd=***"}]},
    ):
        with pytest.raises(ValueError, match="none is stored"):
            keep_stored_secrets(sent, None)
    literal = {"url": "https://shop.example/?rating=***", "headers": {"X-Stars": HIDDEN}}
    assert keep_stored_secrets(literal, None)["headers"] == {"X-Stars": HIDDEN}  # not a secret


def test_a_channel_url_as_handed_out_keeps_the_stored_one() -> None:
    stored = "slack://T000/B000/XXXXSECRET"
    assert keep_stored_channel_url("slack://***", stored) == stored
    assert keep_stored_channel_url("mailto://ops@shop.example", stored) == (
        "mailto://ops@shop.example"
    )
    for sent, existing in (("mailto://***", stored), ("slack://***", None), ("***", stored)):
        with pytest.raises(ValueError, match="send the whole URL"):
            keep_stored_channel_url(sent, existing)
