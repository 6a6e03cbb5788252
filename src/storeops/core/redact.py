"""Keeping secrets out of messages and logs."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^\s/]+)@", re.I
)


def redact_urls(text: str) -> str:
    """postgresql://shop:s3cret@db/x -> postgresql://shop:***@db/x, wherever it appears."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
