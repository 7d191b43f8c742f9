"""Pure parts of qwen_core.embedding: batching, validation, bounded gathering (and both modules' public names)."""

from __future__ import annotations

import asyncio

import pytest

from qwen_core import embedding, rerank
from qwen_core.catalogue import get_embedding_model_info
from qwen_core.embedding import (
    ConcurrencyLimiter,
    gather_bounded,
    plan_batches,
    resolve_batch_size,
    validate_dimensions,
    validate_texts,
    vectors_of,
)
from qwen_core.errors import InvalidRequestError, ResponseParseError
from qwen_core.types import EmbeddingResult


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
