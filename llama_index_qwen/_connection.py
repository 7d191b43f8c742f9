"""Connection fields and the pooled client that ``QwenEmbedding`` and ``QwenRerank`` share."""

from __future__ import annotations

from typing import Literal

from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from qwen_core.client import QwenClient
from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY, ConcurrencyLimiter
from qwen_core.lazy_client import LazyClient
from qwen_core.settings import QwenSettings


class QwenConnection(BaseModel):
    """Where and how to reach the service; settings resolved once, one lazily created client per instance."""

    api: Literal["compatible", "dashscope"] = Field(default="dashscope", description="Wire protocol.")
    api_key: SecretStr | None = Field(
        default=None, exclude=True, description="DashScope API key (default: DASHSCOPE_API_KEY); never serialized."
    )
    region: str | None = Field(default=None, description="Region, e.g. cn-beijing or ap-southeast-1.")
    base_url: str | None = Field(default=None, description="Service root or protocol base URL; wins over region.")
    workspace: str | None = Field(default=None, description="Workspace id (X-DashScope-WorkSpace).")
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1, description="Requests in flight (async).")
    timeout: float | None = Field(default=None, description="Read timeout in seconds (default 120).")
    max_retries: int | None = Field(default=None, description="Retries per request (default 2).")

    _settings: QwenSettings = PrivateAttr()
    _limiter: ConcurrencyLimiter = PrivateAttr()
    _clients: LazyClient = PrivateAttr()

    @model_validator(mode="after")
    def _connect(self) -> Self:
        """Resolve the settings once (a missing key or bad URL fails here, before any request)."""
        self._settings = QwenSettings.resolve(
            api_key=self.api_key.get_secret_value() if self.api_key is not None else None,
            region=self.region,
            base_url=self.base_url,
            workspace=self.workspace,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )
        self._clients = LazyClient(self._settings, self.api)
        self._limiter = ConcurrencyLimiter(self.max_concurrency)
        return self

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
