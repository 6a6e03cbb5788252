"""Reliability in Chromium, over the demo workspace (whose `storeops demo` declared the demo shop's
services, monitors and SLOs and watched checkout break): an IT manager opens the monitors and an
incident, acknowledges it and posts a public update, which the public status page then shows to
someone not signed in. Every reliability page, at desktop and phone width, screenshotted, with
no sideways scrolling."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from tests.web.browser.conftest import DESKTOP, PHONE, Demo, screenshot, sign_in

pytestmark = pytest.mark.browser


def bearer(demo: Demo, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.tokens[role]}"}


def a_service(page, demo: Demo) -> str:  # type: ignore[no-untyped-def]
    """A public service of the demo (or one made for this test when the demo has none)."""
    found = page.request.get("/api/v1/services", headers=bearer(demo, "admin")).json()
    public = [s["name"] for s in found if s["public"]]
    if public:
        return public[0]
    made = page.request.post(
        "/api/v1/services",
        data={"name": "browser-shop", "impact": 0.5},
        headers=bearer(demo, "admin"),
    )
    assert made.ok, made.text()
    return "browser-shop"


def open_incident(page, demo: Demo, title: str) -> int:  # type: ignore[no-untyped-def]
    made = page.request.post(
        "/api/v1/incidents",
        data={"service": a_service(page, demo), "title": title, "severity": "sev2"},
        headers=bearer(demo, "admin"),
    )
    assert made.status == 201, made.text()
    return made.json()["id"]


def no_sideways_scroll(page, path: str, width: int) -> None:  # type: ignore[no-untyped-def]
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"


def test_acknowledge_an_incident_and_tell_customers(open_page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    sign_in(page, "it")
    page.goto("/monitors")
    rows = page.locator("#monitors-table tbody tr")
    assert rows.count() > 0, "the demo declared no monitors"
    page.locator("#monitors-table tbody a").first.click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/monitors/"))
    assert page.locator("h2", has_text="Recent checks").is_visible()

    title = f"Browser test incident {time.time_ns()}"
    incident = open_incident(page, demo, title)
    page.goto("/incidents")
    page.get_by_role("link", name=f"#{incident} {title}").click()
    page.wait_for_url(f"**/incidents/{incident}")
    assert "so far" in page.locator("article", has_text="Revenue at risk").inner_text()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".page-head .badge-acknowledged").is_visible()
    assert page.get_by_role("button", name="Acknowledge").count() == 0

    message = f"We found the cause of {title} and are fixing it."
    page.get_by_label("Status").select_option("identified")
    page.get_by_label("Message for customers").fill(message)
    page.get_by_role("button", name="Post update").click()
    page.wait_for_load_state("networkidle")
    update = page.locator(".timeline li.public", has_text=message)
    assert update.is_visible() and "identified" in update.inner_text()
    screenshot(page, "reliability-incident-acknowledged")

    customer = open_page()  # another browser context: nobody signed in
    customer.goto("/status")
    assert urlsplit(customer.url).path == "/status"  # no sign-in asked
    shown = customer.locator(".incident-public", has_text=message)
    assert shown.is_visible()
    assert "Identified" in shown.inner_text()
    screenshot(customer, "reliability-status-update")
    resolve(page, demo, incident)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_reliability_page(open_page, demo: Demo, guard, subtests, width: int) -> None:  # type: ignore[no-untyped-def]
    """Each page and a detail page of each kind: a heading, the page's table, chart or bars,
    no sideways scrolling, and a screenshot for people to look at."""
    page = open_page(width)
    sign_in(page, "admin")
    incident = open_incident(page, demo, "Layout check")
    monitors = page.request.get("/api/v1/monitors?limit=1", headers=bearer(demo, "admin")).json()
    services = page.request.get("/api/v1/services", headers=bearer(demo, "admin")).json()
    paths = ["/services", "/monitors", "/slos", "/incidents", "/maintenance", "/channels"]
    paths += [f"/incidents/{incident}", f"/services/{services[0]['id']}"]
    if monitors["monitors"]:
        paths.append(f"/monitors/{monitors['monitors'][0]['id']}")
    for path in [*paths, "/status"]:
        with subtests.test(page=path):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            name = "reliability-" + re.sub(r"/\d+$", "-detail", path).strip("/")
            screenshot(page, name)
            guard.check()
            assert page.locator("main h1").first.inner_text().strip(), f"{path} has no heading"
            no_sideways_scroll(page, path, width)
    bars = page.locator(".bars span")
    assert bars.count() >= 90  # the status page drew its 90 daily bars per component
    resolve(page, demo, incident)


def resolve(page, demo: Demo, incident: int) -> None:  # type: ignore[no-untyped-def]
    """Leaves the shared demo as it was found: no incident of this test left open."""
    done = page.request.post(f"/api/v1/incidents/{incident}/resolve", headers=bearer(demo, "it"))
    assert done.ok, done.text()
