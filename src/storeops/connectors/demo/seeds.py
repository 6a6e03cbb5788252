"""Independent random streams: one generator per (purpose, day), derived from the seed.

Keying a stream by the calendar day rather than by its position in a run makes a day's draws
independent of chunking: the same arguments give the same shop however the days are grouped.
"""

from __future__ import annotations

import numpy as np

STREAMS = {"catalog": 1, "incidents": 2, "day": 3, "aftersales": 4, "traffic": 5, "stock": 6}


def rng_for(seed: int, stream: str, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream], *keys]))
