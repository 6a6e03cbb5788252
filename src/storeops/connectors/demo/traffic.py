"""The daily traffic funnel per channel: sessions -> add to cart -> checkout -> orders.

Sessions follow the expected demand (visitors keep coming during an outage, they just cannot
buy); `orders` is exactly the number of sale orders of the channel that day, and each step is
at least the next one. For the shop (pos), sessions are visitors counted at the door.
"""

from __future__ import annotations

import numpy as np

CONVERSION = np.array([0.024, 0.031, 0.045, 0.22])  # orders per session, per channel
ADD_TO_CART = np.array([0.09, 0.11, 0.12, 0.45])  # sessions adding to cart
CHECKOUT_COMPLETION = np.array([0.52, 0.58, 0.70, 0.95])  # checkouts that become orders


def funnel(rng: np.random.Generator, expected: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """(channels, 4) int64: sessions, add_to_cart, checkouts_started, orders."""
    noise = np.exp(rng.normal(0, 0.05, (3, len(expected))))
    sessions = np.round(expected / CONVERSION * noise[0])
    checkouts = np.maximum(orders, np.round(expected / CHECKOUT_COMPLETION * noise[1]))
    carts = np.maximum(checkouts, np.round(sessions * ADD_TO_CART * noise[2]))
    sessions = np.maximum(sessions, carts)
    return np.stack([sessions, carts, checkouts, orders], axis=1).astype(np.int64)
