"""A growing pool of customers who come back.

After each purchase a customer decides whether to return (more likely the more they have
bought) and after how long (a gamma-distributed gap, ~80 days on average). From that day on they
are ready to buy; each day the demand model says how many orders are repeat orders, and the
customers who have been ready longest place them. That gives cohort retention curves, inter-purchase
times and an RFM spread like a real shop's, with repeat buying still following the seasons.
"""

from __future__ import annotations

from collections import deque

import numpy as np

FIRST_NAMES = (
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Julie",
    "Emma",
    "Lucas",
    "Hugo",
    "Louis",
    "Nathan",
    "Thomas",
    "Jules",
    "Arthur",
    "Paul",
    "Anna",
    "Sofia",
    "Lena",
    "Marco",
    "Elena",
    "Jan",
    "Eva",
    "Noah",
    "Mila",
    "Tom",
    "Lisa",
    "Pablo",
    "Marta",
    "Luca",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Müller",
    "Schmidt",
    "Rossi",
    "Janssens",
    "de Vries",
    "Peeters",
    "Fernández",
    "López",
    "Bianchi",
    "Weber",
    "Fontaine",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
)
RETURN_PROBABILITY = (0.0, 0.30, 0.45, 0.55, 0.62)  # by number of orders so far (capped)
MEAN_GAP_DAYS = 80.0
GAP_SHAPE = 1.3


class CustomerPool:
    def __init__(self) -> None:
        self.count = 0
        self.country = np.zeros(1024, dtype=np.int8)
        self.orders = np.zeros(1024, dtype=np.int32)
        self._scheduled: dict[int, list[np.ndarray]] = {}
        self._ready: deque[np.ndarray] = deque()

    def take_ready(self, day: int, wanted: int) -> np.ndarray:
        """Up to `wanted` customers ready to buy again on `day`, longest-waiting first."""
        for ready_day in sorted(d for d in self._scheduled if d <= day):
            self._ready.extend(self._scheduled.pop(ready_day))
        taken: list[np.ndarray] = []
        while wanted > 0 and self._ready:
            head = self._ready.popleft()
            taken.append(head[:wanted])
            if len(head) > wanted:
                self._ready.appendleft(head[wanted:])
            wanted -= len(taken[-1])
        return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)

    def create(self, countries: np.ndarray) -> np.ndarray:
        ids = np.arange(self.count, self.count + len(countries), dtype=np.int64)
        self.count += len(countries)
        if self.count > len(self.country):
            size = max(self.count, 2 * len(self.country))
            self.country = np.resize(self.country, size)
            self.orders = np.resize(self.orders, size)
            self.orders[self.count - len(countries) :] = 0
        self.country[ids] = countries
        return ids

    def record_purchases(self, day: int, ids: np.ndarray, rng: np.random.Generator) -> None:
        """`ids` (distinct) bought on `day`: each may come back after a while."""
        self.orders[ids] += 1
        probability = np.asarray(RETURN_PROBABILITY)[np.minimum(self.orders[ids], 4)]
        back = ids[rng.random(len(ids)) < probability]
        gaps = rng.gamma(GAP_SHAPE, MEAN_GAP_DAYS / GAP_SHAPE, len(back)).astype(np.int64) + 1
        order = np.argsort(gaps, kind="stable")
        back, gaps = back[order], gaps[order]
        starts = np.flatnonzero(np.r_[True, gaps[1:] != gaps[:-1]]) if len(gaps) else []
        for start, end in zip(starts, [*starts[1:], len(gaps)], strict=True):
            self._scheduled.setdefault(day + int(gaps[start]), []).append(back[start:end])
