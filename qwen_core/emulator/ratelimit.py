"""A requests-per-minute limit per API key and model, as the service enforces it: a token bucket.

The bucket holds at most one second of the rate (the service counts per minute but throttles bursts within a
second), refills continuously, and a request that finds it empty gets ``429 Throttling.RateQuota`` with the
exact wait in ``Retry-After`` (whole seconds, rounded up) and ``Retry-After-Ms``.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = ["RequestRateLimit", "retry_headers"]


class RequestRateLimit:
    """Token buckets of ``requests_per_minute``, one per (key, model)."""

    def __init__(self, requests_per_minute: int) -> None:
        if requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        self.rate = requests_per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.throttled = 0
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str]) -> float | None:
        """Spend one request; ``None`` if allowed, else the seconds until one would be."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            self.throttled += 1
            return (1.0 - tokens) / self.rate


def retry_headers(wait: float) -> dict[str, str]:
    return {"retry-after": str(max(1, math.ceil(wait))), "retry-after-ms": str(max(1, math.ceil(wait * 1000)))}
