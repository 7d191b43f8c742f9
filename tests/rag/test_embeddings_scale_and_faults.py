"""1,000 texts through the async path (order, batch limit, bounded in-flight requests) and per-batch failures."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from langchain_qwen.embeddings import QwenEmbeddings
from langchain_qwen.rerank import QwenRerank
from llama_index_qwen.embeddings import QwenEmbedding
from qwen_core.emulator import DropConnection, Emulator, HTTPFault
from qwen_core.emulator.vectors import embed as emulator_vector
from qwen_core.errors import APIConnectionError, BadRequestError, RateLimitError, ServerError
from tests._support.constants import API_KEY
from tests.rag.helpers import EMBEDDING_PATHS, NATIVE_EMBEDDING_PATH, RERANK_PATHS, requests_to

Make = Callable[..., Any]
TEXTS = [f"passage {i} about topic {i % 37} and item {i * 7919 % 1000}" for i in range(1000)]
LATENCY = 0.02
CONCURRENCY = 5


@pytest.fixture
def slow_emu() -> Iterator[Emulator]:
    """A fresh emulator (so its connection count is ours alone) that waits LATENCY before every answer."""
    with Emulator(latency=LATENCY) as emu:
        yield emu


def _check_bounded_run(emu: Emulator, elapsed: float, n_requests: int) -> None:
    bodies = [r.json for r in requests_to(emu, NATIVE_EMBEDDING_PATH)]
    assert len(bodies) == n_requests
    assert max(len(b["input"]["texts"]) for b in bodies) <= 10
    # Each in-flight HTTP/1.1 request holds its own connection and the pool keeps idle ones alive, so a new
    # connection is opened only when every open one is busy: the number ever opened is the peak number of
    # requests in flight. At most CONCURRENCY proves the bound; at least 2 proves requests overlapped.
    assert 2 <= emu.connections_opened <= CONCURRENCY
    # With at most CONCURRENCY in flight and LATENCY per answer, no schedule can finish faster than this.
    # (No upper time bound: emulator and client share one CPU here, so wall time is not a reliable signal.)
    assert elapsed >= math.ceil(n_requests / CONCURRENCY) * LATENCY * 0.95


async def test_1000_texts_async_langchain_order_limits_and_bounded_concurrency(slow_emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, slow_emu, max_concurrency=CONCURRENCY, dimensions=256)
    start = time.perf_counter()
    vectors = await model.aembed_documents(TEXTS)
    elapsed = time.perf_counter() - start
    _check_bounded_run(slow_emu, elapsed, 100)
    bodies = [r.json for r in requests_to(slow_emu, NATIVE_EMBEDDING_PATH)]
    assert sorted(t for b in bodies for t in b["input"]["texts"]) == sorted(TEXTS)  # every text sent once
    # vectors in input order: each equals the text's own single-text embedding. Every 10th text is embedded
    # alone through the service (without latency); all 1,000 are checked against the emulator's deterministic
    # vector function, which is what a single-text call returns.
    with Emulator() as fast:
        single = make(QwenEmbeddings, fast, max_concurrency=16, dimensions=256)
        singles = await asyncio.gather(*(single.aembed_documents([text]) for text in TEXTS[::10]))
    assert vectors[::10] == [one[0] for one in singles]
    assert vectors == [emulator_vector(text, 256) for text in TEXTS]
    assert len(set(map(tuple, vectors))) == len(TEXTS)


async def test_1000_texts_async_llama_index_shares_one_bound_across_its_gathered_batches(
    slow_emu: Emulator, make: Make
) -> None:
    # LlamaIndex gathers all embed_batch_size groups at once; the instance's limiter still bounds the requests
    model = make(QwenEmbedding, slow_emu, max_concurrency=CONCURRENCY, embed_batch_size=20)
    start = time.perf_counter()
    vectors = await model.aget_text_embedding_batch(TEXTS)
    elapsed = time.perf_counter() - start
    _check_bounded_run(slow_emu, elapsed, 100)
    reference = make(QwenEmbeddings, slow_emu).embed_documents(TEXTS[:: 97])
    assert [vectors[i] for i in range(0, 1000, 97)] == reference


async def test_concurrent_calls_on_one_instance_share_the_bound(slow_emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, slow_emu, max_concurrency=CONCURRENCY)
    start = time.perf_counter()
    parts = await asyncio.gather(*(model.aembed_documents(TEXTS[i : i + 100]) for i in range(0, 1000, 100)))
    _check_bounded_run(slow_emu, time.perf_counter() - start, 100)
    assert sum(len(p) for p in parts) == 1000


# ------------------------------------------------------------------------------------------ faults


def _fault(emu: Emulator, api: str, *faults: Any) -> None:
    emu.enqueue(*faults, path=EMBEDDING_PATHS[api])


async def test_a_batch_failing_with_500_once_is_retried_alone(emu: Emulator, make: Make, api: str) -> None:
    model = make(QwenEmbeddings, emu, api=api, max_retries=2, max_concurrency=1)
    texts = [f"t{i}" for i in range(30)]
    expected = model.embed_documents(texts)
    emu.reset()
    _fault(emu, api, HTTPFault(500, retry_after=0))  # the first batch's first try fails
    assert await model.aembed_documents(texts) == expected
    sent = [r.json for r in requests_to(emu, EMBEDDING_PATHS[api])]
    assert len(sent) == 4  # 3 batches + 1 retry
    assert sent[0] == sent[1]  # the retry re-sends the failed batch, only it


def test_sync_batch_retry_after_throttling(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, emu, max_retries=1)
    _fault(emu, "dashscope", HTTPFault(500, retry_after=0))
    assert len(model.embed_documents([f"t{i}" for i in range(15)])) == 15
    assert len(requests_to(emu, NATIVE_EMBEDDING_PATH)) == 3


async def test_a_batch_that_keeps_failing_raises_the_typed_error(emu: Emulator, make: Make, api: str) -> None:
    model = make(QwenEmbeddings, emu, api=api, max_retries=1, max_concurrency=1)
    _fault(emu, api, *[HTTPFault(429, "Throttling.RateQuota", "Requests rate limit exceeded", retry_after=0)] * 2)
    with pytest.raises(RateLimitError):
        model.embed_documents(["a"])
    assert len(emu.requests) == 2
    _fault(emu, api, *[HTTPFault(500, retry_after=0)] * 2)
    with pytest.raises(ServerError) as caught:
        await model.aembed_documents([f"t{i}" for i in range(25)])
    assert caught.value.status == 500
    await _settle(emu)  # a batch that had just started when the call failed may still reach the emulator


async def _settle(emu: Emulator) -> None:
    seen = -1
    while seen != len(emu.requests):
        seen = len(emu.requests)
        await asyncio.sleep(0.05)


async def test_a_failed_middle_batch_fails_the_call_not_its_vectors(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbedding, emu, max_retries=0, max_concurrency=1)
    texts = [f"t{i}" for i in range(25)]
    emu.enqueue(HTTPFault(200 + 200, "InvalidParameter", "bad batch"), path=NATIVE_EMBEDDING_PATH)
    with pytest.raises(BadRequestError):
        await model.aget_text_embedding_batch(texts)
    await _settle(emu)
    emu.enqueue(DropConnection(), path=NATIVE_EMBEDDING_PATH)
    with pytest.raises(APIConnectionError):
        model.get_text_embedding_batch(texts)


async def test_rerank_is_retried_and_errors_are_typed(emu: Emulator, make: Make, api: str) -> None:
    model = "qwen3-rerank"
    reranker = make(QwenRerank, emu, api=api, model=model, max_retries=1, top_n=1)
    emu.enqueue(HTTPFault(503, "ServiceUnavailable", "busy", retry_after=0), path=RERANK_PATHS[api])
    from langchain_core.documents import Document

    docs = [Document("apple pie"), Document("stock market")]
    assert [d.page_content for d in await reranker.acompress_documents(docs, "apple")] == ["apple pie"]
    assert len(requests_to(emu, RERANK_PATHS[api])) == 2
    emu.enqueue(*[HTTPFault(500, retry_after=0)] * 2, path=RERANK_PATHS[api])
    with pytest.raises(ServerError):
        reranker.compress_documents(docs, "apple")
    assert API_KEY not in repr(reranker)
