"""Transports on a user's own ``httpx.Client`` / ``httpx.AsyncClient`` (``http_client=``/``http_async_client=``).

The client is used as given: its proxy, TLS, limits, event hooks and headers apply; the package adds its
timeouts (read, connect and ``total_timeout``, per request, as the openai SDK does), its retries and its error
classification. The client is the user's: ``close`` leaves it open, copies share it, and after ``os.fork()`` it
is the user's to recreate (httpx pools are not fork-safe). httpx is imported only when such a client is passed.

The built-in urllib3/aiohttp transports stay the default: one call costs about half the CPU of httpx's
(``benchmarks/transport_cpu.py``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import ErrorParser, status_error
from qwen_core.transport.base import BaseTransport

if TYPE_CHECKING:
    import httpx


__all__ = ["HttpxAsyncTransport", "HttpxTransport"]


class _HttpxBase(BaseTransport):
    """What the sync and async httpx transports share: timeouts per request and the timeout exceptions."""

    def _timeout_types(self) -> tuple[type[BaseException], ...]:
        import httpx

        return (*super()._timeout_types(), httpx.TimeoutException)

    def _request(self, client: httpx.Client | httpx.AsyncClient, wire: WireRequest, deadline: float | None
                 ) -> httpx.Request:
        import httpx

        connect, read = self._timeouts(wire, deadline)
        timeout = httpx.Timeout(read, connect=connect, pool=connect)
        return client.build_request(wire.method, wire.url, content=wire.body, headers=dict(wire.headers),
                                    timeout=timeout)


class HttpxTransport(_HttpxBase):
    """Sync transport on the user's ``httpx.Client``."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        super().__init__(settings, policy)
        self._client: httpx.Client = settings.http_client

    def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        return self._retrying(lambda deadline: self._send_once(wire, parse_error, deadline), self._deadline())

    def stream(self, wire: WireRequest, parse_error: ErrorParser) -> Generator[bytes, None, None]:
        """POST ``wire`` and yield body bytes of a 2xx streamed answer; the response is closed when done."""
        deadline = self._deadline()
        response = self._retrying(lambda left: self._open_once(wire, parse_error, left), deadline)
        try:
            with self._io():
                for chunk in response.iter_raw():
                    yield chunk
                    self._check_deadline(deadline)
        finally:
            response.close()

    def close(self) -> None:
        """Nothing to close: the client is the user's."""

    def _send_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None) -> bytes:
        response = self._open_once(wire, parse_error, deadline)
        try:
            with self._io():
                return response.read()
        finally:
            response.close()

    def _open_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None) -> httpx.Response:
        with self._io():
            response = self._client.send(self._request(self._client, wire, deadline), stream=True)
            if response.status_code < 300:
                return response
            body = response.read()
            response.close()
        raise status_error(parse_error, response.status_code, body, _lower(response.headers))


class HttpxAsyncTransport(_HttpxBase):
    """Async transport on the user's ``httpx.AsyncClient``."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        super().__init__(settings, policy)
        self._client: httpx.AsyncClient = settings.http_async_client

    async def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        return await self._aretrying(lambda deadline: self._send_once(wire, parse_error, deadline), self._deadline())

    async def stream(self, wire: WireRequest, parse_error: ErrorParser) -> AsyncGenerator[bytes, None]:
        """POST ``wire`` and yield body bytes of a 2xx streamed answer; the response is closed when done."""
        deadline = self._deadline()
        response = await self._aretrying(lambda left: self._open_once(wire, parse_error, left), deadline)
        try:
            with self._io():
                async for chunk in response.aiter_raw():
                    yield chunk
                    self._check_deadline(deadline)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        """Nothing to close: the client is the user's."""

    async def _send_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None) -> bytes:
        response = await self._open_once(wire, parse_error, deadline)
        try:
            with self._io():
                return await response.aread()
        finally:
            await response.aclose()

    async def _open_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None
                         ) -> httpx.Response:
        with self._io():
            response = await self._client.send(self._request(self._client, wire, deadline), stream=True)
            if response.status_code < 300:
                return response
            body = await response.aread()
            await response.aclose()
        raise status_error(parse_error, response.status_code, body, _lower(response.headers))


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
