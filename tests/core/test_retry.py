"""The retry policy: which errors are retried, how often, and the delays (exponential, jittered, capped,
Retry-After honoured up to the cap)."""

from __future__ import annotations

import random

from qwen_core.errors import AuthenticationError, RateLimitError, ServerError
from qwen_core.retry import RetryPolicy, retry_after_seconds


def test_retry_policy() -> None:
    policy = RetryPolicy(max_retries=2, base_delay=0.5, max_delay=8.0, jitter=0.25)
    assert policy.should_retry(RateLimitError("x"), 0)
    assert policy.should_retry(ServerError("x"), 1)
    assert not policy.should_retry(ServerError("x"), 2)
    assert not policy.should_retry(AuthenticationError("x"), 0)
    rng = random.Random(1)
    for attempt, base in ((0, 0.5), (1, 1.0), (2, 2.0), (10, 8.0)):
        assert base * 0.75 <= policy.delay(attempt, rng=rng) <= base * 1.25
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(0, retry_after=100.0) == 8.0


def test_retry_after() -> None:
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0) == 10.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412490.0) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds(None) is None
