"""The transport base: what every transport shares, whatever library moves the bytes.

Configuration (proxy, TLS trust, client certificate, timeouts and the overall deadline) is read from the resolved
:class:`~qwen_core.settings.QwenSettings` once, at construction; error classification, retry decisions and fork
detection live here too. The I/O subclasses (``sync.SyncTransport`` on urllib3, ``aio.AsyncTransport`` on
aiohttp, ``own_client`` on a user's httpx client) only open connections and move bytes.

Network failures are classified from the chain of causes, so every library reports them alike:

- DNS failure, refused or reset connection, TLS failure -> :class:`APIConnectionError` naming host and cause
  (a failed certificate verification is not retried: it will fail again);
- only a real timeout -> :class:`APITimeoutError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

from qwen_core.errors import APIConnectionError, APIError, APITimeoutError, drop_library_frames
from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import KEEPALIVE_EXPIRY as KEEPALIVE_EXPIRY
from qwen_core.transport._common import MAX_CONNECTIONS as MAX_CONNECTIONS

__all__ = ["BaseTransport", "classify", "tls_context"]

_T = TypeVar("_T")


@functools.lru_cache(maxsize=32)
def tls_context(verify: bool | str | ssl.SSLContext, cert: tuple[str, str | None] | None) -> ssl.SSLContext:
    """The TLS context for ``verify`` and ``cert`` (built once per distinct pair; contexts are thread-safe).

    ``True`` trusts certifi's bundle (the system store when certifi is missing); a path is a CA file or
    directory; ``False`` verifies nothing; a user's context is used as given (``cert`` may not accompany it).
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        is_dir = os.path.isdir(verify)
        context = ssl.create_default_context(cafile=None if is_dir else verify, capath=verify if is_dir else None)
    else:
        context = ssl.create_default_context(cafile=_certifi_bundle())
    if cert is not None:
        context.load_cert_chain(cert[0], cert[1])
    return context


def _certifi_bundle() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi ships with requests, a dependency of dashscope
        return None
    return certifi.where()


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (``__cause__``/``__context__``, urllib3's ``reason``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)  # urllib3 ProxyError / MaxRetryError keep the cause here
        nested = reason if isinstance(reason, BaseException) else None
        current = current.__cause__ or nested or current.__context__


def _connection_kind(cause: BaseException) -> str | None:
    if isinstance(cause, socket.gaierror) or type(cause).__name__ in ("NameResolutionError", "ClientConnectorDNSError"):
        return "cannot resolve host"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused by"
    if isinstance(cause, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "connection reset by"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return "TLS certificate verification failed for"
    if isinstance(cause, ssl.SSLError):
        return "TLS failed with"
    return None


def classify(exc: BaseException, target: str, timeout_types: tuple[type[BaseException], ...]) -> APIError:
    """The typed error for a network failure ``exc`` on a request to ``target`` (typed errors pass through)."""
    if isinstance(exc, APIError):
        return exc
    causes = list(_causes(exc))
    for cause in causes:
        kind = _connection_kind(cause)
        if kind is not None:
            error = APIConnectionError(f"{kind} {target}: {_describe(cause)}")
            error.retryable = not isinstance(cause, ssl.SSLCertVerificationError)
            return error
    if any(isinstance(cause, timeout_types) for cause in causes):
        return APITimeoutError(f"request to {target} timed out: {_describe(exc)}")
    return APIConnectionError(f"connection to {target} failed: {_describe(causes[-1])}")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class BaseTransport:
    """Configuration, error classification, retry decisions, deadlines and fork detection for one client.

    Subclasses implement the I/O for one library and call :meth:`_network_error` on its failures.
    """

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        self._settings = settings
        self._policy = policy or RetryPolicy(max_retries=settings.max_retries)
        host = urlsplit(settings.root_url).netloc
        self._target = host if settings.proxy is None else f"{host} (via proxy {settings.proxy})"
        self._pid = os.getpid()

    @property
    def settings(self) -> QwenSettings:
        return self._settings

    def _ssl_context(self) -> ssl.SSLContext:
        return tls_context(self._settings.verify, self._settings.cert)

    def _proxy_headers(self) -> dict[str, str]:
        auth = self._settings.proxy_auth
        return {} if auth is None else {"Proxy-Authorization": auth.get_secret_value()}

    def _forked(self) -> bool:
        """True once in a process forked since the pools were made (a pid compare; the caller resets them)."""
        pid = os.getpid()
        if pid == self._pid:
            return False
        self._pid = pid
        return True

    def _timeout_types(self) -> tuple[type[BaseException], ...]:
        """The exceptions that mean a timeout: the built-in ones, plus the I/O library's (subclasses add them)."""
        return (TimeoutError, asyncio.TimeoutError)

    def _network_error(self, exc: BaseException) -> APIError:
        drop_library_frames(exc)
        return classify(exc, self._target, self._timeout_types())

    @contextlib.contextmanager
    def _io(self) -> Iterator[None]:
        """Around the I/O library's calls: typed errors pass through, any other failure is raised as its classified
        :class:`APIError` (sync and async transports, sends and stream loops alike)."""
        try:
            yield
        except APIError:
            raise
        except Exception as exc:
            raise self._network_error(exc) from exc

    # -- timeouts and deadlines --------------------------------------------------------------------

    def _deadline(self) -> float | None:
        """The monotonic time by which the call (or the whole stream) must be done, if a total timeout is set."""
        total = self._settings.total_timeout
        return None if total is None else time.monotonic() + total

    def _remaining(self, deadline: float) -> float:
        """Seconds left before ``deadline``; :class:`APITimeoutError` when none are."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise APITimeoutError(
                f"request to {self._target} exceeded its total_timeout of {self._settings.total_timeout:g} s"
            )
        return left

    def _check_deadline(self, deadline: float | None) -> None:
        """Raise :class:`APITimeoutError` once ``deadline`` (if any) has passed: checked between stream chunks."""
        if deadline is not None:
            self._remaining(deadline)

    def _timeouts(self, wire: WireRequest, deadline: float | None) -> tuple[float, float]:
        """``(connect, read)`` seconds for one attempt: the request's own read timeout, capped by the deadline."""
        read = self._settings.timeout if wire.timeout is None else wire.timeout
        connect = min(self._settings.connect_timeout, read)
        if deadline is None:
            return connect, read
        left = self._remaining(deadline)
        return min(connect, left), min(read, left)

    # -- retries ----------------------------------------------------------------------------------

    def _retry_delay(self, error: APIError, attempt: int, deadline: float | None) -> float:
        """Seconds to wait before retrying after ``error``; re-raises it when it is final or time is up."""
        if not self._policy.should_retry(error, attempt):
            raise error
        delay = self._policy.delay(attempt, error.retry_after)
        if deadline is not None and time.monotonic() + delay >= deadline:
            raise error
        return delay

    def _retrying(self, attempt_once: Callable[[float | None], _T], deadline: float | None) -> _T:
        """Run ``attempt_once(deadline)`` until it succeeds or the error is final (sync transports)."""
        attempt = 0
        while True:
            try:
                return attempt_once(deadline)
            except APIError as error:
                time.sleep(self._retry_delay(error, attempt, deadline))
                attempt += 1

    async def _aretrying(self, attempt_once: Callable[[float | None], Awaitable[_T]], deadline: float | None) -> _T:
        """Await ``attempt_once(deadline)`` until it succeeds or the error is final (async transports)."""
        attempt = 0
        while True:
            try:
                return await attempt_once(deadline)
            except APIError as error:
                await asyncio.sleep(self._retry_delay(error, attempt, deadline))
                attempt += 1
