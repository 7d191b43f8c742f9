"""LlamaIndex embeddings for Qwen text-embedding models (DashScope / Model Studio)."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator
from pydantic import AliasChoices
from typing_extensions import Self

from llama_index_qwen._batch_api import BatchApiFields
from llama_index_qwen._connection import QwenBatchConnection
from llama_index_qwen._fast import store_span_signatures
from qwen_core.batch.run import aembed_with_batches, embed_with_batches
from qwen_core.catalogue import get_embedding_model_info
from qwen_core.embedding import (
    DEFAULT_EMBEDDING_MODEL,
    TextType,
    aembed_texts,
    embed_texts,
    validate_dimensions,
)

#: Texts per ``_get_text_embeddings`` call with ``use_batch_api`` (LlamaIndex calls it per ``embed_batch_size``
#: texts): one batch job per 100,000 texts rather than one per 10; the core splits a job at the service's limits.
BATCH_API_EMBED_BATCH_SIZE = 100_000


class QwenEmbedding(BatchApiFields, QwenBatchConnection, BaseEmbedding):
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
        model (or model_name): embedding model (``text-embedding-v4``, ``-v3``, ``-v2``, ``-v1``).
        dimensions: output size, one of the model's sizes (checked at construction); ``None`` = model default.
        api: ``"dashscope"`` (native, default) or ``"compatible"`` (sends ``dimensions``, no ``text_type``).
        api_key: DashScope key (default ``DASHSCOPE_API_KEY``).
        region / base_url / workspace / timeout / max_retries: connection settings, as for ``Qwen``.
        max_concurrency: requests in flight at once on the async path.
        use_batch_api: embed texts (``IngestionPipeline``, ``VectorStoreIndex.from_documents``, ...) through the
            service's Batch API (half price, asynchronous; compatible endpoint, so without ``text_type``); queries
            stay live calls. ``embed_batch_size`` then defaults to 100,000 texts per job.
            ``batch_api_progress`` / ``batch_api_poll_interval`` / ``batch_api_timeout`` set how jobs are awaited.

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

    model_name: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        validation_alias=AliasChoices("model_name", "model"),
        description="The embedding model (alias model).",
    )
    dimensions: int | None = Field(default=None, description="Output vector size (None: the model's default).")
    use_batch_api: bool = Field(default=False, description="Embed texts through the service's Batch API.")

    _request_batch: int = PrivateAttr()

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        """Check the options against the catalogue (errors before any request)."""
        info = get_embedding_model_info(self.model_name)
        validate_dimensions(info, self.dimensions)
        if "embed_batch_size" not in self.model_fields_set:
            self.embed_batch_size = BATCH_API_EMBED_BATCH_SIZE if self.use_batch_api else info.max_batch
        # embed_batch_size groups texts per call; a request never carries more than the model accepts
        self._request_batch = min(self.embed_batch_size, info.max_batch) if info.known else self.embed_batch_size
        return self

    @classmethod
    def class_name(cls) -> str:
        return "QwenEmbedding"

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

    def _batch_options(self) -> dict[str, Any]:
        return {"model": self.model_name, "dimensions": self.dimensions, "batch_size": self._request_batch,
                "options": self._wait_options()}

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        if self.use_batch_api:
            return embed_with_batches(self.client, texts, **self._batch_options())
        return self._embed(texts, "document")

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        if self.use_batch_api:
            return await aembed_with_batches(self.client, texts, **self._batch_options())
        return await self._aembed(texts, "document")


store_span_signatures(QwenEmbedding)  # the dispatcher inspects these on every call: see _fast


__all__ = ["QwenEmbedding"]
