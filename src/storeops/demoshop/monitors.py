"""What `storeops demo` declares against a running demo shop: services with their share of
revenue, a monitor of each kind, and SLOs, as storeops.toml holds them ([[services]],
[[monitors]], [[slos]]). Plain data, so the demo shop stays independent of monitoring; the tests
check it against the monitor, service and SLO specifications."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from storeops.demoshop.dns import DNS_NAME

# Every step of the checkout journey must answer within this (a slow checkout loses orders).
STEP_BUDGET_MS = 1000
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def demo_services() -> list[dict[str, Any]]:
    return [
        {
            "name": "storefront",
            "title": "Storefront",
            "impact": 0.8,
            "description": "Home and product pages: without them few visitors buy.",
        },
        {
            "name": "search",
            "title": "Search",
            "impact": 0.3,
            "description": "Product search: a third of orders start with a search.",
        },
        {
            "name": "checkout",
            "title": "Cart and checkout",
            "impact": 1.0,
            "description": "No checkout, no orders.",
        },
        {
            "name": "stock-feed",
            "title": "Stock feed",
            "impact": 0.1,
            "description": "Availability sent to marketplaces and ads: wrong stock oversells.",
            "public": False,
        },
        {
            "name": "certificates",
            "title": "TLS certificates",
            "impact": 0.0,
            "description": "Nothing is lost yet when a certificate is about to expire.",
            "public": False,
        },
    ]


def _checkout_journey(base: str, interval: float) -> dict[str, Any]:
    fast = f"[RESPONSE_TIME] < {STEP_BUDGET_MS}"
    return {
        "name": "checkout-journey",
        "kind": "journey",
        "service": "checkout",
        "interval_seconds": interval,
        "timeout_seconds": 10,
        "steps": [
            {"name": "home", "url": f"{base}/", "conditions": ["[STATUS] == 200", fast]},
            {
                "name": "product",
                "url": f"{base}/products/linen-shirt",
                "conditions": ["[STATUS] == 200", "[BODY] == pat(*In stock*)", fast],
            },
            {
                "name": "add to cart",
                "url": f"{base}/cart/add",
                "method": "POST",
                "headers": FORM,
                "body": "sku=A1&quantity=1",
                # the shop answers with a redirect to the cart, which lists the shirt
                "conditions": ["[STATUS] == 200", "[BODY] == pat(*Linen Shirt*)", fast],
            },
            {
                "name": "checkout",
                "url": f"{base}/checkout",
                "conditions": ["[STATUS] == 200", "[BODY] == pat(*Place order*)", fast],
                "extract": {"token": 're(name="csrf_token" value="([^"]+)")'},
            },
            {
                "name": "place order",
                "url": f"{base}/checkout",
                "method": "POST",
                "headers": FORM,
                "body": "csrf_token={token}&name=storeops+monitor&email=monitor%40example.com",
                "conditions": ["[STATUS] == 200", "[BODY] == pat(*is confirmed*)", fast],
            },
        ],
    }


def demo_monitors(
    url: str, *, https_url: str | None = None, nameserver: str | None = None, interval: float = 15
) -> list[dict[str, Any]]:
    """Monitors of each kind against the shop at `url` (and its HTTPS and DNS when served)."""
    base = url.rstrip("/")
    address = urlsplit(url)
    every = {"interval_seconds": interval, "timeout_seconds": 5}
    monitors: list[dict[str, Any]] = [
        {
            "name": "home",
            "kind": "http",
            "service": "storefront",
            "url": f"{base}/",
            "conditions": ["[STATUS] == 200", "[RESPONSE_TIME] < 800"],
            **every,
        },
        {
            "name": "product-page",
            "kind": "keyword",
            "service": "storefront",
            "url": f"{base}/products/linen-shirt",
            "keyword": "In stock",
            **every,
        },
        {
            "name": "shop-port",
            "kind": "tcp",
            "service": "storefront",
            "host": address.hostname,
            "port": address.port,
            **every,
        },
        {
            "name": "search",
            "kind": "http",
            "service": "search",
            "url": f"{base}/search?q=shirt",
            "conditions": [
                "[STATUS] == 200",
                "[BODY] == pat(*Linen Shirt*)",
                "[RESPONSE_TIME] < 1000",
            ],
            **every,
        },
        {
            "name": "stock-json",
            "kind": "json",
            "service": "stock-feed",
            "url": f"{base}/api/stock.json",
            "conditions": [
                "[STATUS] == 200",
                "len([BODY].items) > 0",
                '[BODY].items[0].sku == "A1"',
                "[BODY].items[0].available >= 0",
            ],
            **every,
        },
        _checkout_journey(base, interval),
    ]
    if https_url is not None:
        monitors.append(
            {
                "name": "certificate",
                "kind": "tls",
                "service": "certificates",
                "url": https_url,
                "conditions": ["[CERTIFICATE_EXPIRATION] > 7d"],
                "interval_seconds": interval,
                "timeout_seconds": 5,
                "failure_threshold": 1,
                "success_threshold": 1,
            }
        )
    if nameserver is not None:
        monitors.append(
            {
                "name": "shop-dns",
                "kind": "dns",
                "service": "storefront",
                "host": DNS_NAME,
                "nameserver": nameserver,
                "conditions": ["[DNS_RCODE] == NOERROR", f"[IP] == {address.hostname}"],
                **every,
            }
        )
    return monitors


def demo_slos() -> list[dict[str, Any]]:
    return [
        {
            "name": "checkout-availability",
            "service": "checkout",
            "kind": "availability",
            "objective": 0.99,
            "window_days": 28,
        },
        {
            "name": "storefront-latency",
            "service": "storefront",
            "kind": "latency",
            "objective": 0.95,
            "latency_threshold_ms": 800,
            "window_days": 28,
        },
    ]


def demo_declarations(
    url: str, *, https_url: str | None = None, nameserver: str | None = None, interval: float = 15
) -> dict[str, list[dict[str, Any]]]:
    """The tables storeops.toml would hold for the demo shop at `url`."""
    return {
        "services": demo_services(),
        "monitors": demo_monitors(
            url, https_url=https_url, nameserver=nameserver, interval=interval
        ),
        "slos": demo_slos(),
    }
