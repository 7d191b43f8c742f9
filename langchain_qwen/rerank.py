"""LangChain document compressor that reranks with Qwen rerank models (DashScope / Model Studio)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.utils import secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from qwen_core.client import QwenClient
from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY, ConcurrencyLimiter
from qwen_core.lazy_client import LazyClient
from qwen_core.rerank import DEFAULT_RERANK_MODEL
from qwen_core.rerank import arerank as _arerank
from qwen_core.rerank import rerank as _rerank
from qwen_core.settings import QwenSettings
from qwen_core.types import RerankHit, RerankResult


class QwenRerank(BaseDocumentCompressor):
    """Rerank retrieved documents with ``gte-rerank-v2`` (default) or ``qwen3-rerank``.

    Each returned document is a copy of the input document with its score in ``metadata["relevance_score"]``,
    best first, at most ``top_n``. Long lists are split to fit the model's limits (documents and tokens per
    request) and merged by score, which is exact because each score depends on its (query, document) pair only.

    Setup:
        ``pip install "qwen-integrations[langchain]"`` and set ``DASHSCOPE_API_KEY`` (or pass ``api_key=``).

    Key args:
        model: ``gte-rerank-v2`` (default) or ``qwen3-rerank``.
        top_n: how many documents to keep (default 3; ``None`` keeps all, reordered).
        return_documents: ask the service to echo document texts (only visible through :meth:`rerank`).
        instruct: task instruction (qwen3-rerank only).
        api: ``"dashscope"`` (native ``/services/rerank/...``, the default) or ``"compatible"``
            (``/compatible-api/v1/reranks``, documented for qwen3-rerank).
        region / base_url / workspace / timeout / max_retries: connection settings, as for ``ChatQwen``.

    Errors are typed (:mod:`qwen_core.errors`): ``InvalidRequestError`` before any request, ``APIError``
    subclasses when the service fails after the transport's retries.

    Example (against the offline emulator):
        >>> from langchain_core.documents import Document
        >>> from langchain_qwen.rerank import QwenRerank
        >>> from qwen_core.emulator import Emulator
        >>> docs = [Document("stock prices fell"), Document("the cat sat on the mat"), Document("a cat and a dog")]
        >>> with Emulator() as emu:
        ...     reranker = QwenRerank(api_key="sk-test", base_url=emu.base_url, top_n=2)
        ...     best = reranker.compress_documents(docs, "cat on the mat")
        ...     reranker.close()
        >>> [doc.page_content for doc in best]
        ['the cat sat on the mat', 'a cat and a dog']
        >>> 0 < best[0].metadata["relevance_score"] <= 1
        True

    Async: ``await reranker.acompress_documents(docs, query)`` (native asyncio).
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid")

    model: str = Field(default=DEFAULT_RERANK_MODEL, alias="model_name")
    """Rerank model name."""
    top_n: int | None = Field(default=3, ge=1)
    """Documents to return (``None``: all of them, reordered)."""
    return_documents: bool | None = None
    """Ask the service to echo the documents' text in its results."""
    instruct: str | None = None
    """Task instruction (qwen3-rerank only)."""
    api: Literal["compatible", "dashscope"] = "dashscope"
    """Wire protocol."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None), alias="dashscope_api_key"
    )
    """DashScope API key; read from ``DASHSCOPE_API_KEY`` when not given."""
    region: str | None = None
    base_url: str | None = Field(default=None, alias="api_base")
    """Service root or protocol base URL; wins over ``region``. Falls back to ``DASHSCOPE_BASE_URL``."""
    workspace: str | None = None
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1)
    """Requests in flight at once when a long list is split (async path)."""
    timeout: float | None = None
    max_retries: int | None = None

    _settings: QwenSettings = PrivateAttr()
    _limiter: ConcurrencyLimiter = PrivateAttr()
    _clients: LazyClient = PrivateAttr()

    @model_validator(mode="after")
    def _resolve(self) -> Self:
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
        """The instance's one :class:`QwenClient`, created on first use."""
        return self._clients.get()

    def close(self) -> None:
        """Close the client's sync connection pool (a later call opens a new one)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the client's connection pools (sync, and this event loop's async one)."""
        await self._clients.aclose()

    def _options(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "top_n": self.top_n,
            "return_documents": self.return_documents,
            "instruct": self.instruct,
        }

    def rerank(self, documents: Sequence[str | Document], query: str) -> list[dict[str, Any]]:
        """Raw results, best first: ``[{"index", "relevance_score"[, "document"]}]`` (``document`` when the
        service echoes it, i.e. with ``return_documents=True``)."""
        texts = [_text(document) for document in documents]
        result = _rerank(self.client, query, texts, **self._options())
        return [_hit_dict(hit) for hit in result.hits]

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The ``top_n`` most relevant documents, best first, scores in ``metadata["relevance_score"]``."""
        result = _rerank(self.client, query, [doc.page_content for doc in documents], **self._options())
        return _scored_documents(documents, result)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async :meth:`compress_documents` (native asyncio)."""
        result = await _arerank(
            self.client,
            query,
            [doc.page_content for doc in documents],
            limiter=self._limiter,
            **self._options(),
        )
        return _scored_documents(documents, result)


def _text(document: str | Document) -> str:
    return document if isinstance(document, str) else document.page_content


def _hit_dict(hit: RerankHit) -> dict[str, Any]:
    item: dict[str, Any] = {"index": hit.index, "relevance_score": hit.relevance_score}
    if hit.document is not None:
        item["document"] = hit.document
    return item


def _scored_documents(documents: Sequence[Document], result: RerankResult) -> list[Document]:
    """Copies of the ranked documents (inputs are never mutated) with their scores in the metadata."""
    ranked = []
    for hit in result.hits:
        original = documents[hit.index]
        ranked.append(
            original.model_copy(
                update={"metadata": {**original.metadata, "relevance_score": hit.relevance_score}}, deep=False
            )
        )
    return ranked


__all__ = ["QwenRerank"]
