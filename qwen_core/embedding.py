"""Text embeddings at the model's real limits: validation, batching and bounded async fan-out.

Both adapters (``langchain_qwen.QwenEmbeddings`` and ``llama_index_qwen.QwenEmbedding``) are thin shells over
:func:`embed_texts` and :func:`aembed_texts`. What is decided here, once, for both:

* **Batches** are at most the model's row limit from the catalogue (10 for text-embedding-v3/v4, 25 for
  v1/v2, quirk docs/protocol.md#q21). A smaller ``batch_size`` may be asked for; a larger one is refused before any
  request.
* **Validation** happens before any request: ``dimensions`` must be one of the model's sizes, every text must be a
  non-empty string (the service rejects empty strings, and a silent placeholder vector would poison an index).
* **Order**: vectors come back in input order whatever order the batches finish in.
* **Failures**: each batch is one request, retried by the transport (429/5xx/connection errors) like any
  other request; a batch that still fails raises its typed :class:`~qwen_core.errors.QwenError`. There are
  never ``None`` vectors and never fewer vectors than texts.
* **Concurrency**: the sync path sends batches one after another; the async path runs them on the event loop
  with at most ``max_concurrency`` requests in flight (an :class:`asyncio.Semaphore`, no threads), and within
  that cap as many as the process's adaptive limiter for the key and model allows (:mod:`qwen_core.limits`:
  it backs off on throttling, honouring ``Retry-After``, and probes upward while calls succeed). A
  :class:`ConcurrencyLimiter` shared by an adapter instance bounds in-flight requests across all of its
  concurrent calls, which matters when a framework itself fans out (LlamaIndex gathers every batch at once).

Example:
    >>> from qwen_core.client import QwenClient
    >>> from qwen_core.embedding import embed_texts
    >>> from qwen_core.emulator import Emulator
    >>> with Emulator() as emu, QwenClient(api="dashscope", api_key="sk-test", base_url=emu.base_url) as client:
    ...     vectors = embed_texts(client, ["red apple", "green apple", "blue sky"], text_type="document")
    >>> len(vectors), len(vectors[0])
    (3, 1024)
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from qwen_core.catalogue import EmbeddingModelInfo, ModelCatalogue
from qwen_core.errors import InvalidRequestError, ResponseParseError
from qwen_core.limits import limiter_for, throttle_retries
from qwen_core.types import EmbeddingRequest, EmbeddingResult

if TYPE_CHECKING:
    from qwen_core.client import QwenClient

TextType = Literal["query", "document"]
T = TypeVar("T")

#: The embedding model used when none is named.
DEFAULT_EMBEDDING_MODEL: Final = "text-embedding-v4"
#: Requests in flight at once on the async path, unless told otherwise.
DEFAULT_MAX_CONCURRENCY: Final = 8


# --------------------------------------------------------------------------------------------- pure checks


def plan_batches(texts: Sequence[str], max_batch: int) -> list[list[str]]:
    """Split ``texts`` into consecutive batches of at most ``max_batch`` texts, in input order.

    >>> plan_batches(["a", "b", "c", "d", "e"], 2)
    [['a', 'b'], ['c', 'd'], ['e']]
    >>> plan_batches([], 10)
    []
    """
    if max_batch < 1:
        raise InvalidRequestError(f"batch size must be at least 1, got {max_batch}")
    return [list(texts[start : start + max_batch]) for start in range(0, len(texts), max_batch)]


def resolve_batch_size(info: EmbeddingModelInfo, requested: int | None = None) -> int:
    """The texts per request: ``requested`` if given (never above the model's limit), else the model's limit.

    For a model the catalogue does not know, the caller's ``requested`` is trusted (register the model in the
    catalogue to have it checked).
    """
    if requested is None:
        return info.max_batch
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise InvalidRequestError(f"batch_size must be a positive integer, got {requested!r}")
    if info.known and requested > info.max_batch:
        raise InvalidRequestError(
            f"{info.name} accepts at most {info.max_batch} texts per request; got batch_size={requested}. "
            f"Pass batch_size<={info.max_batch} or leave it unset."
        )
    return requested


def validate_dimensions(info: EmbeddingModelInfo, dimensions: int | None) -> int | None:
    """Check ``dimensions`` against the model's allowed sizes (``None`` means the model's default)."""
    if dimensions is None:
        return None
    if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
        raise InvalidRequestError(f"dimensions must be a positive integer, got {dimensions!r}")
    if info.known and dimensions not in info.dimensions:
        allowed = ", ".join(str(size) for size in info.dimensions)
        raise InvalidRequestError(
            f"{info.name} does not support dimensions={dimensions}; choose one of: {allowed} "
            f"(default {info.default_dimension})"
        )
    return dimensions


def validate_max_concurrency(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"max_concurrency must be a positive integer, got {value!r}")
    return value


def validate_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list, or :class:`InvalidRequestError` naming the first one that is not a non-empty string.

    An empty string is refused rather than sent (the service answers 400) or skipped (the output would no
    longer line up with the input).
    """
    if isinstance(texts, str):
        raise InvalidRequestError("texts must be a list of strings, not a single string")
    checked = list(texts)
    for index, text in enumerate(checked):
        if not isinstance(text, str):
            raise InvalidRequestError(f"text at index {index} is {type(text).__name__}, not str")
        if not text:
            raise InvalidRequestError(
                f"text at index {index} is empty; the embedding API rejects empty strings. "
                "Drop empty texts (or replace them) before embedding."
            )
    return checked


