"""LangChain document compressor that reranks with Qwen rerank models (DashScope / Model Studio)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import AliasChoices, Field

from langchain_qwen._connection import QwenBatchConnection
from qwen_core.rerank import DEFAULT_RERANK_MODEL
from qwen_core.rerank import arerank as _arerank
from qwen_core.rerank import rerank as _rerank
from qwen_core.types import RerankHit, RerankResult


class QwenRerank(QwenBatchConnection, BaseDocumentCompressor):
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

    model: str = Field(default=DEFAULT_RERANK_MODEL, validation_alias=AliasChoices("model", "model_name"))
    """Rerank model name."""
    top_n: int | None = Field(default=3, ge=1)
    """Documents to return (``None``: all of them, reordered)."""
    return_documents: bool | None = None
    """Ask the service to echo the documents' text in its results."""
    instruct: str | None = None
    """Task instruction (qwen3-rerank only)."""

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
