"""Reranking within the service's limits: inputs checked, large inputs split, partial results merged by score.

Both adapters (``langchain_qwen.QwenRerank`` and ``llama_index_qwen.QwenRerank``) call :func:`rerank` or
:func:`arerank`. Limits come from the catalogue (gte-rerank-v2 and qwen3-rerank: 500 documents per request,
4,000 tokens per query or document, 30,000 / 120,000 tokens per request).

**Why split rather than refuse.** The rerank models are cross-encoders: each ``relevance_score`` is computed from
one (query, document) pair alone, so scores from different requests are on the same scale. A list that is too
long for one request is therefore cut into consecutive chunks; each chunk is asked for its own best ``top_n``
(the overall best ``top_n`` are necessarily among those), indices are shifted back to positions in the full
list, and the union is sorted by descending score (ties: lower index first) and cut to ``top_n``.

**Token budget.** A request costs ``query_tokens + document_tokens`` per document (the 2026 formula documented
for qwen3-rerank, used for both models as the conservative reading), each side capped at the per-text limit
because the service truncates longer texts silently. Counting is exact (the Qwen tokenizer), but only when a
cheap upper bound (UTF-8 bytes: a BPE token is at least one byte) does not already show the input fits, so
typical RAG calls never load the tokenizer.

Example:
    >>> from qwen_core.client import QwenClient
    >>> from qwen_core.emulator import Emulator
    >>> from qwen_core.rerank import rerank
    >>> docs = ["the cat sat on the mat", "stock prices fell", "a cat and a dog"]
    >>> with Emulator() as emu, QwenClient(api="dashscope", api_key="sk-test", base_url=emu.base_url) as client:
    ...     result = rerank(client, "cat on the mat", docs, top_n=2)
    >>> [hit.index for hit in result.hits]
    [0, 2]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from qwen_core.catalogue import RerankModelInfo
from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY, ConcurrencyLimiter, gather_bounded
from qwen_core.errors import InvalidRequestError, ResponseParseError, UnsupportedFeatureError
from qwen_core.limits import limiter_for, throttle_retries
from qwen_core.types import RerankHit, RerankRequest, RerankResult

if TYPE_CHECKING:
    from qwen_core.client import QwenClient

#: The rerank model used when none is named.
DEFAULT_RERANK_MODEL: Final = "gte-rerank-v2"

TokenCounter = Callable[[str], int]


def _count_tokens(text: str) -> int:
    from qwen_core.tokenizer import count_tokens  # loads tiktoken and the vocabulary on first use only

    return count_tokens(text)


# --------------------------------------------------------------------------------------------- pure planning


def validate_rerank_input(
    info: RerankModelInfo, query: str, documents: Sequence[str], top_n: int | None, instruct: str | None
) -> list[str]:
    """The documents as a list, or :class:`InvalidRequestError` for a bad query, document or ``top_n``."""
    if not isinstance(query, str) or not query:
        raise InvalidRequestError("query must be a non-empty string")
    if isinstance(documents, str):
        raise InvalidRequestError("documents must be a list of strings, not a single string")
    docs = list(documents)
    for index, document in enumerate(docs):
        if not isinstance(document, str):
            raise InvalidRequestError(f"document at index {index} is {type(document).__name__}, not str")
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise InvalidRequestError(f"top_n must be a positive integer or None, got {top_n!r}")
    if instruct is not None and info.known and not info.supports_instruct:
        raise UnsupportedFeatureError(f"{info.name} does not accept instruct=; use qwen3-rerank or drop it")
    return docs


def plan_rerank_chunks(
    query: str, documents: Sequence[str], info: RerankModelInfo, *, count: TokenCounter | None = None
) -> list[range]:
    """Consecutive index ranges of ``documents``, each small enough for one request.

    >>> from qwen_core.catalogue import RerankModelInfo
    >>> plan_rerank_chunks("q", ["a"] * 5, RerankModelInfo("m", max_documents=2))
    [range(0, 2), range(2, 4), range(4, 5)]
    """
    if not documents:
        return []
    cap = info.max_tokens_per_document
    budget = info.max_tokens_per_request
    query_bound = min(len(query.encode("utf-8")), cap)
    bounds = [min(len(document.encode("utf-8")), cap) for document in documents]
    if len(documents) <= info.max_documents and query_bound * len(documents) + sum(bounds) <= budget:
        return [range(len(documents))]  # fits for sure: no tokenizer needed
    counter = count or _count_tokens
    query_tokens = min(counter(query), cap)
    chunks: list[range] = []
    start, used = 0, 0
    for index, document in enumerate(documents):
        cost = query_tokens + min(counter(document), cap)
        if cost > budget:
            raise InvalidRequestError(
                f"query plus document {index} need {cost} tokens, more than {info.name}'s {budget} per request"
            )
        if index - start >= info.max_documents or used + cost > budget:
            chunks.append(range(start, index))
            start, used = index, 0
        used += cost
    chunks.append(range(start, len(documents)))
    return chunks


def merge_rerank_results(parts: Sequence[tuple[range, RerankResult]], top_n: int | None) -> RerankResult:
    """One result from the results of consecutive chunks: indices shifted back, sorted by score, cut to top_n."""
    hits: list[RerankHit] = []
    for chunk, result in parts:
        for hit in result.hits:
            if not 0 <= hit.index < len(chunk):
                raise ResponseParseError(
                    f"rerank hit index {hit.index} is outside the {len(chunk)} documents sent",
                    request_id=result.request_id,
                )
            hits.append(replace(hit, index=chunk[hit.index]))
    hits.sort(key=lambda hit: (-hit.relevance_score, hit.index))
    request_ids = [result.request_id for _, result in parts if result.request_id]
    return RerankResult(
        hits=tuple(hits[:top_n] if top_n is not None else hits),
        total_tokens=sum(result.total_tokens for _, result in parts),
        request_id=",".join(request_ids) or None,
    )


def _requests(
    client: QwenClient,
    query: str,
    documents: Sequence[str],
    model: str,
    top_n: int | None,
    return_documents: bool | None,
    instruct: str | None,
) -> list[tuple[range, RerankRequest]]:
    info = client.catalogue.rerank_model(model)
    docs = validate_rerank_input(info, query, documents, top_n, instruct)
    return [
        (
            chunk,
            RerankRequest(
                model=model,
                query=query,
                documents=docs[chunk.start : chunk.stop],
                top_n=None if top_n is None else min(top_n, len(chunk)),
                return_documents=return_documents,
                instruct=instruct,
            ),
        )
        for chunk in plan_rerank_chunks(query, docs, info)
    ]


# --------------------------------------------------------------------------------------------- requests


def rerank(
    client: QwenClient,
    query: str,
    documents: Sequence[str],
    *,
    model: str = DEFAULT_RERANK_MODEL,
    top_n: int | None = None,
    return_documents: bool | None = None,
    instruct: str | None = None,
) -> RerankResult:
    """Rank ``documents`` by relevance to ``query``; hits sorted by descending score, at most ``top_n``.

    Hit indices are positions in ``documents``. No documents means no request and no hits.

    Raises:
        InvalidRequestError: bad input, before any request (``UnsupportedFeatureError`` for ``instruct`` on a
            model without it).
        APIError: a request failed after the transport's retries (the typed subclass says why).
    """
    parts = [
        (chunk, client.rerank(request))
        for chunk, request in _requests(client, query, documents, model, top_n, return_documents, instruct)
    ]
    return merge_rerank_results(parts, top_n)


async def arerank(
    client: QwenClient,
    query: str,
    documents: Sequence[str],
    *,
    model: str = DEFAULT_RERANK_MODEL,
    top_n: int | None = None,
    return_documents: bool | None = None,
    instruct: str | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    limiter: ConcurrencyLimiter | None = None,
) -> RerankResult:
    """Async :func:`rerank`; the chunks of a long list are sent concurrently (bounded)."""
    planned = _requests(client, query, documents, model, top_n, return_documents, instruct)
    if not planned:
        return RerankResult(hits=())
    bound = limiter or ConcurrencyLimiter(max_concurrency)
    semaphore = bound.semaphore()
    adaptive = limiter_for(client.settings, model)  # backs off on throttling, shared by the process
    retries = throttle_retries(client.settings)

    def job(request: RerankRequest) -> Callable[[], Awaitable[RerankResult]]:
        return lambda: adaptive.run(lambda: client.arerank(request), bound.limit, retries=retries)

    results = await gather_bounded([job(request) for _, request in planned], semaphore)
    return merge_rerank_results([(chunk, result) for (chunk, _), result in zip(planned, results, strict=True)], top_n)


__all__ = [
    "DEFAULT_RERANK_MODEL",
    "arerank",
    "merge_rerank_results",
    "plan_rerank_chunks",
    "rerank",
    "validate_rerank_input",
]