def vectors_of(result: EmbeddingResult, batch: Sequence[str], dimensions: int | None) -> list[list[float]]:
    """The vectors of one batch's result, after checking there is exactly one (of the right size) per text."""
    if len(result.vectors) != len(batch):
        raise ResponseParseError(
            f"the service returned {len(result.vectors)} embeddings for {len(batch)} texts",
            request_id=result.request_id,
        )
    vectors = [list(vector) for vector in result.vectors]
    for vector in vectors:
        if not vector or (dimensions is not None and len(vector) != dimensions):
            raise ResponseParseError(
                f"the service returned an embedding of size {len(vector)}, expected {dimensions or 'non-empty'}",
                request_id=result.request_id,
            )
    return vectors


# --------------------------------------------------------------------------------------------- concurrency


class ConcurrencyLimiter:
    """At most ``limit`` requests in flight per event loop, shared by every call given this limiter.

    An :class:`asyncio.Semaphore` belongs to one event loop, and adapters are used from several (``asyncio.run``
    per call, notebooks, test runners), so each loop gets its own semaphore on first use.
    """

    def __init__(self, limit: int = DEFAULT_MAX_CONCURRENCY) -> None:
        self.limit = validate_max_concurrency(limit)
        self._lock = threading.Lock()
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"ConcurrencyLimiter(limit={self.limit})"

    def semaphore(self) -> asyncio.Semaphore:
        """The semaphore of the running event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
            return semaphore


async def gather_bounded(jobs: Sequence[Callable[[], Awaitable[T]]], semaphore: asyncio.Semaphore) -> list[T]:
    """Run ``jobs`` with at most the semaphore's count running at once; results in job order.

    On the first failure the remaining jobs are cancelled (and awaited) and the failure is raised.
    """

    async def guarded(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    tasks = [asyncio.ensure_future(guarded(job)) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


# --------------------------------------------------------------------------------------------- requests


def plan_requests(
    catalogue: ModelCatalogue,
    texts: Sequence[str],
    model: str,
    text_type: TextType | None,
    dimensions: int | None,
    batch_size: int | None,
) -> list[EmbeddingRequest]:
    """The requests embedding ``texts``, checked (texts, dimensions, batch size) before any is sent."""
    info = catalogue.embedding_model(model)
    size = resolve_batch_size(info, batch_size)
    dims = validate_dimensions(info, dimensions)
    return [
        EmbeddingRequest(model=model, texts=batch, text_type=text_type, dimensions=dims)
        for batch in plan_batches(validate_texts(texts), size)
    ]


def embed_texts(
    client: QwenClient,
    texts: Sequence[str],
    *,
    model: str = DEFAULT_EMBEDDING_MODEL,
    text_type: TextType | None = None,
    dimensions: int | None = None,
    batch_size: int | None = None,
) -> list[list[float]]:
    """Embed ``texts`` (one request per batch, sent one after another); vectors in input order.

    Args:
        client: the client to send with (its ``api`` picks the protocol).
        texts: non-empty strings.
        model: an embedding model; limits come from the client's catalogue.
        text_type: ``"query"`` or ``"document"`` (native API only: the compatible endpoint has no such field).
        dimensions: output size, one of the model's sizes; ``None`` for the model's default.
        batch_size: texts per request, at most the model's limit (the default).

    Raises:
        InvalidRequestError: bad input, before any request.
        APIError: a batch failed after the transport's retries (the typed subclass says why).
    """
    requests = plan_requests(client.catalogue, texts, model, text_type, dimensions, batch_size)
    vectors: list[list[float]] = []
    for request in requests:
        vectors.extend(vectors_of(client.embed(request), request.texts, request.dimensions))
    return vectors


async def aembed_texts(
    client: QwenClient,
    texts: Sequence[str],
    *,
    model: str = DEFAULT_EMBEDDING_MODEL,
    text_type: TextType | None = None,
    dimensions: int | None = None,
    batch_size: int | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    limiter: ConcurrencyLimiter | None = None,
) -> list[list[float]]:
    """Async :func:`embed_texts`: batches run concurrently, at most ``max_concurrency`` in flight.

    Pass ``limiter`` to share one bound across concurrent calls (it then replaces ``max_concurrency``). Within that
    hard cap the process's adaptive limiter of this key and model (:mod:`qwen_core.limits`) sets how many run, and
    pauses and resends on throttling.
    """
    requests = plan_requests(client.catalogue, texts, model, text_type, dimensions, batch_size)
    if not requests:
        return []
    cap = limiter.limit if limiter is not None else validate_max_concurrency(max_concurrency)
    semaphore = limiter.semaphore() if limiter is not None else asyncio.Semaphore(cap)
    adaptive = limiter_for(client.settings, model)
    retries = throttle_retries(client.settings)

    def job(request: EmbeddingRequest) -> Callable[[], Awaitable[list[list[float]]]]:
        async def run() -> list[list[float]]:
            result = await adaptive.run(lambda: client.aembed(request), cap, retries=retries)
            return vectors_of(result, request.texts, request.dimensions)

        return run

    batches = await gather_bounded([job(request) for request in requests], semaphore)
    return [vector for batch in batches for vector in batch]


__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_MAX_CONCURRENCY",
    "ConcurrencyLimiter",
    "TextType",
    "aembed_texts",
    "embed_texts",
    "gather_bounded",
    "plan_batches",
    "plan_requests",
    "resolve_batch_size",
    "validate_dimensions",
    "validate_max_concurrency",
    "validate_texts",
    "vectors_of",
]
