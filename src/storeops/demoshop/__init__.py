"""A small local storefront with switchable faults, for the reliability demo and its tests.

`storeops demo-shop` serves it; `storeops demo` points monitors at it so that latency, errors,
an outage, a wrong stock feed or a certificate about to expire show up as real check results,
incidents and burning SLOs. It imports only storeops.core: it stands in for somebody else's shop.
"""
