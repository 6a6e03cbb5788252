"""Probes: run one check of a monitor and say what was seen.

    async with ProbeClient() as client:          # one per engine process
        result = await check(spec, client)        # ProbeResult; never raises

`validate(spec)` refuses, at load, conditions and journey extractions that cannot work.
"""

from storeops.monitoring.conditions import ProbeContext
from storeops.monitoring.probes.check import check, validate
from storeops.monitoring.probes.client import ProbeClient
from storeops.monitoring.probes.result import ProbeResult

__all__ = ["ProbeClient", "ProbeContext", "ProbeResult", "check", "validate"]
