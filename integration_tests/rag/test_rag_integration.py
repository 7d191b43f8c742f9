"""Embeddings and rerank end to end: LangChain's standard embeddings suite plus RAG checks, on both protocols.

With ``DASHSCOPE_API_KEY`` set they run against the real service (``DASHSCOPE_BASE_URL`` / region as usual);
otherwise against the offline emulator, started once for this module.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from llama_index.core.schema import NodeWithScore, TextNode

from langchain_qwen.embeddings import QwenEmbeddings
from langchain_qwen.rerank import QwenRerank
from llama_index_qwen.embeddings import QwenEmbedding
from llama_index_qwen.postprocessor import QwenRerank as LIRerank

_STATE: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module", autouse=True)
def _service(connection: dict[str, str]) -> Iterator[None]:
    # the standard suite reads its parameters from properties, which cannot take fixtures
    _STATE["connection"] = connection
    yield
    _STATE.clear()


def _connection() -> dict[str, Any]:
    return dict(_STATE["connection"])


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


class TestQwenEmbeddingsNative(EmbeddingsIntegrationTests):
    api = "dashscope"

    @property
    def embeddings_class(self) -> type[QwenEmbeddings]:
        return QwenEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"api": self.api, **_connection()}

    @pytest.fixture
    async def model(self) -> AsyncIterator[QwenEmbeddings]:  # type: ignore[override]
        embeddings = QwenEmbeddings(**self.embedding_model_params)
        yield embeddings
        await embeddings.aclose()


class TestQwenEmbeddingsCompatible(TestQwenEmbeddingsNative):
    api = "compatible"


@pytest.fixture(params=["dashscope", "compatible"])
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_dimensions_and_similarity(api: str) -> None:
    model = QwenEmbeddings(api=api, dimensions=256, **_connection())
    try:
        docs = await model.aembed_documents(["Apple pie is a dessert.", "How to bake an apple pie.", "GDP grew 3%."])
        query = model.embed_query("apple pie recipe")
    finally:
        await model.aclose()
    assert all(len(v) == 256 for v in [*docs, query])
    assert _cosine(query, docs[1]) > _cosine(query, docs[2])


async def test_llama_index_embedding_batches_past_the_limit(api: str) -> None:
    model = QwenEmbedding(api=api, **_connection())
    try:
        texts = [f"sentence number {i} about the topic {i % 3}" for i in range(23)]
        vectors = await model.aget_text_embedding_batch(texts)
        sync_vectors = model.get_text_embedding_batch(texts)
    finally:
        await model.aclose()
    assert len(vectors) == 23 and all(len(v) == 1024 for v in vectors)
    assert all(_cosine(a, b) > 0.999 for a, b in zip(vectors, sync_vectors, strict=True))


async def test_rerank_both_frameworks() -> None:
    # native endpoint, default gte-rerank-v2 (the compatible rerank endpoint is documented for qwen3-rerank)
    texts = ["The capital of France is Paris.", "Bananas are yellow.", "Paris hosts the Louvre."]
    lc = QwenRerank(top_n=2, **_connection())
    li = LIRerank(top_n=2, **_connection())
    try:
        docs = await lc.acompress_documents([Document(t) for t in texts], "What is the capital of France?")
        nodes = li.postprocess_nodes([NodeWithScore(node=TextNode(text=t)) for t in texts],
                                     query_str="What is the capital of France?")
    finally:
        await lc.aclose()
        await li.aclose()
    assert docs[0].page_content == texts[0]
    assert docs[0].metadata["relevance_score"] >= docs[1].metadata["relevance_score"]
    assert len(nodes) == 2 and nodes[0].node.get_content() == texts[0]
