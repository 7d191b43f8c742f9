"""Adaptive concurrency against an emulator with a requests-per-minute limit: no failures, limit respected."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from langchain_qwen import ChatQwen, QwenEmbeddings
from llama_index_qwen import QwenEmbedding
from llama_index_qwen import QwenRerank as LlamaRerank
from qwen_core.emulator import Emulator
from qwen_core.errors import RateLimitError
from qwen_core.limits import MAX_THROTTLE_RETRIES, AdaptiveLimiter, limiter_for

RPM = 600  # 10 requests per second, bursts of 10


@pytest.fixture(scope="module")
def limited() -> Iterator[Emulator]:
    with Emulator(requests_per_minute=RPM) as emu:
        yield emu


@pytest.fixture
def emu(limited: Emulator, request: pytest.FixtureRequest) -> Emulator:
    limited.reset()
    time.sleep(1.1)  # a full bucket for every test
    return limited



def test_the_emulator_throttles_with_retry_after(limited: Emulator) -> None:
    limited.reset()
    time.sleep(1.1)
    url = limited.compatible_base + "/embeddings"
    body = {"model": "text-embedding-v4", "input": ["a"]}
    with httpx.Client(headers={"Authorization": "Bearer sk-throttle"}) as http:
        answers = [http.post(url, json=body) for _ in range(12)]
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled, "a burst above the limit is throttled"
    error = throttled[0].json()["error"]
    assert error["code"] == "limit_requests" and "rate limit" in error["message"]
    assert int(throttled[0].headers["retry-after"]) >= 1 and 0 < int(throttled[0].headers["retry-after-ms"]) <= 200


async def test_aembed_documents_finishes_without_failures_within_the_limit(emu: Emulator) -> None:
    # default max_retries: inside the limiter the transport leaves 429s to it
    embeddings = QwenEmbeddings(api_key="sk-embed", base_url=emu.base_url, api="compatible", dimensions=64)
    texts = [f"text {n}" for n in range(400)]  # 40 requests: 10 in the first burst, then 10 per second
    started = time.monotonic()
    vectors = await embeddings.aembed_documents(texts)
    wall = time.monotonic() - started
    assert len(vectors) == 400 and all(len(v) == 64 for v in vectors)
    assert emu.rate_limit is not None and emu.rate_limit.throttled > 0
    assert 2.5 <= wall <= 6.0  # (40 - 10) / 10 per second = 3 s at the limit
    limiter = limiter_for(embeddings.client.settings, "text-embedding-v4")
    assert limiter.throttled > 0
    await embeddings.aclose()


async def test_one_limiter_per_key_and_model_shared_by_instances(emu: Emulator) -> None:
    first = QwenEmbeddings(api_key="sk-shared", base_url=emu.base_url, api="compatible", dimensions=64)
    second = QwenEmbedding(api_key="sk-shared", base_url=emu.base_url, api="compatible", dimensions=64)
    other = QwenEmbeddings(api_key="sk-other", base_url=emu.base_url, api="compatible", dimensions=64)
    shared = limiter_for(first.client.settings, "text-embedding-v4")
    assert shared is limiter_for(second.client.settings, "text-embedding-v4")
    assert shared is not limiter_for(other.client.settings, "text-embedding-v4")
    assert shared is not limiter_for(first.client.settings, "text-embedding-v3")
    assert "sk-shared" not in repr(shared)
    texts = [f"t {n}" for n in range(150)]
    one, two = await asyncio.gather(first.aembed_documents(texts), second.aget_text_embedding_batch(texts))
    assert len(one) == len(two) == 150 and one == two
    await first.aclose()
    await second.aclose()


async def test_chat_abatch_and_rerank_back_off_too(emu: Emulator) -> None:
    llm = ChatQwen(api_key="sk-chat", base_url=emu.base_url)
    answers = await llm.abatch([f"q{n}" for n in range(25)])
    assert [a.content for a in answers] == [f"Echo: q{n}" for n in range(25)]
    from llama_index.core.schema import NodeWithScore, TextNode

    reranker = LlamaRerank(api_key="sk-chat", base_url=emu.base_url, top_n=1)
    nodes = [NodeWithScore(node=TextNode(text=f"doc {n}")) for n in range(3)]
    results = await asyncio.gather(*(reranker.apostprocess_nodes(nodes, query_str=f"doc {n}") for n in range(15)))
    assert all(len(r) == 1 for r in results)
    assert emu.rate_limit is not None and emu.rate_limit.throttled > 0
    await llm.aclose()
    await reranker.aclose()


async def test_max_concurrency_stays_a_hard_cap() -> None:
    with Emulator(latency=0.1) as slow:
        embeddings = QwenEmbeddings(api_key="sk-cap", base_url=slow.base_url, max_concurrency=2, dimensions=64)
        started = time.monotonic()
        await embeddings.aembed_documents([f"x {n}" for n in range(80)])  # 8 requests, 2 at a time, 0.1 s each
        assert time.monotonic() - started >= 0.4
        await embeddings.aclose()


async def test_window_halves_on_throttling_then_grows_and_gives_up_eventually() -> None:
    limiter = AdaptiveLimiter()
    calls = 0

    async def throttled_twice() -> str:
        nonlocal calls
        calls += 1
        if calls <= 2:
            error = RateLimitError("slow down", status=429)
            error.retry_after = 0.05
            raise error
        return "ok"

    started = time.monotonic()
    assert await limiter.run(throttled_twice, cap=8) == "ok"
    assert time.monotonic() - started >= 0.1  # both Retry-After pauses were honoured
    assert limiter.window is not None and limiter.window < 8
    for _ in range(200):
        await limiter.run(lambda: asyncio.sleep(0), cap=8)
    assert limiter.window is None  # grew back to the cap: unbounded again

    async def always() -> None:
        error = RateLimitError("no", status=429)
        error.retry_after = 0.0
        raise error

    with pytest.raises(RateLimitError):
        await limiter.run(always)
    assert limiter.throttled >= MAX_THROTTLE_RETRIES
    before = limiter.throttled
    with pytest.raises(RateLimitError):
        await limiter.run(always, retries=0)  # max_retries=0: raised at once
    assert limiter.throttled == before + 1


async def test_max_retries_zero_raises_the_first_429(emu: Emulator) -> None:
    embeddings = QwenEmbeddings(api_key="sk-noretry", base_url=emu.base_url, api="compatible", max_retries=0)
    with pytest.raises(RateLimitError):
        await embeddings.aembed_documents([f"n {n}" for n in range(300)])
    await embeddings.aclose()
