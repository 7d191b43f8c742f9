"""LlamaIndex: QwenEmbedding(use_batch_api=True) in ingestion and indexing, Qwen's batch job methods."""

from __future__ import annotations

from typing import Any

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter

from llama_index_qwen import Qwen, QwenEmbedding
from qwen_core.emulator import BatchTiming, Emulator, HTTPFault
from qwen_core.errors import RateLimitError
from tests._support.constants import API_KEY

FAST = {"batch_api_poll_interval": 0.05, "batch_api_progress": False}


def batch_embedding(emu: Emulator, **fields: Any) -> QwenEmbedding:
    return QwenEmbedding(api_key=API_KEY, base_url=emu.base_url, use_batch_api=True, dimensions=64,
                         **FAST, **fields)


def jobs(emu: Emulator) -> int:
    return sum(1 for r in emu.requests if r.method == "POST" and r.path == "/compatible-mode/v1/batches")


def test_ingestion_pipeline_embeds_through_one_job(emu: Emulator) -> None:
    documents = [Document(text=f"Document {n} talks about topic {n % 7}.") for n in range(30)]
    splitter = SentenceSplitter(chunk_size=64, chunk_overlap=0)
    pipeline = IngestionPipeline(transformations=[splitter, batch_embedding(emu)])
    nodes = pipeline.run(documents=documents)
    assert len(nodes) == 30 and all(len(node.embedding or []) == 64 for node in nodes)
    assert jobs(emu) == 1  # not one job per 10 texts
    live = QwenEmbedding(api_key=API_KEY, base_url=emu.base_url, api="compatible", dimensions=64)
    assert nodes[3].embedding == live.get_text_embedding(nodes[3].get_content(metadata_mode="embed"))


def test_vector_store_index_from_documents(emu: Emulator) -> None:
    documents = [Document(text="Apples are red."), Document(text="The sky is blue.")]
    model = batch_embedding(emu)
    index = VectorStoreIndex.from_documents(documents, embed_model=model)
    (best,) = index.as_retriever(similarity_top_k=1).retrieve("red apples")
    assert "Apples" in best.node.get_content()
    assert jobs(emu) == 1


async def test_async_embedding_through_batches(emu: Emulator) -> None:
    model = batch_embedding(emu)
    vectors = await model.aget_text_embedding_batch([f"text {n}" for n in range(15)])
    assert len(vectors) == 15 and jobs(emu) == 1
    await model.aclose()


def llm(emu: Emulator) -> Qwen:
    return Qwen(api_key=API_KEY, base_url=emu.base_url, **FAST)


def conversation(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content=text)]


def test_qwen_submit_status_retrieve(emu: Emulator) -> None:
    model = llm(emu)
    emu.enqueue(HTTPFault(429, "Throttling", "Requests rate limit exceeded."),
                path="/compatible-mode/v1/chat/completions")
    job_id = model.batch_api_submit([conversation(f"q{n}") for n in range(4)], temperature=0.1)
    assert model.batch_api_status(job_id).counts.total in (0, 4)
    results = llm(emu).batch_api_retrieve(job_id)
    assert isinstance(results[0], RateLimitError)
    assert [r.message.content for r in results[1:] if isinstance(r, ChatResponse)] == ["Echo: q1", "Echo: q2",
                                                                                        "Echo: q3"]
    assert model.batch_api_status(job_id).status == "completed"


async def test_qwen_async_and_cancel(emu: Emulator) -> None:
    model = llm(emu)
    job_id = await model.abatch_api_submit([conversation("a")])
    assert (await model.abatch_api_status(job_id)).job.id == job_id
    (response,) = await model.abatch_api_retrieve(job_id)
    assert isinstance(response, ChatResponse) and response.message.content == "Echo: a"
    emu.batches.timing = BatchTiming(validating=0.05, in_progress=5.0, cancelling=0.05)
    assert model.batch_api_cancel(model.batch_api_submit([conversation("b")])).status == "cancelling"
    assert (await model.abatch_api_cancel(await model.abatch_api_submit([conversation("c")]))).status == "cancelling"
    await model.aclose()
