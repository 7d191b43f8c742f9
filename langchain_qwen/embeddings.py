"""LangChain embeddings for Qwen text-embedding models (DashScope / Model Studio)."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import AliasChoices, Field, PrivateAttr, model_validator
from typing_extensions import Self

from langchain_qwen._batch_api import BatchApiFields
from langchain_qwen._connection import QwenBatchConnection
from qwen_core.batch.run import aembed_with_batches, embed_with_batches
from qwen_core.embedding import (
    DEFAULT_EMBEDDING_MODEL,
    aembed_texts,
    embed_texts,
    resolve_batch_size,
    validate_dimensions,
)


class QwenEmbeddings(BatchApiFields, QwenBatchConnection, Embeddings):
    """Qwen text embeddings (``text-embedding-v4`` by default) for LangChain.

    Setup:
        ``pip install "qwen-integrations[langchain]"`` and set ``DASHSCOPE_API_KEY`` (or pass ``api_key=``).

    Key args:
        model: embedding model, ``text-embedding-v4`` (default), ``-v3``, ``-v2`` or ``-v1``.
        dimensions: output size, one of the model's sizes (v4: 2048, 1536, 1024, 768, 512, 256, 128, 64);
            checked at construction. ``None`` is the model's default (1024 for v3/v4).
        api: ``"dashscope"`` (native API, the default here) or ``"compatible"``. The native API is the default
            for embeddings because only it carries ``text_type``: queries are embedded as ``query`` and
            documents as ``document``, as v3/v4 expect for asymmetric retrieval. The compatible endpoint has no
            ``text_type`` field, so there queries and documents are embedded alike.
        batch_size: texts per request; defaults to the model's limit (10 for v3/v4, 25 for v1/v2), never above it.
        max_concurrency: requests in flight at once on the async path, across all calls on this instance.
        region / base_url / workspace / timeout / max_retries: connection settings, as for ``ChatQwen``.
            Failed requests (429, 5xx, connection errors) are retried per batch by the transport.
        use_batch_api: embed documents through the service's Batch API (half price, asynchronous): one job per
            ``embed_documents`` call, waited for with progress (``batch_api_progress``, ``batch_api_poll_interval``,
            ``batch_api_timeout``). Batch jobs run on the compatible endpoint, which has no ``text_type``: documents
            are embedded without it. ``embed_query`` stays a live call.

    Errors are typed (:mod:`qwen_core.errors`): ``InvalidRequestError`` (also a ``ValueError``) for bad input
    before any request, ``APIError`` subclasses when a batch fails after retries. Output always has one
    vector per input text, in input order.

    Instantiate and embed (here against the offline emulator):
        >>> from langchain_qwen.embeddings import QwenEmbeddings
        >>> from qwen_core.emulator import Emulator
        >>> with Emulator() as emu:
        ...     embeddings = QwenEmbeddings(api_key="sk-test", base_url=emu.base_url, dimensions=256)
        ...     doc_vectors = embeddings.embed_documents(["red apples", "green apples", "the stock market"])
        ...     query_vector = embeddings.embed_query("apples")
        ...     embeddings.close()
        >>> len(doc_vectors), len(doc_vectors[0]), len(query_vector)
        (3, 256, 256)

    Async (native asyncio, batches sent concurrently):
        >>> import asyncio
        >>> with Emulator() as emu:
        ...     embeddings = QwenEmbeddings(api_key="sk-test", base_url=emu.base_url, max_concurrency=4)
        ...     vectors = asyncio.run(embeddings.aembed_documents([f"text {i}" for i in range(35)]))
        ...     embeddings.close()
        >>> len(vectors)
        35
    """

    model: str = Field(default=DEFAULT_EMBEDDING_MODEL, validation_alias=AliasChoices("model", "model_name"))
    """Embedding model name."""
    dimensions: int | None = None
    """Output vector size (``None``: the model's default)."""
    batch_size: int | None = None
    """Texts per request (default and maximum: the model's limit)."""
    _batch_size: int = PrivateAttr()

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        """Check the options against the catalogue (errors before any request)."""
        info = self.model_catalogue.embedding_model(self.model)
        validate_dimensions(info, self.dimensions)
        self._batch_size = resolve_batch_size(info, self.batch_size)
        return self

    def _options(self) -> dict[str, Any]:
        return {"model": self.model, "dimensions": self.dimensions, "batch_size": self._batch_size}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (``text_type="document"``), one request per batch; vectors in input order."""
        if self.use_batch_api:
            return embed_with_batches(self.client, texts, options=self._wait_options(), **self._options())
        return embed_texts(self.client, texts, text_type="document", **self._options())

    def embed_query(self, text: str) -> list[float]:
        """Embed a search query (``text_type="query"``)."""
        return embed_texts(self.client, [text], text_type="query", **self._options())[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents`: batches run concurrently, at most ``max_concurrency`` in flight."""
        if self.use_batch_api:
            return await aembed_with_batches(self.client, texts, options=self._wait_options(), **self._options())
        return await aembed_texts(
            self.client, texts, text_type="document", limiter=self._limiter, **self._options()
        )

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`."""
        vectors = await aembed_texts(self.client, [text], text_type="query", limiter=self._limiter, **self._options())
        return vectors[0]


__all__ = ["QwenEmbeddings"]
