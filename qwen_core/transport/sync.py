"""Synchronous transport on one pooled ``urllib3.PoolManager`` per transport (created on first use).

Why urllib3 and not httpx or an SDK: measured against the emulator on our 2-core machines, one POST costs
about 0.48 ms of CPU with urllib3 against 0.92 ms with httpx (whose per-response cookie extraction and
model layers dominate) and more with the openai SDK on top; the one-call target (<= 1.6x a raw httpx POST,
framework included) leaves no room for httpx's cost. urllib3 ships with ``requests`` (a dependency of
``dashscope``), pools keep-alive connections per host, and streams chunked responses chunk by chunk.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from qwen_core.errors import APIConnectionError, APIError, APITimeoutError
from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import MAX_CONNECTIONS, ErrorParser, status_error

if TYPE_CHECKING:
    import urllib3

_READ_SIZE = 65_536
_T = TypeVar("_T")


class SyncTransport:
    """Sends requests over pooled keep-alive connections; retries before the first byte only."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        self._settings = settings
        self._policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self._pool: urllib3.PoolManager | None = None
        self._lock = threading.Lock()

    def _http(self) -> urllib3.PoolManager:
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = _new_pool(self._settings)
                    # A transport dropped without close() still closes its sockets (no ResourceWarning).
                    weakref.finalize(self, self._pool.clear)
                pool = self._pool
        return pool

    def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        return self._retrying(lambda: self._send_once(wire, parse_error))

    def _retrying(self, attempt_once: Callable[[], _T]) -> _T:
        """Run ``attempt_once`` until it succeeds or the policy says the error is final."""
        attempt = 0
        while True:
            try:
                return attempt_once()
            except APIError as error:
                if not self._policy.should_retry(error, attempt):
                    raise
                time.sleep(self._policy.delay(attempt, error.retry_after))
                attempt += 1

    def stream(self, wire: WireRequest, parse_error: ErrorParser) -> Generator[bytes, None, None]:
        """POST ``wire`` and yield the body bytes of a 2xx streamed answer as they arrive.

        Retries happen only while opening the stream; once bytes were yielded nothing is retried. The
        connection goes back to the pool when the stream ends, and is closed when the iterator fails or is
        closed early (an unfinished HTTP response cannot be reused).
        """
        response = self._open(wire, parse_error)
        finished = False
        try:
            if response.chunked:
                yield from response.read_chunked(decode_content=True)
            else:
                while chunk := response.read1(_READ_SIZE):
                    yield chunk
            finished = True
        except Exception as exc:
            raise _network_error(exc) from exc
        finally:
            if not finished:
                response.close()
            response.release_conn()

    def close(self) -> None:
        """Close pooled connections. The transport reopens a pool if used again."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.clear()

    def _send_once(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        try:
            response = self._http().urlopen("POST", wire.url, body=wire.body, headers=wire.headers,
                                            redirect=False, retries=False)
        except Exception as exc:
            raise _network_error(exc) from exc
        if response.status < 300:
            return response.data
        raise status_error(parse_error, response.status, response.data, _lower(response.headers))

    def _open(self, wire: WireRequest, parse_error: ErrorParser) -> urllib3.BaseHTTPResponse:
        return self._retrying(lambda: self._open_once(wire, parse_error))

    def _open_once(self, wire: WireRequest, parse_error: ErrorParser) -> urllib3.BaseHTTPResponse:
        try:
            response = self._http().urlopen("POST", wire.url, body=wire.body, headers=wire.headers,
                                            redirect=False, retries=False, preload_content=False)
        except Exception as exc:
            raise _network_error(exc) from exc
        if response.status < 300:
            return response
        try:
            body = response.read()
        except Exception as exc:
            raise _network_error(exc) from exc
        finally:
            response.release_conn()
        raise status_error(parse_error, response.status, body, _lower(response.headers))


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _new_pool(settings: QwenSettings) -> urllib3.PoolManager:
    import urllib3

    options: dict[str, object] = {
        "num_pools": 4,
        "maxsize": MAX_CONNECTIONS,
        "block": True,  # bounded: a burst of threads waits for a free connection instead of opening more
        "timeout": urllib3.Timeout(connect=settings.connect_timeout, read=settings.timeout),
        "retries": False,  # the one retry layer is ours
        "ca_certs": _ca_bundle(),
    }
    proxy = _proxy_for(settings.root_url)
    if proxy is not None:
        return urllib3.ProxyManager(proxy, **options)  # type: ignore[arg-type]
    return urllib3.PoolManager(**options)  # type: ignore[arg-type]


def _ca_bundle() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi ships with requests and aiohttp's users
        return None
    return certifi.where()


def _proxy_for(url: str) -> str | None:
    """The proxy the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) sets for ``url``, if any."""
    import urllib.request

    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _network_error(exc: Exception) -> APIError:
    """Map a urllib3 failure to a typed error (typed errors pass through unchanged)."""
    import urllib3.exceptions as u3

    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, (u3.TimeoutError, TimeoutError)):
        return APITimeoutError(f"request timed out: {type(exc).__name__}")
    if isinstance(exc, (u3.HTTPError, OSError)):
        return APIConnectionError(f"connection failed: {type(exc).__name__}: {exc}")
    raise exc
