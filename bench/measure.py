"""Running a piece of work in a fresh child process and reading its wall time and peak RSS.

Each measurement gets its own process so that peak memory is that work's alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass

_WRAPPER = """
import json, resource, sys, time
started = time.perf_counter()
{body}
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("BENCH " + json.dumps({{"seconds": seconds, "peak_rss_mb": peak_kib / 1024, "result": result}}))
"""


@dataclass
class Measurement:
    seconds: float
    peak_rss_mb: float
    result: object


def in_child(body: str) -> Measurement:
    """Runs `body` (Python that sets `result`) in a new interpreter and measures it."""
    code = _WRAPPER.format(body=textwrap.dedent(body).strip())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return Measurement(data["seconds"], data["peak_rss_mb"], data["result"])
