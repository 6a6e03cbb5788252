"""`storeops demo` ends with reliability: monitors of every kind against the demo shop, checkout
broken on purpose, an incident opened with its revenue at risk and the checkout SLO burning."""

from __future__ import annotations

from pathlib import Path

from storeops.cli.demo_reliability import BLOCK_START, declare_demo, start_demo_shop
from storeops.core.settings import Settings, load_settings


def test_the_demo_watches_its_shop_and_prices_the_checkout_outage(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    result = cli("demo", "-w", ws, "--days", "60", "--shop-port", "0", "--json")
    assert result.code == 0, result.err
    reliability = result.json()["reliability"]

    status = {m["name"]: m["status"] for m in reliability["monitors"]}
    kinds = {m["kind"] for m in reliability["monitors"]}
    assert kinds == {"http", "keyword", "json", "tls", "tcp", "dns", "journey"}
    # Checkout was broken; the certificate expires in 3 days (the monitor wants 7); the rest is up.
    assert status.pop("checkout-journey") == "down"
    assert status.pop("certificate") == "down"
    assert set(status.values()) == {"up"}, status

    services = {incident["service"] for incident in reliability["incidents"]}
    assert "checkout" in services
    checkout = next(i for i in reliability["incidents"] if i["service"] == "checkout")
    assert checkout["severity"] == "sev1" and checkout["revenue_per_minute"].endswith("/min")

    slos = {slo["name"]: slo for slo in reliability["slos"]}
    assert slos["checkout-availability"]["budget_remaining"] < 0
    assert slos["checkout-availability"]["burn_1h"] > 14.4  # a page, by the SRE workbook
    assert slos["storefront-latency"]["budget_remaining"] == 1

    # The declarations stay in storeops.toml, validated, and monitor commands see them.
    text = (ws / "storeops.toml").read_text()
    assert text.count(BLOCK_START) == 1
    listed = cli("monitor", "list", "-w", ws, "--json")
    assert listed.code == 0, listed.err
    assert len(listed.json()) == len(reliability["monitors"])


def test_declaring_again_replaces_the_demo_block(workspace: Settings) -> None:
    demo = start_demo_shop(workspace, 0)
    try:
        declare_demo(workspace, demo.shop)
        settings = declare_demo(workspace, demo.shop)
    finally:
        demo.stop()
    text = workspace.settings_file.read_text()
    assert text.count(BLOCK_START) == 1 and text.startswith("# storeops workspace settings")
    assert settings.probe_ca_file() is not None and settings.probe_ca_file().is_file()
    reloaded = load_settings(workspace.workspace)
    assert {m["name"] for m in reloaded.monitors} >= {"home", "checkout-journey", "certificate"}
