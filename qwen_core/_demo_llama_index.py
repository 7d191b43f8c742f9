"""The LlamaIndex part of ``qwen-demo``: Qwen chat and stream, and a small RAG query with embeddings and rerank."""

from __future__ import annotations

from typing import Any

from qwen_core._demo_steps import Steps

MODEL = "qwen-plus"
DOCUMENTS = (
    "Qwen is a family of large language models built by Alibaba Cloud.",
    "DashScope, also called Model Studio, serves the Qwen models through an API.",
    "Hangzhou is the capital of Zhejiang province and home of Alibaba.",
    "text-embedding-v4 turns text into vectors for semantic search.",
    "gte-rerank-v2 scores how well each document answers a query.",
)


def tour(connection: dict[str, Any], steps: Steps) -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_qwen import Qwen

    llm = Qwen(model=MODEL, **connection)
    with steps.step(f"Qwen(model={MODEL!r}).chat"):
        response = llm.chat([ChatMessage(role="system", content="Answer in one sentence."),
                             ChatMessage(role="user", content="What is Model Studio?")])
        steps.show("answer", response.message.content)
        steps.show("context window", f"{llm.metadata.context_window:,} tokens (from the model catalogue)")

    with steps.step("stream_chat"):
        print("    ", end="")
        for chunk in llm.stream_chat([ChatMessage(role="user", content="Name three colours.")]):
            steps.live(chunk.delta or "")
        print(flush=True)

    _rag(llm, connection, steps)


def _rag(llm: Any, connection: dict[str, Any], steps: Steps) -> None:
    from llama_index.core import Document, VectorStoreIndex

    from llama_index_qwen import QwenEmbedding, QwenRerank

    with steps.step("VectorStoreIndex with QwenEmbedding, query engine with QwenRerank"):
        steps.progress(f"embedding {len(DOCUMENTS)} documents with text-embedding-v4")
        embed_model = QwenEmbedding(model_name="text-embedding-v4", **connection)
        index = VectorStoreIndex.from_documents([Document(text=t) for t in DOCUMENTS], embed_model=embed_model)
        steps.progress("retrieving 4 candidates, reranking them with gte-rerank-v2, keeping 2")
        engine = index.as_query_engine(llm=llm, similarity_top_k=4,
                                       node_postprocessors=[QwenRerank(model="gte-rerank-v2", top_n=2, **connection)])
        steps.progress("answering from the kept documents")
        answer = engine.query("Who builds Qwen and how is it served?")
        steps.show("answer", answer)
        for node in answer.source_nodes:
            steps.show(f"source (rerank score {node.score:.3f})", node.node.get_content())
