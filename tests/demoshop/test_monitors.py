"""What `storeops demo` declares against the demo shop is valid storeops.toml, passes against a
healthy shop, and fails where each fault is."""

from __future__ import annotations

import asyncio
import tomllib

import tomli_w

from storeops.core.settings import load_settings
from storeops.demoshop.faults import Faults
from storeops.demoshop.monitors import demo_declarations, demo_monitors
from storeops.demoshop.runner import BackgroundShop
from storeops.demoshop.server import ShopConfig
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring.probes import ProbeClient, check
from storeops.monitoring.spec import Kind, MonitorSpec, SloSpec
from storeops.workflows.declared import load_declared

URL = "http://127.0.0.1:8081/"


def test_declarations_validate_and_cover_every_kind():
    declared = demo_declarations(
        URL, https_url="https://127.0.0.1:8443/", nameserver="127.0.0.1:8053"
    )
    services = [ServiceSpec.model_validate(s) for s in declared["services"]]
    monitors = [MonitorSpec.model_validate(m) for m in declared["monitors"]]
    slos = [SloSpec.model_validate(s) for s in declared["slos"]]

    names = {s.name for s in services}
    assert {m.service for m in monitors} <= names and {s.service for s in slos} <= names
    assert len({m.name for m in monitors}) == len(monitors)
    assert {m.kind for m in monitors} == set(Kind)
    assert next(s for s in services if s.name == "checkout").impact == 1.0
    assert {s.kind for s in slos} == {"availability", "latency"}

    tcp = next(m for m in monitors if m.kind == Kind.tcp)
    assert (tcp.host, tcp.port) == ("127.0.0.1", 8081)
    journey = next(m for m in monitors if m.kind == Kind.journey)
    assert [s.name for s in journey.steps][-1] == "place order"
    assert "{token}" in journey.steps[-1].body and "token" in journey.steps[-2].extract
    for monitor in monitors:
        for url in [monitor.url, *(s.url for s in monitor.steps)]:
            assert url is None or url.startswith(
                ("http://127.0.0.1:8081/", "https://127.0.0.1:8443/")
            )


def test_without_https_and_dns_those_monitors_are_left_out_and_it_is_toml():
    declared = demo_declarations(URL)
    kinds = {m["kind"] for m in declared["monitors"]}
    assert "tls" not in kinds and "dns" not in kinds
    text = tomli_w.dumps(declared)
    assert tomllib.loads(text) == declared


def test_declarations_load_from_storeops_toml(workspace):
    declared = demo_declarations(
        URL, https_url="https://127.0.0.1:8443/", nameserver="127.0.0.1:53"
    )
    file = workspace.settings_file
    file.write_text(file.read_text(encoding="utf-8") + tomli_w.dumps(declared), encoding="utf-8")
    loaded = load_declared(load_settings(workspace.workspace))  # conditions and extracts too
    assert [m.name for m in loaded.monitors] == [m["name"] for m in declared["monitors"]]
    assert len(loaded.services) == 5 and len(loaded.slos) == 2


def _failing(shop, faults: Faults) -> dict[str, str]:
    """The declared monitors that fail against the shop with these faults, with their error."""
    shop.faults.set(faults)
    specs = [
        MonitorSpec.model_validate(m)
        for m in demo_monitors(shop.url, https_url=shop.https_url, nameserver=shop.nameserver)
    ]

    async def main():
        async with ProbeClient(ca_file=shop.ca_file) as client:
            return await asyncio.gather(*(check(spec, client) for spec in specs))

    results = asyncio.run(main())
    assert len(specs) == 8
    return {
        spec.name: result.error
        for spec, result in zip(specs, results, strict=True)
        if not result.ok
    }


def test_each_fault_fails_the_monitors_that_watch_it():
    config = ShopConfig(http_port=0, https_port=0, dns_port=0, cert_days=30)
    with BackgroundShop(config) as shop:
        assert _failing(shop, Faults()) == {}
        assert set(_failing(shop, Faults(error_rate=1.0, paths=("/checkout",)))) == {
            "checkout-journey"
        }
        slow = _failing(shop, Faults(latency_ms=1100, paths=("/checkout",)))
        assert set(slow) == {"checkout-journey"}
        assert set(_failing(shop, Faults(wrong_stock=True))) == {"stock-json"}
        assert set(_failing(shop, Faults(error_rate=1.0, paths=("/search",)))) == {"search"}
        # The port still accepts and the certificate is still fine: only HTTP goes unanswered.
        assert set(_failing(shop, Faults(down=True))) == {
            "home",
            "product-page",
            "search",
            "stock-json",
            "checkout-journey",
        }


def test_a_certificate_near_expiry_fails_the_tls_monitor_only():
    with BackgroundShop(ShopConfig(http_port=0, https_port=0, dns_port=0, cert_days=3)) as shop:
        failing = _failing(shop, Faults())
    assert set(failing) == {"certificate"}
    assert "CERTIFICATE_EXPIRATION" in failing["certificate"]
