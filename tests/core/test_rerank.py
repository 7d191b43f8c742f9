"""Pure parts of qwen_core.rerank: input validation, chunk planning by document and token limits, merging."""

from __future__ import annotations

import pytest

from qwen_core.catalogue import RerankModelInfo, get_rerank_model_info
from qwen_core.errors import InvalidRequestError, ResponseParseError, UnsupportedFeatureError
from qwen_core.rerank import merge_rerank_results, plan_rerank_chunks, validate_rerank_input
from qwen_core.types import RerankHit, RerankResult


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
