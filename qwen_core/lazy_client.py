"""`LazyClient`: the one :class:`QwenClient` an adapter instance owns, created on first use.

Every adapter class (chat model, embeddings, reranker) holds one of these, so connections are pooled per
instance, nothing is opened at construction, and ``close``/``aclose`` release the pools (a later call opens
new ones).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from qwen_core.settings import QwenSettings
from qwen_core.types import Api

if TYPE_CHECKING:
    from qwen_core.client import QwenClient


class LazyClient:
    """A thread-safe holder of one :class:`QwenClient` for fixed settings and protocol."""

    __slots__ = ("_api", "_client", "_lock", "_settings")

    def __init__(self, settings: QwenSettings, api: Api) -> None:
        self._settings = settings
        self._api: Api = api
        self._client: QwenClient | None = None
        self._lock = threading.Lock()

    def get(self) -> QwenClient:
        """The client, created on first call and reused afterwards."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    from qwen_core.client import QwenClient

                    self._client = QwenClient(self._settings, api=self._api)
                client = self._client
        return client

    def _take(self) -> QwenClient | None:
        with self._lock:
            client, self._client = self._client, None
        return client

    def close(self) -> None:
        """Close the sync connection pool."""
        client = self._take()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the sync pool and this event loop's async pool."""
        client = self._take()
        if client is not None:
            await client.aclose()

    def __repr__(self) -> str:
        return f"LazyClient(api={self._api!r}, open={self._client is not None})"


class OwnsLazyClient:
    """Mixin for adapter classes that hold their :class:`LazyClient` in ``_clients``."""

    _clients: LazyClient

    @property
    def client(self) -> QwenClient:
        """The instance's one :class:`QwenClient`, created on first use (its connection pools are reused)."""
        return self._clients.get()

    def close(self) -> None:
        """Close the client's sync connection pool (a later call opens a new one)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the client's connection pools (sync, and this event loop's async one)."""
        await self._clients.aclose()
