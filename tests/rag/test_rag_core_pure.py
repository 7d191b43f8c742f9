"""Pure parts of qwen_core.embedding and qwen_core.rerank: batching, validation, chunk planning, merging."""

from __future__ import annotations

import asyncio

import pytest

from qwen_core import embedding, rerank
from qwen_core.catalogue import RerankModelInfo, get_embedding_model_info, get_rerank_model_info
from qwen_core.embedding import (
    ConcurrencyLimiter,
    gather_bounded,
    plan_batches,
    resolve_batch_size,
    validate_dimensions,
    validate_texts,
    vectors_of,
)
from qwen_core.errors import InvalidRequestError, ResponseParseError, UnsupportedFeatureError
from qwen_core.rerank import merge_rerank_results, plan_rerank_chunks, validate_rerank_input
from qwen_core.types import EmbeddingResult, RerankHit, RerankResult


def test_public_names() -> None:
    assert set(embedding.__all__) <= set(dir(embedding))
    assert set(rerank.__all__) <= set(dir(rerank))
    assert embedding.DEFAULT_EMBEDDING_MODEL == "text-embedding-v4"
    assert rerank.DEFAULT_RERANK_MODEL == "gte-rerank-v2"


@pytest.mark.parametrize(
    ("n", "size", "expected"), [(0, 10, []), (10, 10, [10]), (25, 10, [10, 10, 5]), (26, 25, [25, 1])]
)
def test_plan_batches_keeps_order_and_limit(n: int, size: int, expected: list[int]) -> None:
    texts = [f"t{i}" for i in range(n)]
    batches = plan_batches(texts, size)
    assert [len(b) for b in batches] == expected
    assert [t for b in batches for t in b] == texts


def test_plan_batches_rejects_zero() -> None:
    with pytest.raises(InvalidRequestError):
        plan_batches(["a"], 0)


@pytest.mark.parametrize(("model", "limit"), [("text-embedding-v4", 10), ("text-embedding-v3", 10),
                                              ("text-embedding-v2", 25), ("text-embedding-v1", 25)])
def test_batch_size_defaults_to_catalogue_limit_and_never_exceeds_it(model: str, limit: int) -> None:
    info = get_embedding_model_info(model)
    assert resolve_batch_size(info) == limit
    assert resolve_batch_size(info, 3) == 3
    with pytest.raises(InvalidRequestError, match=f"at most {limit}"):
        resolve_batch_size(info, limit + 1)
    for bad in (0, -1, True, 2.5):
        with pytest.raises(InvalidRequestError):
            resolve_batch_size(info, bad)  # type: ignore[arg-type]


def test_unknown_model_trusts_the_callers_batch_size() -> None:
    assert resolve_batch_size(get_embedding_model_info("my-custom-embedder"), 64) == 64


def test_dimensions_checked_against_the_models_sizes() -> None:
    v4, v2 = get_embedding_model_info("text-embedding-v4"), get_embedding_model_info("text-embedding-v2")
    assert validate_dimensions(v4, None) is None
    assert validate_dimensions(v4, 2048) == 2048
    assert validate_dimensions(v4, 64) == 64
    with pytest.raises(InvalidRequestError, match="2048, 1536, 1024"):
        validate_dimensions(v4, 100)
    with pytest.raises(InvalidRequestError, match="1536"):
        validate_dimensions(v2, 1024)
    with pytest.raises(InvalidRequestError):
        validate_dimensions(v4, 0)


def test_texts_validated_with_the_index_of_the_bad_one() -> None:
    assert validate_texts(("a", "b")) == ["a", "b"]
    with pytest.raises(InvalidRequestError, match="index 1 is empty"):
        validate_texts(["a", "", "c"])
    with pytest.raises(InvalidRequestError, match="index 0 is int"):
        validate_texts([1])  # type: ignore[list-item]
    with pytest.raises(InvalidRequestError, match="not a single string"):
        validate_texts("abc")


def test_a_short_or_malformed_batch_result_raises_instead_of_shrinking_the_output() -> None:
    ok = EmbeddingResult(vectors=((0.1, 0.2), (0.3, 0.4)))
    assert vectors_of(ok, ["a", "b"], 2) == [[0.1, 0.2], [0.3, 0.4]]
    with pytest.raises(ResponseParseError, match="1 embeddings for 2 texts"):
        vectors_of(EmbeddingResult(vectors=((0.1, 0.2),), request_id="r1"), ["a", "b"], None)
    with pytest.raises(ResponseParseError, match="size 2, expected 4"):
        vectors_of(ok, ["a", "b"], 4)
    with pytest.raises(ResponseParseError):
        vectors_of(EmbeddingResult(vectors=((),)), ["a"], None)


async def test_gather_bounded_keeps_job_order_and_bounds_concurrency() -> None:
    running = peak = 0

    def job(i: int):  # type: ignore[no-untyped-def]
        async def run() -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001 * ((i * 7) % 5))  # finish out of order
            running -= 1
            return i

        return run

    assert await gather_bounded([job(i) for i in range(40)], asyncio.Semaphore(3)) == list(range(40))
    assert peak == 3


