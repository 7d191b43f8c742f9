"""The only code in qwen_core that does network I/O.

``base.BaseTransport`` holds what every transport shares (configuration from the settings, error
classification, retries, deadlines, fork detection); the I/O subclasses move bytes: ``sync.SyncTransport``
(urllib3) and ``aio.AsyncTransport`` (aiohttp) by default, ``own_client`` on a user's httpx client.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Protocol

from qwen_core.protocols.base import WireRequest
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import ErrorParser


class SyncSender(Protocol):
    """What the client needs from a sync transport."""

    def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes: ...
    def stream(self, wire: WireRequest, parse_error: ErrorParser) -> Generator[bytes, None, None]: ...
    def close(self) -> None: ...


class AsyncSender(Protocol):
    """What the client needs from an async transport."""

    async def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes: ...
    def stream(self, wire: WireRequest, parse_error: ErrorParser) -> AsyncGenerator[bytes, None]: ...
    async def aclose(self) -> None: ...


def sync_transport(settings: QwenSettings) -> SyncSender:
    """The sync transport for ``settings``: the user's ``http_client`` when given, else urllib3."""
    if settings.http_client is not None:
        from qwen_core.transport.own_client import HttpxTransport

        return HttpxTransport(settings)
    from qwen_core.transport.sync import SyncTransport

    return SyncTransport(settings)


def async_transport(settings: QwenSettings) -> AsyncSender:
    """The async transport for ``settings``: the user's ``http_async_client`` when given, else aiohttp."""
    if settings.http_async_client is not None:
        from qwen_core.transport.own_client import HttpxAsyncTransport

        return HttpxAsyncTransport(settings)
    from qwen_core.transport.aio import AsyncTransport

    return AsyncTransport(settings)


__all__ = ["AsyncSender", "SyncSender", "async_transport", "sync_transport"]
