"""Offline RAG flows on the emulator: embed, retrieve, rerank, answer; LangChain and LlamaIndex."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_qwen.embeddings import QwenEmbeddings
from langchain_qwen.rerank import QwenRerank
from qwen_core.emulator import Emulator, ScriptedReply
from tests.rag.helpers import NATIVE_EMBEDDING_PATH, NATIVE_RERANK_PATH, requests_to

Make = Callable[..., Any]
CHAT_PATHS = ("/compatible-mode/v1/chat/completions", "/api/v1/services/aigc/text-generation/generation")

CORPUS = [
    "The Eiffel Tower is a wrought iron tower in Paris, France.",
    "Paris is the capital of France and hosts the Louvre museum.",
    "Mount Fuji is the highest mountain in Japan.",
    "The Great Wall of China stretches thousands of kilometres.",
    "Tokyo is the capital of Japan and its largest city.",
    "Bananas are rich in potassium.",
    "The Louvre museum in Paris houses the Mona Lisa.",
    "Iron rusts when exposed to water and oxygen.",
]
QUESTION = "Which museum in Paris houses the Mona Lisa?"
ANSWER = "The Louvre museum in Paris houses the Mona Lisa."


def _chat_bodies(emu: Emulator) -> list[str]:
    return [r.body.decode() for r in emu.requests if r.path in CHAT_PATHS]


class CompressionRetriever(BaseRetriever):
    """What ``langchain_classic``'s ContextualCompressionRetriever does, built on ``langchain_core`` alone.

    langchain 1.x moved ContextualCompressionRetriever to ``langchain-classic``, which this project does not
    depend on; the logic is three lines: retrieve, then compress with the query.
    """

    base_retriever: BaseRetriever
    base_compressor: BaseDocumentCompressor

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        docs = self.base_retriever.invoke(query, config={"callbacks": run_manager.get_child()})
        return list(self.base_compressor.compress_documents(docs, query, callbacks=run_manager.get_child()))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        docs = await self.base_retriever.ainvoke(query, config={"callbacks": run_manager.get_child()})
        return list(await self.base_compressor.acompress_documents(docs, query, callbacks=run_manager.get_child()))


def _format(docs: Sequence[Document]) -> str:
    return "\n".join(f"[{d.metadata['relevance_score']:.3f}] {d.page_content}" for d in docs)


@pytest.mark.parametrize("use_async", [False, True])
async def test_langchain_rag_with_reranking_and_chat_qwen(emu: Emulator, make: Make, use_async: bool) -> None:
    chat_qwen = pytest.importorskip("langchain_qwen.chat_models", reason="ChatQwen (langchain_qwen.chat_models)")
    embeddings = make(QwenEmbeddings, emu, dimensions=512)
    store = InMemoryVectorStore(embedding=embeddings)
    if use_async:
        await store.aadd_texts(CORPUS, metadatas=[{"id": i} for i in range(len(CORPUS))])
    else:
        store.add_texts(CORPUS, metadatas=[{"id": i} for i in range(len(CORPUS))])
    retriever = CompressionRetriever(
        base_retriever=store.as_retriever(search_kwargs={"k": 5}),
        base_compressor=make(QwenRerank, emu, top_n=2),
    )
    llm = make(chat_qwen.ChatQwen, emu)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the context only.\nContext:\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever | _format, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()
    emu.enqueue(ScriptedReply(text=ANSWER))

    docs = await retriever.ainvoke(QUESTION) if use_async else retriever.invoke(QUESTION)
    answer = await chain.ainvoke(QUESTION) if use_async else chain.invoke(QUESTION)

    assert [d.metadata["id"] for d in docs] == [6, 1]  # the Mona Lisa passage first, then Paris + Louvre
    assert docs[0].metadata["relevance_score"] > docs[1].metadata["relevance_score"] > 0
    assert answer == ANSWER
    (chat,) = _chat_bodies(emu)
    assert CORPUS[6] in chat and CORPUS[1] in chat and CORPUS[2] not in chat  # reranked context reached the LLM
    embedding_bodies = [r.json for r in requests_to(emu, NATIVE_EMBEDDING_PATH)]
    assert {b["parameters"]["text_type"] for b in embedding_bodies} == {"document", "query"}
    rerank_bodies = [r.json for r in requests_to(emu, NATIVE_RERANK_PATH)]
    assert all(len(b["input"]["documents"]) == 5 for b in rerank_bodies)


async def test_llama_index_rag_with_reranking_and_streaming_qwen(emu: Emulator, make: Make) -> None:
    llms = pytest.importorskip("llama_index_qwen.llms", reason="Qwen LLM (llama_index_qwen.llms)")
    from llama_index.core import Document as LIDocument
    from llama_index.core import VectorStoreIndex

    from llama_index_qwen.embeddings import QwenEmbedding
    from llama_index_qwen.postprocessor import QwenRerank as LIRerank

    embed_model = make(QwenEmbedding, emu, dimensions=512)
    index = VectorStoreIndex.from_documents(
        [LIDocument(text=t, metadata={"id": i}, excluded_embed_metadata_keys=["id"]) for i, t in enumerate(CORPUS)],
        embed_model=embed_model,
    )
    reranker = make(LIRerank, emu, top_n=2)
    engine = index.as_query_engine(
        llm=make(llms.Qwen, emu), similarity_top_k=5, node_postprocessors=[reranker], streaming=True
    )
    emu.enqueue(ScriptedReply(text=ANSWER, chunk_size=7))
    response = engine.query(QUESTION)
    pieces = list(response.response_gen)
    assert len(pieces) > 1 and "".join(pieces) == ANSWER
    assert [n.node.metadata["id"] for n in response.source_nodes] == [6, 1]
    assert all(n.score == n.node.metadata["relevance_score"] for n in response.source_nodes)
    (chat,) = _chat_bodies(emu)
    assert CORPUS[6] in chat and CORPUS[1] in chat and CORPUS[2] not in chat

    # and the async engine
    emu.reset()
    emu.enqueue(ScriptedReply(text=ANSWER, chunk_size=5))
    aresponse = await engine.aquery(QUESTION)
    apieces = [piece async for piece in aresponse.async_response_gen()]
    assert "".join(apieces) == ANSWER
    assert [n.node.metadata["id"] for n in aresponse.source_nodes] == [6, 1]
    assert requests_to(emu, NATIVE_EMBEDDING_PATH)[0].json["parameters"]["text_type"] == "query"
    assert len(requests_to(emu, NATIVE_RERANK_PATH)[0].json["input"]["documents"]) == 5