async def test_gather_bounded_cancels_the_rest_on_failure() -> None:
    finished: list[int] = []

    def job(i: int):  # type: ignore[no-untyped-def]
        async def run() -> int:
            if i == 1:
                raise ResponseParseError("boom")
            await asyncio.sleep(0.2)
            finished.append(i)
            return i

        return run

    with pytest.raises(ResponseParseError):
        await gather_bounded([job(i) for i in range(6)], asyncio.Semaphore(6))
    assert finished == []


def test_limiter_gives_each_event_loop_its_own_semaphore() -> None:
    limiter = ConcurrencyLimiter(2)

    async def grab() -> asyncio.Semaphore:
        first = limiter.semaphore()
        assert limiter.semaphore() is first
        return first

    a, b = asyncio.run(grab()), asyncio.run(grab())
    assert a is not b
    with pytest.raises(InvalidRequestError):
        ConcurrencyLimiter(0)


# ------------------------------------------------------------------------------------------ rerank


def test_rerank_input_validation() -> None:
    gte, qwen3 = get_rerank_model_info("gte-rerank-v2"), get_rerank_model_info("qwen3-rerank")
    assert validate_rerank_input(gte, "q", ("a", "b"), 2, None) == ["a", "b"]
    with pytest.raises(InvalidRequestError, match="query"):
        validate_rerank_input(gte, "", ["a"], None, None)
    with pytest.raises(InvalidRequestError, match="top_n"):
        validate_rerank_input(gte, "q", ["a"], 0, None)
    with pytest.raises(InvalidRequestError, match="index 1"):
        validate_rerank_input(gte, "q", ["a", None], None, None)  # type: ignore[list-item]
    with pytest.raises(UnsupportedFeatureError, match="qwen3-rerank"):
        validate_rerank_input(gte, "q", ["a"], None, "Rank by recency")
    assert validate_rerank_input(qwen3, "q", ["a"], None, "Rank by recency") == ["a"]


def test_small_inputs_fit_one_request_without_the_tokenizer() -> None:
    def no_counting(text: str) -> int:
        raise AssertionError("the tokenizer must not be needed for small inputs")

    info = get_rerank_model_info("gte-rerank-v2")
    assert plan_rerank_chunks("what is rerank", ["doc"] * 500, info, count=no_counting) == [range(500)]
    assert plan_rerank_chunks("q", [], info, count=no_counting) == []


def test_document_limit_splits_into_consecutive_chunks() -> None:
    info = get_rerank_model_info("gte-rerank-v2")
    chunks = plan_rerank_chunks("q", ["d"] * 1201, info, count=lambda text: 1)
    assert chunks == [range(0, 500), range(500, 1000), range(1000, 1201)]


def test_token_budget_splits_counting_query_per_document_and_capping_at_the_per_text_limit() -> None:
    info = RerankModelInfo("m", max_documents=500, max_tokens_per_document=4_000, max_tokens_per_request=10_000)
    sizes = {"small": 1_000, "huge": 50_000}
    docs = ["small", "small", "huge", "small", "small", "small"]
    # the query counts 1000 (the fake counter's default); costs: small = 1000 + 1000, huge = 1000 + 4000
    # (the service truncates at 4000, so the cost is capped there); a long query defeats the byte fast path
    chunks = plan_rerank_chunks("q" * 20_000, docs, info, count=lambda t: sizes.get(t, 1_000))
    assert chunks == [range(0, 3), range(3, 6)]  # 2000+2000+5000 = 9000; then 2000*3 = 6000
    for chunk in chunks:
        assert sum(1_000 + min(sizes[d], 4_000) for d in docs[chunk.start : chunk.stop]) <= 10_000


def test_a_single_document_over_budget_is_a_clear_error() -> None:
    info = RerankModelInfo("m", max_tokens_per_document=4_000, max_tokens_per_request=5_000)
    with pytest.raises(InvalidRequestError, match="document 0"):
        plan_rerank_chunks("q" * 9_000, ["d" * 9_000], info, count=len)


def test_merge_shifts_indices_sorts_by_score_and_cuts_top_n() -> None:
    first = RerankResult(hits=(RerankHit(1, 0.9), RerankHit(0, 0.2)), total_tokens=10, request_id="a")
    second = RerankResult(hits=(RerankHit(0, 0.95), RerankHit(2, 0.9)), total_tokens=5, request_id="b")
    merged = merge_rerank_results([(range(0, 3), first), (range(3, 6), second)], top_n=3)
    assert [(h.index, h.relevance_score) for h in merged.hits] == [(3, 0.95), (1, 0.9), (5, 0.9)]
    assert merged.total_tokens == 15
    assert merged.request_id == "a,b"
    assert len(merge_rerank_results([(range(0, 3), first), (range(3, 6), second)], None).hits) == 4


def test_merge_rejects_an_index_outside_the_chunk() -> None:
    with pytest.raises(ResponseParseError, match="outside"):
        merge_rerank_results([(range(0, 2), RerankResult(hits=(RerankHit(2, 0.5),)))], None)
