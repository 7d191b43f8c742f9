"""Native asyncio transport on one pooled ``aiohttp.ClientSession`` per event loop.

aiohttp sessions belong to the loop that created them, and users of LangChain and LlamaIndex run several
loops in one process (``asyncio.run`` per call, notebooks, test frameworks). So each loop gets its own
session, created on first use in that loop, and closed when that loop shuts down: a small async generator
is started in the loop and kept alive; ``asyncio.run``'s ``shutdown_asyncgens`` finalises it, which closes
the session inside the loop, before the loop closes, with no "Unclosed client session" warning.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from qwen_core.errors import APIConnectionError, APIError, APITimeoutError
from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import KEEPALIVE_EXPIRY, MAX_CONNECTIONS, ErrorParser, status_error

if TYPE_CHECKING:
    import aiohttp

_T = TypeVar("_T")


@dataclass(slots=True)
class _LoopSession:
    session: aiohttp.ClientSession
    guard: AsyncGenerator[None, None]


async def _close_on_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()


class AsyncTransport:
    """Sends requests with aiohttp; one pooled session per event loop; retries before the first byte only."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        self._settings = settings
        self._policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSession] = (
            weakref.WeakKeyDictionary()
        )

    async def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        entry = self._sessions.get(loop)
        if entry is not None and not entry.session.closed:
            return entry.session
        session = _new_session(self._settings)
        guard = _close_on_loop_shutdown(session)
        self._sessions[loop] = _LoopSession(session, guard)
        await guard.__anext__()  # registers the guard with this loop's shutdown_asyncgens
        return session

    async def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        return await self._retrying(lambda: self._send_once(wire, parse_error))

    async def _retrying(self, attempt_once: Callable[[], Awaitable[_T]]) -> _T:
        """Await ``attempt_once()`` until it succeeds or the policy says the error is final."""
        attempt = 0
        while True:
            try:
                return await attempt_once()
            except APIError as error:
                if not self._policy.should_retry(error, attempt):
                    raise
                await asyncio.sleep(self._policy.delay(attempt, error.retry_after))
                attempt += 1

    async def stream(self, wire: WireRequest, parse_error: ErrorParser) -> AsyncGenerator[bytes, None]:
        """POST ``wire`` and yield body bytes of a 2xx streamed answer as they arrive.

        Retries happen only while opening; the connection is released when iteration ends, fails, is
        closed early (``aclose``) or is cancelled.
        """
        response = await self._open(wire, parse_error)
        try:
            async for chunk in response.content.iter_any():
                yield chunk
        except APIError:
            raise
        except Exception as exc:
            raise _network_error(exc) from exc
        finally:
            response.close()

    async def aclose(self) -> None:
        """Close this event loop's pooled connections."""
        entry = self._sessions.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry.guard.aclose()

    async def _send_once(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        session = await self._session()
        try:
            async with session.post(wire.url, data=wire.body, headers=wire.headers) as response:
                body = await response.read()
                if response.status < 300:
                    return body
                error = status_error(parse_error, response.status, body, response.headers)
        except APIError:
            raise
        except Exception as exc:
            raise _network_error(exc) from exc
        raise error

    async def _open(self, wire: WireRequest, parse_error: ErrorParser) -> aiohttp.ClientResponse:
        return await self._retrying(lambda: self._open_once(wire, parse_error))

    async def _open_once(self, wire: WireRequest, parse_error: ErrorParser) -> aiohttp.ClientResponse:
        session = await self._session()
        try:
            response = await session.post(wire.url, data=wire.body, headers=wire.headers)
        except Exception as exc:
            raise _network_error(exc) from exc
        if response.status < 300:
            return response
        try:
            body = await response.read()
        except Exception as exc:
            raise _network_error(exc) from exc
        finally:
            response.release()
        raise status_error(parse_error, response.status, body, response.headers)


def _new_session(settings: QwenSettings) -> aiohttp.ClientSession:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_EXPIRY),
        timeout=aiohttp.ClientTimeout(total=None, connect=settings.connect_timeout, sock_read=settings.timeout),
    )


def _network_error(exc: Exception) -> APIError:
    """Map an aiohttp/asyncio failure to a typed error (typed errors pass through unchanged)."""
    import aiohttp

    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return APITimeoutError(f"request timed out: {type(exc).__name__}")
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return APIConnectionError(f"connection failed: {type(exc).__name__}: {exc}")
    raise exc
