"""The one retry policy: which failures are retried, and how long to wait. Pure; the transports run the loop.

Retried: rate limiting (429), server errors (5xx), timeouts and connection failures, but only before the
first byte of a successful response was handed to the caller. Waits grow exponentially with jitter and
honour the service's ``Retry-After`` (capped by ``max_delay``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from qwen_core.errors import APIError, RateLimitError
from qwen_core.limits import THROTTLING_HANDLED
from qwen_core.protocols._http import header

__all__ = ["RetryPolicy", "retry_after_seconds"]

_RNG = random.Random()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``base_delay * 2**attempt`` (± ``jitter``), at most ``max_delay``."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether ``error`` on try number ``attempt`` (0-based) is retried.

        A 429 inside an adaptive limiter's call is not: the limiter pauses every caller and sends it again.
        """
        if isinstance(error, RateLimitError) and THROTTLING_HANDLED.get():
            return False
        return attempt < self.max_retries and isinstance(error, APIError) and error.retryable

    def delay(self, attempt: int, retry_after: float | None = None, *, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay)
        backoff = min(self.base_delay * (2.0**attempt), self.max_delay)
        spread: float = (rng or _RNG).uniform(-self.jitter, self.jitter)
        return max(0.0, backoff * (1.0 + spread))


def retry_after_seconds(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds to wait as the server asks, from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    millis = header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass  # malformed: try retry-after next
    value = header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass  # not a number: an HTTP date
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)
