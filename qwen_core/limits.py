"""Adaptive concurrency: one AIMD limiter per (API key, model), shared by every client and instance in a process.

The service limits requests (and tokens) per minute per account and model, and answers ``429 Throttling`` beyond
that. A fixed concurrency is either too low (slow) or too high (throttled until retries run out), and depends on
the account's quota, which the client cannot know. So the async fan-out paths (``abatch`` and ``ainvoke`` of
``ChatQwen``, ``aembed_documents`` and LlamaIndex async embedding, async rerank) run each request through the
:class:`AdaptiveLimiter` of their key and model:

* **Window** (additive increase, multiplicative decrease): unbounded until the service first throttles (so
  unthrottled fan-out costs nothing); then at most ``window`` requests in flight, starting at half of what was in
  flight; each success adds ``1 / window`` (about one more per round trip of the whole window), each throttling
  episode halves it (once per episode: a burst of 429s from one window halves it once); once it has grown back
  to the cap (or :data:`DEFAULT_CEILING`) it is unbounded again.
* **Pause**: a 429 pauses *every* caller of that key and model until its ``Retry-After`` (or a backoff when the
  service gives none) has passed, then the throttled request is sent again. Throttling is handled here, not by
  the transport's retries (which would sleep per request while the others keep hammering), up to
  :data:`MAX_THROTTLE_RETRIES` times per request (none with ``max_retries=0``: the 429 is raised, the pause
  still applies to the others); other failures (5xx, connection) keep the transport's retries.
* **Hard cap**: ``max_concurrency`` (an instance's, or ``cap`` per call) is never exceeded by the limiter either.

Limiters are per process and per event loop for their waiting queues (asyncio primitives belong to one loop);
the window and pause are shared by all loops of the process. The key is kept as a digest only.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from qwen_core.errors import RateLimitError
from qwen_core.settings import QwenSettings

T = TypeVar("T")

#: Without a cap, a window that grows back to this many requests is lifted.
DEFAULT_CEILING: Final = 256
#: How often one request may be throttled before its RateLimitError is raised.
MAX_THROTTLE_RETRIES: Final = 30
#: Pause after a 429 without Retry-After: base * 2**n (n = throttles in a row), at most the maximum.
_BACKOFF_BASE: Final = 0.25
_BACKOFF_MAX: Final = 8.0
_RNG = random.Random()

#: True while a limiter runs a call: the transport then leaves 429s to the limiter (see :mod:`qwen_core.retry`).
THROTTLING_HANDLED: contextvars.ContextVar[bool] = contextvars.ContextVar("qwen_throttling_handled", default=False)


class _LoopQueue:
    """In-flight count and waiters of one event loop."""

    __slots__ = ("in_flight", "waiters")

    def __init__(self) -> None:
        self.in_flight = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    def wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class AdaptiveLimiter:
    """An AIMD concurrency window with a shared Retry-After pause (see the module docstring)."""

    def __init__(self, *, ceiling: int = DEFAULT_CEILING) -> None:
        #: Requests allowed in flight; None: no limit (nothing throttled since the last recovery).
        self.window: float | None = None
        self.ceiling = ceiling
        self.paused_until = 0.0
        self.throttled = 0
        self._episode_end = 0.0
        self._streak = 0
        self._lock = threading.Lock()
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        window = "unbounded" if self.window is None else f"{self.window:.1f}"
        return f"AdaptiveLimiter(window={window}, throttled={self.throttled})"

    def _queue(self) -> _LoopQueue:
        loop = asyncio.get_running_loop()
        with self._lock:
            queue = self._queues.get(loop)
            if queue is None:
                queue = self._queues[loop] = _LoopQueue()
            return queue

    def _limit(self, cap: int | None) -> int | None:
        window = self.window
        if window is None:
            return cap
        return max(1, min(int(window), cap)) if cap else max(1, int(window))

    async def _acquire(self, queue: _LoopQueue, cap: int | None) -> None:
        while True:
            pause = self.paused_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            limit = self._limit(cap)
            if limit is None or queue.in_flight < limit:
                queue.in_flight += 1
                return
            waiter = asyncio.get_running_loop().create_future()
            queue.waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    queue.wake_one()  # pass on a wake-up this cancelled waiter received
                raise

    def _release(self, queue: _LoopQueue) -> None:
        queue.in_flight -= 1
        queue.wake_one()

    def _succeeded(self, cap: int | None) -> None:
        if self.window is None and not self._streak:
            return  # the common case, without the lock
        with self._lock:
            self._streak = 0
            if self.window is not None:
                self.window += 1.0 / self.window
                if self.window >= (cap or self.ceiling):
                    self.window = None

    def _throttled(self, error: RateLimitError, in_flight: int) -> None:
        now = time.monotonic()
        with self._lock:
            self.throttled += 1
            self._streak += 1
            wait = error.retry_after
            if wait is None:
                wait = min(_BACKOFF_BASE * 2 ** min(self._streak - 1, 16), _BACKOFF_MAX) * _RNG.uniform(0.75, 1.25)
            self.paused_until = max(self.paused_until, now + wait)
            if now >= self._episode_end:  # one decrease per episode, not one per 429 of the same burst
                base = self.window if self.window is not None else float(in_flight)
                self.window = max(1.0, base / 2)
                self._episode_end = self.paused_until

    async def run(self, call: Callable[[], Awaitable[T]], cap: int | None = None, *,
                  retries: int = MAX_THROTTLE_RETRIES) -> T:
        """Await ``call()`` within the window; on throttling pause everyone, then send it again.

        Args:
            call: makes one request (a new awaitable per attempt).
            cap: hard limit of requests in flight for this caller (``max_concurrency``).
            retries: how often one request may be resent after throttling (:func:`throttle_retries`).

        Raises:
            RateLimitError: still throttled after ``retries`` resends.
        """
        queue = self._queue()
        attempt = 0
        while True:
            await self._acquire(queue, cap)
            token = THROTTLING_HANDLED.set(True)
            try:
                result = await call()
            except RateLimitError as error:
                self._throttled(error, queue.in_flight)
                attempt += 1
                if attempt > retries:
                    raise
                continue
            finally:
                THROTTLING_HANDLED.reset(token)
                self._release(queue)
            self._succeeded(cap)
            return result


def throttle_retries(settings: QwenSettings) -> int:
    """Resends of a throttled request: :data:`MAX_THROTTLE_RETRIES`, or none when ``max_retries=0`` asked for none."""
    return MAX_THROTTLE_RETRIES if settings.max_retries > 0 else 0


_REGISTRY: dict[tuple[str, str], AdaptiveLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def limiter_for(settings: QwenSettings, model: str) -> AdaptiveLimiter:
    """The process's limiter for this key (and endpoint, workspace) and model."""
    account = "\0".join((settings.api_key.get_secret_value(), settings.root_url, settings.workspace or ""))
    key = (hashlib.sha256(account.encode()).hexdigest()[:24], model)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None:
            limiter = _REGISTRY[key] = AdaptiveLimiter()
        return limiter


__all__ = ["DEFAULT_CEILING", "MAX_THROTTLE_RETRIES", "THROTTLING_HANDLED", "AdaptiveLimiter",
           "limiter_for", "throttle_retries"]
