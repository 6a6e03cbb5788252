"""The Incidents pages and /api/v1/incidents over the seeded state (tests/web/reliability_data.py),
on SQLite and PostgreSQL, with the app's clock stopped at NOW (10 March 2025 12:00 UTC).

Worked out by hand: incident 1 (search) opened 90 minutes before NOW at 2.00/min: 180.00 at risk
so far; incident 2 (checkout) lasted 30 minutes at 10.00/min: 300.00, frozen. Both opened in
March on the store's clock (Paris), so March holds 480.00 over 2 incidents.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.web import reliability_data
from tests.web.reliability_data import INTERNAL_NOTE, NOW, PUBLIC_UPDATE, Seeded

seeded = reliability_data.seeded  # fixtures
signed_in = reliability_data.signed_in


def card(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</article>", 1)[0]


def alert_in(page: str) -> str:
    found = re.search(r'class="alert alert-error" role="alert">([^<]*)<', page)
    assert found, "no error shown"
    return html.unescape(found.group(1))


def test_list_shows_what_incidents_put_at_risk(signed_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    client = signed_in("viewer").client
    page = client.get("/incidents").text
    assert ">1</p>" in card(page, "Active incidents")
    assert "€180.00" in card(page, "At risk now")
    assert "€480.00" in card(page, "This month") and "2 incidents" in card(page, "This month")
    assert "Search is failing" in page and "Payments refused" not in page  # active only
    row = page.split("Search is failing</a>", 1)[1].split("</tr>", 1)[0]
    assert "sev3" in row and "acknowledged" in row and "90 min" in row and "€180.00" in row
    everything = client.get("/incidents?view=all").text
    assert everything.index("Search is failing") < everything.index("Payments refused")
    paid = everything.split("Payments refused</a>", 1)[1].split("</tr>", 1)[0]
    assert "€300.00" in paid and "so far" not in paid
    assert "Payments refused" in client.get("/incidents?view=resolved&service=checkout").text
    assert "Open an incident" not in page  # viewers read only
    assert client.get("/incidents?view=broken").status_code == 422


def test_incident_page_shows_live_revenue_and_timeline(signed_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    viewer = signed_in("viewer").client
    page = viewer.get(f"/incidents/{seeded.ids.open_incident}").text
    assert "€180.00" in card(page, "Revenue at risk") and "so far" in card(page, "Revenue at risk")
    assert INTERNAL_NOTE.replace("'", "&#39;") in page  # staff see their notes
    assert PUBLIC_UPDATE in page and "badge-public" in page
    assert ">Acknowledge</button>" not in page and "Post update" not in page
    # The amount grows while the incident is open: 30 more minutes at 2.00 is 60.00 more.
    seeded.app.state.clock = lambda: NOW + timedelta(minutes=30)
    later = viewer.get(f"/incidents/{seeded.ids.open_incident}").text
    assert "€240.00" in card(later, "Revenue at risk")
    resolved = viewer.get(f"/incidents/{seeded.ids.resolved_incident}").text
    assert "€300.00" in card(resolved, "Revenue at risk") and "frozen" in resolved
    assert viewer.get("/incidents/999999").status_code == 404


def test_the_forms_act_on_an_incident(signed_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    it = signed_in("it")
    opened = it.client.post(
        "/incidents",
        data={"csrf_token": it.csrf, "service": "checkout", "title": "Card payments fail",
              "severity": "sev1"},
    )  # fmt: skip
    assert opened.status_code == 303
    url = opened.headers["location"]
    page = it.client.get(url).text
    assert (
        "Card payments fail" in page
        and "opened by hand" in page
        and ">Acknowledge</button>" in page
    )

    def post(action: str, **fields: str):  # type: ignore[no-untyped-def]
        return it.client.post(f"{url}/{action}", data={"csrf_token": it.csrf, **fields})

    assert it.client.post(f"{url}/acknowledge", data={}).status_code == 403  # no CSRF token
    assert it.client.post(f"{url}/note", data={"csrf_token": "x", "text": "hi"}).status_code == 403
    assert post("acknowledge").status_code == 303
    twice = post("acknowledge")
    assert twice.status_code == 409 and "acknowledged by it@shop.example" in alert_in(twice.text)
    assert post("note", text="Rolled back deploy 142").status_code == 303
    assert post("note", text="").status_code == 422
    assert post("severity", severity="sev2").status_code == 303
    assert post("severity", severity="sev9").status_code == 422
    assert post("update", status="identified", text="A payment provider fails").status_code == 303
    assert post("update", status="fixed", text="x").status_code == 422
    written = post("postmortem", markdown="## Cause\n<script>alert(1)</script> **expired key**")
    assert written.status_code == 303
    page = it.client.get(url).text
    assert "<h2>Cause</h2>" in page and "<strong>expired key</strong>" in page
    assert "<script>alert(1)</script>" not in page  # raw HTML is shown as text
    assert "Rolled back deploy 142" in page and "sev1 → sev2" in page
    assert post("resolve", text="Key rotated").status_code == 303
    again = post("resolve")
    assert again.status_code == 409 and "resolved already" in alert_in(again.text)
    assert ">Resolve</button>" not in it.client.get(url).text


def test_incidents_api(seeded: Seeded) -> None:
    with TestClient(seeded.app) as client:
        it = seeded.bearer("it")
        listed = client.get("/api/v1/incidents?status=active", headers=it).json()
        assert listed["total"] == 1 and listed["currency"] == "EUR"
        [active] = listed["incidents"]
        assert active["revenue_at_risk"] == "180.00" and active["revenue_at_risk_live"] is True

        detail = client.get(f"/api/v1/incidents/{seeded.ids.open_incident}", headers=it).json()
        kinds = [event["kind"] for event in detail["timeline"]]
        assert kinds == ["opened", "acknowledged", "note", "status_update"]
        assert [e["public"] for e in detail["timeline"]] == [False, False, False, True]

        made = client.post(
            "/api/v1/incidents", json={"service": "search", "title": "Slow search"}, headers=it
        )
        assert made.status_code == 201, made.text
        base = f"/api/v1/incidents/{made.json()['id']}"
        assert made.json()["source"] == "manual" and made.json()["severity"] == "sev2"
        assert client.post(f"{base}/acknowledge", headers=it).json()["status"] == "acknowledged"
        assert client.post(f"{base}/acknowledge", headers=it).status_code == 409
        note = client.post(f"{base}/notes", json={"text": "cache cold"}, headers=it)
        assert note.status_code == 201 and note.json()["timeline"][-1]["text"] == "cache cold"
        severity = client.put(f"{base}/severity", json={"severity": "sev4"}, headers=it)
        assert severity.json()["severity"] == "sev4"
        update = {"status": "monitoring", "text": "A fix is out"}
        posted = client.post(f"{base}/updates", json=update, headers=it).json()
        assert posted["public_status"] == "monitoring" and posted["timeline"][-1]["public"]
        postmortem = client.put(f"{base}/postmortem", json={"markdown": "# PM"}, headers=it)
        assert postmortem.json()["postmortem"] == "# PM"
        resolved = client.post(f"{base}/resolve", json={"text": "warm"}, headers=it).json()
        assert resolved["status"] == "resolved" and resolved["revenue_at_risk_live"] is False
        assert client.post(f"{base}/resolve", headers=it).status_code == 409

        refused = [
            client.post("/api/v1/incidents", json={"service": "nope", "title": "x"}, headers=it),
            client.post("/api/v1/incidents", json={"service": "search", "title": ""}, headers=it),
            client.post("/api/v1/incidents", json={"service": "search", "title": "a\u0000b"}, headers=it),
            client.put(f"{base}/severity", json={"severity": "sev0"}, headers=it),
            client.post(f"{base}/notes", json={"text": "x", "public": True}, headers=it),
            client.post(f"{base}/updates", json={"status": "done", "text": "x"}, headers=it),
            client.get("/api/v1/incidents?status=closed", headers=it),
            client.get("/api/v1/incidents/0", headers=it),
        ]  # fmt: skip
        assert [answer.status_code for answer in refused] == [422] * len(refused)
        viewer = seeded.bearer("viewer")
        forbidden = client.post(f"{base}/notes", json={"text": "x"}, headers=viewer)
        assert forbidden.status_code == 403
