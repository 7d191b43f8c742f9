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
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import KEEPALIVE_EXPIRY, MAX_CONNECTIONS, ErrorParser, status_error
from qwen_core.transport.base import BaseTransport

if TYPE_CHECKING:
    import aiohttp


__all__ = ["AsyncTransport"]


@dataclass(slots=True)
class _LoopSession:
    session: aiohttp.ClientSession
    guard: AsyncGenerator[None, None]


async def _close_on_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()


class AsyncTransport(BaseTransport):
    """Sends requests with aiohttp; one pooled session per event loop and process; retries before the first byte."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        super().__init__(settings, policy)
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSession] = (
            weakref.WeakKeyDictionary()
        )
        self._parents_sessions: list[object] = []
        self._request_options: dict[str, Any] = {}
        if settings.proxy is not None:
            self._request_options.update(proxy=settings.proxy, proxy_headers=self._proxy_headers())

    async def _session(self) -> aiohttp.ClientSession:
        if self._forked():
            # the parent's sessions and their sockets are left alone (kept referenced, never closed or used here)
            self._parents_sessions.append(self._sessions)
            self._sessions = weakref.WeakKeyDictionary()
        loop = asyncio.get_running_loop()
        entry = self._sessions.get(loop)
        if entry is not None and not entry.session.closed:
            return entry.session
        session = self._new_session()
        guard = _close_on_loop_shutdown(session)
        self._sessions[loop] = _LoopSession(session, guard)
        await guard.__anext__()  # registers the guard with this loop's shutdown_asyncgens
        return session

    def _new_session(self) -> aiohttp.ClientSession:
        import aiohttp

        settings = self._settings
        ssl_context = self._ssl_context() if settings.root_url.startswith("https:") else None
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_EXPIRY,
                                           ssl=ssl_context if ssl_context is not None else True),
            timeout=aiohttp.ClientTimeout(total=None, connect=settings.connect_timeout, sock_read=settings.timeout),
        )

    def _options(self, wire: WireRequest, deadline: float | None) -> dict[str, Any]:
        """Per-request keyword arguments: the proxy, and a timeout when the request or a deadline needs one."""
        if wire.timeout is None and deadline is None:
            return self._request_options
        import aiohttp

        connect, read = self._timeouts(wire, deadline)
        total = None if deadline is None else self._remaining(deadline)
        return {**self._request_options, "timeout": aiohttp.ClientTimeout(total=total, connect=connect,
                                                                          sock_read=read)}

    async def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        return await self._aretrying(lambda deadline: self._send_once(wire, parse_error, deadline), self._deadline())

    async def stream(self, wire: WireRequest, parse_error: ErrorParser) -> AsyncGenerator[bytes, None]:
        """POST ``wire`` and yield body bytes of a 2xx streamed answer as they arrive.

        Retries happen only while opening; the connection is released when iteration ends, fails, is
        closed early (``aclose``) or is cancelled. A ``total_timeout`` bounds the whole stream.
        """
        deadline = self._deadline()
        response = await self._aretrying(lambda left: self._open_once(wire, parse_error, left), deadline)
        try:
            with self._io():
                async for chunk in response.content.iter_any():
                    yield chunk
        finally:
            response.close()

    async def aclose(self) -> None:
        """Close this event loop's pooled connections."""
        entry = self._sessions.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry.guard.aclose()

    async def _send_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None) -> bytes:
        session = await self._session()
        with self._io():
            async with session.request(wire.method, wire.url, data=wire.body, headers=wire.headers,
                                       **self._options(wire, deadline)) as response:
                body = await response.read()
                if response.status < 300:
                    return body
                error = status_error(parse_error, response.status, body, response.headers)
        raise error

    async def _open_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None
                         ) -> aiohttp.ClientResponse:
        session = await self._session()
        with self._io():
            response = await session.request(wire.method, wire.url, data=wire.body, headers=wire.headers,
                                             **self._options(wire, deadline))
        if response.status < 300:
            return response
        try:
            with self._io():
                body = await response.read()
        finally:
            response.release()
        raise status_error(parse_error, response.status, body, response.headers)
