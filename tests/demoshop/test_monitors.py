"""What `storeops demo` declares against the demo shop is valid storeops.toml."""

from __future__ import annotations

import tomllib

import tomli_w

from storeops.demoshop.monitors import demo_declarations
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring.spec import Kind, MonitorSpec, SloSpec

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
