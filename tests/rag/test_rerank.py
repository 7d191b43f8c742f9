"""QwenRerank for LangChain and LlamaIndex: wire bodies, scores, top_n, splitting past the limits, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.documents import Document
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from langchain_qwen.rerank import QwenRerank as LCRerank
from llama_index_qwen.postprocessor import QwenRerank as LIRerank
from qwen_core.emulator import Emulator
from qwen_core.emulator.vectors import relevance
from qwen_core.errors import InvalidRequestError, NotFoundError, UnsupportedFeatureError
from tests.rag.helpers import NATIVE_RERANK_PATH, RERANK_PATHS, requests_to

Make = Callable[..., Any]
QUERY = "cat on the mat"
TEXTS = ["stock prices fell", "the cat sat on the mat", "a cat and a dog", "mat cleaning tips", "weather today"]


def _expected(query: str, texts: list[str], top_n: int | None) -> list[tuple[int, float]]:
    ranked = sorted(((i, relevance(query, t)) for i, t in enumerate(texts)), key=lambda p: (-p[1], p[0]))
    return ranked[:top_n] if top_n else ranked


def _body_parts(body: dict[str, Any], api: str) -> tuple[str, list[str], dict[str, Any]]:
    if api == "dashscope":
        return body["input"]["query"], body["input"]["documents"], body["parameters"]
    return body["query"], body["documents"], {k: v for k, v in body.items() if k not in ("query", "documents")}


async def test_langchain_compress_documents_sync_and_async(emu: Emulator, make: Make, api: str) -> None:
    docs = [Document(t, metadata={"source": i}) for i, t in enumerate(TEXTS)]
    reranker = make(LCRerank, emu, api=api, model="qwen3-rerank", top_n=2)
    for best in (reranker.compress_documents(docs, QUERY), await reranker.acompress_documents(docs, QUERY)):
        expected = _expected(QUERY, TEXTS, 2)
        assert [(d.metadata["source"], d.metadata["relevance_score"]) for d in best] == expected
        assert [d.page_content for d in best] == [TEXTS[i] for i, _ in expected]
    assert all("relevance_score" not in d.metadata for d in docs)  # inputs untouched
    bodies = [r.json for r in requests_to(emu, RERANK_PATHS[api])]
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    query, sent, params = _body_parts(bodies[0], api)
    assert (query, sent, params["top_n"], bodies[0]["model"]) == (QUERY, TEXTS, 2, "qwen3-rerank")
    assert "return_documents" not in params


def test_langchain_defaults_and_return_documents(emu: Emulator, make: Make) -> None:
    reranker = make(LCRerank, emu, return_documents=True, top_n=None)
    hits = reranker.rerank(TEXTS, QUERY)
    body = requests_to(emu, NATIVE_RERANK_PATH)[0].json
    assert body["model"] == "gte-rerank-v2"
    assert body["parameters"] == {"return_documents": True}
    assert [(h["index"], h["relevance_score"]) for h in hits] == _expected(QUERY, TEXTS, None)
    assert all(h["document"] == TEXTS[h["index"]] for h in hits)
    assert make(LCRerank, emu).top_n == 3


def test_empty_document_list_sends_nothing(emu: Emulator, make: Make) -> None:
    assert make(LCRerank, emu).compress_documents([], QUERY) == []
    assert make(LIRerank, emu).postprocess_nodes([], query_str=QUERY) == []
    assert len(emu.requests) == 0


def test_errors_are_typed_and_local_checks_come_first(emu: Emulator, make: Make, api: str) -> None:
    docs = [Document("a cat")]
    with pytest.raises(InvalidRequestError, match="query"):
        make(LCRerank, emu, api=api).compress_documents(docs, "")
    with pytest.raises(UnsupportedFeatureError, match="instruct"):
        make(LCRerank, emu, api=api, instruct="Rank by recency").compress_documents(docs, "cat")
    with pytest.raises(InvalidRequestError, match="needs a query"):
        make(LIRerank, emu, api=api).postprocess_nodes([NodeWithScore(node=TextNode(text="a"))])
    assert len(emu.requests) == 0
    with pytest.raises(NotFoundError):
        make(LCRerank, emu, api=api, model="no-such-reranker").compress_documents(docs, "cat")


def test_instruct_is_sent_for_qwen3_rerank(emu: Emulator, make: Make, api: str) -> None:
    make(LCRerank, emu, api=api, model="qwen3-rerank", instruct="Find the pet").compress_documents(
        [Document("a cat")], "cat"
    )
    _, _, params = _body_parts(requests_to(emu, RERANK_PATHS[api])[0].json, api)
    assert params["instruct"] == "Find the pet"


async def test_more_documents_than_one_request_allows_are_split_and_merged_by_score(
    emu: Emulator, make: Make, api: str
) -> None:
    words = ["cat", "mat", "dog", "sun", "car", "tree", "sea", "hat"]
    texts = [" ".join(words[(i * k) % 8] for k in range(1, 2 + i % 4)) + f" n{i}" for i in range(1203)]
    reranker = make(LCRerank, emu, api=api, model="qwen3-rerank", top_n=7)
    docs = [Document(t, metadata={"i": i}) for i, t in enumerate(texts)]
    expected = _expected("cat mat sea", texts, 7)
    for best in (reranker.compress_documents(docs, "cat mat sea"),
                 await reranker.acompress_documents(docs, "cat mat sea")):
        assert [(d.metadata["i"], d.metadata["relevance_score"]) for d in best] == expected
    bodies = [r.json for r in requests_to(emu, RERANK_PATHS[api])]
    sizes = [len(_body_parts(b, api)[1]) for b in bodies]
    assert sizes == [500, 500, 203] * 2
    assert all(_body_parts(b, api)[2]["top_n"] == 7 for b in bodies)


def test_token_budget_splits_long_documents(emu: Emulator, make: Make) -> None:
    # gte-rerank-v2: 30,000 tokens per request; ~3,000-token documents (capped at 4,000) => several requests
    texts = [("cat " if i % 3 == 0 else "dog ") * 3000 + f"end{i}" for i in range(20)]
    best = make(LCRerank, emu, top_n=3).compress_documents([Document(t) for t in texts], "cat")
    bodies = [r.json for r in requests_to(emu, NATIVE_RERANK_PATH)]
    assert len(bodies) > 1
    assert [len(b["input"]["documents"]) for b in bodies] and sum(len(b["input"]["documents"]) for b in bodies) == 20
    assert all(len(b["input"]["documents"]) * 3002 <= 30_000 for b in bodies)
    assert [d.page_content for d in best] == [texts[i] for i, _ in _expected("cat", texts, 3)]


# ------------------------------------------------------------------------------------------ LlamaIndex


async def test_llama_index_postprocessor_sync_and_async(emu: Emulator, make: Make, api: str) -> None:
    nodes = [NodeWithScore(node=TextNode(text=t, id_=f"n{i}"), score=0.1) for i, t in enumerate(TEXTS)]
    reranker = make(LIRerank, emu, api=api, model="qwen3-rerank", top_n=3)
    expected = _expected(QUERY, TEXTS, 3)
    for best in (reranker.postprocess_nodes(nodes, query_str=QUERY),
                 await reranker.apostprocess_nodes(nodes, query_str=QUERY)):
        assert [(n.node.node_id, n.score) for n in best] == [(f"n{i}", s) for i, s in expected]
        assert all(n.node.metadata["relevance_score"] == n.score for n in best)
        assert "relevance_score" not in best[0].node.get_content(metadata_mode=MetadataMode.LLM)
    assert all(n.score == 0.1 and "relevance_score" not in n.node.metadata for n in nodes)  # inputs untouched
    _, sent, params = _body_parts(requests_to(emu, RERANK_PATHS[api])[0].json, api)
    assert sent == TEXTS and params["top_n"] == 3


def test_llama_index_ranks_the_embedding_text_of_each_node(emu: Emulator, make: Make) -> None:
    node = TextNode(text="a cat", metadata={"title": "pets"}, excluded_embed_metadata_keys=[])
    make(LIRerank, emu).postprocess_nodes([NodeWithScore(node=node)], query_str="cat")
    assert requests_to(emu, NATIVE_RERANK_PATH)[0].json["input"]["documents"] == [
        node.get_content(metadata_mode=MetadataMode.EMBED)
    ]
