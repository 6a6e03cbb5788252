"""The demo shop's DNS answers its own name, and only that."""

from __future__ import annotations

import dns.rcode
import dns.resolver

from storeops.demoshop.dns import DNS_NAME
from storeops.demoshop.runner import BackgroundShop
from storeops.demoshop.server import ShopConfig


def test_answers_the_shop_name_with_its_address():
    with BackgroundShop(ShopConfig(http_port=0, dns_port=0)) as shop:
        host, port = shop.nameserver.split(":")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = [host], int(port)

        answer = resolver.resolve(DNS_NAME, "A", lifetime=5)
        assert [r.address for r in answer] == ["127.0.0.1"]
        assert answer.rrset.ttl == 60

        nothing = resolver.resolve(DNS_NAME, "AAAA", raise_on_no_answer=False, lifetime=5)
        assert nothing.response.rcode() == dns.rcode.NOERROR and nothing.rrset is None

        try:
            resolver.resolve("elsewhere.test", "A", lifetime=5)
        except dns.resolver.NXDOMAIN:
            unknown = "NXDOMAIN"
        assert unknown == "NXDOMAIN"
