"""Expected access to the incidents area: pages with their forms, and /api/v1/incidents.

The matrix runs without services or incidents: opening one for an unknown service, or acting
on an incident that does not exist (NONE), is refused (422, 404) after the permission check,
so who gets 403 and who gets past it is what the matrix tells.
"""

from __future__ import annotations

from typing import Any

from tests.web.expectations import Expect

NONE = 999_999
OPEN = {"service": "nope", "title": "Matrix incident", "severity": "sev3"}


def _missing(action: str, *, page: bool = False, **kwargs: Any) -> Expect:
    """An action on incident NONE, through its page form or the API."""
    prefix = "" if page else "/api/v1"
    url = f"{prefix}/incidents/{NONE}/{action}"
    return Expect("incidents", write=True, url=url, ok=404, **kwargs)


ROUTES = {
    ("GET", "/incidents"): Expect("incidents", url="/incidents?view=all&page=2"),
    ("POST", "/incidents"): Expect("incidents", write=True, form=OPEN, ok=422),
    ("GET", "/incidents/{incident_id}"): Expect("incidents", url=f"/incidents/{NONE}", ok=404),
    ("POST", "/incidents/{incident_id}/acknowledge"): _missing("acknowledge", page=True),
    ("POST", "/incidents/{incident_id}/note"): _missing("note", page=True, form={"text": "x"}),
    ("POST", "/incidents/{incident_id}/severity"): _missing(
        "severity", page=True, form={"severity": "sev1"}
    ),
    ("POST", "/incidents/{incident_id}/update"): _missing(
        "update", page=True, form={"status": "identified", "text": "x"}
    ),
    ("POST", "/incidents/{incident_id}/postmortem"): _missing(
        "postmortem", page=True, form={"markdown": "x"}
    ),
    ("POST", "/incidents/{incident_id}/resolve"): _missing("resolve", page=True),
    ("GET", "/api/v1/incidents"): Expect("incidents", url="/api/v1/incidents?status=active"),
    ("POST", "/api/v1/incidents"): Expect("incidents", write=True, json=OPEN, ok=422),
    ("GET", "/api/v1/incidents/{incident_id}"): Expect(
        "incidents", url=f"/api/v1/incidents/{NONE}", ok=404
    ),
    ("POST", "/api/v1/incidents/{incident_id}/acknowledge"): _missing("acknowledge"),
    ("POST", "/api/v1/incidents/{incident_id}/notes"): _missing("notes", json={"text": "x"}),
    ("PUT", "/api/v1/incidents/{incident_id}/severity"): _missing(
        "severity", json={"severity": "sev1"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/updates"): _missing(
        "updates", json={"status": "identified", "text": "x"}
    ),
    ("PUT", "/api/v1/incidents/{incident_id}/postmortem"): _missing(
        "postmortem", json={"markdown": "x"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/resolve"): _missing("resolve"),
}
