"""What the embedding adapters put on the wire (recorded by the emulator), on both protocols and frameworks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from langchain_qwen.embeddings import QwenEmbeddings
from llama_index_qwen.embeddings import QwenEmbedding
from qwen_core.emulator import Emulator
from qwen_core.emulator.vectors import embed as emulator_vector
from qwen_core.errors import InvalidRequestError, NotFoundError
from tests.rag.helpers import COMPAT_EMBEDDING_PATH, EMBEDDING_PATHS, NATIVE_EMBEDDING_PATH, requests_to

Make = Callable[..., Any]


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def _bodies(emu: Emulator, api: str) -> list[Any]:
    return [r.json for r in requests_to(emu, EMBEDDING_PATHS[api])]


def test_native_langchain_sends_text_type_and_dimension_in_parameters(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, emu, dimensions=512)
    texts = [f"document number {i}" for i in range(23)]
    vectors = model.embed_documents(texts)
    query = model.embed_query("which document")
    bodies = _bodies(emu, "dashscope")
    assert [len(b["input"]["texts"]) for b in bodies] == [10, 10, 3, 1]
    assert [t for b in bodies[:3] for t in b["input"]["texts"]] == texts
    assert all(b["model"] == "text-embedding-v4" for b in bodies)
    assert [b["parameters"]["text_type"] for b in bodies] == ["document"] * 3 + ["query"]
    assert all(b["parameters"]["dimension"] == 512 and "dimensions" not in b["parameters"] for b in bodies)
    assert len(vectors) == 23 and all(len(v) == 512 for v in vectors) and len(query) == 512
    assert vectors == [emulator_vector(t, 512) for t in texts]


async def test_native_langchain_async_sends_the_same_bodies(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, emu, dimensions=256, max_concurrency=2)
    texts = [f"text {i}" for i in range(12)]
    assert await model.aembed_documents(texts) == model.embed_documents(texts)
    await model.aembed_query("hello")
    bodies = _bodies(emu, "dashscope")
    assert [(len(b["input"]["texts"]), b["parameters"]["text_type"]) for b in bodies] == [
        (10, "document"), (2, "document"), (10, "document"), (2, "document"), (1, "query")
    ]


def test_compatible_sends_plural_dimensions_and_no_text_type(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, emu, api="compatible", dimensions=768)
    model.embed_documents([f"t{i}" for i in range(11)])
    model.embed_query("q")
    bodies = _bodies(emu, "compatible")
    assert [len(b["input"]) for b in bodies] == [10, 1, 1]
    for body in bodies:
        assert body["dimensions"] == 768
        assert "dimension" not in body and "text_type" not in body and "parameters" not in body
    assert not requests_to(emu, NATIVE_EMBEDDING_PATH)


def test_default_dimension_is_not_sent(emu: Emulator, make: Make, api: str) -> None:
    vector = make(QwenEmbeddings, emu, api=api).embed_query("hello world")
    body = _bodies(emu, api)[0]
    assert "dimension" not in body.get("parameters", {}) and "dimensions" not in body
    assert len(vector) == 1024


@pytest.mark.parametrize(("model_name", "limit", "dims"), [("text-embedding-v1", 25, 1536),
                                                           ("text-embedding-v3", 10, 1024)])
def test_batches_follow_each_models_limit(emu: Emulator, make: Make, api: str, model_name: str,
                                          limit: int, dims: int) -> None:
    vectors = make(QwenEmbeddings, emu, api=api, model=model_name).embed_documents([f"t{i}" for i in range(30)])
    sizes = [len(b["input"]["texts"] if api == "dashscope" else b["input"]) for b in _bodies(emu, api)]
    assert sizes == [limit] * (30 // limit) + ([30 % limit] if 30 % limit else [])
    assert len(vectors) == 30 and len(vectors[0]) == dims


def test_smaller_batch_size_is_honoured(emu: Emulator, make: Make) -> None:
    make(QwenEmbeddings, emu, batch_size=4).embed_documents([f"t{i}" for i in range(9)])
    assert [len(b["input"]["texts"]) for b in _bodies(emu, "dashscope")] == [4, 4, 1]


def test_options_rejected_at_construction(emu: Emulator, make: Make) -> None:
    with pytest.raises(ValueError, match="choose one of"):
        make(QwenEmbeddings, emu, dimensions=1000)
    with pytest.raises(ValueError, match="at most 10"):
        make(QwenEmbeddings, emu, batch_size=25)
    with pytest.raises(ValueError, match="1536"):
        make(QwenEmbedding, emu, model_name="text-embedding-v2", dimensions=1024)
    assert len(emu.requests) == 0


def test_bad_texts_fail_before_any_request(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, emu)
    with pytest.raises(InvalidRequestError, match="index 11 is empty"):
        model.embed_documents([f"t{i}" for i in range(11)] + [""])
    assert len(emu.requests) == 0
    assert model.embed_documents([]) == []
    assert len(emu.requests) == 0


def test_service_errors_are_typed(emu: Emulator, make: Make, api: str) -> None:
    model = make(QwenEmbeddings, emu, api=api, model="no-such-embedder")
    with pytest.raises(NotFoundError):
        model.embed_query("hello")


def test_similar_texts_are_closer(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbeddings, emu)
    apple, pie, stock = model.embed_documents(["apple pie recipe", "baking an apple pie", "stock market crash"])
    assert _cosine(apple, pie) > _cosine(apple, stock)


# ------------------------------------------------------------------------------------------ LlamaIndex


def test_llama_index_sends_query_and_document_text_types(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbedding, emu, dimensions=128)
    assert model.embed_batch_size == 10
    texts = [f"node {i}" for i in range(21)]
    vectors = model.get_text_embedding_batch(texts)
    model.get_query_embedding("a question")
    model.get_text_embedding("one text")
    bodies = _bodies(emu, "dashscope")
    assert [(len(b["input"]["texts"]), b["parameters"]["text_type"]) for b in bodies] == [
        (10, "document"), (10, "document"), (1, "document"), (1, "query"), (1, "document")
    ]
    assert all(b["parameters"]["dimension"] == 128 for b in bodies)
    assert vectors == [emulator_vector(t, 128) for t in texts]


async def test_llama_index_async_and_large_embed_batch_size_still_respect_the_limit(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbedding, emu, embed_batch_size=64, max_concurrency=3)
    texts = [f"node {i}" for i in range(100)]
    vectors = await model.aget_text_embedding_batch(texts)
    query = await model.aget_query_embedding("question")
    bodies = _bodies(emu, "dashscope")
    assert max(len(b["input"]["texts"]) for b in bodies) == 10
    assert sum(len(b["input"]["texts"]) for b in bodies) == 101
    assert bodies[-1]["parameters"]["text_type"] == "query" and len(query) == 1024
    assert vectors == [emulator_vector(t, 1024) for t in texts]


def test_llama_index_v1_defaults_to_batches_of_25(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbedding, emu, model_name="text-embedding-v1", api="compatible", dimensions=1536)
    assert model.embed_batch_size == 25
    model.get_text_embedding_batch([f"t{i}" for i in range(30)])
    bodies = [r.json for r in requests_to(emu, COMPAT_EMBEDDING_PATH)]
    assert [len(b["input"]) for b in bodies] == [25, 5]
    assert all(b["dimensions"] == 1536 and "text_type" not in b for b in bodies)


def test_api_key_is_never_serialized(emu: Emulator, make: Make) -> None:
    model = make(QwenEmbedding, emu)
    assert "sk-emulator" not in model.to_json()
    assert "sk-emulator" not in repr(model)
    assert "sk-emulator" not in repr(make(QwenEmbeddings, emu))
