"""Latency histograms with fixed bucket bounds, shared by the rollups and the Prometheus histogram.

Fixed bounds make histograms of any minutes, hours or days add up bucket by bucket, so a
percentile over any window comes from summed rollups without keeping every duration.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

# Upper bounds in milliseconds (a check of exactly 100 ms falls in the 100 ms bucket, as with
# Prometheus' `le`); one more bucket after the last holds everything slower (+Inf).
BOUNDS_MS: tuple[float, ...] = (
    5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000,
)  # fmt: skip
BUCKETS = len(BOUNDS_MS) + 1


def empty_histogram() -> list[int]:
    return [0] * BUCKETS


def bucket_of(duration_ms: float) -> int:
    return bisect_left(BOUNDS_MS, duration_ms)


def histogram_of(durations_ms: Iterable[float]) -> list[int]:
    histogram = empty_histogram()
    for duration in durations_ms:
        histogram[bucket_of(duration)] += 1
    return histogram


def add_into(total: list[int], histogram: Sequence[int]) -> list[int]:
    """Adds `histogram` into `total` in place (a shorter one, from older bounds, adds what it has)."""
    for index, count in enumerate(histogram[:BUCKETS]):
        total[index] += count
    return total


def percentile(histogram: Sequence[int], q: float, *, max_ms: float | None = None) -> float | None:
    """The q-th percentile (0-100), interpolated linearly inside its bucket; None when empty.

    The slowest bucket has no upper bound, so the window's slowest check (`max_ms`) stands in
    for it, and also caps any bucket's upper bound (no percentile above the slowest check).
    """
    total = sum(histogram)
    if total == 0:
        return None
    rank = q / 100 * total
    seen = 0
    for index, count in enumerate(histogram):
        if count == 0 or seen + count < rank:
            seen += count
            continue
        lower = BOUNDS_MS[index - 1] if index > 0 else 0.0
        upper = BOUNDS_MS[index] if index < len(BOUNDS_MS) else (max_ms or lower)
        if max_ms is not None:
            upper = max(lower, min(upper, max_ms))
        return lower + (upper - lower) * max(0.0, rank - seen) / count
    raise AssertionError("unreachable: the rank never exceeds the total")
