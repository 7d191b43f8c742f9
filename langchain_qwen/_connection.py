"""Connection fields and the pooled client that ``QwenEmbeddings`` and ``QwenRerank`` share."""

from __future__ import annotations

from typing import Literal

from langchain_core.utils import secret_from_env
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY, ConcurrencyLimiter
from qwen_core.lazy_client import LazyClient, OwnsLazyClient
from qwen_core.settings import QwenSettings, resolve_options


class QwenConnection(OwnsLazyClient, BaseModel):
    """Where and how to reach the service; settings resolved once, one lazily created client per instance."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid")

    api: Literal["compatible", "dashscope"] = "dashscope"
    """Wire protocol: native (``"dashscope"``, the default: only it carries ``text_type``) or OpenAI-compatible."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None),
        validation_alias=AliasChoices("api_key", "dashscope_api_key"),
    )
    """DashScope API key; read from ``DASHSCOPE_API_KEY`` when not given."""
    region: str | None = None
    """Region (``cn-beijing`` default, ``ap-southeast-1``, ``us-east-1``, ``cn-hongkong``)."""
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("base_url", "api_base"))
    """Service root or protocol base URL; wins over ``region``. Falls back to ``DASHSCOPE_BASE_URL``."""
    workspace: str | None = None
    """Workspace id (``X-DashScope-WorkSpace``); falls back to ``DASHSCOPE_WORKSPACE_ID``."""
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1)
    """Requests in flight at once on the async path."""
    timeout: float | None = None
    """Read timeout in seconds (default 120)."""
    max_retries: int | None = None
    """Retries per request on throttling, server and connection errors (default 2)."""

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
