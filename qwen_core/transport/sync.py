"""Synchronous transport on one pooled ``httpx.Client`` per transport (created on first use)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Generator
from typing import TYPE_CHECKING

from qwen_core.errors import APIConnectionError, APIError, APITimeoutError
from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import KEEPALIVE_EXPIRY, MAX_CONNECTIONS, MAX_KEEPALIVE, ErrorParser, status_error

if TYPE_CHECKING:
    import httpx


class SyncTransport:
    """Sends requests over a pooled ``httpx.Client``; retries before the first byte only."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        self._settings = settings
        self._policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = _new_client(self._settings)
                    # A transport dropped without close() still closes its sockets (no ResourceWarning).
                    weakref.finalize(self, self._client.close)
                client = self._client
        return client

    def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        attempt = 0
        while True:
            try:
                return self._send_once(wire, parse_error)
            except APIError as error:
                if not self._policy.should_retry(error, attempt):
                    raise
                time.sleep(self._policy.delay(attempt, error.retry_after))
                attempt += 1

    def stream(self, wire: WireRequest, parse_error: ErrorParser) -> Generator[bytes, None, None]:
        """POST ``wire`` and yield the raw body bytes of a 2xx streamed answer as they arrive.

        Retries happen only while opening the stream; once bytes were yielded nothing is retried. The
        connection is released when the iterator finishes, fails or is closed early.
        """
        response = self._open(wire, parse_error)
        try:
            yield from response.iter_bytes()
        except Exception as exc:
            raise _network_error(exc) from exc
        finally:
            response.close()

    def close(self) -> None:
        """Close pooled connections. The transport reopens a pool if used again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _send_once(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        try:
            response = self._http().post(wire.url, content=wire.body, headers=wire.headers)
        except Exception as exc:
            raise _network_error(exc) from exc
        if response.status_code < 300:
            return response.content
        raise status_error(parse_error, response.status_code, response.content, response.headers)

    def _open(self, wire: WireRequest, parse_error: ErrorParser) -> httpx.Response:
        attempt = 0
        while True:
            try:
                return self._open_once(wire, parse_error)
            except APIError as error:
                if not self._policy.should_retry(error, attempt):
                    raise
                time.sleep(self._policy.delay(attempt, error.retry_after))
                attempt += 1

    def _open_once(self, wire: WireRequest, parse_error: ErrorParser) -> httpx.Response:
        client = self._http()
        try:
            response = client.send(client.build_request("POST", wire.url, content=wire.body, headers=wire.headers),
                                   stream=True)
        except Exception as exc:
            raise _network_error(exc) from exc
        if response.status_code < 300:
            return response
        try:
            body = response.read()
        except Exception as exc:
            raise _network_error(exc) from exc
        finally:
            response.close()
        raise status_error(parse_error, response.status_code, body, response.headers)


def _new_client(settings: QwenSettings) -> httpx.Client:
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
        follow_redirects=False,
    )


def _network_error(exc: Exception) -> APIError:
    """Map an httpx failure to a typed error (typed errors pass through unchanged)."""
    import httpx

    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out: {type(exc).__name__}")
    if isinstance(exc, (httpx.TransportError, OSError)):
        return APIConnectionError(f"connection failed: {type(exc).__name__}: {exc}")
    raise exc
