"""Switching a running demo shop's faults from another process (the CLI's `fault set/clear`)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path

from storeops.core.errors import UserError
from storeops.demoshop.faults import ADMIN_PATH, Faults


def send_faults(
    url: str, token: str, faults: Faults | None, *, ca_file: Path | None = None, timeout: float = 10
) -> Faults:
    """Replaces the shop's faults (None clears them) and returns the ones it now shows."""
    request = urllib.request.Request(
        url.rstrip("/") + ADMIN_PATH,
        method="DELETE" if faults is None else "POST",
        data=None if faults is None else faults.model_dump_json().encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return Faults.model_validate(json.load(response))
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise UserError(f"the demo shop at {url} refused the admin token (--token)") from None
        try:
            reason = json.load(exc).get("error", exc.reason)
        except ValueError:
            reason = exc.reason
        raise UserError(f"the demo shop at {url} answered {exc.code}: {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"cannot reach the demo shop at {url}: {reason}") from None
