"""A monitor's credentials hidden where people and logs see them, and kept when a spec comes back
with the placeholders still in it.

One rule (SECRET_NAME) says which names hold secrets: URL query values, request headers, and the
fields of form-encoded and JSON request bodies under such a name are shown as "***", and so is a
URL's password. A body that is neither form nor JSON but mentions such a name is hidden whole.

The API and the pages hand these "***" out, so a client that reads a monitor and writes it back
sends them again: `keep_stored_secrets` reads a "***" in a hidden place as "keep what is stored".
It keeps a secret only for the URL's stored origin (scheme, host, port): a changed host must be
sent its credentials again, or a writer who cannot read them could redirect them to his server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote_plus, urlsplit, urlunsplit

HIDDEN = "***"
SECRET_NAME = re.compile(
    r"pass|pwd|secret|token|auth|cookie|session|credential|key|signature|bearer|private|jwt"
    r"|sig$|sid$",
    re.I,
)
# name=value pairs joined by "&", as in a query string or an application/x-www-form-urlencoded body
_FORM = re.compile(r"[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*")
_NOT_JSON = object()
T = TypeVar("T")


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def _pairs(text: str) -> list[tuple[str, str, bool]]:
    """(raw name, raw value, has "=") of each "&"-separated piece, encoding left as it is."""
    return [
        (name, value, bool(sep)) for name, sep, value in (p.partition("=") for p in text.split("&"))
    ]


def _is_placeholder(name: str, value: str) -> bool:
    return unquote_plus(value) == HIDDEN and is_secret_name(unquote_plus(name))


def _joined(pairs: list[tuple[str, str, bool]]) -> str:
    return "&".join(f"{name}={value}" if has else name for name, value, has in pairs)


def redact_pairs(text: str) -> str:
    """A query string or form body with the values of secret-named fields as "***"."""
    return _joined(
        [
            (name, HIDDEN if has and is_secret_name(unquote_plus(name)) else value, has)
            for name, value, has in _pairs(text)
        ]
    )


def redact_url(url: str) -> str:
    """A URL without its password and secret-looking query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}:{HIDDEN}@{host}" if ":" in user else netloc
    query = redact_pairs(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: HIDDEN if is_secret_name(name) else value for name, value in headers.items()}


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: HIDDEN if is_secret_name(k) else _redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(item) for item in value]
    return value


def _json_of(body: str) -> Any:
    """The body's JSON object or array, else _NOT_JSON."""
    try:
        data = json.loads(body)
    except ValueError:
        return _NOT_JSON
    return data if isinstance(data, dict | list) else _NOT_JSON


def redact_body(body: str | None) -> str | None:
    """A request body with its secret-named JSON or form fields as "***"; a body of another
    shape that mentions a secret-looking name is hidden whole."""
    if not body:
        return body
    data = _json_of(body)
    if data is not _NOT_JSON:
        hidden = _redact_json(data)
        return body if hidden == data else json.dumps(hidden)
    if _FORM.fullmatch(body.strip()):
        return redact_pairs(body.strip())
    return HIDDEN if SECRET_NAME.search(body) else body


def _redact_request(request: dict[str, Any]) -> dict[str, Any]:
    hidden = dict(request)
    if hidden.get("url"):
        hidden["url"] = redact_url(hidden["url"])
    hidden["headers"] = redact_headers(hidden.get("headers") or {})
    if hidden.get("body"):
        hidden["body"] = redact_body(hidden["body"])
    return hidden


def redact_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A monitor's spec (and its journey steps) as the API, the pages and the audit log show it."""
    return _redact_request(spec) | {
        "steps": [_redact_request(step) for step in spec.get("steps") or []]
    }


