"""LlamaIndex embeddings for Qwen text-embedding models (DashScope / Model Studio)."""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from qwen_core.catalogue import get_embedding_model_info
from qwen_core.client import QwenClient
from qwen_core.embedding import (
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_MAX_CONCURRENCY,
    ConcurrencyLimiter,
    TextType,
    aembed_texts,
    embed_texts,
    validate_dimensions,
)
from qwen_core.lazy_client import LazyClient
from qwen_core.settings import QwenSettings


class QwenEmbedding(BaseEmbedding):
    """Qwen text embeddings (``text-embedding-v4`` by default) for LlamaIndex.

    Queries are embedded with ``text_type="query"`` and texts with ``text_type="document"``, sent in
    ``parameters`` of the native API (the default ``api="dashscope"``; the compatible endpoint has no such field).
    Requests carry at most the model's row limit (10 for v3/v4, 25 for v1/v2): ``embed_batch_size`` defaults to
    it, and a larger ``embed_batch_size`` only groups texts per call, each call still sending requests of at most
    the limit. On the async path every request of every concurrent call on this instance shares one bound of
    ``max_concurrency`` requests in flight (LlamaIndex itself gathers all batches at once). Failed requests are
    retried per batch by the transport; a batch that still fails raises a typed
    :class:`~qwen_core.errors.APIError`, never ``None`` vectors or a shorter list.

    Args:
        model_name: embedding model (``text-embedding-v4``, ``-v3``, ``-v2``, ``-v1``).
        dimensions: output size, one of the model's sizes (checked at construction); ``None`` = model default.
        api: ``"dashscope"`` (native, default) or ``"compatible"`` (sends ``dimensions``, no ``text_type``).
        api_key: DashScope key (default ``DASHSCOPE_API_KEY``).
        region / base_url / workspace / timeout / max_retries: connection settings, as for ``Qwen``.
        max_concurrency: requests in flight at once on the async path.

    Example (against the offline emulator):
        >>> from llama_index_qwen.embeddings import QwenEmbedding
        >>> from qwen_core.emulator import Emulator
        >>> with Emulator() as emu:
        ...     embed_model = QwenEmbedding(api_key="sk-test", base_url=emu.base_url, dimensions=512)
        ...     vectors = embed_model.get_text_embedding_batch(["red apples", "green apples", "the stock market"])
        ...     query = embed_model.get_query_embedding("apples")
        ...     embed_model.close()
        >>> len(vectors), len(vectors[0]), len(query)
        (3, 512, 512)
    """

    model_name: str = Field(default=DEFAULT_EMBEDDING_MODEL, description="The embedding model.")
    dimensions: int | None = Field(default=None, description="Output vector size (None: the model's default).")
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
    _request_batch: int = PrivateAttr()
    _limiter: ConcurrencyLimiter = PrivateAttr()
    _clients: LazyClient = PrivateAttr()

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        """Check the options against the catalogue and resolve the settings once (errors before any request)."""
        self._settings = QwenSettings.resolve(
            api_key=self.api_key.get_secret_value() if self.api_key is not None else None,
            region=self.region,
            base_url=self.base_url,
            workspace=self.workspace,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )
        self._clients = LazyClient(self._settings, self.api)
        info = get_embedding_model_info(self.model_name)
        validate_dimensions(info, self.dimensions)
        if "embed_batch_size" not in self.model_fields_set:
            self.embed_batch_size = info.max_batch
        # embed_batch_size groups texts per call; a request never carries more than the model accepts
        self._request_batch = min(self.embed_batch_size, info.max_batch) if info.known else self.embed_batch_size
        self._limiter = ConcurrencyLimiter(self.max_concurrency)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "QwenEmbedding"

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

    def _options(self, text_type: TextType) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "text_type": text_type,
            "dimensions": self.dimensions,
            "batch_size": self._request_batch,
        }

    def _embed(self, texts: list[str], text_type: TextType) -> list[Embedding]:
        return embed_texts(self.client, texts, **self._options(text_type))

    async def _aembed(self, texts: list[str], text_type: TextType) -> list[Embedding]:
        return await aembed_texts(self.client, texts, limiter=self._limiter, **self._options(text_type))

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query], "query")[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aembed([query], "query"))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text], "document")[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aembed([text], "document"))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts, "document")

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self._aembed(texts, "document")


__all__ = ["QwenEmbedding"]
