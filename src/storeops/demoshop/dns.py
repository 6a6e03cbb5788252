"""A tiny DNS server for the demo shop's name, so a dns monitor has something local to ask
(UDP only; the answers are a few bytes)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import cast

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

# .test is reserved for testing (RFC 2606): it never leaks to a real name.
DNS_NAME = "shop.demo.test"
TTL = 60


class _Answers(asyncio.DatagramProtocol):
    def __init__(self, name: str, address: str):
        self.name = dns.name.from_text(name)
        self.address = address
        self.rdtype = (
            dns.rdatatype.AAAA if ipaddress.ip_address(address).version == 6 else dns.rdatatype.A
        )
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return  # not DNS: no answer, as a real server would
        response = dns.message.make_response(query)
        question = query.question[0] if query.question else None
        if question is None or question.name != self.name:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == self.rdtype:
            response.answer.append(
                dns.rrset.from_text(
                    self.name, TTL, "IN", dns.rdatatype.to_text(self.rdtype), self.address
                )
            )
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


async def serve_dns(
    host: str, port: int, *, address: str, name: str = DNS_NAME
) -> tuple[asyncio.DatagramTransport, int]:
    """Answers `name` with `address` on UDP host:port; returns the transport and the port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Answers(name, address), local_addr=(host, port)
    )
    return transport, transport.get_extra_info("sockname")[1]