def channel_url_for_display(url: str) -> str:
    """Only the scheme of an Apprise URL: its host and path often are the tokens themselves."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return f"{scheme}://{HIDDEN}" if scheme else HIDDEN


# -- keeping stored secrets ---------------------------------------------------------------------


def _origin(url: str | None) -> tuple[str, str | None, int | None] | None:
    if not url:
        return None
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None


class _Keeper:
    """Hands out the stored values of one request (the monitor, or one journey step)."""

    def __init__(self, sent: dict[str, Any], stored: dict[str, Any] | None, where: str):
        self.stored = stored
        self.same_origin = stored is not None and _origin(sent.get("url")) == _origin(
            stored.get("url")
        )
        self.where = where

    def take(self, field: str, value: T | None) -> T:
        place = f"{self.where}{field}"
        if self.stored is None or value is None:
            raise ValueError(
                f"{place}: {HIDDEN!r} stands for a stored secret, and none is stored: send the value"
            )
        if not self.same_origin:
            raise ValueError(f"{place}: the URL's host changed, so send the secret, not {HIDDEN!r}")
        return value


def _keep_pairs(sent: str, stored: str, keeper: _Keeper, field: str) -> str:
    kept: dict[str, list[str]] = {}
    for name, value, has in _pairs(stored):
        if has:
            kept.setdefault(name, []).append(value)
    pairs = []
    for name, value, has in _pairs(sent):
        if has and _is_placeholder(name, value):
            values = kept.get(name)
            value = keeper.take(f"{field}.{unquote_plus(name)}", values.pop(0) if values else None)
        pairs.append((name, value, has))
    return _joined(pairs)


def _keep_url(sent: str, stored: str | None, keeper: _Keeper, field: str) -> str:
    try:
        parts = urlsplit(sent)
        old = urlsplit(stored or "")
    except ValueError:
        return sent
    netloc = parts.netloc
    userinfo, at, host = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if at and colon and unquote_plus(password) == HIDDEN:
        old_userinfo, old_at, _ = old.netloc.rpartition("@")
        old_password = old_userinfo.partition(":")[2] if old_at and ":" in old_userinfo else None
        netloc = f"{user}:{keeper.take(f'{field} password', old_password)}@{host}"
    query = _keep_pairs(parts.query, old.query, keeper, field) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _keep_json(sent: Any, stored: Any, keep: Callable[[str, Any], Any], path: str) -> Any:
    if isinstance(sent, dict):
        old = stored if isinstance(stored, dict) else {}
        return {
            key: keep(f"{path}.{key}", old.get(key))
            if value == HIDDEN and is_secret_name(key)
            else _keep_json(value, old.get(key), keep, f"{path}.{key}")
            for key, value in sent.items()
        }
    if isinstance(sent, list):
        old_list = stored if isinstance(stored, list) else []
        return [
            _keep_json(item, old_list[n] if n < len(old_list) else None, keep, f"{path}[{n}]")
            for n, item in enumerate(sent)
        ]
    return sent


def _keep_body(sent: str | None, stored: str | None, keeper: _Keeper) -> str | None:
    if not sent or HIDDEN not in sent:
        return sent
    if stored and sent == redact_body(stored) != stored:
        return keeper.take("body", stored)
    data = _json_of(sent)
    if data is not _NOT_JSON:
        old = _json_of(stored) if stored else None
        kept = _keep_json(data, None if old is _NOT_JSON else old, keeper.take, "body")
        return sent if kept == data else json.dumps(kept)
    if _FORM.fullmatch(sent.strip()):
        old_form = stored.strip() if stored and _FORM.fullmatch(stored.strip()) else ""
        return _keep_pairs(sent.strip(), old_form, keeper, "body")
    if sent.strip() == HIDDEN:
        return keeper.take("body", None)
    return sent


def _keep_request(
    sent: dict[str, Any], stored: dict[str, Any] | None, where: str
) -> dict[str, Any]:
    keeper = _Keeper(sent, stored, where)
    old = stored or {}
    kept = dict(sent)
    if sent.get("url"):
        kept["url"] = _keep_url(sent["url"], old.get("url"), keeper, "url")
    old_headers = {name.lower(): value for name, value in (old.get("headers") or {}).items()}
    kept["headers"] = {
        name: keeper.take(f"headers.{name}", old_headers.get(name.lower()))
        if value == HIDDEN and is_secret_name(name)
        else value
        for name, value in (sent.get("headers") or {}).items()
    }
    kept["body"] = _keep_body(sent.get("body"), old.get("body"), keeper)
    return kept


def keep_stored_secrets(sent: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """`sent` (a monitor spec as JSON) with each "***" in a hidden place replaced by the stored
    value there; journey steps are matched by name. ValueError naming the field for a "***"
    with nothing stored behind it, or sent to another host than the stored one."""
    kept = _keep_request(sent, stored, "")
    old_steps = {step["name"]: step for step in reversed((stored or {}).get("steps") or [])}
    kept["steps"] = [
        _keep_request(step, old_steps.get(step.get("name")), f"steps[{n}].")
        for n, step in enumerate(sent.get("steps") or [])
    ]
    return kept


def keep_stored_channel_url(sent: str, stored: str | None) -> str:
    """A channel's URL as handed out ("slack://***") means the stored one; ValueError for a
    placeholder that is not this channel's."""
    if stored is not None and sent == channel_url_for_display(stored):
        return stored
    if sent == HIDDEN or sent.endswith(f"://{HIDDEN}"):
        raise ValueError(
            f"url: {sent!r} stands for a stored URL, and this is not it: send the whole URL"
        )
    return sent
