"""Connection fields and the pooled client that ``QwenEmbedding`` and ``QwenRerank`` share."""

from __future__ import annotations

from typing import Literal

from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY, ConcurrencyLimiter
from qwen_core.lazy_client import LazyClient, OwnsLazyClient
from qwen_core.settings import QwenSettings, resolve_options


class QwenConnection(OwnsLazyClient, BaseModel):
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
        self._settings = resolve_options(self)
        self._clients = LazyClient(self._settings, self.api)
        self._limiter = ConcurrencyLimiter(self.max_concurrency)
        return self
